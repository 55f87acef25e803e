"""The set pieces that give the office's console something to decide, made by two phones
that were offline at once and pushed through the same path as everything else (the keys'
are in :mod:`server.demo.keys_history`, the desk's in :mod:`server.demo.desk_flow`):

* patrol — the car-park round of three days ago, walked by the night guard as their shift
  ended and finished again from the day guard's phone (``double_finish``, open); the day
  guard typed a code that no checkpoint has (refused: ``unknown_tag``);
* cards — a unit one card short of its quota handed a card at the desk and another at the
  office the same morning (``quota_exceeded``, open); a card the resident's family reported
  lost to the office while the resident brought it back to the desk, whose phone was offline
  (refused: ``issue_ended``; the door system took the card);
* repairs — a request the office closed while the plumber was at work in the flat
  (``closed_while_working``, open); an appointment set on a phone for a request the office
  had just closed (refused: ``request_closed``); a complaint's follow-up call recorded on two
  phones (``double_follow_up``, resolved with a note), the first rating C: the request is
  open again, the technician booked once more.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.cards.tables import Card, CardIssue, CardPolicy, CardQuota
from server.demo import cards_history, repairs_texts
from server.demo.desk_history import Desk, SiteDesk
from server.demo.keys_history import Settle
from server.demo.patrol_history import answers
from server.demo.phones import Event, Phone
from server.patrol.tables import PatrolChecklist, PatrolCheckpoint, PatrolRound, PatrolRoute
from server.repairs.tables import RepairVisit
from sync.context import iso
from sync.domains.repairs.common import request_number

Row = dict[str, Any]
WRONG_CODE = "HYG-CPB3"  # typed at the car park: there is no third basement
CLOSED_NOTE = "住戶來電表示已自行找師傅維修，取消報修"
MERGED_NOTE = "重複報修，已併入同一座的另一張維修單"
FOLLOW_UP_NOTE = "前台及主管各記了同一次回訪，以先收到的一次（C）為準，已安排師傅再上門。"
UNSATISFIED_NOTE = "住戶表示抽氣扇仍有異聲，要求再檢查"
LOST_BY = "住戶太太來電"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass
class Pieces:
    desk: Desk  # the clock, the phones and their ids
    sites: list[SiteDesk]
    events: list[Event] = field(default_factory=list)
    settle: list[Settle] = field(default_factory=list)

    def emit(self, at: datetime, phone: Phone, name: str, args: Row, offline: float = 0.0,
             blobs: tuple[str, ...] = (), refused: str = "", office: bool = False) -> None:
        self.events.append(Event(at.replace(microsecond=0), phone.username, name, args,
                                 offline, blobs, part="console", refused=refused,
                                 office=office))

    async def build(self) -> None:
        await self.double_finish()
        await self.cards()
        await self.repairs()

    # --- patrol ------------------------------------------------------------------------------

    async def double_finish(self) -> None:
        d, phones = self.desk, self.desk.phones
        hyg = self.sites[0].site_id
        rounds = await PatrolRound.select().where(
            (PatrolRound.site == hyg) & (PatrolRound.status == "planned")
            & (PatrolRound.slot_at < d.now - timedelta(days=1)))
        assert len(rounds) == 1, "the patrol history leaves one round for the phones"
        rnd = rounds[0]
        route = await PatrolRoute.select().where(PatrolRoute.id == rnd["route"]).first()
        assert route is not None
        ids = [str(i) for i in _json(route["checkpoint_ids"])]
        cps = {str(c["id"]): c for c in await PatrolCheckpoint.select().where(
            PatrolCheckpoint.id.is_in(ids))}
        lists = {str(c["id"]): _json(c["items"]) for c in await PatrolChecklist.select(
            PatrolChecklist.id, PatrolChecklist.items)}
        round_id, slot = str(rnd["id"]), rnd["slot_at"]
        slot = slot if isinstance(slot, datetime) else datetime.fromisoformat(slot)
        night, day = phones["hyg-night"], phones["guard"]
        start = (slot + timedelta(minutes=d.rng.uniform(2, 8))).replace(microsecond=0)
        visits = [start]
        for _cp in ids:
            visits.append((visits[-1] + timedelta(minutes=d.rng.uniform(5, 8))).replace(
                microsecond=0))
        visits = visits[1:]
        finished = visits[-1] + timedelta(minutes=2)
        # offline in the car park until back in the guard room after the shift ended
        back = max(d.local(slot.astimezone(d.zone).date(), 8, 20), finished)
        offline = (back - start).total_seconds() / 60
        self.emit(start, night, "round.start", {"round_id": round_id, "at": iso(start)},
                  offline=offline)
        for cp, at in zip(ids, visits, strict=True):
            self.scan(night, round_id, cps[cp], lists, at, offline)
        self.emit(finished, night, "round.finish", {"round_id": round_id,
                                                    "at": iso(finished)}, offline=offline)
        # the day guard, just on shift, saw the round still open on the phone
        at = d.local(slot.astimezone(d.zone).date(), 8, 2)
        for cp in ids[:2]:
            self.scan(day, round_id, cps[cp], lists, at, offline=38)
            at = (at + timedelta(minutes=d.rng.uniform(4, 7))).replace(microsecond=0)
        self.emit(at, day, "scan.record", {
            "scan_id": d.uuid7(at), "round_id": round_id, "method": "typed",
            "token": WRONG_CODE, "scanned_at": iso(at)}, refused="unknown_tag")
        at += timedelta(minutes=6)
        self.emit(at, day, "round.finish", {"round_id": round_id, "at": iso(at)})

    def scan(self, phone: Phone, round_id: str, cp: Row, lists: dict[str, Any], at: datetime,
             offline: float) -> None:
        at = at.replace(microsecond=0)
        items = lists.get(str(cp["checklist"])) or []
        self.emit(at, phone, "scan.record", {
            "scan_id": self.desk.uuid7(at), "round_id": round_id, "method": "qr",
            "token": cp["token"], "scanned_at": iso(at),
            "answers": answers(self.desk.rng, items)}, offline=offline)

    # --- cards -------------------------------------------------------------------------------

    async def cards(self) -> None:
        d, phones = self.desk, self.desk.phones
        sd = self.sites[0]
        policy = await CardPolicy.select().where(CardPolicy.site == sd.site_id).first()
        assert policy is not None
        issues = [i for i in await CardIssue.select().where(
            (CardIssue.site == sd.site_id) & CardIssue.ended_at.is_null())]
        held = Counter(str(i["unit"]) for i in issues)
        stock = await Card.select(Card.id, Card.number, Card.technology).where(
            (Card.site == sd.site_id) & (Card.status == "in_stock")
            & Card.registered.eq(True)).order_by(Card.number, ascending=False).limit(2)
        own = {str(q["unit"]) for q in await CardQuota.select(CardQuota.unit)}
        unit = next(u for u in sorted(sd.people) if held[u] == policy["quota"] - 1
                    and len(sd.people[u]) >= 2 and u not in own)
        day = d.today - timedelta(days=1)
        for n, (card, phone, at) in enumerate(zip(stock, (phones["desk"], phones["office"]), (
                d.local(day, 10, 40), d.local(day, 11, 5)), strict=True)):
            resident = sd.people[unit][n]
            signature = phone.signature or cards_history.images()[0][0]
            self.emit(at, phone, "card.issue", {
                "issue_id": d.uuid7(at), "card_id": str(card["id"]), "site_id": sd.site_id,
                "number": card["number"], "technology": card["technology"], "unit_id": unit,
                "resident_id": str(resident["id"]), "holder_name": resident["name"],
                "relation": "household" if resident["relation"] == "proxy"
                else resident["relation"], "id_type": "none", "id_last4": "",
                "scope": [f"LOBBY-{sd.units[unit].split('-')[0]}", "CLUB", "PODIUM"],
                "fee": policy["fee"], "deposit": policy["deposit"],
                "receipt_no": f"HYG-R{at:%y}9{n + 1:04d}", "issued_at": iso(at),
                "valid_until": iso(at + timedelta(days=policy["validity_days"])),
                "signature_blob": signature}, offline=50, blobs=(signature,))
        # reported lost to the office; brought back to the desk, whose phone was offline
        settled = d.now - timedelta(days=30)  # held a while, not expiring soon
        taken = next(i for i in sorted(issues, key=lambda i: str(i["id"]))
                     if str(i["unit"]) != unit and i["relation"] == "owner"
                     and str(i["unit"]) in sd.people and _at(i["issued_at"]) < settled
                     and _at(i["valid_until"]) > d.now + timedelta(days=90))
        day = d.today - timedelta(days=5)
        lost, issue = str(taken["card"]), str(taken["id"])
        self.emit(d.local(day, 16), phones["office"], "card.report_lost", {
            "card_id": lost, "issue_id": issue, "reported_at": iso(d.local(day, 16)),
            "reported_by": LOST_BY, "notes": "住戶在家中找不到門卡"}, office=True)
        self.emit(d.local(day, 16, 12), phones["desk"], "card.return", {
            "card_id": lost, "issue_id": issue, "returned_at": iso(d.local(day, 16, 12)),
            "deposit_refunded": policy["deposit"], "notes": "住戶交還門卡"},
            offline=30, refused="issue_ended")
        self.emit(d.local(day, 16, 50), phones["office"], "card.door_taken", {
            "card_id": lost, "taken_at": iso(d.local(day, 16, 48))}, office=True)

    # --- repairs -----------------------------------------------------------------------------

    async def repairs(self) -> None:
        d, phones = self.desk, self.desk.phones
        sd = self.sites[0]
        plumber, desk, office = phones["hyg-plumber"], phones["desk"], phones["office"]
        day = d.today - timedelta(days=1)
        hour = await self.free_hour(plumber.staff_id, day)
        unit = sorted(sd.people)[len(sd.people) // 3]
        job = repairs_texts.JOBS[3]
        req = self.report(sd, desk, d.local(day, 9, 10), unit, job.ask, "water")
        self.emit(d.local(day, 9, 25), desk, "repair.assign", {
            "request_id": req, "assignee_id": plumber.staff_id,
            "assigned_at": iso(d.local(day, 9, 25)),
            "appointment_at": iso(d.local(day, hour))})
        arrived = d.local(day, hour, 5)
        visit = d.uuid7(arrived)
        self.emit(arrived, plumber, "repair.start_visit", {
            "visit_id": visit, "request_id": req, "basis": "appointment",
            "arrived_at": iso(arrived), "resident_present": True, "resident_consent": True,
            "uniform_badge": True, "shoe_covers": True, "floor_protection": True},
            offline=55)
        self.emit(d.local(day, hour, 20), office, "repair.close", {
            "request_id": req, "reason": CLOSED_NOTE, "closed_at": iso(d.local(day, hour, 20))},
            office=True)
        self.emit(d.local(day, hour, 40), plumber, "repair.update_visit", {
            "visit_id": visit, "fields": {"found": job.found, "work_done": job.work,
                                          "clean_up": True}})
        left = d.local(day, hour, 50)
        sign = repairs_texts.images()["sign4"][0]
        self.emit(left, plumber, "repair.close_visit", {
            "visit_id": visit, "request_id": req, "site_id": sd.site_id, "left_at": iso(left),
            "outcome": "done", "signature_blob": sign, "satisfaction": 4},
            blobs=(sign,))
        # an appointment set on the desk's phone for a request the office had just closed
        day = d.today - timedelta(days=4)
        other = sorted(sd.people)[len(sd.people) // 2]
        req = self.report(sd, desk, d.local(day, 9, 30), other,
                          repairs_texts.JOBS[7].ask, repairs_texts.JOBS[7].category)
        self.emit(d.local(day, 11), office, "repair.close", {
            "request_id": req, "reason": MERGED_NOTE, "closed_at": iso(d.local(day, 11))},
            office=True)
        self.emit(d.local(day, 11, 5), desk, "repair.assign", {
            "request_id": req, "assignee_id": phones["hyg-electric"].staff_id,
            "assigned_at": iso(d.local(day, 11, 5)),
            "appointment_at": iso(d.local(day + timedelta(days=1), 15))},
            offline=25, refused="request_closed")
        await self.follow_up_twice(sd)

    def report(self, sd: SiteDesk, phone: Phone, at: datetime, unit: str, ask: str,
               category: str, complaint: bool = False) -> str:
        """``repair.report`` at the desk: a resident's call."""
        d = self.desk
        request_id = d.uuid7(at)
        resident = sd.people[unit][0]
        self.emit(at, phone, "repair.report", {
            "request_id": request_id, "site_id": sd.site_id,
            "number": request_number(request_id, iso(at), d.zone), "category": category,
            "urgency": "normal", "description": ask, "source": "desk", "reported_at": iso(at),
            "complaint": complaint,
            "unit_id": unit, "contact_name": resident["name"],
            "contact_phone": resident["phone"], "contact_pref": "call_first"})
        return request_id

    async def free_hour(self, staff_id: str, day: Any) -> int:
        """A morning or afternoon hour at which the technician had no other visit."""
        d = self.desk
        visits = await RepairVisit.select(RepairVisit.arrived_at, RepairVisit.left_at).where(
            (RepairVisit.technician == staff_id) & (RepairVisit.arrived_at >= d.local(day, 0))
            & (RepairVisit.arrived_at < d.local(day + timedelta(days=1), 0)))

        def busy(hour: int) -> bool:
            start, end = d.local(day, hour) - timedelta(minutes=30), d.local(day, hour + 2)
            return any(_at(v["arrived_at"]) < end and (_maybe(v["left_at"]) or end) > start
                       for v in visits)

        return next((h for h in (14, 10, 15, 11, 16) if not busy(h)), 13)

    async def follow_up_twice(self, sd: SiteDesk) -> None:
        """A resident's complaint, repaired the day before yesterday; its follow-up call
        (a complaint's always) recorded yesterday on the desk's and the supervisor's phones,
        both offline."""
        d, phones = self.desk, self.desk.phones
        tech, desk, office = phones["hyg-electric"], phones["desk"], phones["office"]
        day = d.today - timedelta(days=2)
        hour = await self.free_hour(tech.staff_id, day)
        unit = sorted(sd.people)[len(sd.people) // 4]
        job = repairs_texts.JOBS[8]
        req = self.report(sd, desk, d.local(day, 9, 40), unit, job.ask, job.category,
                          complaint=True)
        self.emit(d.local(day, 9, 50), desk, "repair.assign", {
            "request_id": req, "assignee_id": tech.staff_id,
            "assigned_at": iso(d.local(day, 9, 50)), "appointment_at": iso(d.local(day, hour))})
        arrived, left = d.local(day, hour, 3), d.local(day, hour, 48)
        visit, fu = d.uuid7(arrived), d.uuid7(left)
        sign = repairs_texts.images()["sign2"][0]
        self.emit(arrived, tech, "repair.start_visit", {
            "visit_id": visit, "request_id": req, "basis": "appointment",
            "arrived_at": iso(arrived), "resident_present": True, "resident_consent": True,
            "uniform_badge": True, "shoe_covers": True, "floor_protection": True})
        self.emit(left, tech, "repair.close_visit", {
            "visit_id": visit, "request_id": req, "site_id": sd.site_id, "left_at": iso(left),
            "outcome": "done", "signature_blob": sign, "satisfaction": 3,
            "follow_up_id": fu}, blobs=(sign,))
        at = d.local(day + timedelta(days=1), 10, 30)
        for phone, when, rating, note in (
                (desk, at, "C", UNSATISFIED_NOTE),
                (office, at + timedelta(minutes=15), "B", "住戶表示大致滿意")):
            self.emit(when, phone, "repair.follow_up", {
                "follow_up_id": fu, "method": "call", "reached": True, "rating": rating,
                "notes": note, "done_at": iso(when)}, offline=40)
        # rated C: the request is open again; the desk books the technician once more
        again = d.local(day + timedelta(days=1), 11, 30)
        self.emit(again, desk, "repair.assign", {
            "request_id": req, "assignee_id": tech.staff_id, "assigned_at": iso(again),
            "appointment_at": iso(d.local(d.today + timedelta(days=1), 11))})
        self.settle.append(Settle("double_follow_up", fu, "resolved_with_note", FOLLOW_UP_NOTE,
                                  d.local(day + timedelta(days=1), 15, 30), "office"))


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _maybe(value: Any) -> datetime | None:
    return None if value is None else _at(value)
