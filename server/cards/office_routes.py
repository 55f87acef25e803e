"""The office's card pages: the register (the generic list: :mod:`server.cards.lists`, with
its CSV/XLSX export) and stock import, a card's actions (report lost, return, revoke, lift
the blacklist), issuing a card, an issue with its receipt, a unit's cards and quota, stock
levels per batch, monthly figures, the cards of residents who moved out, card conflicts,
and the set-up lists (zones, policies, unit quotas). Every page is for the office
(supervisors see their own sites, admins every site); forms carry the CSRF token like every
office form, post, then redirect (303) — or re-render with their errors (400)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server.cards import figures, imports, issue_service, queries, service
from server.cards.lists import LISTS
from server.cards.schemas import LostForm, ReasonForm, ReturnForm, issue_form
from server.lib.filters import filters_from
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.pages import office_staff
from server.refdata.pages import done_redirect, is_fragment, me
from server.refdata.routes import routes_for
from server.review import queries as review_queries
from server.review.schemas import ConflictFilters
from server.review.service import Outcome

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
Form = RequestEncodingType.URL_ENCODED
FORM_PAGE = "office/ref/form.html"
CONFLICTS = "/office/cards/conflicts"


class ImportUpload(msgspec.Struct, kw_only=True):
    site: str = ""
    batch: str = ""
    file: Any = None


def _q(request: Request[Any, Any, Any], name: str) -> str:
    return str(request.query_params.get(name, "") or "")


def _after(outcome: Outcome, template: str, location: str) -> Template | Redirect:
    if outcome.errors:
        return Template(template, status_code=400,
                        context={**outcome.context, "errors": outcome.errors})
    return Redirect(location.format(id=outcome.id), status_code=303)


def _card_after(outcome: Outcome, location: str) -> Template | Redirect:
    """A card action: the card's page again with the action's errors (400), or on."""
    if outcome.errors:
        return Template(FORM_PAGE, status_code=400, context=outcome.context)
    return Redirect(location.format(id=outcome.id), status_code=303)


# --- the stock import ----------------------------------------------------------------------

@get("/office/cards/import", **OFFICE)
async def import_page(request: Request[Any, Any, Any]) -> Template:
    return Template("office/cards/import.html",
                    context=await imports.page(me(request), _q(request, "site")))


@post("/office/cards/import", **OFFICE)
async def import_run(request: Request[Any, Any, Any],
                     data: Annotated[ImportUpload, Body(
                         media_type=RequestEncodingType.MULTI_PART)]) -> Template | Redirect:
    upload = data.file if hasattr(data.file, "read") else None
    user = me(request)
    if upload is None:
        context = await imports.page(user, data.site)
        return Template("office/cards/import.html", status_code=400, context={
            **context, "batch": data.batch, "file_error": _(imports.NO_FILE)})
    outcome = await imports.run(user, data.site, str(upload.filename or ""),
                                await upload.read(), data.batch)
    if "count" not in outcome:
        return Template("office/cards/import.html", status_code=400, context=outcome)
    return done_redirect(f"/office/cards/stock?site={outcome['site']['id']}", "imported",
                         n=outcome["count"])


# --- issuing a card, an issue --------------------------------------------------------------

@get("/office/cards/issue", **OFFICE)
async def issue_new(request: Request[Any, Any, Any]) -> Template:
    query = {k: str(v) for k, v in request.query_params.items()}
    return Template("office/cards/issue_form.html",
                    context=await issue_service.new_page(me(request), query))


@post("/office/cards/issue", **OFFICE)
async def issue_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    data = await request.form()
    fields: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    for key in data:
        values = data.getall(key)
        texts = [v for v in values if isinstance(v, str)]
        uploads = [v for v in values if hasattr(v, "read")]
        if uploads:
            files[key] = await uploads[-1].read()
        if texts:
            fields[key] = texts if len(texts) > 1 or key == "scope" else texts[0]
    outcome = await issue_service.submit(me(request), request.app.state.settings,
                                         issue_form(fields), files)
    return _after(outcome, "office/cards/issue_form.html", "/office/cards/issues/{id}?done=issued")


@get("/office/cards/issues/{issue_id:uuid}", **OFFICE)
async def issue_show(request: Request[Any, Any, Any], issue_id: FromPath[UUID]) -> Template:
    return Template("office/cards/issue.html",
                    context=await queries.issue_page(me(request), str(issue_id)))


# --- a card's actions ----------------------------------------------------------------------

@post("/office/cards/{card_id:uuid}/lost", **OFFICE)
async def card_lost(request: Request[Any, Any, Any], card_id: FromPath[UUID],
                    data: Annotated[LostForm, Body(media_type=Form)]) -> Template | Redirect:
    user, cid = me(request), str(card_id)
    return _card_after(await service.attempt(
        user, cid, "lost", msgspec.structs.asdict(data),
        service.report_lost(user, cid, data.reported_by, data.notes)),
        "/office/cards/{id}?done=lost")


@post("/office/cards/{card_id:uuid}/return", **OFFICE)
async def card_return(request: Request[Any, Any, Any], card_id: FromPath[UUID],
                      data: Annotated[ReturnForm, Body(media_type=Form)]
                      ) -> Template | Redirect:
    user, cid = me(request), str(card_id)
    return _card_after(await service.attempt(
        user, cid, "return", msgspec.structs.asdict(data),
        service.return_card(user, cid, data.deposit_refunded, data.notes)),
        "/office/cards/{id}?done=returned")


@post("/office/cards/{card_id:uuid}/revoke", **OFFICE)
async def card_revoke(request: Request[Any, Any, Any], card_id: FromPath[UUID],
                      data: Annotated[ReasonForm, Body(media_type=Form)]
                      ) -> Template | Redirect:
    user, cid = me(request), str(card_id)
    back = "/office/cards/to-revoke?done=revoked" if _q(request, "from") == "to-revoke" \
        else "/office/cards/{id}?done=revoked"
    return _card_after(await service.attempt(user, cid, "revoke", msgspec.structs.asdict(data),
                                        service.revoke(user, cid, data.reason)),
                  back)


@post("/office/cards/{card_id:uuid}/lift", **OFFICE)
async def card_lift(request: Request[Any, Any, Any], card_id: FromPath[UUID],
                    data: Annotated[ReasonForm, Body(media_type=Form)]
                    ) -> Template | Redirect:
    user, cid = me(request), str(card_id)
    return _card_after(await service.attempt(user, cid, "lift", msgspec.structs.asdict(data),
                                        service.lift_blacklist(user, cid, data.reason)),
                  "/office/cards/{id}?done=lifted")


# --- units, stock, figures, moved out ------------------------------------------------------

@get("/office/cards/units", **OFFICE)
async def units(request: Request[Any, Any, Any]) -> Template:
    return Template("office/cards/units.html", context=await queries.units_page(
        me(request), _q(request, "site"), _q(request, "q")))


@get("/office/cards/units/{unit_id:uuid}", **OFFICE)
async def unit_show(request: Request[Any, Any, Any], unit_id: FromPath[UUID]) -> Template:
    return Template("office/cards/unit.html",
                    context=await queries.unit_page(me(request), str(unit_id)))


@get("/office/cards/stock", **OFFICE)
async def stock(request: Request[Any, Any, Any]) -> Template:
    return Template("office/cards/stock.html",
                    context=await figures.stock_page(me(request), _q(request, "site")))


@get("/office/cards/figures", **OFFICE)
async def monthly(request: Request[Any, Any, Any]) -> Template:
    return Template("office/cards/figures.html",
                    context=await figures.figures_page(me(request), _q(request, "site")))


@get("/office/cards/to-revoke", **OFFICE)
async def to_revoke(request: Request[Any, Any, Any]) -> Template:
    site = _q(request, "site")
    return Template("office/cards/to_revoke.html", context={
        "issues": await queries.to_revoke(me(request), site), "site": site})


# --- card conflicts: the review core's pages, narrowed to the cards stream -----------------

@get(CONFLICTS, name="office_card_conflicts", **OFFICE)
async def conflicts_list(request: Request[Any, Any, Any]) -> Template:
    filters = filters_from(request.query_params, ConflictFilters)
    context = await review_queries.conflicts_page(me(request), filters, stream="cards",
                                                  path=CONFLICTS,
                                                  detail="/office/conflicts")
    name = "office/review/_conflicts_results.html" if is_fragment(request) \
        else "office/review/conflicts.html"
    return Template(name, context={**context, "heading": lazy("Card conflicts")},
                    headers={"Vary": "HX-Request"})


@post(CONFLICTS + "/{conflict_id:uuid}/lift", **OFFICE)
async def conflict_lift(request: Request[Any, Any, Any], conflict_id: FromPath[UUID],
                        data: Annotated[dict[str, str], Body(media_type=Form)]
                        ) -> Template | Redirect:
    outcome = await service.submit_conflict_lift(
        me(request), str(conflict_id), str(data.get("card", "")), str(data.get("reason", "")))
    return _after(outcome, "office/review/conflict.html", "/office/conflicts/{id}?saved=1")


routes = [
    # static paths before the register's /office/cards/{id}
    import_page, import_run, issue_new, issue_create, issue_show,
    card_lost, card_return, card_revoke, card_lift, units, unit_show, stock, monthly,
    to_revoke, conflicts_list, conflict_lift,
    *(handler for lst in LISTS for handler in routes_for(lst)),
]
