"""What the patrol domain adds to the office's generic pages (registered in
server/domains.py): how a round finished twice reads side by side, which pages show its
records, its exceptions on the office home and its entries in the top bar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_day_start
from server.lib.timezone import estate_zone
from server.office.exceptions import Ask, Kind, Rows, literal_in
from server.patrol.tables import (
    PatrolCheckpoint,
    PatrolIncident,
    PatrolRound,
    PatrolRoute,
    PatrolScan,
)
from server.review import present
from sync.domains.patrol.records import INCIDENT, ROUND, SCAN


def _double_finish(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": _("First finish (kept)"),
             "rows": present.pairs(ROUND, details.get("first") or {}, names)},
            {"title": _("Second finish"),
             "rows": present.pairs(ROUND, details.get("second") or {}, names)}]


def _today(at: datetime) -> Any:
    """The rounds planned for the estate's day of ``at``."""
    day = at.astimezone(estate_zone()).date().isoformat()
    start = local_day_start(day) or at
    return (PatrolRound.slot_at >= start) & (PatrolRound.slot_at < start + timedelta(days=1))


# The status is tested with NOT IN (no index serves it): SQLite, which the server never
# ANALYZEs, would otherwise read every missed round of the year through the status index
# instead of today's rounds through (site, slot_at).

def missed(ask: Ask) -> Any:
    """Today's rounds marked missed, or still planned past their start window."""
    return _today(ask.at) & PatrolRound.status.not_in(["done", "in_progress", "incomplete"]) & (
        (PatrolRound.status == "missed") | (PatrolRound.start_by < ask.at))


def late(ask: Ask) -> Any:
    """Today's rounds started or finished after their window (the rules' ``late`` flag),
    or still in progress past their due time: what the board shows late."""
    return _today(ask.at) & PatrolRound.status.not_in(["planned", "missed", "incomplete"]) & (
        PatrolRound.late.eq(True)
        | ((PatrolRound.status == "in_progress") & (PatrolRound.due_by < ask.at)))


async def _route_names(rows: list[dict[str, Any]]) -> None:
    """A round by its route's name (``title_0`` holds the route's id)."""
    ids = sorted({str(r["title_0"]) for r in rows if r["title_0"]})
    names = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name).where(PatrolRoute.id.is_in(ids))} if ids else {}
    for r in rows:
        r["title"] = names.get(str(r["title_0"]), "")


async def _skipped_at(rows: list[dict[str, Any]]) -> None:
    """A skip by its checkpoint and reason; it opens its round (where it is reviewed)."""
    ids = [r["id"] for r in rows]
    scans = {str(s["id"]): s for s in await PatrolScan.select(
        PatrolScan.id, PatrolScan.round, PatrolScan.checkpoint, PatrolScan.skip_reason).where(
        PatrolScan.id.is_in(ids))} if ids else {}
    points = sorted({str(s["checkpoint"]) for s in scans.values()})
    names = {str(c["id"]): f"{c['code']} · {c['name']}" for c in await PatrolCheckpoint.select(
        PatrolCheckpoint.id, PatrolCheckpoint.code, PatrolCheckpoint.name).where(
        PatrolCheckpoint.id.is_in(points))} if points else {}
    for r in rows:
        scan = scans.get(str(r["id"]))
        if scan is not None:
            r["title"] = " · ".join(t for t in (names.get(str(scan["checkpoint"]), ""),
                                                scan["skip_reason"]) if t)
            r["href"] = f"/office/patrol/rounds/{scan['round']}"


# the terms of the partial indexes of the home's counts (migration 2026-12-07T10:10)
PENDING_SKIP = literal_in(PatrolScan.review, ["pending"])
OPEN_INCIDENT = literal_in(PatrolIncident.status, ["open"])

EXCEPTIONS = (
    Kind("patrol.missed", lazy("Missed rounds today"), True, ROUND,
         "/office/patrol/exceptions", when_label=lazy("Start by"),
         source=Rows(PatrolRound, missed, (PatrolRound.route,), PatrolRound.start_by,
                     decorate=_route_names)),
    Kind("patrol.late", lazy("Late rounds today"), True, ROUND, "/office/patrol/exceptions",
         when_label=lazy("Due by"),
         source=Rows(PatrolRound, late, (PatrolRound.route,), PatrolRound.due_by,
                     decorate=_route_names)),
    Kind("patrol.skips", lazy("Skips awaiting review"), True, SCAN,
         "/office/patrol/exceptions", when_label=lazy("Scanned at"),
         source=Rows(PatrolScan, lambda ask: PENDING_SKIP, (),
                     PatrolScan.scanned_at, decorate=_skipped_at)),
    Kind("patrol.incidents", lazy("Open patrol incidents"), True, INCIDENT,
         "/office/patrol/exceptions", when_label=lazy("Reported at"),
         source=Rows(PatrolIncident, lambda ask: OPEN_INCIDENT,
                     (PatrolIncident.description,), PatrolIncident.reported_at)),
)


def register(p: present.Presenters) -> None:
    p.sides["double_finish"] = _double_finish
    p.pages.update({"round": "/office/patrol/rounds/{id}",
                    "checkpoint": "/office/patrol/checkpoints/{id}",
                    "checklist": "/office/patrol/checklists/{id}",
                    "route": "/office/patrol/routes/{id}",
                    "schedule": "/office/patrol/schedules/{id}"})
    p.nav.append(("Patrol", "/office/patrol"))
