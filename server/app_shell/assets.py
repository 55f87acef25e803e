"""Content-hashed names for everything the service worker precaches, computed once at startup.

Every precached file is served at ``/v/<hash>/<path under web/static>`` (immutable). The phone
app's own ES modules (``web/static/app/**/*.js``) share *one* hash over all of them, so their
relative ``import``s resolve inside the same hashed folder; every other file (CSS, vendored
libraries, icons) has its own. The *build* id hashes all of it together with the shell
template, the translation catalogs and the CSP: any change gives a new ``/sw.js`` text, so the
browser installs the new worker (it compares the script byte for byte).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from server.app_shell.bundle import BUNDLE, bundle
from server.app_shell.domain_sets import DOMAINS_MODULE, bundle_rel, domains_module, domains_of
from server.app_shell.slim import css_without_comments, minified, without_comments
from server.lib.headers import CSP
from server.lib.i18n import LANGUAGES, LOCALE_DIR, PHONE_AREAS, catalog
from sync.domains import default_registry
from sync.kit.export import export

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "web" / "static"
TEMPLATES = ROOT / "web" / "templates"
SHELL_TEMPLATE = "app/shell.html"

# What the page loads (the service worker's own modules are fetched and kept by the browser
# as part of the worker script; they are listed too so that first-use bytes count them).
PAGE_ASSETS = (
    "css/app.css",
    "app/app.css",
    "vendor/htmx/htmx.min.js",
    "app/page.js",
    "app/icons/icon-192.png",  # the page's icon; the large ones are the launcher's business
)
ICONS = ("app/icons/icon-192.png", "app/icons/icon-512.png", "app/icons/maskable-512.png")
WORKER_VENDOR = "vendor/idb/idb.umd.js"
# Page-side modules loaded only when a screen needs them (the patrol camera and its QR
# decoder; a goods-out pass's QR code and its generator): not fetched before first use,
# cached by the worker when a guard opens the rounds or the gate (app/patrol/index.js,
# app/desk/gate.js) and on the phones that issue passes (app/desk/passcode.js). They share
# the app modules' hash (relative URLs).
LAZY_ASSETS = ("app/patrol/scan.js", "vendor/jsqr/jsQR.js", "app/desk/qr.js",
               "vendor/lean-qr/lean-qr.js")
HASH_LEN = 16


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()[:HASH_LEN]


def catalog_json(language: str) -> bytes:
    """A language's merged catalog as the JSON the service worker reads (sorted: stable)."""
    return json.dumps(catalog(language, PHONE_AREAS), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


@dataclass(frozen=True)
class Assets:
    hashes: dict[str, str]  # path under web/static -> its content hash (app modules share one)
    app_hash: str
    build: str
    i18n_hashes: dict[str, str] = field(default_factory=dict)

    def url(self, rel: str) -> str:
        return f"/v/{self.hashes[rel]}/{rel}"

    def bundle_url(self, domains: tuple[str, ...]) -> str:
        """The worker's modules of a domain set joined in one file (:mod:`.bundle`,
        :mod:`.domain_sets`): named by the app modules' hash."""
        return f"/v/{self.app_hash}/{bundle_rel(domains)}"

    def i18n_url(self, language: str) -> str:
        return f"/i18n/{language}.json?v={self.i18n_hashes[language]}"

    def shell_url(self, language: str) -> str:
        return f"/app-shell/{language}?v={self.build}"

    def precache(self) -> list[str]:
        """URLs the worker stores at install (the shells, catalogs and page assets)."""
        return [
            *(self.shell_url(lang) for lang in LANGUAGES),
            *(self.i18n_url(lang) for lang in LANGUAGES),
            *(self.url(p) for p in PAGE_ASSETS),
            "/manifest.webmanifest",
        ]

    def path_for(self, digest: str, rel: str) -> Path | None:
        """The file behind ``/v/<digest>/<rel>`` when the digest is the current one (the
        bundle has no file: its path only names its media type)."""
        if domains_of(rel) is not None:
            return STATIC / BUNDLE if digest == self.app_hash else None
        if self.hashes.get(rel) != digest:
            return None
        return STATIC / rel

    def module_body(self, rel: str) -> bytes | None:
        """An app module as served (without its comment lines: :mod:`.slim`); None for other
        files (the worker's bundles: :func:`server.app_shell.prebuild.served_bundle`)."""
        if rel in PAGE_ASSETS and rel.endswith(".css"):
            return slim_css(rel)
        if not (rel.startswith("app/") and rel.endswith(".js")):
            return None
        return served_module(rel)


@cache
def slim_module(rel: str) -> bytes:
    """An app module without its comment lines and indentation (what the bundler reads)."""
    return without_comments((STATIC / rel).read_text(encoding="utf-8")).encode()


@cache
def served_module(rel: str) -> bytes:
    """An app module as phones receive it: slimmed, then minified (:mod:`.slim`)."""
    return minified(slim_module(rel).decode(), rel).encode()


@cache
def read_static(path: Path) -> bytes:
    """A file under web/static as it is (a vendored library): read once."""
    return path.read_bytes()


@cache
def slim_css(rel: str) -> bytes:
    return css_without_comments((STATIC / rel).read_text(encoding="utf-8")).encode()


@cache
def worker_bundle(domains: tuple[str, ...]) -> bytes:
    """The worker's modules with ``domains``' in one file, each as served
    (:func:`slim_module`)."""
    a = assets()

    def read(rel: str) -> str:
        source = slim_module(rel).decode()
        return domains_module(domains, source) if rel == DOMAINS_MODULE else source

    return bundle(read, a.url).encode()


def _app_modules() -> list[Path]:
    return sorted((STATIC / "app").rglob("*.js"))


@cache
def assets() -> Assets:
    hashes: dict[str, str] = {}
    modules = sorted({*_app_modules(), *(STATIC / rel for rel in LAZY_ASSETS)})
    app_hash = _digest(*(p.relative_to(STATIC).as_posix().encode() + b"\0" + p.read_bytes()
                         for p in modules))
    for p in modules:
        hashes[p.relative_to(STATIC).as_posix()] = app_hash
    hashes[BUNDLE] = app_hash  # made of the modules: their hash names it
    for rel in (*PAGE_ASSETS, *ICONS, WORKER_VENDOR):
        if rel not in hashes:
            hashes[rel] = _digest((STATIC / rel).read_bytes())
    i18n_hashes = {lang: _digest(catalog_json(lang)) for lang in LANGUAGES}
    po_files = sorted(LOCALE_DIR.rglob("*.po"))
    build = _digest(
        json.dumps(export(default_registry()), sort_keys=True).encode(),
        json.dumps(hashes, sort_keys=True).encode(),
        json.dumps(i18n_hashes, sort_keys=True).encode(),
        (TEMPLATES / SHELL_TEMPLATE).read_bytes(),
        *(p.read_bytes() for p in po_files),
        CSP.encode(),
    )
    return Assets(hashes=hashes, app_hash=app_hash, build=build, i18n_hashes=i18n_hashes)
