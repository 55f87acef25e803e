"""Eight weeks of the demo estate's front-desk logs as the phones made them, each a mutation at
its device time by the phone of whoever was on duty (:mod:`server.demo.roster`: the day desk
08:00–20:00 — the supervisor on the day desk's day off at 海悅花園 — and the night desk; the
gate's guards; what the quiet phone's guard did since it last synced is not here: the
desk signs those visitors out, and the passes they let out look not yet taken out):

* each desk phone's device key, registered the day before;
* the visitor register: a few to fifteen a day, confirmed by a resident of the unit or by
  phone, signed out at the desk (now and then at the gate) before the cut-off hour — except
  one who stayed past it and one never signed out (an open exception for the office, handed
  over from shift to shift); today, some still inside;
* goods-out passes, a few a week, on each basis the manual allows, their QR codes signed with
  the issuing phone's key, checked and let out at the gate — one refused (the goods did not
  match; a pass for all of them issued again), one let out at two gates while both guards'
  phones were offline (``pass_used_twice``);
* a handover at every shift change, drafted from the data (:mod:`server.demo.desk_summary`)
  and signed by both, except the latest, waiting to be received.

Deterministic for a seed and a clock, save the keys and their signatures (ECDSA)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.demo import roster
from server.demo.desk_summary import Summaries
from server.demo.desk_texts import (
    BADGES,
    COURIERS,
    FOOD,
    GIVEN,
    HISTORY_DAYS,
    HKID_CHECK,
    HOURS,
    ID_TYPES,
    LATE_VISIT,
    PURPOSES,
    SURNAMES,
    TITLES,
    VISITORS,
    Purpose,
)
from server.demo.phones import Event, Phone
from server.desk import cutoff
from sync.context import iso
from sync.domains.desk import passcode

Row = dict[str, Any]
GATE_SIGN_OUT = 0.1  # visitors signed out by the guard at the gate


@dataclass
class SiteDesk:
    n: int  # the site's index
    site_id: str
    units: dict[str, str]  # unit id -> number (units with residents)
    people: dict[str, list[Row]]  # unit id -> its residents now (id, name, phone, relation)
    blocks: list[str]
    visitors: list[Row] = field(default_factory=list)


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


class Desk:
    """The demo desk's phones' mutations (:attr:`events`), built step by step."""

    def __init__(self, rng: random.Random, now: datetime, zone: ZoneInfo,
                 phones: dict[str, Phone], summaries: Summaries, letter: str) -> None:
        self.rng, self.now, self.zone, self.phones = rng, now, zone, phones
        self.summaries, self.letter = summaries, letter
        self.today = now.astimezone(zone).date()
        self.first = self.today - timedelta(days=HISTORY_DAYS - 1)
        self.off_day = roster.off_day(self.today)  # the day desk's day off
        self.quiet: tuple[str, datetime] | None = roster.quiet_phone(now, zone)
        self.cutoff = cutoff.hour()  # visitors inside later are the office's exceptions
        self.hours = [h for h in HOURS if h[0] < self.cutoff.hour] or list(HOURS)
        self.events: list[Event] = []
        self.passes: list[Row] = []
        self.checks: list[Row] = []
        self.handovers = 0

    # --- plumbing -------------------------------------------------------------------------

    def local(self, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, second,
                        tzinfo=self.zone).astimezone(UTC)

    def uuid7(self, at: datetime) -> str:
        """A time-ordered id, as the phone makes them (``web/static/app/ids.js``)."""
        ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
        rng = self.rng
        return str(uuid.UUID(int=(ms << 80) | (7 << 76) | (rng.getrandbits(12) << 64)
                             | (2 << 62) | rng.getrandbits(62)))

    def emit(self, at: datetime, phone: Phone, name: str, args: dict[str, Any],
             offline: float = 0.0, blobs: tuple[str, ...] = ()) -> None:
        self.events.append(Event(at, phone.username, name, args, offline, blobs))

    def desk_at(self, sd: SiteDesk, at: datetime) -> Phone:
        """Who is at the desk at ``at``: the day desk (their relief on their day off), else
        the night desk."""
        return self.phones[roster.desk_at(sd.n, at, self.zone, self.off_day)]

    def guard_at(self, sd: SiteDesk, at: datetime) -> Phone | None:
        """The gate guard on duty at ``at`` — None when that is the quiet phone's guard and
        their phone has not pushed since (what they did is not known yet)."""
        guard = roster.guard_at(sd.n, at, self.zone)
        if self.quiet is not None and guard == self.quiet[0] and at > self.quiet[1]:
            return None
        return self.phones[guard]

    def cutoff_of(self, day: date) -> datetime:
        return self.local(day, self.cutoff.hour, self.cutoff.minute)

    def moment(self, day: date, hour: int) -> datetime:
        return self.local(day, hour, self.rng.randint(0, 59), self.rng.randint(0, 59))

    # --- device keys ------------------------------------------------------------------------

    def keys(self) -> None:
        """Each desk phone registers its key for each of its sites, the day before."""
        day = self.first - timedelta(days=1)
        for phone in self.phones.values():
            for site_id, (key_id, private) in phone.keys.items():
                at = self.moment(day, self.rng.randint(7, 19))
                self.emit(at, phone, "desk.register_key", {
                    "key_id": key_id, "site_id": site_id, "registered_at": iso(at),
                    "public_key": passcode.public_text(private.public_key()),
                    "holder": phone.name})

    # --- visitors -------------------------------------------------------------------------

    def visitors(self, sd: SiteDesk) -> None:
        rng = self.rng
        rows: list[Row] = []
        for k in range(HISTORY_DAYS):
            day = self.first + timedelta(days=k)
            lo, hi = VISITORS[sd.n][day.weekday() >= 5]
            for _ in range(rng.randint(lo, hi)):
                rows.append(self.visitor(sd, self.moment(day, weighted(rng, self.hours))))
        purpose, before = LATE_VISIT
        if sd.n == 0:  # never signed out: still "inside" three days later
            came = self.cutoff_of(self.today - timedelta(days=3)) - timedelta(minutes=before)
            rows.append({**self.visitor(sd, came, purpose), "time_out": None})
        else:  # signed out past the cut-off
            cut = self.cutoff_of(self.today - timedelta(days=9))
            came = cut - timedelta(minutes=before + 25)
            rows.append({**self.visitor(sd, came, purpose),
                         "time_out": cut + timedelta(minutes=35)})
        rows = [r for r in rows if r["time_in"] <= self.now - timedelta(minutes=2)]
        start = self.local(self.today, 0)
        inside = [r for r in rows if r["time_in"] >= start
                  and (r["time_out"] is None or r["time_out"] > self.now)]
        for _ in range((2 if sd.n == 0 else 1) - len(inside)):
            at = max(start, self.now - timedelta(minutes=rng.uniform(3, 150)))
            rows.append({**self.visitor(sd, at.replace(microsecond=0), "探訪親友"),
                         "time_out": None})
        for r in rows:
            if r["time_out"] is not None and r["time_out"] > self.now:
                r["time_out"] = None  # still inside
        rows.sort(key=lambda r: r["time_in"])
        self._badges(sd, rows)
        sd.visitors = rows
        for r in rows:
            self._sign_in_out(sd, r)

    def visitor(self, sd: SiteDesk, at: datetime, purpose: str = "") -> Row:
        """A visitor signed in at ``at``: who, for which unit, confirmed how, until when."""
        rng = self.rng
        p: Purpose = next((x for x in PURPOSES if x.text == purpose), None) or weighted(
            rng, [(x, x.weight) for x in PURPOSES])
        unit = rng.choice(list(sd.units))
        surname = rng.choice(SURNAMES)
        if p.courier:
            company = rng.choice(FOOD if p.text == "送外賣" else COURIERS)
            name = f"{surname}{rng.choice(TITLES)}（{company}）"
        else:
            name = surname + rng.choice(GIVEN)
        id_type = weighted(rng, ID_TYPES)
        last4 = (f"{rng.randrange(1000):03d}{rng.choice(HKID_CHECK)}" if id_type == "hkid"
                 else f"{rng.randrange(10000):04d}")
        mobile = (f"+86 13{rng.randrange(10**9):09d}" if id_type == "mainland"
                  else f"{rng.choice('569')}{rng.randrange(10**7):07d}")
        residents = sd.people[unit]
        by_phone = rng.random() < p.by_phone
        resident = rng.choice(residents)
        cut = self.cutoff_of(at.astimezone(self.zone).date())
        out = at + timedelta(minutes=rng.uniform(*p.minutes))
        if out >= cut - timedelta(minutes=5):
            out = max(cut - timedelta(minutes=rng.uniform(5, 25)), at + timedelta(minutes=3))
        out = out.replace(microsecond=0)
        return {"visitor_id": self.uuid7(at), "site_id": sd.site_id, "unit_id": unit,
                "name": name, "id_type": id_type, "id_last4": last4,
                "phone": mobile if rng.random() < 0.85 else "",
                "confirmed_by": "phone" if by_phone else "resident",
                "resident_id": None if by_phone else str(resident["id"]),
                "called_number": str(resident["phone"]) if by_phone else "",
                "purpose": p.text, "time_in": at, "time_out": out,
                "label": f"{name}（{sd.units[unit]}）"}

    def _badges(self, sd: SiteDesk, rows: list[Row]) -> None:
        """The lowest free visitor badge at each sign-in (returned at the sign-out)."""
        held: list[tuple[datetime | None, int]] = []
        for r in rows:
            held = [(out, b) for out, b in held if out is None or out > r["time_in"]]
            taken = {b for _out, b in held}
            badge = next(b for b in range(1, 100) if b not in taken)
            held.append((r["time_out"], badge))
            r["badge"] = f"{BADGES[sd.n]}{badge:03d}"

    def _sign_in_out(self, sd: SiteDesk, r: Row) -> None:
        args = {k: v for k, v in r.items() if k not in ("time_out", "label")}
        self.emit(r["time_in"], self.desk_at(sd, r["time_in"]), "visitor.sign_in",
                  {**args, "time_in": iso(r["time_in"])})
        out = r["time_out"]
        if out is not None:
            gate = self.guard_at(sd, out) if self.rng.random() < GATE_SIGN_OUT else None
            phone = gate or self.desk_at(sd, out)
            r["out_by"] = phone.username
            self.emit(out, phone, "visitor.sign_out",
                      {"visitor_id": r["visitor_id"], "time_out": iso(out)})

    def inside(self, sd: SiteDesk, at: datetime) -> list[str]:
        return [r["label"] for r in sd.visitors if r["time_in"] <= at
                and (r["time_out"] is None or r["time_out"] > at)]
