"""The office's write to patrol records phones also write: a supervisor confirms or rejects
a skipped checkpoint (``scan.review`` through :mod:`server.sync.office`: the same rule and
audit as a supervisor's phone; the phones receive the review). And the exceptions page: what
needs someone's attention at a site over a few days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import (
    local_day_start,
    local_time,
    now,
    plain,
    require_id,
    site_and_sites,
    staff_names,
)
from server.lib.timezone import estate_zone
from server.patrol.queries import board_state
from server.patrol.tables import (
    PatrolCheckpoint,
    PatrolIncident,
    PatrolRound,
    PatrolRoute,
    PatrolScan,
)
from server.review.service import need_text
from server.sync import office
from sync.domains.patrol.records import SEVERITIES
from sync.errors import Reject

DECISIONS = ("confirmed", "rejected")
DEFAULT_DAYS = 7


async def review_skip(user: CurrentUser, scan_id: str, decision: str, note: str) -> str:
    """Confirm or reject a skip (rejecting needs a note); returns the scan's round."""
    row = await PatrolScan.select(PatrolScan.id, PatrolScan.site, PatrolScan.round,
                                  PatrolScan.method).where(
        PatrolScan.id == require_id(scan_id)).first()
    if row is None or not user.can_see_site(str(row["site"])) or row["method"] != "skip":
        raise NotFound(_("Not found."))
    if decision not in DECISIONS:
        message = _("Choose confirm or reject.")
        raise ValidationFailed(message, detail={"decision": message})
    text = need_text("note", note) if decision == "rejected" or note.strip() else ""
    try:
        await office.apply(user, [("scan.review", {"scan_id": str(row["id"]),
                                                    "decision": decision, "note": text})])
    except Reject as r:
        raise ValidationFailed(r.reason, detail={"note": r.reason}) from None
    return str(row["round"])


def date_range(date_from: str, date_to: str) -> tuple[Any, Any, str, str]:
    today = now().astimezone(estate_zone()).date()
    start = local_day_start(date_from)
    end = local_day_start(date_to)
    if start is None:
        date_from = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        start = local_day_start(date_from)
    if end is None:
        date_to = today.isoformat()
        end = local_day_start(date_to)
    assert start is not None and end is not None
    return start, end + timedelta(days=1), date_from, date_to


async def exceptions(user: CurrentUser, site: str, date_from: str = "", date_to: str = ""
                     ) -> dict[str, Any]:
    """Missed and late rounds, skips awaiting review, abnormal visits and open incidents."""
    chosen, sites = await site_and_sites(user, site)
    start, end, date_from, date_to = date_range(date_from, date_to)
    sid = chosen["id"]
    rounds = [plain(r) for r in await PatrolRound.select(
        PatrolRound.id, PatrolRound.route, PatrolRound.slot_at, PatrolRound.start_by,
        PatrolRound.due_by, PatrolRound.status, PatrolRound.late, PatrolRound.guard_ids,
        PatrolRound.started_by, PatrolRound.finished_at).where(
        (PatrolRound.site == sid) & (PatrolRound.slot_at >= start)
        & (PatrolRound.slot_at < end)).order_by(PatrolRound.slot_at, ascending=False)]
    at = now()
    routes = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name).where(PatrolRoute.site == sid)}
    checkpoints = {str(c["id"]): plain(c) for c in await PatrolCheckpoint.select(
        PatrolCheckpoint.id, PatrolCheckpoint.code, PatrolCheckpoint.name).where(
        PatrolCheckpoint.site == sid)}
    for r in rounds:
        r["state"] = board_state(r, at)
        r["route_name"] = routes.get(str(r["route"]), "")
        r["slot"] = local_time(r["slot_at"])
    skips = [plain(s) for s in await PatrolScan.select(
        PatrolScan.id, PatrolScan.round, PatrolScan.checkpoint, PatrolScan.skip_reason,
        PatrolScan.scanned_at, PatrolScan.scanned_by, PatrolScan.created_at).where(
        (PatrolScan.site == sid) & (PatrolScan.review == "pending")).order_by(
        PatrolScan.scanned_at)]
    anomalies = [plain(s) for s in await PatrolScan.select(
        PatrolScan.id, PatrolScan.round, PatrolScan.checkpoint, PatrolScan.note,
        PatrolScan.severity, PatrolScan.scanned_at, PatrolScan.scanned_by).where(
        (PatrolScan.site == sid) & PatrolScan.abnormal.eq(True)
        & (PatrolScan.scanned_at >= start) & (PatrolScan.scanned_at < end)).order_by(
        PatrolScan.scanned_at, ascending=False)]
    incidents = [plain(i) for i in await PatrolIncident.select(
        PatrolIncident.id, PatrolIncident.round, PatrolIncident.checkpoint,
        PatrolIncident.description, PatrolIncident.severity, PatrolIncident.reported_at,
        PatrolIncident.reported_by).where(
        (PatrolIncident.site == sid) & (PatrolIncident.status == "open")).order_by(
        PatrolIncident.reported_at, ascending=False)]
    names = await staff_names([*(s["scanned_by"] for s in skips + anomalies),
                               *(i["reported_by"] for i in incidents)])
    for s in skips + anomalies + incidents:
        c = checkpoints.get(str(s["checkpoint"]), {})
        s["checkpoint_label"] = f"{c.get('code', '?')} · {c.get('name', '')}"
        s["when"] = local_time(s.get("scanned_at") or s.get("reported_at"))
        s["by"] = names.get(str(s.get("scanned_by") or s.get("reported_by")), "")
        if "severity" in s:
            s["severity_label"] = SEVERITIES.get(s["severity"], s["severity"])
    return {"site": chosen, "sites": sites, "date_from": date_from, "date_to": date_to,
            "missed": [r for r in rounds if r["state"] == "missed"],
            "late": [r for r in rounds if r["state"] == "late" or r["late"]],
            "skips": skips, "anomalies": anomalies, "incidents": incidents}
