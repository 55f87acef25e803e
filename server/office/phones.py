"""Phones that have not synced for more than ``CARETAKER_STALE_SYNC_HOURS`` (4 unless set)
while their person is on shift: an exception for the office home (a guard whose phone is off
cannot prove a round; a technician's visits wait on the phone).

"On shift" is read from the records — the server keeps no rota. At a site, a person is on
shift now when:

* a patrol round of the site names them (its guards, or who started it) and its window,
  from its slot to its due time, includes now (a round's slot within the last day);
* they are the incoming person of the site's latest handover, its shift ending within the
  last :data:`HANDOVER_HOURS` hours (the incoming person signed on their own phone);
* a repair request of the site still open is assigned to them with its appointment today (the
  estate's day), or a visit of theirs at the site began today and is not closed.

A phone counts at each site where its person is on shift. "Not synced" is its last contact
(``last_seen_at``, written on each sync; its registration when it never synced); a revoked
or expired phone does not count. An acknowledgement holds until the phone syncs again: after
that, its next silence is a new item."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.accounts.tables import Device
from server.desk.tables import Handover
from server.lib.paging import PER_PAGE, PageOf
from server.lib.queries import both, json_value, local_day_start, local_time
from server.lib.timezone import estate_zone
from server.office.exceptions import (
    NO_SITE,
    Ask,
    Kind,
    literal_in,
    not_acknowledged,
    resolved,
    site_clause,
)
from server.patrol.tables import PatrolRound
from server.repairs.tables import RepairRequest, RepairVisit
from sync.domains.repairs.records import OPEN_STATES

HANDOVER_HOURS = 12
LONGEST_ROUND = timedelta(days=1)  # a round's window is read among the rounds of a day
LAST_CONTACT = 'COALESCE("device"."last_seen_at", "device"."created_at")'


def _day(at: datetime) -> tuple[datetime, datetime]:
    start = local_day_start(at.astimezone(estate_zone()).date().isoformat()) or at
    return start, start + timedelta(days=1)


async def on_shift(ask: Ask, site: str = "") -> dict[str, set[str]]:
    """Who is on shift now (staff id -> the sites), at the person's sites (or ``site``)."""
    out: dict[str, set[str]] = {}
    if site == NO_SITE:
        return out

    def add(staff: Any, at_site: Any) -> None:
        if staff:
            out.setdefault(str(staff), set()).add(str(at_site))

    ask = await resolved(ask)
    at = ask.at
    start, end = _day(at)
    rounds = both(site_clause(PatrolRound.site, ask, site), PatrolRound.due_by >= at,
                  PatrolRound.slot_at <= at, PatrolRound.slot_at > at - LONGEST_ROUND)
    for r in await _select(PatrolRound, rounds, PatrolRound.site, PatrolRound.guard_ids,
                           PatrolRound.started_by):
        for guard in [*(json_value(r["guard_ids"]) or []), r["started_by"]]:
            add(guard, r["site"])
    handovers = both(site_clause(Handover.site, ask, site), Handover.shift_end <= at,
                     Handover.shift_end >= at - timedelta(hours=HANDOVER_HOURS))
    latest: set[str] = set()
    for h in await _select(Handover, handovers, Handover.site, Handover.incoming,
                           order=Handover.shift_end):
        if str(h["site"]) not in latest:  # newest first: the site's latest handover
            latest.add(str(h["site"]))
            add(h["incoming"], h["site"])
    R, V = RepairRequest, RepairVisit
    jobs = both(site_clause(R.site, ask, site), literal_in(R.state, OPEN_STATES),
                R.assignee.is_not_null(), R.appointment_at >= start, R.appointment_at < end)
    for r in await _select(R, jobs, R.site, R.assignee):
        add(r["assignee"], r["site"])
    visits = both(site_clause(V.site, ask, site), V.arrived_at >= start, V.arrived_at < end,
                  V.closed_at.is_null())
    for v in await _select(V, visits, V.site, V.technician):
        add(v["technician"], v["site"])
    return out


async def _select(table: Any, where: Any, *columns: Any, order: Any = None
                  ) -> list[dict[str, Any]]:
    """The rows of ``where`` (none when it is ``False``), newest ``order`` first."""
    if where is False:
        return []
    query = table.select(*columns).where(where)
    return list(await (query.order_by(order, ascending=False) if order is not None
                       else query))


class StalePhones:
    """The source of the stale phones' kind (its sites come from who is on shift)."""

    async def _rows(self, kind: Kind, ask: Ask, site: str, record_id: str = ""
                    ) -> list[dict[str, Any]]:
        shift = await on_shift(ask, site)
        if not shift:
            return []
        quiet = WhereRaw(f"{LAST_CONTACT} < {{}}", ask.at - timedelta(hours=ask.stale_hours))
        where = (Device.staff.is_in(sorted(shift)) & Device.revoked_at.is_null()
                 & (Device.expires_at > ask.at) & quiet
                 & not_acknowledged(kind.key, Device.id, LAST_CONTACT))
        if record_id:
            where = where & (Device.id == record_id)
        devices = await Device.select(
            Device.id, Device.staff, Device.name, Device.last_seen_at, Device.created_at,
            Device.staff.display_name.as_alias("display_name")).where(where)
        rows = []
        for d in devices:
            contact = d["last_seen_at"] or d["created_at"]
            for at_site in sorted(shift.get(str(d["staff"]), ())):
                rows.append({
                    "id": str(d["id"]), "site": at_site, "space": "", "when": contact,
                    "title": " · ".join(t for t in (d["display_name"], d["name"]) if t),
                    "when_text": local_time(d["last_seen_at"]) if d["last_seen_at"] else "",
                    "href": f"/office/devices?staff={d['staff']}"})
        return sorted(rows, key=lambda r: (str(r["when"]), r["id"], r["site"]))

    async def counts(self, kind: Kind, ask: Ask) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in await self._rows(kind, ask, ""):
            out[r["site"]] = out.get(r["site"], 0) + 1
        return out

    async def items(self, kind: Kind, ask: Ask, site: str = "", page: int = 1,
                    record_id: str = "") -> PageOf:
        rows = await self._rows(kind, ask, site, record_id)
        pages = max(1, -(-len(rows) // PER_PAGE))
        page = min(max(1, page), pages)
        return PageOf(rows=rows[(page - 1) * PER_PAGE:page * PER_PAGE], total=len(rows),
                      page=page, pages=pages)
