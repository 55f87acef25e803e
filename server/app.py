"""The Litestar application: wiring only (routes live in ``server/<domain>/routes.py``)."""

from __future__ import annotations

import gc
import logging
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig
from piccolo.engine.base import Engine

from server import db
from server.accounts.middleware import IdentityMiddleware
from server.accounts.routes import routes as account_routes
from server.desk import cutoff as visitor_cutoff
from server.lib import timezone
from server.lib.errors import CaretakerError, NotAuthenticated
from server.lib.headers import response_headers
from server.lib.i18n import HTML_LANG, LANGUAGES, current_language, gettext, lazy
from server.lib.pages import home_path, signed_in, user_of
from server.review.marks import FILTER_STATES
from server.review.present import PRESENTERS
from server.settings import Settings, load_settings
from sync.streams import ROLE_LABELS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "web" / "templates"
STATIC = ROOT / "web" / "static"

log = logging.getLogger("caretaker")

SERVER_ERROR_MESSAGE = lazy("Something went wrong on the server. Nothing was lost; try again.")


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request[Any, Any, Any], status: int, code: str, message: str,
                   detail: Any = None) -> Response[Any]:
    """The one place errors become HTTP: JSON for the API, a page for people."""
    if _is_api(request):
        body: dict[str, Any] = {"code": code, "message": message}
        if detail is not None:
            body["detail"] = detail
        return Response(body, status_code=status, media_type="application/json")
    if status == 401 and request.method == "GET":
        return Redirect(f"/login?next={request.url.path}")
    if status == 401:
        return Redirect("/login", status_code=303)
    return Template("error.html", status_code=status,
                    context={"status": status, "message": message})


def handle_caretaker_error(request: Request[Any, Any, Any], exc: CaretakerError) -> Response[Any]:
    return error_response(request, exc.status_code, exc.code, exc.message, exc.detail)


_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
               429: "too_many_requests"}


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "error")
    if status == 403 and "CSRF" in str(exc.detail):
        code, message = "csrf_failed", gettext(
            "This form has expired or was not sent from Caretaker. Reload the page and try again.")
    elif status == 404:
        message = gettext("Not found.")
    elif status == 400:
        message = gettext("The request is not valid: {detail}", detail=exc.detail)
    else:
        message = str(exc.detail)
    detail = getattr(exc, "extra", None) or None
    return error_response(request, status, code, message, detail)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                          gettext(SERVER_ERROR_MESSAGE))


@get("/", include_in_schema=False)
async def root(request: Request[Any, Any, Any]) -> Redirect:
    user = user_of(request)
    if user is None:
        raise NotAuthenticated(gettext("Please sign in."))
    return Redirect(home_path(user))


@get("/home", guards=[signed_in], include_in_schema=False)
async def staff_home(request: Request[Any, Any, Any]) -> Template:
    return Template("home.html")


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


FAVICON = (STATIC / "app" / "icons" / "icon-192.png").read_bytes()


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response[bytes]:
    """The app's icon where browsers look for one (no 404 in every office page's console)."""
    return Response(FAVICON, media_type="image/png",
                    headers={"cache-control": "public, max-age=86400"})


def tune_gc() -> None:
    """A server process allocates many short-lived objects per request (a push of 1,000
    mutations: ~100,000). CPython's default young-generation threshold (700) then spends a
    third of the push path in the collector; freeze what startup loaded and collect less
    often (``caretaker bench`` measures the push path with the same setting)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@cache
def _reference_nav() -> list[dict[str, Any]]:
    """The reference-data lists under the office's reference navigation."""
    from server.domains import reference_lists

    return [{"slug": lst.slug, "title": lst.title, "admin": lst.readers == "admin"}
            for lst in reference_lists() if lst.nav_template == "office/_refnav.html"]


def _jinja_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=gettext,
        office_nav=lambda: PRESENTERS.nav,
        LANGUAGES=LANGUAGES,
        current_language=current_language.get,
        html_lang=lambda: HTML_LANG.get(current_language.get(), "zh-Hant"),
        role_label=lambda role: gettext(ROLE_LABELS.get(str(role), str(role))),
        reference_nav=_reference_nav,
        REVIEW_FILTERS=FILTER_STATES,
    )
    return env


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The app. Given an ``engine`` (tests), its connection pool is the caller's to manage."""
    settings = settings or load_settings()
    timezone.configure(settings.timezone)
    visitor_cutoff.configure(settings.visitor_cutoff)
    own_engine = engine is None
    engine = engine or db.make_engine(settings.database_url)
    db.bind(engine)
    from server.domains import background

    async def on_startup(app: Litestar) -> None:
        if own_engine:
            await db.start(engine)
            tune_gc()
        # the domains' work on a timer (patrol: plan rounds, mark missed ones)
        app.state.background = [(part, part.start(settings)) for part in background()]

    async def on_shutdown(app: Litestar) -> None:
        for part, task in app.state.get("background", []):
            await part.stop(task)
        if own_engine:
            await db.stop(engine)

    from server.routes import all_routes  # domain routers, imported late (they import tables)

    return Litestar(
        route_handlers=[
            root, staff_home, healthz, favicon, *account_routes, *all_routes(),
            create_static_files_router(path="/static", directories=[STATIC]),
        ],
        dependencies={"settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False)},
        state=State({"settings": settings, "engine": engine}),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(_jinja_env())),
        plugins=[HTMXPlugin()],
        csrf_config=CSRFConfig(
            secret=settings.secret_key, cookie_secure=settings.secure_cookies,
            cookie_httponly=False, cookie_samesite="lax", header_name="x-csrftoken",
            exclude=["/api/"],
        ),
        middleware=[
            DefineMiddleware(IdentityMiddleware, default_language=settings.language,
                             csrf_secret=settings.secret_key,
                             secure_cookies=settings.secure_cookies),
        ],
        before_send=[response_headers],
        exception_handlers={
            CaretakerError: handle_caretaker_error,
            HTTPException: handle_http_error,
            Exception: handle_unexpected,
        },
        openapi_config=OpenAPIConfig(title="Caretaker API", version="1.0.0",
                                     path="/api/schema"),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=settings.blob_max_bytes + 1024 * 1024,
    )
