"""The office's repair figures for a site: residents' satisfaction month by month (the last
twelve months in the estate's time zone) and by category — the 1–5 score given when a visit
closed and the A/B/C of the follow-up calls — and the technicians' workload (open jobs,
overdue ones, jobs finished and visits made this month)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.figures import months
from server.lib.queries import now, site_and_sites, staff_names, to_datetime
from server.lib.timezone import estate_zone
from server.repairs import board
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from sync.domains.repairs.records import CATEGORIES, OPEN_STATES

R, V, F = RepairRequest, RepairVisit, FollowUp
RATED = ("A", "B", "C")


def _month(value: Any) -> str:
    moment = to_datetime(value)
    return moment.astimezone(estate_zone()).strftime("%Y-%m") if moment else ""


def _start(first: Any) -> datetime:
    return datetime(first.year, first.month, 1, tzinfo=estate_zone()).astimezone(UTC)


def _line(key: str) -> dict[str, Any]:
    return {"key": key, "scored": 0, "score_sum": 0, "A": 0, "B": 0, "C": 0}


def _finish(line: dict[str, Any]) -> dict[str, Any]:
    """Averages and shares of a line (None when there is nothing to count)."""
    rated = line["A"] + line["B"] + line["C"]
    line["average"] = round(line["score_sum"] / line["scored"], 2) if line["scored"] else None
    line["rated"] = rated
    line["satisfied"] = round(100 * (line["A"] + line["B"]) / rated) if rated else None
    return line


async def satisfaction(site: str, at: datetime | None = None
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                  dict[str, Any]]:
    """(by month, the current month last; by category; the total) over the last twelve
    months: visits closed with a score (their count and average), follow-ups done and
    rated A, B or C (and the share of A and B)."""
    firsts = months(at)
    start = _start(firsts[0])
    categories = {str(r["id"]): str(r["category"]) for r in await R.select(
        R.id, R.category).where(R.site == site)}
    by_month = {f"{d:%Y-%m}": _line(f"{d:%Y-%m}") for d in firsts}
    by_category = {k: _line(k) for k in CATEGORIES}
    total = _line("")
    visits = await V.select(V.request, V.satisfaction, V.closed_at).where(
        (V.site == site) & (V.closed_at >= start) & V.satisfaction.is_not_null())
    for v in visits:
        lines = [by_month.get(_month(v["closed_at"])),
                 by_category.get(categories.get(str(v["request"]), "")), total]
        for line in lines:
            if line is not None:
                line["scored"] += 1
                line["score_sum"] += int(v["satisfaction"])
    done = await F.select(F.request, F.rating, F.done_at).where(
        (F.site == site) & (F.done_at >= start) & F.rating.is_in(list(RATED)))
    for f in done:
        lines = [by_month.get(_month(f["done_at"])),
                 by_category.get(categories.get(str(f["request"]), "")), total]
        for line in lines:
            if line is not None:
                line[str(f["rating"])] += 1
    return ([_finish(line) for line in by_month.values()],
            [_finish(line) for line in by_category.values()], _finish(total))


async def satisfaction_page(user: CurrentUser, site: str) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    by_month, by_category, total = await satisfaction(chosen["id"])
    return {"site": chosen, "sites": sites, "by_month": by_month,
            "by_category": by_category, "total": total, "categories": CATEGORIES}


async def workload(site: str, at: datetime | None = None) -> list[dict[str, Any]]:
    """One line per technician of the site (and anyone else with open jobs there): open
    jobs, in progress, overdue, finished this month, visits this month."""
    at = at or now()
    today = at.astimezone(estate_zone()).date()
    month_start = _start(today.replace(day=1))
    people = {t["id"]: t["name"] for t in await board.technicians([site])}
    lines: dict[str, dict[str, Any]] = {}

    def line(staff: str) -> dict[str, Any]:
        return lines.setdefault(staff, {"id": staff, "name": people.get(staff, ""),
                                        "open": 0, "in_progress": 0, "overdue": 0,
                                        "finished": 0, "visits": 0})

    for staff in people:
        line(staff)
    jobs = await R.select(R.assignee, R.state, R.started_at, R.respond_by, R.complete_by,
                          R.finished_at).where(
        (R.site == site) & R.assignee.is_not_null()
        & (R.state.is_in(list(OPEN_STATES)) | (R.finished_at >= month_start)))
    for j in jobs:
        mine = line(str(j["assignee"]))
        if j["state"] in OPEN_STATES:
            mine["open"] += 1
            mine["in_progress"] += j["state"] == "in_progress"
            mine["overdue"] += board.is_overdue(j, at)
        finished = to_datetime(j["finished_at"])
        if finished is not None and finished >= month_start:
            mine["finished"] += 1
    for v in await V.select(V.technician).where((V.site == site) & (V.arrived_at >= month_start)):
        line(str(v["technician"]))["visits"] += 1
    missing = await staff_names(k for k, v in lines.items() if not v["name"])
    for v in lines.values():
        v["name"] = v["name"] or missing.get(v["id"], "")
    return sorted(lines.values(), key=lambda v: (-v["open"], v["name"]))


async def workload_page(user: CurrentUser, site: str) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    lines = await workload(chosen["id"])
    totals = {k: sum(v[k] for v in lines)
              for k in ("open", "in_progress", "overdue", "finished", "visits")}
    return {"site": chosen, "sites": sites, "lines": lines, "totals": totals}
