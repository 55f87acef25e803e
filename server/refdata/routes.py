"""The routes of a reference-data list, made from its :class:`RefList`: ``/office/<slug>``
(list; htmx gets the table only), ``/export.csv`` and ``/export.xlsx`` (every row of the
list's search and filters), ``/new``, ``/<id>`` (detail and form), ``POST`` to create
and update, ``POST /<id>/active`` to deactivate or reactivate. Lists are open to the office
(supervisors read their own sites) unless the list says admins only; every write is for
administrators."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from server.lib.pages import admin_only, office_staff
from server.refdata import exports, service
from server.refdata.pages import VARY, done_redirect, is_fragment, me
from server.refdata.spec import RefList

FORM = "office/ref/form.html"


async def _form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted fields; a repeated name (ticked checkboxes) as a list."""
    data = await request.form()
    return {k: (data.getall(k) if len(data.getall(k)) > 1 else data.get(k)) for k in data}


def routes_for(lst: RefList) -> list[Any]:
    base = f"/office/{lst.slug}"
    readers = [office_staff] if lst.readers == "office" else [admin_only]
    writers = [office_staff] if lst.writers == "office" else [admin_only]

    @get(base, guards=readers, include_in_schema=False, name=f"office_{lst.slug}")
    async def index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                    page: FromQuery[int] = 1) -> Template:
        filters = {f.name: request.query_params.get(f.name, "") for f in lst.filters}
        context = await service.listing(lst, me(request), q, filters, page)
        name = "office/ref/_table.html" if is_fragment(request) else "office/ref/index.html"
        return Template(name, context=context, headers=VARY)

    @get(f"{base}/export.csv", guards=readers, include_in_schema=False)
    async def export_csv(request: Request[Any, Any, Any]) -> Stream:
        return await exports.export(lst, me(request), request.query_params, "csv")

    @get(f"{base}/export.xlsx", guards=readers, include_in_schema=False)
    async def export_xlsx(request: Request[Any, Any, Any]) -> Stream:
        return await exports.export(lst, me(request), request.query_params, "xlsx")

    @get(f"{base}/new", guards=writers, include_in_schema=False)
    async def new(request: Request[Any, Any, Any]) -> Template:
        query = {k: str(v) for k, v in request.query_params.items()}
        return Template(FORM, context=await service.new_page(lst, me(request), query))

    @post(base, guards=writers, include_in_schema=False)
    async def create(request: Request[Any, Any, Any]) -> Template | Redirect:
        outcome = await service.submit(lst, me(request), None, await _form_data(request))
        if outcome.errors:
            return Template(FORM, context=outcome.context, status_code=400)
        return done_redirect(f"{base}/{outcome.id}", "created")

    @get(f"{base}/{{record_id:str}}", guards=readers, include_in_schema=False)
    async def detail(request: Request[Any, Any, Any], record_id: FromPath[str]) -> Template:
        return Template(FORM, context=await service.detail_page(lst, me(request), record_id))

    @post(f"{base}/{{record_id:str}}", guards=writers, include_in_schema=False)
    async def update(request: Request[Any, Any, Any],
                     record_id: FromPath[str]) -> Template | Redirect:
        outcome = await service.submit(lst, me(request), record_id,
                                       await _form_data(request))
        if outcome.errors:
            return Template(FORM, context=outcome.context, status_code=400)
        return done_redirect(f"{base}/{outcome.id}", "saved")

    @post(f"{base}/{{record_id:str}}/active", guards=writers, include_in_schema=False)
    async def active(request: Request[Any, Any, Any],
                     record_id: FromPath[str]) -> Template | Redirect:
        data = await _form_data(request)
        on = data.get("active") == "1"
        outcome = await service.set_active(lst, me(request), record_id, on)
        if outcome.errors:
            return Template(FORM, context=outcome.context, status_code=400)
        return done_redirect(f"{base}/{outcome.id}", "reactivated" if on else "deactivated")

    return [index, export_csv, export_xlsx, new, create, detail, update, active]
