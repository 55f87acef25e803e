"""What a demo handover hands over, as the outgoing phone drafts it from the data at the end
of the shift: keys out (and the overdue ones by name), cards in stock and lost cards the door
system has not taken yet, the shift's patrol rounds done and missed, repair requests opened in
the shift and still open, open patrol incidents, visitors still inside — read from the
estate the other demos loaded, one query per table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.cards.tables import Card, CardIssue
from server.estate.tables import Site
from server.keys.tables import KeyLoan
from server.lib.queries import to_datetime
from server.patrol.tables import PatrolCheckpoint, PatrolIncident, PatrolRound, PatrolRoute
from server.repairs.tables import RepairRequest
from sync.domains.repairs.records import OPEN_STATES

Span = tuple[datetime, datetime | None]  # from, until (None: still)
INCIDENT_DAYS = 3  # a closed incident was open this long (the patrol demo closes by age)
MAX_LISTED = 6


def _at(value: Any) -> datetime | None:
    return to_datetime(value)


def _when(value: Any) -> datetime:
    at = to_datetime(value)
    if at is None:
        raise ValueError(f"not a moment: {value!r}")
    return at


@dataclass
class SiteData:
    loans: list[tuple[Span, datetime, str]] = field(default_factory=list)  # due, key
    in_stock: int = 0
    issued: list[datetime] = field(default_factory=list)  # cards taken from the stock
    lost: list[Span] = field(default_factory=list)  # reported lost .. taken by the doors
    # status, slot, finished, route
    rounds: list[tuple[str, datetime, datetime | None, str]] = field(default_factory=list)
    requests: list[tuple[Span, str]] = field(default_factory=list)
    incidents: list[tuple[Span, str]] = field(default_factory=list)


def _open(span: Span, at: datetime) -> bool:
    return span[0] <= at and (span[1] is None or span[1] > at)


class Summaries:
    """Each site's data over the demo's weeks; :meth:`of` drafts one handover's summary."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.sites: dict[str, SiteData] = {}

    async def read(self, sites: Sequence[Site], units: dict[str, str], since: datetime
                   ) -> Summaries:
        """``units``: unit id -> number."""
        self.sites = {str(s.id): SiteData() for s in sites}
        for r in await KeyLoan.select(
                KeyLoan.site, KeyLoan.lent_at, KeyLoan.due_at, KeyLoan.returned_at,
                KeyLoan.key.code, KeyLoan.key.label).where(KeyLoan.voided.eq(False)):
            self._site(r).loans.append(((_when(r["lent_at"]), _at(r["returned_at"])),
                                        _when(r["due_at"]), f"{r['key.code']} {r['key.label']}"))
        for r in await Card.select(Card.site, Card.status, Card.blacklisted_at,
                                   Card.door_taken_at):
            d = self._site(r)
            d.in_stock += r["status"] == "in_stock"
            if r["blacklisted_at"] is not None:
                d.lost.append((_when(r["blacklisted_at"]), _at(r["door_taken_at"])))
        for r in await CardIssue.select(CardIssue.site, CardIssue.issued_at).where(
                CardIssue.issued_at >= since):
            self._site(r).issued.append(_when(r["issued_at"]))
        await self._patrol(since)
        for r in await RepairRequest.select(
                RepairRequest.site, RepairRequest.number, RepairRequest.unit,
                RepairRequest.area, RepairRequest.description, RepairRequest.reported_at,
                RepairRequest.state, RepairRequest.finished_at, RepairRequest.closed_at,
                RepairRequest.updated_at).where(RepairRequest.reported_at >= since):
            ended = _at(r["finished_at"]) or _at(r["closed_at"]) or (
                None if r["state"] in OPEN_STATES else _at(r["updated_at"]))
            place = units.get(str(r["unit"]), "") if r["unit"] else r["area"]
            self._site(r).requests.append(((_when(r["reported_at"]), ended),
                                           f"{r['number']} {place} {r['description'][:18]}"))
        return self

    def add_loans(self, loans: Iterable[dict[str, Any]]) -> None:
        """Loans the desk phones made (pushed with the handovers: not read back): site,
        lent, due, returned, label."""
        for r in loans:
            self.sites[str(r["site"])].loans.append(((r["lent"], r["returned"]), r["due"],
                                                     r["label"]))

    def _site(self, row: dict[str, Any]) -> SiteData:
        return self.sites[str(row["site"])]

    async def _patrol(self, since: datetime) -> None:
        routes = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
            PatrolRoute.id, PatrolRoute.name)}
        for r in await PatrolRound.select(
                PatrolRound.site, PatrolRound.route, PatrolRound.slot_at, PatrolRound.status,
                PatrolRound.finished_at).where(PatrolRound.slot_at >= since):
            self._site(r).rounds.append((r["status"], _when(r["slot_at"]),
                                         _at(r["finished_at"]), routes.get(str(r["route"]), "")))
        names = {str(c["id"]): c["name"] for c in await PatrolCheckpoint.select(
            PatrolCheckpoint.id, PatrolCheckpoint.name)}
        for r in await PatrolIncident.select(
                PatrolIncident.site, PatrolIncident.checkpoint, PatrolIncident.description,
                PatrolIncident.reported_at, PatrolIncident.status).where(
                PatrolIncident.reported_at >= since - timedelta(days=INCIDENT_DAYS)):
            reported = _when(r["reported_at"])
            until = reported + timedelta(days=INCIDENT_DAYS) if r["status"] == "closed" \
                else None
            self._site(r).incidents.append(
                ((reported, until), f"{names.get(str(r['checkpoint']), '')}：{r['description']}"))

    def of(self, site_id: str, start: datetime, end: datetime,
           visitors_inside: Sequence[str]) -> dict[str, Any]:
        """The summary of the shift ``start``..``end`` (``visitors_inside``: their labels)."""
        d = self.sites[site_id]
        out = [(due, label) for span, due, label in d.loans if _open(span, end)]
        rounds = [r for r in d.rounds if start <= r[1] < end]
        requests = [label for span, label in d.requests if start <= span[0] < end
                    and _open(span, end)]
        return {
            "keys_out": len(out),
            "keys_overdue": [{"label": label} for due, label in out if due < end],
            "cards_in_stock": d.in_stock + sum(1 for at in d.issued if at > end),
            "blacklists_pending": sum(1 for span in d.lost if _open(span, end)),
            "rounds_done": sum(1 for r in rounds if r[0] == "done" and r[2] is not None
                               and r[2] <= end),
            "rounds_missed": [{"label": f"{r[3]} {r[1].astimezone(self.zone):%H:%M}"}
                              for r in sorted(rounds, key=lambda r: r[1]) if r[0] == "missed"],
            "requests_open": [{"label": label} for label in requests[-MAX_LISTED:]],
            "incidents_open": [{"label": label} for label in dict.fromkeys(
                label for span, label in d.incidents if _open(span, end))][-MAX_LISTED:],
            "visitors_inside": [{"label": label} for label in visitors_inside],
        }
