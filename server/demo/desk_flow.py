"""The demo desk's goods-out passes, their gate checks and the shift handovers (the steps
after the visitor register of :class:`server.demo.desk_history.Desk`), and :meth:`build`, the
whole eight weeks in order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.demo import roster
from server.demo.desk_history import Desk, Row, SiteDesk
from server.demo.desk_texts import (
    GOODS,
    HAND_CARRIED,
    HISTORY_DAYS,
    MISMATCH_GOODS,
    MISMATCH_NOTE,
    NOTES,
    NOTES_SHARE,
    PASS_BASES,
    PASSES_PER_WEEK,
    PLATE_LETTERS,
    REISSUED_GOODS,
    SHIFT_HOURS,
)
from sync.context import iso
from sync.domains.desk import passcode

Goods = tuple[tuple[str, ...], int]


class DeskFlow(Desk):
    def build(self, setups: list[SiteDesk]) -> None:
        self.keys()
        for sd in setups:
            self.visitors(sd)
            if sd.n == 0:
                self.signed_out_twice(sd)
            self.goods_out(sd)
            self.handover(sd)
        order = {id(e): n for n, e in enumerate(self.events)}
        self.events.sort(key=lambda e: (e.at, order[id(e)]))

    def signed_out_twice(self, sd: SiteDesk) -> None:
        """A visitor the desk signed out four days ago, signed out again at the gate by the
        guard, whose phone was offline (``signed_out_twice``: the office settles it)."""
        day = self.today - timedelta(days=4)
        start, end = self.local(day, 10), self.local(day, 18)
        r = next(r for r in sd.visitors if start <= r["time_in"] and r["time_out"] is not None
                 and r["time_out"] < end and r["out_by"] != roster.guard_at(sd.n, end, self.zone))
        at = (r["time_out"] + timedelta(minutes=self.rng.uniform(2, 6))).replace(microsecond=0)
        guard = self.guard_at(sd, at)
        assert guard is not None
        self.emit(at, guard, "visitor.sign_out", {"visitor_id": r["visitor_id"],
                                                  "time_out": iso(at)}, offline=35)

    # --- goods-out passes -------------------------------------------------------------------

    def goods_out(self, sd: SiteDesk) -> None:
        """A few passes a week, each checked at the gate; at the first site the refused one
        (and its pass issued again) and the one let out at two gates."""
        rng, now = self.rng, self.now
        for week in range(HISTORY_DAYS // 7):
            lo, hi = PASSES_PER_WEEK[sd.n]
            for d in rng.sample(range(7), rng.randint(lo, hi)):
                day = self.first + timedelta(days=7 * week + d)
                issued = self.moment(day, rng.randint(9, 18))
                if issued < now - timedelta(minutes=30):
                    self.check(sd, self.issue(sd, issued))
        if sd.n:
            return
        issued = self.moment(self.today - timedelta(days=10), 14)
        first = self.issue(sd, issued, MISMATCH_GOODS, "owner_present")
        checked = issued + timedelta(minutes=rng.uniform(25, 45))
        self.check(sd, first, checked, outcome="mismatch", note=MISMATCH_NOTE)
        again = self.issue(sd, checked + timedelta(minutes=rng.uniform(15, 25)),
                           REISSUED_GOODS, "phone", unit=first["unit_id"], plate=first["plate"])
        self.check(sd, again, again["at"] + timedelta(minutes=rng.uniform(8, 15)))
        # let out at the main gate, then at the car park's, both phones offline
        day = self.today - timedelta(days=5)
        twice = self.issue(sd, self.local(day, 18, 30), GOODS[12], "written")
        self.check(sd, twice, self.local(day, 19, 35), offline=45)
        self.check(sd, twice, self.local(day, 20, 25), offline=25, note="經停車場車閘放行")

    def issue(self, sd: SiteDesk, at: datetime, goods: Goods | None = None,
              basis: str = "", unit: str = "", plate: str | None = None) -> Row:
        """``pass.issue`` on the desk's phone: the QR code signed with its key."""
        rng = self.rng
        owners = [u for u, people in sd.people.items()
                  if any(p["relation"] == "owner" for p in people)]
        unit = unit or rng.choice(owners)
        owner = next(p for p in sd.people[unit] if p["relation"] == "owner")
        items, count = goods or rng.choice(GOODS)
        basis = basis or PASS_BASES[len(self.passes) % len(PASS_BASES)]
        desk = self.desk_at(sd, at)
        key_id, private = desk.keys[sd.site_id]
        pass_id = self.uuid7(at)
        local = at.astimezone(self.zone)
        number = f"G{local:%y%m%d}-{pass_id[-4:].upper()}"
        valid = (self.local(local.date(), 23, 59) if rng.random() < 0.85 else
                 self.local(local.date() + timedelta(days=1), 18))
        if plate is None:
            plate = "" if rng.random() < HAND_CARRIED else (
                f"{rng.choice(PLATE_LETTERS)}{rng.choice(PLATE_LETTERS)} "
                f"{rng.randint(1, 9999)}")
        content = {"id": pass_id, "n": number, "s": sd.site_id, "u": unit, "it": list(items),
                   "c": count, "p": plate, "b": basis, "vu": iso(valid), "ia": iso(at),
                   "k": key_id}
        phoned = at - timedelta(minutes=rng.uniform(3, 12))
        args: dict[str, Any] = {
            "pass_id": pass_id, "site_id": sd.site_id, "number": number, "unit_id": unit,
            "items": list(items), "item_count": count, "plate": plate,
            "valid_until": iso(valid), "basis": basis, "owner_name": owner["name"],
            "authorisation_photo": self.letter if basis == "written" else "",
            "phoned_number": owner["phone"] if basis == "phone" else "",
            "phoned_at": iso(phoned.replace(microsecond=0)) if basis == "phone" else None,
            "issued_at": iso(at), "key_id": key_id, "code": passcode.sign(content, private)}
        self.emit(at, desk, "pass.issue", args,
                  blobs=(self.letter,) if basis == "written" else ())
        row = {**args, "at": at, "valid": valid}
        self.passes.append(row)
        return row

    def check(self, sd: SiteDesk, p: Row, at: datetime | None = None, outcome: str = "passed",
              note: str = "", offline: float = 0.0) -> None:
        """``pass.check`` on the gate guard's phone, a while after the pass was issued."""
        at = (at or p["at"] + timedelta(minutes=self.rng.uniform(10, 120))).replace(
            microsecond=0)
        if at > min(p["valid"], self.now):
            return  # not taken out yet
        guard = self.guard_at(sd, at)
        if guard is None:
            return  # on the quiet phone: not known yet
        args = {"check_id": self.uuid7(at), "site_id": sd.site_id, "pass_id": p["pass_id"],
                "number": p["number"], "code": p["code"], "verdict": "valid",
                "outcome": outcome, "photos": [], "note": note, "checked_at": iso(at)}
        self.emit(at, guard, "pass.check", args, offline=offline)
        self.checks.append(args)

    # --- handovers --------------------------------------------------------------------------

    def handover(self, sd: SiteDesk) -> None:
        """At every shift change: drafted and signed by the outgoing desk, signed by the
        incoming one on the same phone or their own — the latest still waiting."""
        rng = self.rng
        ends = [at for k in range(HISTORY_DAYS) for h in SHIFT_HOURS
                if (at := self.local(self.first + timedelta(days=k), h)) <= self.now]
        for end in ends:
            outgoing = self.desk_at(sd, end - timedelta(minutes=1))
            incoming = self.desk_at(sd, end + timedelta(minutes=1))
            drafted = (end - timedelta(minutes=rng.uniform(4, 15))).replace(microsecond=0)
            start = end - timedelta(hours=12)
            notes = ""
            if rng.random() < NOTES_SHARE:
                notes = rng.choice(NOTES).format(block=rng.choice(sd.blocks),
                                                 unit=rng.choice(list(sd.units.values())))
            handover_id = self.uuid7(drafted)
            self.emit(drafted, outgoing, "handover.draft", {
                "handover_id": handover_id, "site_id": sd.site_id,
                "shift_start": iso(start), "shift_end": iso(end),
                "summary": self.summaries.of(sd.site_id, start, drafted,
                                             self.inside(sd, drafted)),
                "notes": notes, "outgoing_name": outgoing.name,
                "outgoing_signature": outgoing.signature, "drafted_at": iso(drafted)},
                blobs=(outgoing.signature,))
            self.handovers += 1
            if end == ends[-1]:
                return  # the latest: waiting for the incoming desk
            received = (drafted + timedelta(minutes=rng.uniform(2, 9))).replace(microsecond=0)
            own = rng.random() < 0.5
            self.emit(received, incoming if own else outgoing, "handover.receive", {
                "handover_id": handover_id, "incoming_name": incoming.name,
                "incoming_signature": incoming.signature, "received_at": iso(received),
                "own_phone": own}, blobs=(incoming.signature,))
