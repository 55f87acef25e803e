"""The staff phone app, server side.

The service worker (SW) is the staff app's server: it answers every ``/m/...`` request from
IndexedDB. The real server only answers what the SW cannot:

* ``/m/`` and every ``/m/...`` deep link *before* the SW controls the page (first visit, or
  after the browser dropped the worker): the shell with "preparing offline data"; the page
  registers the SW and lets it answer from then on;
* ``/sw.js`` (generated: imports the content-hashed modules and carries the precache list);
* ``/app-shell/{lang}``: the same shell with empty slots, precached by the SW, which fills
  them (one layout source for the server and the SW);
* ``/manifest.webmanifest``, ``/i18n/{lang}.json`` (the merged catalog) and ``/v/{hash}/...``
  (content-hashed static files, immutable).
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File
from markupsafe import Markup

from server.app_shell.assets import SHELL_TEMPLATE, Assets, assets, catalog_json, read_static
from server.app_shell.domain_sets import carried, domains_of, normalise, role_domains
from server.app_shell.encoding import COMPRESSIBLE, compressed
from server.app_shell.prebuild import served_bundle
from server.lib.headers import CSP
from server.lib.i18n import HTML_LANG, LANGUAGES, current_language, gettext
from sync import SCHEMA_VERSION
from sync.domains import default_registry
from sync.kit.export import export


def kit_data(domains: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The declarations the phone's kit checks and applies by (sync/kit/export.py): of every
    domain, or only what a worker carrying ``domains`` applies (:func:`carried`)."""
    data = export(default_registry())
    if domains is None:
        return data
    records, mutations = carried(domains)
    return {**data, "records": {n: r for n, r in data["records"].items() if n in records},
            "mutations": {n: m for n, m in data["mutations"].items() if n in mutations}}

IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css",
               ".png": "image/png", ".json": "application/json"}
# Slots the SW fills in the precached shell (plain text markers, replaced before use).
SLOT_TITLE, SLOT_NAV, SLOT_STATUS, SLOT_MAIN = (
    "<!--ct:title-->", "<!--ct:nav-->", "<!--ct:status-->", "<!--ct:main-->")


def render_shell(request: Request[Any, Any, Any], language: str, *, boot: bool) -> str:
    """The shell page in ``language``: with the boot screen (server) or with empty slots
    (the SW's copy)."""
    env = request.app.template_engine.engine  # type: ignore[union-attr]
    token = current_language.set(language)
    try:
        return str(env.get_template(SHELL_TEMPLATE).render(
            request=request,
            assets=assets(),
            language=language,
            lang_attr=HTML_LANG.get(language, "zh-Hant"),
            boot=boot,
            title=gettext("Caretaker") if boot else Markup(SLOT_TITLE),  # noqa: S704
            nav="" if boot else Markup(SLOT_NAV),  # noqa: S704
            status="" if boot else Markup(SLOT_STATUS),  # noqa: S704
            main="" if boot else Markup(SLOT_MAIN),  # noqa: S704
        ))
    finally:
        current_language.reset(token)


def _accepts(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("accept-encoding", "")


def _html(request: Request[Any, Any, Any], body: str,
          cache: str = "no-store") -> Response[bytes]:
    return compressed(body, "text/html", _accepts(request),
                      {"Cache-Control": cache, "Vary": "HX-Request"})


@get(["/m", "/m/", "/m/{path:path}"], include_in_schema=False, name="app_boot")
async def app_boot(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Any staff-app URL when the service worker does not answer it yet."""
    return _html(request, render_shell(request, current_language.get(), boot=True))


@get("/app-shell/{language:str}", include_in_schema=False)
async def app_shell(request: Request[Any, Any, Any],
                    language: FromPath[str]) -> Response[bytes]:
    if language not in LANGUAGES:
        raise NotFoundException()
    return _html(request, render_shell(request, language, boot=False), cache="no-cache")


def worker_script(a: Assets, default_language: str,
                  domains: tuple[str, ...] | None = None) -> str:
    """``/sw.js``: a module worker (see web/static/app/sw.js for why) whose text changes with
    every deploy (build id, hashed URLs), carrying the phone code of ``domains`` (None: every
    domain; :mod:`.domain_sets`)."""
    domains = normalise(None) if domains is None else domains
    config = {
        "build": a.build,
        "schemaVersion": SCHEMA_VERSION,
        "kit": kit_data(domains),
        "precache": a.precache(),
        "modules": [a.bundle_url(domains)],
        "domains": list(domains),
        "roleDomains": role_domains(),
        "shell": {lang: a.shell_url(lang) for lang in LANGUAGES},
        "i18n": {lang: a.i18n_url(lang) for lang in LANGUAGES},
        "languages": list(LANGUAGES),
        "defaultLanguage": default_language,
        "csp": CSP,
    }
    return (
        "// Caretaker staff app service worker — generated by server/app_shell/routes.py.\n"
        f"// build {a.build}\n"
        f'import "{a.url("vendor/idb/idb.umd.js")}";\n'
        f'import {{ start }} from "{a.bundle_url(domains)}";\n'
        f"start({json.dumps(config, ensure_ascii=False, separators=(',', ':'))});\n"
    )


@get("/sw.js", include_in_schema=False)
async def service_worker(request: Request[Any, Any, Any],
                         d: FromQuery[str | None] = None) -> Response[bytes]:
    """The worker of the domain set ``d`` (comma-separated names; absent: every domain)."""
    settings = request.app.state.settings
    return compressed(
        worker_script(assets(), settings.language, normalise(d)), "text/javascript",
        _accepts(request),
        {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/",
         "Content-Disposition": "inline"},
    )


@get("/manifest.webmanifest", include_in_schema=False)
async def manifest() -> Response[str]:
    a = assets()
    body = {
        "id": "/m/",
        "name": "管家 Caretaker",
        "short_name": "管家",
        "description": "物業管理外勤記錄 · Field log for property-management staff",
        "lang": "zh-Hant",
        "start_url": "/m/",
        "scope": "/m/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#0f5f56",
        "background_color": "#f6f8fa",
        "icons": [
            {"src": a.url("app/icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": a.url("app/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": a.url("app/icons/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False),
                    media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@get("/i18n/{name:str}", include_in_schema=False)
async def i18n_catalog(request: Request[Any, Any, Any],
                       name: FromPath[str]) -> Response[bytes]:
    """``/i18n/<lang>.json``: every catalog of that language merged (what ``_`` uses)."""
    language = name.removesuffix(".json")
    if not name.endswith(".json") or language not in LANGUAGES:
        raise NotFoundException()
    return compressed(catalog_json(language), "application/json", _accepts(request),
                      {"Cache-Control": "no-cache"})


@get("/v/{digest:str}/{rel:path}", include_in_schema=False)
async def hashed_asset(request: Request[Any, Any, Any], digest: FromPath[str],
                       rel: FromPath[str]) -> File | Response[bytes]:
    rel = rel.lstrip("/")
    path = assets().path_for(digest, rel)
    if path is None:
        # an old or unknown hash: never serve other content under it (caches keep it forever)
        raise NotFoundException()
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    domains = domains_of(rel)
    body = served_bundle(domains) if domains is not None else assets().module_body(rel)
    if body is None and media_type.startswith(COMPRESSIBLE):
        body = read_static(path)  # a vendored library: compressed like the app's own files
    if body is not None:  # an app module or stylesheet, as phones download it (slim.py)
        return compressed(body, media_type, _accepts(request), {"Cache-Control": IMMUTABLE})
    return File(path, content_disposition_type="inline", media_type=media_type,
                headers={"Cache-Control": IMMUTABLE})


routes = [app_boot, app_shell, service_worker, manifest, i18n_catalog, hashed_asset]
