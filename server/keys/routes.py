"""The office's key pages: register, printed tag list, loans (list, CSV/XLSX, detail, void),
key conflicts (the review core's pages, narrowed to keys) and blobs for office pages.

Handlers make one service call each. Lists answer htmx requests with the results fragment
(the same route renders the whole page otherwise); forms post, then redirect (303) to the
page that shows the result, or re-render with their field errors (400)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Stream, Template

from server.accounts.schemas import CurrentUser
from server.keys import lists, loan_queries, office_queries, service
from server.keys.schemas import LoanFilters, VoidForm
from server.keys.service import Outcome
from server.lib.errors import NotAuthenticated
from server.lib.exports import Format
from server.lib.filters import filters_from
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff, user_of
from server.refdata.routes import routes_for
from server.review import queries as review_queries
from server.review import service as review_service
from server.review.schemas import ConflictFilters, NoteForm

Form = RequestEncodingType.URL_ENCODED
OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}


def me(request: Request[Any, Any, Any]) -> CurrentUser:
    user = user_of(request)
    if user is None:  # the guard already refused; this keeps the type exact
        raise NotAuthenticated(_("Please sign in."))
    return user


def _list(request: Request[Any, Any, Any], page: str, fragment: str,
          context: dict[str, Any]) -> Template:
    """The whole page, or only the results fragment for an htmx filter change (a history
    restore gets the whole page)."""
    headers = request.headers
    partial = (headers.get("hx-request") == "true"
               and headers.get("hx-history-restore-request") != "true")
    return Template(fragment if partial else page, context=context,
                    headers={"Vary": "HX-Request"})


def _after(outcome: Outcome, template: str, location: str) -> Template | Redirect:
    if outcome.errors:
        return Template(template, status_code=400,
                        context={**outcome.context, "errors": outcome.errors})
    return Redirect(location.format(id=outcome.id), status_code=303)


# --- key register (the generic list: server/keys/lists.py) -----------------------------------

@post("/office/keys/{key_id:uuid}/retire", **OFFICE)
async def key_retire(request: Request[Any, Any, Any], key_id: FromPath[UUID]) -> Redirect:
    done = await lists.set_retired(me(request), str(key_id), True)
    return Redirect(f"/office/keys/{done}?done=saved", status_code=303)


@post("/office/keys/{key_id:uuid}/unretire", **OFFICE)
async def key_unretire(request: Request[Any, Any, Any], key_id: FromPath[UUID]) -> Redirect:
    done = await lists.set_retired(me(request), str(key_id), False)
    return Redirect(f"/office/keys/{done}?done=saved", status_code=303)


@get("/office/keys/print", **OFFICE)
async def keys_print(request: Request[Any, Any, Any]) -> Template:
    return Template("office/keys/print.html", context=await office_queries.print_tags(
        me(request), request.query_params.get("site", "")))


# --- loans ---------------------------------------------------------------------------------

@get("/office/keys/loans", name="office_key_loans", **OFFICE)
async def loans_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, LoanFilters)
    return _list(request, "office/keys/loans.html", "office/keys/_loans_results.html",
                 await loan_queries.loans_page(me(request), filters))


async def _loans(request: Request[Any, Any, Any], fmt: Format) -> Stream:
    return await loan_queries.loans_export(
        me(request), filters_from(request.query_params, LoanFilters), fmt)


@get("/office/keys/loans/export", **OFFICE)
async def loans_export(request: Request[Any, Any, Any]) -> Stream:
    """The CSV's first address (links people saved keep working)."""
    return await _loans(request, "csv")


@get("/office/keys/loans/export.csv", **OFFICE)
async def loans_csv(request: Request[Any, Any, Any]) -> Stream:
    return await _loans(request, "csv")


@get("/office/keys/loans/export.xlsx", **OFFICE)
async def loans_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await _loans(request, "xlsx")


@get("/office/keys/loans/{loan_id:uuid}", **OFFICE)
async def loan_show(request: Request[Any, Any, Any], loan_id: FromPath[UUID]) -> Template:
    return Template("office/keys/loan.html",
                    context=await loan_queries.loan_page(me(request), str(loan_id)))


@post("/office/keys/loans/{loan_id:uuid}/void", **OFFICE)
async def loan_void(request: Request[Any, Any, Any], loan_id: FromPath[UUID],
                    data: Annotated[VoidForm, Body(media_type=Form)]) -> Template | Redirect:
    return _after(await service.submit_loan_void(me(request), str(loan_id), data),
                  "office/keys/loan.html", "/office/keys/loans/{id}?saved=1")


# --- key conflicts: the review core's pages, narrowed to the keys stream -----------------

KEY_CONFLICTS = "/office/keys/conflicts"


@get(KEY_CONFLICTS, name="office_key_conflicts", **OFFICE)
async def conflicts_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    context = await review_queries.conflicts_page(me(request), filters, stream="keys",
                                                  path=KEY_CONFLICTS)
    return _list(request, "office/review/conflicts.html",
                 "office/review/_conflicts_results.html",
                 {**context, "heading": "Key conflicts"})


@get(KEY_CONFLICTS + "/{conflict_id:uuid}", **OFFICE)
async def conflict_show(request: Request[Any, Any, Any],
                        conflict_id: FromPath[UUID]) -> Template:
    return Template("office/review/conflict.html", context=await review_queries.conflict_page(
        me(request), str(conflict_id)))


@post(KEY_CONFLICTS + "/{conflict_id:uuid}/void", **OFFICE)
async def conflict_void(request: Request[Any, Any, Any], conflict_id: FromPath[UUID],
                        data: Annotated[VoidForm, Body(media_type=Form)]
                        ) -> Template | Redirect:
    return _after(await service.submit_conflict_void(me(request), str(conflict_id), data),
                  "office/review/conflict.html", "/office/conflicts/{id}?saved=1")


@post(KEY_CONFLICTS + "/{conflict_id:uuid}/resolve", **OFFICE)
async def conflict_resolve(request: Request[Any, Any, Any], conflict_id: FromPath[UUID],
                           data: Annotated[NoteForm, Body(media_type=Form)]
                           ) -> Template | Redirect:
    return _after(await review_service.submit_conflict_resolve(
        me(request), str(conflict_id), data), "office/review/conflict.html",
        "/office/conflicts/{id}?saved=1")


# --- blobs ---------------------------------------------------------------------------------

@get("/office/blobs/{sha256:str}", **OFFICE)
async def office_blob(request: Request[Any, Any, Any], sha256: FromPath[str]) -> Response[bytes]:
    blob = await office_queries.office_blob(me(request), sha256)
    return Response(blob["data"], media_type=blob["media_type"],
                    headers={"Content-Disposition": blob["disposition"],
                             "Cache-Control": "private, max-age=86400"})


routes = [
    # static paths (print, loans, conflicts) before the register's /office/keys/{id}
    key_retire, key_unretire, keys_print,
    loans_list, loans_export, loans_csv, loans_xlsx, loan_show, loan_void,
    conflicts_list, conflict_show, conflict_void, conflict_resolve,
    office_blob,
    *(handler for lst in lists.LISTS for handler in routes_for(lst)),
]
