"""The office's repair figures for a site: residents' satisfaction month by month (the last
twelve months in the estate's time zone) and by category — the 1–5 score given when a visit
closed and the A/B/C of the follow-up calls — and the technicians' workload (open jobs,
overdue ones, jobs finished and visits made this month).

The database adds them up (:mod:`server.repairs.figures_sql`): a site's year holds thousands
of visits and follow-ups, and reading them row by row into Python took most of the page's
time. Only the counts come back — per (local month, category, rating) for satisfaction, per
technician for the workload — and Python turns them into the lines the pages show (averages
and shares are computed from the sums here, as before, so the numbers do not move)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.figures import months
from server.lib.queries import now, site_and_sites, staff_names
from server.lib.timezone import estate_zone
from server.repairs import board
from server.repairs.figures_sql import (
    local_start,
    month_bounds,
    rated_counts,
    scored_counts,
    technician_jobs,
    technician_visits,
)
from sync.domains.repairs.records import CATEGORIES

RATED = ("A", "B", "C")
JOB_FIGURES = ("open", "in_progress", "overdue", "finished")


def _line(key: str) -> dict[str, Any]:
    return {"key": key, "scored": 0, "score_sum": 0, "A": 0, "B": 0, "C": 0}


def _finish(line: dict[str, Any]) -> dict[str, Any]:
    """Averages and shares of a line (None when there is nothing to count)."""
    rated = line["A"] + line["B"] + line["C"]
    line["average"] = round(line["score_sum"] / line["scored"], 2) if line["scored"] else None
    line["rated"] = rated
    line["satisfied"] = round(100 * (line["A"] + line["B"]) / rated) if rated else None
    return line


def _lines_of(row: dict[str, Any], by_month: list[dict[str, Any]],
              by_category: dict[str, dict[str, Any]], total: dict[str, Any]
              ) -> list[dict[str, Any]]:
    """The lines a counted row adds to: its month (none when it falls after the current
    month), its request's category (none when the request is not the site's, or its category
    is not one of the domain's) and the total."""
    month = row["month"]
    lines = [total]
    if month is not None and 0 <= month < len(by_month):
        lines.append(by_month[month])
    if row["category"] in by_category:
        lines.append(by_category[row["category"]])
    return lines


async def satisfaction(site: str, at: datetime | None = None
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                  dict[str, Any]]:
    """(by month, the current month last; by category; the total) over the last twelve
    months: visits closed with a score (their count and average), follow-ups done and
    rated A, B or C (and the share of A and B)."""
    firsts = months(at)
    bounds = month_bounds(firsts)
    by_month = [_line(f"{d:%Y-%m}") for d in firsts]
    by_category = {k: _line(k) for k in CATEGORIES}
    total = _line("")
    for row in await scored_counts(site, bounds):
        for line in _lines_of(row, by_month, by_category, total):
            line["scored"] += row["scored"]
            line["score_sum"] += row["score_sum"]
    for row in await rated_counts(site, bounds, RATED):
        for line in _lines_of(row, by_month, by_category, total):
            line[row["rating"]] += row["n"]
    return ([_finish(line) for line in by_month],
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
    month_start = local_start(today.replace(day=1))
    people = {t["id"]: t["name"] for t in await board.technicians([site])}
    lines: dict[str, dict[str, Any]] = {}

    def line(staff: str) -> dict[str, Any]:
        return lines.setdefault(staff, {"id": staff, "name": people.get(staff, ""),
                                        "open": 0, "in_progress": 0, "overdue": 0,
                                        "finished": 0, "visits": 0})

    for staff in people:
        line(staff)
    for row in await technician_jobs(site, month_start, at):
        mine = line(row["staff"])
        for name in JOB_FIGURES:
            mine[name] += row[name]
    for row in await technician_visits(site, month_start):
        line(row["staff"])["visits"] += row["visits"]
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
