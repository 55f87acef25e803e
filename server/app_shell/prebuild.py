"""The field roles' worker bundles, built by esbuild ahead of time (``web/prebuilt/``).

esbuild joins the worker's modules by scope hoisting (one scope, no function and no exports
object per module) and drops what no module uses: about a tenth fewer compressed bytes than
the server's own join (:mod:`.bundle`) and minifier. Production servers have no Node, so the
bundles of the domain sets the roles' phones use (:func:`field_sets`) are built here and
committed; the server serves one only while it is *current* (:func:`prebuilt`), else it
joins the modules itself.

A bundle is built from the modules as the server would serve them (:func:`sources`):
slimmed (:mod:`.slim`), ``app/domains.js`` listing the set's domains, and ``import.meta.url``
replaced by the module's served URL as :mod:`.bundle` does (it names the app modules' hash).
Its *digest* (:func:`digest`) covers all of that text, the app modules' hash, the set, the
esbuild version pinned in package.json and its options: ``web/prebuilt/manifest.json`` keeps
each bundle's digest, and any change to what goes into a bundle makes it stale
(tests/unit/test_prebuilt.py fails until this is rerun). Same inputs give the same bytes.

Run ``.venv/bin/python -m server.app_shell.prebuild`` after ``npm ci`` (the esbuild binary
comes from node_modules)."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from server.app_shell.assets import ROOT, STATIC, assets, slim_module, worker_bundle
from server.app_shell.bundle import ENTRY, IMPORT_META_URL
from server.app_shell.domain_sets import DOMAINS_MODULE, bundle_rel, domains_module, role_domains
from server.app_shell.slim import minified

PREBUILT = ROOT / "web" / "prebuilt"
MANIFEST = PREBUILT / "manifest.json"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
TERSER = ROOT / "node_modules" / "terser" / "bin" / "terser"
# what esbuild is asked for (part of the digest): one ES module exporting the entry's
# exports (the worker imports ``start``), minified, UTF-8 text kept as written
OPTIONS = ("--bundle", "--minify", "--format=esm", "--charset=utf8", "--log-level=warning")
# then terser over esbuild's output (its compressor's second pass and the module's top level
# mangled: about 2 KB fewer compressed bytes on a desk's bundle; safe options only)
TERSER_OPTIONS = ("--module", "--compress", "passes=2", "--mangle")
TERSER_VERSION = "5.51.4"

log = logging.getLogger(__name__)


# the esbuild that builds the bundles: package.json pins the same (tests/unit/test_prebuilt.py);
# named here because servers read no package.json (the digest names it)
ESBUILD_VERSION = "0.28.2"


def esbuild_version() -> str:
    """The esbuild version the bundles are built with (part of their digest)."""
    return ESBUILD_VERSION


def field_sets() -> list[tuple[str, ...]]:
    """The domain sets that get a prebuilt bundle: the core (a phone before its first
    sign-in) and each role's, once each (the supervisor's is every domain: ``/sw.js``)."""
    out: list[tuple[str, ...]] = [()]
    for domains in role_domains().values():
        if tuple(domains) not in out:
            out.append(tuple(domains))
    return out


def bundle_name(domains: tuple[str, ...]) -> str:
    """A set's file under web/prebuilt: its served name (``sw.keys-cards.bundle.js``)."""
    return Path(bundle_rel(domains)).name


@cache
def _served(rel: str) -> str:
    """An app module as esbuild reads it, but for ``app/domains.js`` (one per set)."""
    url = json.dumps(assets().url(rel))
    return slim_module(rel).decode().replace(IMPORT_META_URL, f"(self.location.origin + {url})")


def sources(domains: tuple[str, ...]) -> dict[str, str]:
    """Every app module (path under web/static) as esbuild reads it for ``domains``."""
    out = {}
    for path in sorted((STATIC / "app").rglob("*.js")):
        rel = path.relative_to(STATIC).as_posix()
        out[rel] = _served(rel)
    out[DOMAINS_MODULE] = domains_module(domains, out[DOMAINS_MODULE])
    return out


@cache
def digest(domains: tuple[str, ...]) -> str:
    """What a set's bundle is made of, hashed: see the module's docstring."""
    h = hashlib.sha256(json.dumps({
        "app_hash": assets().app_hash, "esbuild": esbuild_version(), "options": OPTIONS,
        "terser": TERSER_VERSION, "terser_options": TERSER_OPTIONS,
        "set": list(domains)}, sort_keys=True).encode())
    for rel, text in sources(domains).items():
        h.update(hashlib.sha256(rel.encode() + b"\0" + text.encode()).digest())
    return h.hexdigest()


def _manifest() -> dict[str, str]:
    try:
        return dict(json.loads(MANIFEST.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def prebuilt(domains: tuple[str, ...]) -> bytes | None:
    """A set's prebuilt bundle when it is current (its manifest digest is :func:`digest`),
    else None (the server joins the modules itself)."""
    name = bundle_name(domains)
    path = PREBUILT / name
    recorded = _manifest().get(name)
    if recorded is None or not path.is_file():
        return None
    if recorded != digest(domains):
        log.warning("web/prebuilt/%s is stale (rerun `python -m server.app_shell.prebuild`):"
                    " serving the server's own bundle", name)
        return None
    return path.read_bytes()


@cache
def served_bundle(domains: tuple[str, ...]) -> bytes:
    """The worker's bundle as phones receive it: esbuild's when ``web/prebuilt/`` holds a
    current one for this set (:func:`prebuilt`: the field roles' sets), else the modules
    joined here (:func:`worker_bundle`) and minified (:mod:`.slim`)."""
    built = prebuilt(domains)
    if built is not None:
        return built
    return minified(worker_bundle(domains).decode(),
                    f"the bundle of {','.join(domains) or 'core'}").encode()



def _esbuild(tree: Path) -> bytes:
    done = subprocess.run([str(ESBUILD), str(tree / ENTRY), *OPTIONS],  # noqa: S603
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"esbuild failed:\n{done.stderr.decode(errors='replace')}")
    built = tree / "esbuilt.mjs"
    built.write_bytes(done.stdout)
    done = subprocess.run(["node", str(TERSER), str(built), *TERSER_OPTIONS],  # noqa: S603,S607
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"terser failed:\n{done.stderr.decode(errors='replace')}")
    return done.stdout


def _check_esbuild() -> None:
    if not ESBUILD.exists():
        raise SystemExit(f"{ESBUILD.relative_to(ROOT)} is missing: run `npm ci` first")
    found = subprocess.run([str(ESBUILD), "--version"], capture_output=True,  # noqa: S603
                           text=True, check=True).stdout.strip()
    if found != esbuild_version():
        raise SystemExit(f"node_modules has esbuild {found}, package.json pins "
                         f"{esbuild_version()}: run `npm ci` first")
    found = subprocess.run(["node", str(TERSER), "--version"], capture_output=True,  # noqa: S603,S607
                           text=True, check=True).stdout.strip()
    if found != f"terser {TERSER_VERSION}":
        raise SystemExit(f"node_modules has {found}, package.json pins terser "
                         f"{TERSER_VERSION}: run `npm ci` first")


def build(sets: Iterable[tuple[str, ...]]) -> dict[str, bytes]:
    """The bundles of ``sets``, by file name (esbuild over a temporary tree of the modules)."""
    _check_esbuild()
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="caretaker-prebuild-") as tmp:
        tree = Path(tmp)
        for domains in sets:
            for rel, text in sources(domains).items():
                target = tree / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            out[bundle_name(domains)] = _esbuild(tree)
    return out


def main() -> None:
    sets = field_sets()
    bundles = build(sets)
    PREBUILT.mkdir(exist_ok=True)
    for old in PREBUILT.glob("sw.*bundle.js"):
        if old.name not in bundles:
            old.unlink()
    for name, text in bundles.items():
        path = PREBUILT / name
        if not path.is_file() or path.read_bytes() != text:
            path.write_bytes(text)
    manifest = {bundle_name(d): digest(d) for d in sets}
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for name in sorted(bundles):
        sys.stdout.write(f"web/prebuilt/{name}: {len(bundles[name])} bytes\n")


if __name__ == "__main__":
    main()
