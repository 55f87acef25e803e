"""The office's repair pages: the request board with its CSV/XLSX export, logging a request,
a request's page with its actions (assign, close), a visit's full record, the technicians'
workload, the follow-up queue (and its export), satisfaction figures, the entry chain's
exceptions, repair conflicts and the set-up lists (repair policies, the repair team). Every
page is for the office (supervisors see their own sites, admins every site); forms carry the
CSRF token like every office form, post, then redirect (303) — or re-render with their
errors (400)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Stream, Template

from server.lib.filters import filters_from, query_string
from server.lib.i18n import lazy
from server.lib.pages import office_staff
from server.lib.queries import sites_of
from server.refdata.pages import is_fragment, me
from server.refdata.routes import routes_for
from server.repairs import board, chain, exports, figures, followups, queries, service
from server.repairs.lists import LISTS
from server.repairs.schemas import (
    AssignForm,
    BoardFilters,
    CloseForm,
    FollowUpFilters,
    ReportForm,
)
from server.review import queries as review_queries
from server.review.schemas import ConflictFilters
from server.review.service import Outcome

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
Form = RequestEncodingType.URL_ENCODED
REQUEST_PAGE = "office/repairs/request.html"
CONFLICTS = "/office/repairs/conflicts"


def _q(request: Request[Any, Any, Any], name: str) -> str:
    return str(request.query_params.get(name, "") or "")


def _after(outcome: Outcome, template: str, location: str) -> Template | Redirect:
    if outcome.errors:
        return Template(template, status_code=400, context=outcome.context)
    return Redirect(location.format(id=outcome.id), status_code=303)


# --- the board and its exports -------------------------------------------------------------

@get("/office/repairs", name="office_repairs", **OFFICE)
async def board_page(request: Request[Any, Any, Any]) -> Template:
    f = filters_from(request.query_params, BoardFilters)
    context = await board.board_page(me(request), f)
    context["query"] = lambda **kw: query_string(f, **kw)
    return Template("office/repairs/board.html", context=context)


@get("/office/repairs/export.csv", **OFFICE)
async def export_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.export(me(request), filters_from(request.query_params, BoardFilters),
                                "csv")


@get("/office/repairs/export.xlsx", **OFFICE)
async def export_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.export(me(request), filters_from(request.query_params, BoardFilters),
                                "xlsx")


# --- logging a request ---------------------------------------------------------------------

@get("/office/repairs/new", **OFFICE)
async def report_new(request: Request[Any, Any, Any]) -> Template:
    return Template("office/repairs/report_form.html",
                    context=await service.new_report(me(request), _q(request, "site")))


@post("/office/repairs/new", **OFFICE)
async def report_create(request: Request[Any, Any, Any],
                        data: Annotated[ReportForm, Body(media_type=Form)]
                        ) -> Template | Redirect:
    outcome = await service.submit_report(me(request), data)
    return _after(outcome, "office/repairs/report_form.html",
                  "/office/repairs/{id}?done=reported")


# --- a request, its actions, a visit -------------------------------------------------------

@get("/office/repairs/{request_id:uuid}", **OFFICE)
async def request_show(request: Request[Any, Any, Any], request_id: FromPath[UUID]
                       ) -> Template:
    return Template(REQUEST_PAGE,
                    context=await queries.request_page(me(request), str(request_id)))


@post("/office/repairs/{request_id:uuid}/assign", **OFFICE)
async def request_assign(request: Request[Any, Any, Any], request_id: FromPath[UUID],
                         data: Annotated[AssignForm, Body(media_type=Form)]
                         ) -> Template | Redirect:
    user, rid = me(request), str(request_id)
    outcome = await service.attempt(user, rid, "assign", msgspec.structs.asdict(data),
                                    service.assign(user, rid, data.assignee, data.appointment))
    return _after(outcome, REQUEST_PAGE, "/office/repairs/{id}?done=assigned")


@post("/office/repairs/{request_id:uuid}/close", **OFFICE)
async def request_close(request: Request[Any, Any, Any], request_id: FromPath[UUID],
                        data: Annotated[CloseForm, Body(media_type=Form)]
                        ) -> Template | Redirect:
    user, rid = me(request), str(request_id)
    outcome = await service.attempt(user, rid, "close", msgspec.structs.asdict(data),
                                    service.close(user, rid, data.reason))
    return _after(outcome, REQUEST_PAGE, "/office/repairs/{id}?done=closed")


@get("/office/repairs/visits/{visit_id:uuid}", **OFFICE)
async def visit_show(request: Request[Any, Any, Any], visit_id: FromPath[UUID]) -> Template:
    return Template("office/repairs/visit.html",
                    context=await queries.visit_page(me(request), str(visit_id)))


# --- workload, follow-ups, satisfaction, the entry chain -----------------------------------

@get("/office/repairs/workload", **OFFICE)
async def workload(request: Request[Any, Any, Any]) -> Template:
    return Template("office/repairs/workload.html",
                    context=await figures.workload_page(me(request), _q(request, "site")))


@get("/office/repairs/follow-ups", **OFFICE)
async def follow_ups(request: Request[Any, Any, Any]) -> Template:
    f = filters_from(request.query_params, FollowUpFilters)
    page = _q(request, "page")
    context = await followups.queue_page(me(request), f, int(page) if page.isdigit() else 1)
    context["query"] = lambda **kw: query_string(f, **kw)
    return Template("office/repairs/follow_ups.html", context=context)


@get("/office/repairs/follow-ups/export.csv", **OFFICE)
async def follow_ups_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.follow_ups(
        me(request), filters_from(request.query_params, FollowUpFilters), "csv")


@get("/office/repairs/follow-ups/export.xlsx", **OFFICE)
async def follow_ups_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.follow_ups(
        me(request), filters_from(request.query_params, FollowUpFilters), "xlsx")


@get("/office/repairs/satisfaction", **OFFICE)
async def satisfaction(request: Request[Any, Any, Any]) -> Template:
    return Template("office/repairs/satisfaction.html", context=await figures.satisfaction_page(
        me(request), _q(request, "site")))


@get("/office/repairs/chain", **OFFICE)
async def entry_chain(request: Request[Any, Any, Any]) -> Template:
    user, site = me(request), _q(request, "site")
    return Template("office/repairs/chain.html", context={
        "exceptions": await chain.exceptions(user, site), "site": site,
        "sites": await sites_of(user)})


# --- repair conflicts: the review core's pages, narrowed to the visits stream --------------

@get(CONFLICTS, name="office_repair_conflicts", **OFFICE)
async def conflicts_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    context = await review_queries.conflicts_page(me(request), filters, stream="visits",
                                                  path=CONFLICTS,
                                                  detail="/office/conflicts")
    name = "office/review/_conflicts_results.html" if is_fragment(request) \
        else "office/review/conflicts.html"
    return Template(name, context={**context, "heading": lazy("Repair conflicts")},
                    headers={"Vary": "HX-Request"})


routes = [
    # static paths before the request's /office/repairs/{id}
    board_page, export_csv, export_xlsx, report_new, report_create, request_show,
    request_assign, request_close, visit_show, workload, follow_ups, follow_ups_csv,
    follow_ups_xlsx, satisfaction, entry_chain, conflicts_list,
    *(handler for lst in LISTS for handler in routes_for(lst)),
]
