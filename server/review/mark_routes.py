"""The review pages: the list of one record type's synced records to review, a bulk mark from
it, and the mark on a single record's page. Errors re-render the page they came from (400);
a mark redirects back to where it was made."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff
from server.refdata.pages import is_fragment, me
from server.review import marks, queries
from server.review.review_list import records_page
from server.review.schemas import ReviewFilters, filters_from

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}


def back_to(value: str, fallback: str) -> str:
    """A same-site path to go back to (never another host)."""
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/office"):
        return fallback
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_flag(path: str, flag: str) -> str:
    return path + ("&" if "?" in path else "?") + flag


@get("/office/review", name="office_review", **OFFICE)
async def review_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ReviewFilters)
    context = await records_page(me(request), filters)
    context["marked"] = request.query_params.get("marked", "")
    fragment = "office/review/_records_results.html"
    return Template(fragment if is_fragment(request) else "office/review/records.html",
                    context=context, headers={"Vary": "HX-Request"})


@post("/office/review", **OFFICE)
async def review_bulk(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Mark the ticked records (or every record of the page shown) of one type."""
    form = await request.form()
    record_type = str(form.get("type") or "")
    field = "page_ids" if form.get("scope") == "page" else "ids"
    ids = form.getall(field) if field in form else []
    back = back_to(str(form.get("next") or ""), f"/office/review?type={record_type}")
    try:
        count = await marks.mark(me(request), record_type, [str(i) for i in ids],
                                 str(form.get("state") or ""), str(form.get("comment") or ""))
    except ValidationFailed as failed:
        filters = filters_from(_query(back), ReviewFilters)
        context = await records_page(me(request), filters)
        context.update(errors=errors_of(failed),
                       comment=str(form.get("comment") or ""),
                       state=str(form.get("state") or ""))
        return Template("office/review/records.html", context=context, status_code=400)
    return Redirect(with_flag(back, f"marked={count}"), status_code=303)


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def errors_of(failed: ValidationFailed) -> dict[str, str]:
    return failed.detail if isinstance(failed.detail, dict) else {"form": failed.message}


@post("/office/records/{record_type:str}/{record_id:uuid}/review", **OFFICE)
async def review_one(request: Request[Any, Any, Any], record_type: FromPath[str],
                     record_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    page = f"/office/records/{record_type}/{record_id}"
    back = back_to(str(form.get("next") or ""), page)
    try:
        await marks.mark(me(request), record_type, [str(record_id)],
                         str(form.get("state") or ""), str(form.get("comment") or ""))
    except ValidationFailed as failed:
        context = await record_context(request, record_type, str(record_id))
        context.update(errors=errors_of(failed),
                       comment=str(form.get("comment") or ""),
                       state=str(form.get("state") or ""))
        return Template("office/review/record.html", context=context, status_code=400)
    return Redirect(with_flag(back, "reviewed=1"), status_code=303)


async def record_context(request: Request[Any, Any, Any], record_type: str,
                         record_id: str) -> dict[str, Any]:
    """A record's page with its review and the form to mark it."""
    context = await queries.record_page(me(request), record_type, record_id)
    if marks.reviewable(record_type):
        context["review"] = (await marks.reviews_of(record_type, [record_id])).get(record_id)
        context["reviewable"] = True
        context["mark_states"] = marks.STATES
    return context


@get("/office/records/{record_type:str}/{record_id:uuid}", **OFFICE)
async def record_show(request: Request[Any, Any, Any], record_type: FromPath[str],
                      record_id: FromPath[UUID]) -> Template:
    if not record_type:
        raise NotFound(_("Not found."))
    return Template("office/review/record.html",
                    context=await record_context(request, record_type, str(record_id)))


routes = [review_list, review_bulk, review_one, record_show]
