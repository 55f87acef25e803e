"""The follow-up queue (回訪): the calls still due, the overdue ones (past their due time and
not done) and the ones done with the resident's A/B/C, for the user's sites; counts of each;
a tab's rows for its export (:mod:`server.repairs.exports`); every tab filtered by the
office's review too (:mod:`server.lib.reviewed`)."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib import reviewed
from server.lib.queries import both, empty_page, now, paged, scope, sites_of
from server.repairs.queries import decorate_follow_ups
from server.repairs.schemas import FOLLOW_UP_TABS, FollowUpFilters
from server.repairs.tables import FollowUp, RepairRequest
from sync.domains.repairs.records import OPEN_STATES

F, R = FollowUp, RepairRequest


def unsatisfied() -> Any:
    """Follow-ups rated C whose request is open again (reopened, not done since): each is
    an exception for the office until the request is done again or closed."""
    return (F.rating == "C") & F.request.is_in(
        R.select(R.id).where(R.state.is_in(list(OPEN_STATES))))


def _tab(show: str) -> Any:
    at = now()
    if show == "unsatisfied":
        return unsatisfied()
    if show == "overdue":
        return F.done_at.is_null() & (F.due_at < at)
    if show == "done":
        return F.done_at.is_not_null()
    return F.done_at.is_null() & (F.due_at >= at)


def shown_tab(f: FollowUpFilters) -> str:
    return f.show if f.show in FOLLOW_UP_TABS else "due"


def where(user: CurrentUser, f: FollowUpFilters) -> Any:
    """The queue's tab at the filters' sites (``False``: nothing)."""
    return both(scope(F.site, user, f.site), _tab(shown_tab(f)), _review(f))


def _review(f: FollowUpFilters) -> Any:
    return reviewed.clause(F.id, "follow_up", f.review)


def select(show: str) -> Any:
    """The queue's rows in the tab's order (the done ones latest first, the others by
    their due time), the id last."""
    query = F.select(*F.all_columns(), F.unit.number.as_alias("unit_number"),
                     F.site.code.as_alias("site_code"))
    query = query.order_by(F.done_at, ascending=False) if show == "done" \
        else query.order_by(F.due_at)
    return query.order_by(F.id)


async def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = await decorate_follow_ups(rows)
    await _numbers(rows)
    await reviewed.add_reviews("follow_up", rows)
    return rows


async def queue_page(user: CurrentUser, f: FollowUpFilters, page: int = 1) -> dict[str, Any]:
    show = shown_tab(f)
    site = scope(F.site, user, f.site)
    counts = {}
    for tab in FOLLOW_UP_TABS:
        clause = both(site, _tab(tab), _review(f))
        counts[tab] = 0 if clause is False else int(await F.count().where(clause))
    clause = where(user, f)
    rows = empty_page() if clause is False else await paged(
        select(show).where(clause), F.count().where(clause), page)
    rows.rows = await decorate(rows.rows)
    return {"filters": f, "show": show, "tabs": FOLLOW_UP_TABS, "counts": counts,
            "page": rows, "sites": await sites_of(user),
            "review_href": reviewed.link("follow_up", f.site, f.review)}


async def _numbers(rows: list[dict[str, Any]]) -> None:
    """The request numbers of the follow-ups (``request`` is a plain id, not a join)."""
    ids = sorted({str(r["request"]) for r in rows})
    found = {str(r["id"]): r for r in await R.select(
        R.id, R.number, R.category, R.area).where(R.id.is_in(ids))} if ids else {}
    for r in rows:
        req = found.get(str(r["request"]))
        r["number"] = req["number"] if req else ""
        r["category"] = req["category"] if req else ""
        r["where"] = r["unit_number"] or (req["area"] if req else "")
