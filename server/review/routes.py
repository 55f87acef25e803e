"""The review pages for every record type: the conflict inbox, a conflict, the rejections of
the office's sites (both lists counted by kind, and exported as CSV or XLSX). Handlers make
one service call each; lists answer htmx with their results fragment."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Stream, Template

from server.lib.exports import Format
from server.lib.pages import office_staff
from server.refdata.pages import is_fragment, me
from server.review import exports, queries, service
from server.review.schemas import ConflictFilters, NoteForm, filters_from
from server.review.service import Outcome

Form = RequestEncodingType.URL_ENCODED
OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}


def listing(request: Request[Any, Any, Any], page: str, fragment: str,
            context: dict[str, Any]) -> Template:
    """The whole page, or only the results fragment for an htmx filter change."""
    return Template(fragment if is_fragment(request) else page, context=context,
                    headers={"Vary": "HX-Request"})


def after(outcome: Outcome, template: str, location: str) -> Template | Redirect:
    """Post/redirect/get, or the page again with its errors (400)."""
    if outcome.errors:
        return Template(template, status_code=400,
                        context={**outcome.context, "errors": outcome.errors})
    return Redirect(location.format(id=outcome.id), status_code=303)


@get("/office/conflicts", name="office_conflicts", **OFFICE)
async def conflicts_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    return listing(request, "office/review/conflicts.html",
                   "office/review/_conflicts_results.html",
                   await queries.conflicts_page(me(request), filters))


@get("/office/conflicts/export.csv", **OFFICE)
async def conflicts_csv(request: Request[Any, Any, Any]) -> Stream:
    return await _conflicts_export(request, "csv")


@get("/office/conflicts/export.xlsx", **OFFICE)
async def conflicts_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await _conflicts_export(request, "xlsx")


async def _conflicts_export(request: Request[Any, Any, Any], fmt: Format) -> Stream:
    """Every conflict of the filters; ``stream`` narrows to one domain's (its own page)."""
    return await exports.conflicts(me(request),
                                   filters_from(request.query_params, ConflictFilters),
                                   str(request.query_params.get("stream", "") or ""), fmt)


@get("/office/conflicts/{conflict_id:uuid}", **OFFICE)
async def conflict_show(request: Request[Any, Any, Any],
                        conflict_id: FromPath[UUID]) -> Template:
    return Template("office/review/conflict.html",
                    context=await queries.conflict_page(me(request), str(conflict_id)))


@post("/office/conflicts/{conflict_id:uuid}/resolve", **OFFICE)
async def conflict_resolve(request: Request[Any, Any, Any], conflict_id: FromPath[UUID],
                           data: Annotated[NoteForm, Body(media_type=Form)]
                           ) -> Template | Redirect:
    return after(await service.submit_conflict_resolve(me(request), str(conflict_id), data),
                 "office/review/conflict.html", "/office/conflicts/{id}?saved=1")


@get("/office/sync/rejections", name="office_rejections", **OFFICE)
async def rejections_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    return listing(request, "office/review/rejections.html",
                   "office/review/_rejections_results.html",
                   await queries.rejections_page(me(request), filters))


@get("/office/sync/rejections/export.csv", **OFFICE)
async def rejections_csv(request: Request[Any, Any, Any]) -> Stream:
    return await exports.rejections(
        me(request), filters_from(request.query_params, ConflictFilters), "csv")


@get("/office/sync/rejections/export.xlsx", **OFFICE)
async def rejections_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await exports.rejections(
        me(request), filters_from(request.query_params, ConflictFilters), "xlsx")


@get("/office/sync/rejections/{rejection_id:uuid}", **OFFICE)
async def rejection_show(request: Request[Any, Any, Any],
                         rejection_id: FromPath[UUID]) -> Template:
    return Template("office/review/rejection.html",
                    context=await queries.rejection_page(me(request), str(rejection_id)))


@post("/office/sync/rejections/{rejection_id:uuid}/resolve", **OFFICE)
async def rejection_resolve(request: Request[Any, Any, Any], rejection_id: FromPath[UUID],
                            data: Annotated[NoteForm, Body(media_type=Form)]
                            ) -> Template | Redirect:
    return after(await service.submit_rejection_resolve(me(request), str(rejection_id), data),
                 "office/review/rejection.html", "/office/sync/rejections/{id}?saved=1")


routes = [conflicts_list, conflicts_csv, conflicts_xlsx, conflict_show, conflict_resolve,
          rejections_list, rejections_csv, rejections_xlsx, rejection_show, rejection_resolve]
