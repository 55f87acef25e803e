"""The office's front-desk pages: the visitor register with its CSV/XLSX export and a
visitor's page, the goods-out passes with their gate checks (and the checks whose pass has
not reached the server), their export and a pass's page, the shift handovers (and their
export) and a handover's page, and the desk's conflicts. Every page is for the office
(supervisors see their own sites, admins every site) and only reads: the desk writes from
its phones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from server.desk import exports, handovers, pass_page, passes, visitors
from server.desk.schemas import HandoverFilters, PassFilters, VisitorFilters
from server.lib.filters import filters_from, query_string
from server.lib.i18n import lazy
from server.lib.pages import office_staff
from server.refdata.pages import is_fragment, me
from server.review import queries as review_queries
from server.review.schemas import ConflictFilters

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
CONFLICTS = "/office/desk/conflicts"


# --- visitors ------------------------------------------------------------------------------

@get("/office/desk/visitors", name="office_desk_visitors", **OFFICE)
async def visitor_list(request: Request[Any, Any, Any]) -> Template:
    f = filters_from(request.query_params, VisitorFilters)
    context = await visitors.page(me(request), f)
    context["query"] = lambda **kw: query_string(f, **kw)
    return Template("office/desk/visitors.html", context=context)


@get("/office/desk/visitors/export.csv", **OFFICE)
async def visitors_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.visitors_export(
        me(request), filters_from(request.query_params, VisitorFilters), "csv")


@get("/office/desk/visitors/export.xlsx", **OFFICE)
async def visitors_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.visitors_export(
        me(request), filters_from(request.query_params, VisitorFilters), "xlsx")


@get("/office/desk/visitors/{visitor_id:uuid}", **OFFICE)
async def visitor_show(request: Request[Any, Any, Any], visitor_id: FromPath[UUID]
                       ) -> Template:
    return Template("office/desk/visitor.html",
                    context=await visitors.visitor_page(me(request), str(visitor_id)))


# --- goods-out passes ----------------------------------------------------------------------

@get("/office/desk/passes", name="office_desk_passes", **OFFICE)
async def pass_list(request: Request[Any, Any, Any]) -> Template:
    f = filters_from(request.query_params, PassFilters)
    context = await passes.page(me(request), f)
    context["query"] = lambda **kw: query_string(f, **kw)
    return Template("office/desk/passes.html", context=context)


@get("/office/desk/passes/export.csv", **OFFICE)
async def passes_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.passes_export(
        me(request), filters_from(request.query_params, PassFilters), "csv")


@get("/office/desk/passes/export.xlsx", **OFFICE)
async def passes_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.passes_export(
        me(request), filters_from(request.query_params, PassFilters), "xlsx")


@get("/office/desk/passes/{pass_id:uuid}", **OFFICE)
async def pass_show(request: Request[Any, Any, Any], pass_id: FromPath[UUID]) -> Template:
    return Template("office/desk/pass.html",
                    context=await pass_page.pass_page(me(request), str(pass_id)))


@get("/office/desk/checks/{check_id:uuid}", **OFFICE)
async def check_show(request: Request[Any, Any, Any], check_id: FromPath[UUID]) -> Redirect:
    """A gate check is shown on its pass's page (beside the pass's other checks)."""
    pass_id = await pass_page.pass_of_check(me(request), str(check_id))
    return Redirect(f"/office/desk/passes/{pass_id}#check-{check_id}", status_code=303)


# --- handovers -----------------------------------------------------------------------------

@get("/office/desk/handovers", name="office_desk_handovers", **OFFICE)
async def handover_list(request: Request[Any, Any, Any]) -> Template:
    f = filters_from(request.query_params, HandoverFilters)
    context = await handovers.page(me(request), f)
    context["query"] = lambda **kw: query_string(f, **kw)
    return Template("office/desk/handovers.html", context=context)


@get("/office/desk/handovers/export.csv", **OFFICE)
async def handovers_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.handovers_export(
        me(request), filters_from(request.query_params, HandoverFilters), "csv")


@get("/office/desk/handovers/export.xlsx", **OFFICE)
async def handovers_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.handovers_export(
        me(request), filters_from(request.query_params, HandoverFilters), "xlsx")


@get("/office/desk/handovers/{handover_id:uuid}", **OFFICE)
async def handover_show(request: Request[Any, Any, Any], handover_id: FromPath[UUID]
                        ) -> Template:
    return Template("office/desk/handover.html",
                    context=await handovers.handover_page(me(request), str(handover_id)))


# --- the desk's conflicts: the review core's pages, narrowed to the desk stream ------------

@get(CONFLICTS, name="office_desk_conflicts", **OFFICE)
async def conflicts_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    context = await review_queries.conflicts_page(me(request), filters, stream="desk",
                                                  path=CONFLICTS,
                                                  detail="/office/conflicts")
    name = "office/review/_conflicts_results.html" if is_fragment(request) \
        else "office/review/conflicts.html"
    return Template(name, context={**context, "heading": lazy("Front-desk conflicts")},
                    headers={"Vary": "HX-Request"})


routes = [
    # static paths before the {id} ones
    visitor_list, visitors_csv, visitors_xlsx, visitor_show, pass_list, passes_csv,
    passes_xlsx, pass_show, check_show, handover_list, handovers_csv, handovers_xlsx,
    handover_show, conflicts_list,
]
