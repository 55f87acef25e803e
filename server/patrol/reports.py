"""The completion report: rounds done against rounds planned, and done on time, by route, by
guard and by week, over a date range at a site — on the page, and as CSV (UTF-8 with a BOM,
so Excel opens Chinese text) or XLSX. Only rounds whose slot has begun count; a round is
counted for each guard it was assigned to (or who started it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.lib import exports
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import json_value, now, plain, site_and_sites, staff_names, to_datetime
from server.lib.timezone import estate_zone
from server.patrol.service import date_range
from server.patrol.tables import PatrolRound, PatrolRoute

GROUPS = (("route", lazy("By route")), ("guard", lazy("By guard")), ("week", lazy("By week")))
HEADERS = (lazy("Group"), lazy("Name"), lazy("Planned"), lazy("Done"), lazy("On time"),
           lazy("Missed"), lazy("Completion %"), lazy("On time %"))


def _week(at: Any) -> str:
    dt = to_datetime(at)
    day = dt.astimezone(estate_zone()).date() if dt else date.today()
    monday = day - timedelta(days=day.weekday())
    year, week, _d = monday.isocalendar()
    return f"{year}-W{week:02d} ({monday.isoformat()})"


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _line(name: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    planned = len(rounds)
    done = sum(1 for r in rounds if r["status"] == "done")
    on_time = sum(1 for r in rounds if r["status"] == "done" and not r["late"])
    missed = sum(1 for r in rounds if r["status"] == "missed" or (
        r["status"] == "planned" and r["overdue"]))
    return {"name": name, "planned": planned, "done": done, "on_time": on_time,
            "missed": missed, "rate": _percent(done, planned),
            "on_time_rate": _percent(on_time, planned)}


def _grouped(rounds: Iterable[dict[str, Any]], keys: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rounds:
        for key in keys(r):
            out.setdefault(key, []).append(r)
    return out


async def completion(user: CurrentUser, site: str, date_from: str = "", date_to: str = ""
                     ) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    start, end, date_from, date_to = date_range(date_from, date_to)
    at = now()
    rounds = [plain(r) for r in await PatrolRound.select(
        PatrolRound.id, PatrolRound.route, PatrolRound.slot_at, PatrolRound.start_by,
        PatrolRound.status, PatrolRound.late, PatrolRound.guard_ids, PatrolRound.started_by,
    ).where((PatrolRound.site == chosen["id"]) & (PatrolRound.slot_at >= start)
            & (PatrolRound.slot_at < min(end, at)))]
    routes = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name).where(PatrolRoute.site == chosen["id"])}

    def guards(r: dict[str, Any]) -> list[str]:
        people = [str(g) for g in json_value(r["guard_ids"]) or []]
        if r["started_by"] and str(r["started_by"]) not in people:
            people.append(str(r["started_by"]))
        return people or [""]

    for r in rounds:
        start_by = to_datetime(r["start_by"])
        r["overdue"] = start_by is not None and start_by < at
    names = await staff_names(g for r in rounds for g in guards(r))
    by_route = _grouped(rounds, lambda r: [routes.get(str(r["route"]), str(r["route"]))])
    by_guard = _grouped(rounds, lambda r: [names.get(g, _("Any guard of the site"))
                                           for g in guards(r)])
    by_week = _grouped(rounds, lambda r: [_week(r["slot_at"])])
    return {
        "site": chosen, "sites": sites, "date_from": date_from, "date_to": date_to,
        "total": _line(_("All rounds"), rounds),
        "groups": [
            {"key": "route", "title": GROUPS[0][1],
             "lines": [_line(k, v) for k, v in sorted(by_route.items())]},
            {"key": "guard", "title": GROUPS[1][1],
             "lines": [_line(k, v) for k, v in sorted(by_guard.items())]},
            {"key": "week", "title": GROUPS[2][1],
             "lines": [_line(k, v) for k, v in sorted(by_week.items())]},
        ],
    }


def table(report: dict[str, Any]) -> list[list[Any]]:
    """The report's lines (no header): the CSV and the workbook write the same."""
    out: list[list[Any]] = []
    lines = [(_("Total"), report["total"])] + [
        (_(g["title"]), line) for g in report["groups"] for line in g["lines"]]
    for group, line in lines:
        out.append([group, line["name"], line["planned"], line["done"], line["on_time"],
                    line["missed"], "" if line["rate"] is None else line["rate"],
                    "" if line["on_time_rate"] is None else line["on_time_rate"]])
    return out


def _stamp(report: dict[str, Any]) -> str:
    return f"patrol-completion-{report['site']['code']}-{report['date_from']}-" \
           f"{report['date_to']}"


async def _lines(report: dict[str, Any]) -> exports.Batches:
    yield table(report)  # a few lines per route, guard and week: one batch


async def export(report: dict[str, Any], fmt: exports.Format) -> Stream:
    """The report as CSV or XLSX (the office's one export: formulas kept as text)."""
    return await exports.response(fmt, [_(h) for h in HEADERS], _lines(report),
                                  _stamp(report), _("Completion"))
