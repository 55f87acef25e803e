"""Office pages for importing units and residents from CSV or XLSX (administrators only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from server.estate import import_service
from server.estate.importer import template_download
from server.estate.schemas import ImportConfirm, ImportUpload
from server.lib.pages import admin_only
from server.refdata.pages import VARY, htmx_aware_errors, htmx_aware_redirect, is_fragment, me
from server.settings import Settings

PAGE = "office/import/index.html"
AREA = "office/import/_area.html"


@get("/office/import", guards=[admin_only], include_in_schema=False)
async def import_page(request: Request[Any, Any, Any], site: FromQuery[str] = "",
                      kind: FromQuery[str] = "units") -> Template:
    return Template(PAGE, context=await import_service.upload_page(me(request), site, kind))


@post("/office/import", guards=[admin_only], include_in_schema=False)
async def import_preview(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings],
    data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    outcome = await import_service.preview_import(me(request), settings, data)
    if outcome.errors:
        return htmx_aware_errors(request, PAGE, outcome.context, AREA)
    name = AREA if is_fragment(request) else PAGE
    return Template(name, context=outcome.context, status_code=200, headers=VARY)


@post("/office/import/confirm", guards=[admin_only], include_in_schema=False)
async def import_confirm(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings],
    data: Annotated[ImportConfirm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect | ClientRedirect:
    outcome = await import_service.confirm_import(me(request), settings, data)
    if outcome.errors:
        return htmx_aware_errors(request, PAGE, outcome.context, AREA)
    kind, count = outcome.context["kind"], outcome.context["count"]
    return htmx_aware_redirect(
        request, f"/office/{kind}?site={outcome.id}&done=imported&n={count}")


@get("/office/import/template/{name:str}", guards=[admin_only], include_in_schema=False)
async def import_template(name: FromPath[str]) -> Response[bytes]:
    filename, body = template_download(name)
    return Response(body, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


routes = [import_page, import_preview, import_confirm, import_template]
