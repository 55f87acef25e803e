"""The request board (報修): the requests of the person's sites, filtered by state (the open
ones, the overdue ones — a deadline passed and the work not done — or one state), category,
urgency, technician, building or unit, the office's review (:mod:`server.lib.reviewed`), and
a search over the number, the description, the public area and the unit; counts per state
for the same filters; and the same rows, unpaged, for the exports. Scoped to the user's
sites like every office query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff, StaffSite
from server.estate.tables import Building, Unit
from server.lib import reviewed
from server.lib.i18n import gettext as _
from server.lib.newest import newest_first
from server.lib.paging import PageOf
from server.lib.queries import (
    as_id,
    both,
    contains,
    empty_page,
    local_time,
    now,
    paged,
    plain,
    scope,
    sites_of,
    staff_names,
    to_datetime,
)
from server.repairs.schemas import STATE_TABS, BoardFilters
from server.repairs.tables import RepairRequest
from sync.domains.repairs.records import CATEGORIES, OPEN_STATES, STATES, URGENCIES

R = RepairRequest


def overdue_clause(at: datetime | None = None) -> Any:
    """Open requests past a deadline: not started by ``respond_by``, or not finished by
    ``complete_by``."""
    at = at or now()
    return R.state.is_in(list(OPEN_STATES)) & (
        (R.started_at.is_null() & (R.respond_by < at)) | (R.complete_by < at))


def is_overdue(row: dict[str, Any], at: datetime | None = None) -> bool:
    at = at or now()
    if row.get("state") not in OPEN_STATES:
        return False
    respond, complete = to_datetime(row.get("respond_by")), to_datetime(row.get("complete_by"))
    return bool((row.get("started_at") is None and respond is not None and respond < at)
                or (complete is not None and complete < at))


def _state_clause(state: str) -> Any:
    if state == "open":
        return R.state.is_in(list(OPEN_STATES))
    if state == "overdue":
        return overdue_clause()
    if state in STATES:
        return R.state == state
    return None


def _id_clause(column: Any, value: str) -> Any:
    if not value:
        return None
    wanted = as_id(value)
    return column == wanted if wanted else False


def where(user: CurrentUser, f: BoardFilters, with_state: bool = True,
          page: bool = False) -> Any:
    """The board's where-clause: ``None`` (everything), ``False`` (nothing) or a clause;
    ``page``: for the newest-first page (:mod:`server.lib.newest`)."""
    search = None
    if f.q:  # the unit numbers first (a few thousand units), not a join per request
        units = Unit.select(Unit.id).where(contains(Unit.number, f.q))
        search = (contains(R.number, f.q) | contains(R.description, f.q)
                  | contains(R.area, f.q) | R.unit.is_in(units))
    site = scope(R.site, user, f.site)
    return both(
        newest_first(site) if page else site,
        _state_clause(f.state) if with_state else None,
        R.category == f.category if f.category in CATEGORIES else None,
        R.urgency == f.urgency if f.urgency in URGENCIES else None,
        _id_clause(R.assignee, f.technician),
        _id_clause(R.unit.building, f.building),
        _id_clause(R.unit, f.unit),
        search,
        reviewed.clause(R.id, "repair_request", f.review),
    )


def select() -> Any:
    return R.select(
        R.id, R.site, R.number, R.unit, R.area, R.category, R.urgency, R.complaint,
        R.description, R.state, R.assignee, R.appointment_at, R.reported_at, R.respond_by,
        R.complete_by, R.started_at, R.finished_at, R.closed_at, R.source, R.key_loan,
        R.unit.number.as_alias("unit_number"), R.unit._.building._.code.as_alias("building_code"),
        R.site.code.as_alias("site_code"),
    ).order_by(R.reported_at, ascending=False)


async def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names and labels as people read them; the overdue flag."""
    names = await staff_names(r["assignee"] for r in rows)
    at = now()
    for r in rows:
        r["assignee_name"] = names.get(str(r["assignee"]), "")
        r["state_label"] = STATES.get(str(r["state"]), str(r["state"]))
        r["category_label"] = CATEGORIES.get(str(r["category"]), str(r["category"]))
        r["urgency_label"] = URGENCIES.get(str(r["urgency"]), str(r["urgency"]))
        r["where"] = r["unit_number"] or r["area"] or ""
        r["reported"] = local_time(r["reported_at"])
        r["respond"] = local_time(r["respond_by"])
        r["complete"] = local_time(r["complete_by"])
        r["appointment"] = local_time(r["appointment_at"])
        r["overdue"] = is_overdue(r, at)
    await reviewed.add_reviews("repair_request", rows)
    return rows


async def rows(user: CurrentUser, f: BoardFilters, total: int | None = None) -> PageOf:
    """A page of the board; ``total``: the rows' count when the caller knows it."""
    clause = where(user, f)
    if clause is False:
        return empty_page()
    query, count = select(), R.count()
    if clause is not None:
        query, count = query.where(where(user, f, page=True)), count.where(clause)
    page = await paged(query, count if total is None else _known(total), f.page)
    page.rows = await decorate(page.rows)
    return page


async def counts(user: CurrentUser, f: BoardFilters) -> dict[str, int]:
    """Requests per state for the board's other filters; ``open`` and ``overdue`` too."""
    clause = where(user, f, with_state=False, page=bool(f.q))  # a search reads every row
    out = dict.fromkeys([*STATE_TABS, "all"], 0)
    if clause is False:
        return out
    query = R.select(R.state, Count(R.id).as_alias("n")).group_by(R.state)
    for r in await (query.where(clause) if clause is not None else query):
        out[str(r["state"])] = out.get(str(r["state"]), 0) + int(r["n"])
    out["all"] = sum(out.get(s, 0) for s in STATES)
    out["open"] = sum(out.get(s, 0) for s in OPEN_STATES)
    late = both(clause, overdue_clause())
    out["overdue"] = 0 if late is False else int(await (
        R.count().where(late) if late is not None else R.count()))
    return out


async def technicians(site_ids: list[str]) -> list[dict[str, Any]]:
    """Active staff with the technician role at any of ``site_ids``: id, name, sites."""
    if not site_ids:
        return []
    links = await StaffSite.select(StaffSite.staff, StaffSite.site).where(
        StaffSite.site.is_in(site_ids) & (StaffSite.staff.role == "technician")
        & (StaffSite.staff.active == True))  # noqa: E712
    by_staff: dict[str, set[str]] = {}
    for link in links:
        by_staff.setdefault(str(link["staff"]), set()).add(str(link["site"]))
    if not by_staff:
        return []
    rows_ = await Staff.select(Staff.id, Staff.display_name).where(
        Staff.id.is_in(sorted(by_staff))).order_by(Staff.display_name)
    return [{"id": str(r["id"]), "name": r["display_name"], "sites": by_staff[str(r["id"])]}
            for r in rows_]


async def filter_options(user: CurrentUser, f: BoardFilters) -> dict[str, Any]:
    sites = await sites_of(user)
    wanted = [s["id"] for s in sites if not f.site or s["id"] == as_id(f.site)]
    buildings = [plain(b) for b in await Building.select(
        Building.id, Building.code, Building.name, Building.site.code.as_alias("site_code"),
    ).where(Building.site.is_in(wanted)).order_by(Building.site.code).order_by(
        Building.code)] if wanted else []
    return {
        "sites": sites,
        "states": [(k, _(v)) for k, v in STATE_TABS.items()],
        "categories": [(k, _(v)) for k, v in CATEGORIES.items()],
        "urgencies": [(k, _(v)) for k, v in URGENCIES.items()],
        "technicians": [(t["id"], t["name"]) for t in await technicians(wanted)],
        "buildings": [(b["id"], f"{b['site_code']} · {b['code']}") for b in buildings],
    }


async def _known(total: int) -> int:
    return total


async def board_page(user: CurrentUser, f: BoardFilters) -> dict[str, Any]:
    """The page: the tab's count is one of the counts per state (one scan fewer)."""
    tabs = await counts(user, f)
    total = tabs.get(f.state if f.state in tabs else "all", tabs["all"])
    return {"filters": f, "page": await rows(user, f, total), "counts": tabs,
            "options": await filter_options(user, f), "tabs": STATE_TABS,
            "review_href": reviewed.link("repair_request", f.site, f.review)}
