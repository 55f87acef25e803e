"""Eight weeks of the demo estate's key loans (鑰匙借用), as the desk phones made them: a few
loans a day at each site — contractors (with the owner's consent for a key the owner
deposited), estate agents, residents' family, a guard taking the plant-room key — lent by
whoever is at the desk (:mod:`server.demo.roster`) and returned at the desk on duty then:
most in time, some late (with a note), the latest still out, a few long overdue now. A key
is never out twice, nor while a repair has it (the repairs demo's loans).

Then the keys' set pieces, through the same push path: two phones lending one key at a
shift change, one of them offline (``double_loan``, open: the key came back once, the other
loan is still out), one loan recorded on both desks' phones at a shift change (the office
voided one: resolved), one return recorded on two phones (``double_return``: resolved with a
note), and a retired key lent by a phone that did not know yet (refused: ``key_retired``,
closed with a note).

The browser tests lend the first site's first thirty keys: those are never lent here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.demo import keys_texts as t
from server.demo import roster
from server.demo.desk_history import Desk, SiteDesk, weighted
from server.demo.desk_texts import HISTORY_DAYS, HKID_CHECK, SURNAMES
from server.demo.phones import Event, Phone
from sync.context import iso

Row = dict[str, Any]
Span = tuple[datetime, datetime | None]  # out from, until (None: still out)
FIRST_FREE = "HYG-K030"  # keys of the first site up to this one are the browser tests'
LOANS_PER_DAY = (((3, 6), (1, 3)), ((2, 4), (1, 2)))  # per site: (weekday, weekend)
LATE = 0.12
OVERDUE = (3, 1)  # per site: loans long overdue now


@dataclass
class Settle:
    """What the office did about a set piece, once everything was pushed."""

    kind: str  # a conflict kind, or "rejection"
    record_id: str  # a record the conflict names (a rejection: its mutation's loan id)
    resolution: str
    note: str
    at: datetime
    by: str  # username


@dataclass
class KeyLoans:
    desk: Desk
    keys: Sequence[Row]  # id, site, code, label, category, unit (ids as text)
    busy: dict[str, list[Span]]  # key id -> when it is out (the repairs' loans)
    signatures: Sequence[str]
    loans: list[Row] = field(default_factory=list)  # site, lent, due, returned, label
    settle: list[Settle] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    # --- plumbing ---------------------------------------------------------------------------

    def free(self, key: Row, start: datetime, end: datetime | None) -> bool:
        far = self.desk.now + timedelta(days=3650)
        return all((until or far) <= start or (end or far) <= since
                   for since, until in self.busy.get(key["id"], []))

    def emit(self, at: datetime, phone: Phone, name: str, args: Row, offline: float = 0.0,
             blobs: tuple[str, ...] = (), refused: str = "", office: bool = False) -> None:
        self.events.append(Event(at.replace(microsecond=0), phone.username, name, args,
                                 offline, blobs, part="keys", refused=refused, office=office))

    def borrower(self, sd: SiteDesk, key: Row, p: t.Purpose, at: datetime) -> Row:
        rng = self.desk.rng
        people = sd.people.get(str(key["unit"]), []) if key["unit"] else []
        if p.kind == "staff":
            guard = self.desk.phones[roster.guard_at(sd.n, at, self.desk.zone)]
            return {"borrower_name": guard.name, "borrower_kind": "staff", "id_type": "none",
                    "id_last4": "", "borrower_phone": ""}
        if p.kind == "resident" and people:
            r = rng.choice(people)
            name = str(r["name"])
        else:
            firm = rng.choice(t.FIRMS.get(p.kind, t.FIRMS["contractor"]))
            name = f"{rng.choice(SURNAMES)}{rng.choice(t.TITLES)}（{firm}）"
        return {"borrower_name": name, "borrower_kind": p.kind, "id_type": "hkid",
                "id_last4": f"{rng.randrange(1000):03d}{rng.choice(HKID_CHECK)}",
                "borrower_phone": f"{rng.choice('5679')}{rng.randrange(10**7):07d}"}

    def lend(self, sd: SiteDesk, key: Row, p: t.Purpose, at: datetime, due: datetime,
             phone: Phone | None = None, offline: float = 0.0, who: Row | None = None,
             refused: str = "") -> Row:
        """``key.lend`` on the desk's phone (or ``phone``): the borrower signs on it."""
        rng = self.desk.rng
        at = at.replace(microsecond=0)
        phone = phone or self.desk.desk_at(sd, at)
        owner = next((r for r in sd.people.get(str(key["unit"]), [])
                      if r["relation"] == "owner"), None) if key["unit"] else None
        consent = t.CONSENT.format(
            name=str(owner["name"]) if owner else "陳先生",
            time=f"{(at - timedelta(minutes=rng.randint(3, 20))).astimezone(self.desk.zone):%H:%M}"
        ) if key["category"] == "owner_deposited" else ""
        signature = rng.choice(list(self.signatures))
        args = {"loan_id": self.desk.uuid7(at), "key_id": key["id"],
                **(who or self.borrower(sd, key, p, at)), "purpose": p.text,
                "approver": rng.choice(t.APPROVERS) if key["category"] in (
                    "master", "equipment_room") else "",
                "owner_consent": consent,
                "deposit": rng.choice(t.DEPOSITS) if p.kind == "contractor" and rng.random()
                < 0.3 else "", "lent_at": iso(at), "due_at": iso(due.replace(microsecond=0)),
                "signature_blob": signature}
        self.emit(at, phone, "key.lend", args, offline, (signature,), refused)
        return args

    def back(self, sd: SiteDesk, loan: Row, at: datetime, note: str = "",
             phone: Phone | None = None, offline: float = 0.0) -> None:
        """``key.return`` at the desk on duty then (or on ``phone``)."""
        at = at.replace(microsecond=0)
        self.emit(at, phone or self.desk.desk_at(sd, at), "key.return", {
            "loan_id": loan["loan_id"], "returned_by": loan["borrower_name"],
            "returned_at": iso(at), "return_notes": note, "return_photos": []}, offline)

    def record(self, sd: SiteDesk, key: Row, lent: datetime, due: datetime,
               returned: datetime | None) -> None:
        self.busy.setdefault(key["id"], []).append((lent, returned))
        self.loans.append({"site": sd.site_id, "lent": lent, "due": due, "returned": returned,
                           "label": f"{key['code']} {key['label']}"})

    # --- the eight weeks --------------------------------------------------------------------

    def build(self, setups: Sequence[SiteDesk]) -> None:
        pieces = self.pieces_keys(setups)
        # a key a repair still has: the rules would see that loan open at every lending
        held = {k for k, spans in self.busy.items() if any(u is None for _s, u in spans)}
        for sd in setups:
            self.site(sd, [k for k in self.keys if k["site"] == sd.site_id
                           and k["code"] > FIRST_FREE and k["id"] not in pieces
                           and k["id"] not in held])
        self.set_pieces(setups[0], setups[1], pieces)

    def site(self, sd: SiteDesk, keys: list[Row]) -> None:
        rng, desk = self.desk.rng, self.desk
        now = desk.now
        overdue = {desk.today - timedelta(days=1 + 2 * i) for i in range(OVERDUE[sd.n])}
        for k in range(HISTORY_DAYS):
            day = desk.first + timedelta(days=k)
            lo, hi = LOANS_PER_DAY[sd.n][day.weekday() >= 5]
            moments = sorted(desk.local(day, 9, 0) + timedelta(minutes=rng.randint(0, 570))
                             for _ in range(rng.randint(lo, hi)))
            for n, at in enumerate(moments):
                if at > now - timedelta(minutes=10):
                    break
                p: t.Purpose = weighted(rng, [(x, x.weight) for x in t.PURPOSES])
                due = at + timedelta(hours=rng.uniform(*p.hours))
                late = rng.random() < LATE
                back: datetime | None = (
                    due + timedelta(minutes=rng.uniform(20, 20 * 60)) if late else
                    at + (due - at) * rng.uniform(0.3, 0.95))
                if n == 0 and day in overdue and p.kind in ("contractor", "agent"):
                    back = None  # never came back
                elif back is not None and back > now:
                    back = None  # still out
                choices = [key for key in keys if key["category"] in p.categories
                           and self.free(key, at, back)]
                if not choices:
                    continue
                key = rng.choice(choices)
                loan = self.lend(sd, key, p, at, due)
                self.record(sd, key, at, due, back)
                if back is not None:
                    self.back(sd, loan, back, rng.choice(t.LATE_NOTES) if late
                              else rng.choice(t.RETURN_NOTES))

    # --- the set pieces ---------------------------------------------------------------------

    def pieces_keys(self, setups: Sequence[SiteDesk]) -> dict[str, Row]:
        """Keys kept for the set pieces (never lent otherwise)."""
        def pick(site: str, after: str, count: int) -> list[Row]:
            found = [k for k in sorted(self.keys, key=lambda k: k["code"])
                     if k["site"] == site and k["code"] > after
                     and k["category"] in ("vacant_unit", "show_flat") and k["id"] not in self.busy]
            return found[:count]

        return {k["id"]: k for k in [*pick(setups[0].site_id, FIRST_FREE, 3),
                                     *pick(setups[1].site_id, "", 1)]}

    def set_pieces(self, hyg: SiteDesk, jht: SiteDesk, pieces: dict[str, Row]) -> None:
        desk, phones = self.desk, self.desk.phones
        one, two, retired, other = pieces.values()
        repair = t.PURPOSES[1]
        # on the day desk's day off, the supervisor at the desk lends a key offline just
        # before the shift change, the night desk the same key just after: the contractor
        # brings it back, the agent's loan stays out (the office has not decided yet)
        day = desk.today - timedelta(days=3)
        at, later = desk.local(day, 19, 40), desk.local(day, 20, 10)
        first = self.lend(hyg, one, repair, at, at + timedelta(hours=3), phones["office"], 40,
                          self.named(t.DOUBLE_CONTRACTOR, "contractor"))
        self.lend(hyg, one, t.PURPOSES[4], later, later + timedelta(hours=1),
                  phones["hyg-desk-night"], 0, self.named(t.DOUBLE_AGENT, "agent"))
        self.back(hyg, first, desk.local(day, 21, 30))
        self.record(hyg, one, at, at + timedelta(hours=3), desk.local(day, 21, 30))
        self.record(hyg, one, later, later + timedelta(hours=1), None)
        # one loan recorded on the day desk's phone (offline) and the night desk's at the
        # shift change; the office voids the night desk's
        day = desk.today - timedelta(days=12)
        at, due = desk.local(day, 19, 50), desk.local(day + timedelta(days=1), 12)
        who = self.named(t.DUPLICATE_BORROWER, "contractor")
        kept = self.lend(jht, other, t.PURPOSES[2], at, due, phones["jht-desk"], 30, who)
        again = self.lend(jht, other, t.PURPOSES[2], desk.local(day, 20, 5), due,
                          phones["jht-desk-night"], 0, who)
        voided = desk.local(day + timedelta(days=1), 10)
        self.emit(voided, phones["admin"], "key.void_loan",
                  {"loan_id": again["loan_id"], "reason": t.DUPLICATE_VOID}, office=True)
        self.settle.append(Settle("double_loan", again["loan_id"], "voided_loan",
                                  t.DUPLICATE_VOID, voided, "admin"))
        back = desk.local(day + timedelta(days=1), 9, 30)
        self.back(jht, kept, back)
        self.record(jht, other, at, due, back)
        # one return recorded at the desk (offline) and again by the supervisor
        day = desk.today - timedelta(days=9)
        at = desk.local(day, 13)
        loan = self.lend(hyg, two, t.PURPOSES[3], at, at + timedelta(hours=3))
        self.back(hyg, loan, desk.local(day, 15, 30), phone=phones["desk"], offline=50)
        self.back(hyg, loan, desk.local(day, 15, 45), phone=phones["office"])
        self.settle.append(Settle("double_return", loan["loan_id"], "resolved_with_note",
                                  t.DOUBLE_RETURN_NOTE,
                                  desk.local(day + timedelta(days=1), 9, 40), "office"))
        self.record(hyg, two, at, at + timedelta(hours=3), desk.local(day, 15, 30))
        # the office retires a key; a desk phone offline lends it: refused
        day = desk.today - timedelta(days=6)
        self.emit(desk.local(day, 10), phones["office"], "key.update", {
            "key_id": retired["id"], "fields": {"retired": True, "notes": t.RETIRED_NOTE}},
            office=True)
        at = desk.local(day, 10, 15)
        refused = self.lend(hyg, retired, repair, at, at + timedelta(hours=2), phones["desk"],
                            25, refused="key_retired")
        self.settle.append(Settle("rejection", refused["loan_id"], "", t.RETIRED_REJECTION_NOTE,
                                  desk.local(day, 11, 5), "office"))

    def named(self, name: str, kind: str) -> Row:
        rng = self.desk.rng
        return {"borrower_name": name, "borrower_kind": kind, "id_type": "hkid",
                "id_last4": f"{rng.randrange(1000):03d}{rng.choice(HKID_CHECK)}",
                "borrower_phone": f"{rng.choice('569')}{rng.randrange(10**7):07d}"}
