"""The office's patrol pages: today's board (its rounds as CSV, XLSX too), a round's
timeline (and a supervisor's review of a skip), exceptions, the completion report (CSV,
XLSX), QR label sheets, re-issuing a tag, the checkpoint import, and the set-up lists
(checkpoints, checklists, routes, schedules). Every page is for the office (supervisors see
their own sites, admins every site); forms carry the CSRF token like every office form."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Stream, Template

from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff
from server.patrol import imports, queries, reports, round_exports, service, tags
from server.patrol.lists import LISTS
from server.refdata.pages import me
from server.refdata.routes import routes_for

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
Form = RequestEncodingType.URL_ENCODED


class ReviewForm(msgspec.Struct, kw_only=True):
    decision: str = ""
    note: str = ""


class ImportUpload(msgspec.Struct, kw_only=True):
    site: str = ""
    kind: str = "checkpoints"  # checkpoints | checklists
    file: Any = None


def _q(request: Request[Any, Any, Any], name: str) -> str:
    return str(request.query_params.get(name, "") or "")


@get("/office/patrol", name="office_patrol", **OFFICE)
async def board(request: Request[Any, Any, Any]) -> Template:
    return Template("office/patrol/board.html", context=await queries.board(
        me(request), _q(request, "site"), _q(request, "day"), _q(request, "review")))


@get("/office/patrol/export.csv", **OFFICE)
async def board_csv(request: Request[Any, Any, Any]) -> Stream:
    return await round_exports.export(me(request), _q(request, "site"), _q(request, "day"),
                                      "csv", _q(request, "review"))


@get("/office/patrol/export.xlsx", **OFFICE)
async def board_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await round_exports.export(me(request), _q(request, "site"), _q(request, "day"),
                                      "xlsx", _q(request, "review"))


@get("/office/patrol/rounds/{round_id:uuid}", **OFFICE)
async def round_page(request: Request[Any, Any, Any], round_id: FromPath[UUID]) -> Template:
    return Template("office/patrol/round.html", context={
        **await queries.round_timeline(me(request), str(round_id)), "errors": {},
        "review": {}})


@post("/office/patrol/scans/{scan_id:uuid}/review", **OFFICE)
async def review(request: Request[Any, Any, Any], scan_id: FromPath[UUID],
                 data: Annotated[ReviewForm, Body(media_type=Form)]) -> Template | Redirect:
    user = me(request)
    try:
        round_id = await service.review_skip(user, str(scan_id), data.decision, data.note)
    except ValidationFailed as e:
        from server.patrol.tables import PatrolScan

        row = await PatrolScan.select(PatrolScan.round).where(
            PatrolScan.id == scan_id).first()
        errors = e.detail if isinstance(e.detail, dict) else {"note": e.message}
        context = await queries.round_timeline(user, str(row["round"])) if row else {}
        return Template("office/patrol/round.html", status_code=400, context={
            **context, "errors": errors, "review": {"scan": str(scan_id),
                                                    "note": data.note}})
    back = "/office/patrol/exceptions" if _q(request, "from") == "exceptions" \
        else f"/office/patrol/rounds/{round_id}"
    return Redirect(f"{back}?done=saved", status_code=303)


@get("/office/patrol/exceptions", **OFFICE)
async def exceptions(request: Request[Any, Any, Any]) -> Template:
    return Template("office/patrol/exceptions.html", context=await service.exceptions(
        me(request), _q(request, "site"), _q(request, "date_from"), _q(request, "date_to")))


async def _report(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return await reports.completion(me(request), _q(request, "site"), _q(request, "date_from"),
                                    _q(request, "date_to"))


@get("/office/patrol/report", **OFFICE)
async def report(request: Request[Any, Any, Any]) -> Template:
    return Template("office/patrol/report.html", context=await _report(request))


@get("/office/patrol/report.csv", **OFFICE)
async def report_csv(request: Request[Any, Any, Any]) -> Stream:
    return await reports.export(await _report(request), "csv")


@get("/office/patrol/report.xlsx", **OFFICE)
async def report_xlsx(request: Request[Any, Any, Any]) -> Stream:
    return await reports.export(await _report(request), "xlsx")


@get("/office/patrol/labels", **OFFICE)
async def label_sheet(request: Request[Any, Any, Any]) -> Template:
    return Template("office/patrol/labels.html", context=await tags.label_sheet(
        me(request), _q(request, "site"), _q(request, "route"), _q(request, "checkpoint")))


@post("/office/patrol/checkpoints/{checkpoint_id:uuid}/reissue", **OFFICE)
async def reissue(request: Request[Any, Any, Any], checkpoint_id: FromPath[UUID]) -> Redirect:
    done = await tags.reissue(me(request), str(checkpoint_id))
    return Redirect(f"/office/patrol/checkpoints/{done}?done=reissued", status_code=303)


@get("/office/patrol/import", **OFFICE)
async def import_page(request: Request[Any, Any, Any]) -> Template:
    return Template("office/patrol/import.html",
                    context=await imports.page(me(request), _q(request, "site"),
                                               _q(request, "kind")))


@post("/office/patrol/import", **OFFICE)
async def import_run(request: Request[Any, Any, Any],
                     data: Annotated[ImportUpload, Body(
                         media_type=RequestEncodingType.MULTI_PART)]) -> Template | Redirect:
    upload = data.file if hasattr(data.file, "read") else None
    user = me(request)
    if upload is None:
        context = await imports.page(user, data.site, data.kind)
        return Template("office/patrol/import.html", status_code=400, context={
            **context, "file_error": _(imports.NO_FILE)})
    body = await upload.read()
    outcome = await imports.run(user, data.site, str(upload.filename or ""), body, data.kind)
    if "count" not in outcome:
        return Template("office/patrol/import.html", status_code=400, context=outcome)
    return Redirect(f"/office/patrol/{outcome['kind']}?site={outcome['site']['id']}"
                    f"&done=imported&n={outcome['count']}", status_code=303)


routes = [
    # static paths before the lists' /office/patrol/<list>/{id}
    board, board_csv, board_xlsx, round_page, review, exceptions, report, report_csv,
    report_xlsx, label_sheet, reissue, import_page, import_run,
    *(handler for lst in LISTS for handler in routes_for(lst)),
]
