"""What the patrol domain adds to the office's generic pages (registered in
server/domains.py): how a round finished twice reads side by side, which pages show its
records, its exceptions on the office home and its entries in the top bar."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.queries import local_day_start, now, scope
from server.lib.timezone import estate_zone
from server.patrol.tables import PatrolIncident, PatrolRound, PatrolScan
from server.review import present
from server.review.queries import count
from sync.domains.patrol.records import ROUND


def _double_finish(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": _("First finish (kept)"),
             "rows": present.pairs(ROUND, details.get("first") or {}, names)},
            {"title": _("Second finish"),
             "rows": present.pairs(ROUND, details.get("second") or {}, names)}]


def _today() -> tuple[Any, Any]:
    today = now().astimezone(estate_zone()).date().isoformat()
    start = local_day_start(today) or now()
    return start, start + timedelta(days=1)


async def counts(user: CurrentUser) -> list[dict[str, Any]]:
    """Missed rounds today (marked, or past their start window unstarted), skips awaiting a
    supervisor, open incidents."""
    start, end = _today()
    at = now()
    today = (PatrolRound.slot_at >= start) & (PatrolRound.slot_at < end)
    missed = (PatrolRound.status == "missed") | (
        (PatrolRound.status == "planned") & (PatrolRound.start_by < at))
    return [
        {"label": "Missed rounds today", "href": "/office/patrol/exceptions", "alert": True,
         "count": await count(PatrolRound, scope(PatrolRound.site, user), today, missed)},
        {"label": "Skips awaiting review", "href": "/office/patrol/exceptions", "alert": True,
         "count": await count(PatrolScan, scope(PatrolScan.site, user),
                              PatrolScan.review == "pending")},
        {"label": "Open patrol incidents", "href": "/office/patrol/exceptions", "alert": True,
         "count": await count(PatrolIncident, scope(PatrolIncident.site, user),
                              PatrolIncident.status == "open")},
    ]


def register(p: present.Presenters) -> None:
    p.sides["double_finish"] = _double_finish
    p.pages.update({"round": "/office/patrol/rounds/{id}",
                    "checkpoint": "/office/patrol/checkpoints/{id}",
                    "checklist": "/office/patrol/checklists/{id}",
                    "route": "/office/patrol/routes/{id}",
                    "schedule": "/office/patrol/schedules/{id}"})
    p.counts.append(counts)
    p.nav.append(("Patrol", "/office/patrol"))
