"""Three months of the demo estate's repairs (報修 / 入室服務 / 回訪), as the phones, the
office and the server would have left them: each request reported at the desk, by a guard's
patrol anomaly, by a technician on site or at the office, assigned with an appointment, its
visits (the basis for entry, who was there, the conduct checklist, what was found and done,
charges, before and after photos, a signature or why there is none, the 1–5 score), no one
home now and then (a notice left, a second visit), a follow-up request when parts were
needed, cannot-complete with the reason, a few closed by the office — and the follow-up
calls the site's sampling rule picks (complaints and scores of 1–2 always), rated A / B / C,
a C reopening the request for another visit.

The rules' own functions decide what the server would: deadlines from the site's policy
(:func:`sync.domains.repairs.common.deadlines`), request numbers, the charges' total and the
sample (:func:`sync.domains.repairs.sampling.sampled`). Every step leaves the audit row the
server would write (office pages show the history from it). Rows carry their space and
version 1; :mod:`server.demo.repairs` writes them in batches."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.demo.repairs_texts import (
    CALL_NOTES,
    CLOSE_REASONS,
    COMPLAINT_NOTE,
    LABOUR,
    NO_SIGN_AREA,
    NO_SIGN_KEY,
    PARTIAL,
    REFUSALS,
    UNREACHED_NOTE,
    Job,
    images,
)
from server.estate.tables import Resident, Unit
from server.sync.store import BLOB_REF_NS
from sync import hlc as hlc_mod
from sync.context import iso
from sync.domains.repairs.common import (
    FOLLOW_UP_DAYS,
    charges_total,
    deadlines,
    request_number,
    sample_rule,
)
from sync.domains.repairs.records import FOLLOW_UP_TYPE, REQUEST_TYPE, VISIT_TYPE
from sync.domains.repairs.sampling import sampled
from sync.kit.records import RecordType

Row = dict[str, Any]
NO_ONE_HOME, FOLLOW_UP, CANNOT_COMPLETE = 0.07, 0.05, 0.04
CLOSED_BY_OFFICE, STUCK, COMPLAINT = 0.02, 0.012, 0.05
REFUSED, BEFORE_AFTER, CHARGED, UNREACHED = 0.07, 0.2, 0.45, 0.03
SCORES = ((5, 45), (4, 35), (3, 12), (2, 5), (1, 3))
LOW_SCORES = ((4, 15), (3, 40), (2, 30), (1, 15))
RATINGS = {"complaint": (("A", 30), ("B", 50), ("C", 20)),
           "unsatisfied": (("A", 15), ("B", 55), ("C", 30)),
           "sampled": (("A", 65), ("B", 30), ("C", 5))}


@dataclass
class SiteRepairs:
    """One site's repair set-up, as the history needs it."""

    site_id: Any
    space: str  # the site's visits space
    keys_space: str
    policy: dict[str, Any]
    team: list[str]  # technicians' staff ids
    desks: list[str]  # who logs requests, assigns and calls back
    office: str  # a supervisor (or administrator): the office's own actions
    guards: list[str]
    units: Sequence[Unit]
    areas: list[str]  # public places (common-area jobs)
    lifts: list[str]  # the lifts
    keep_free: str = ""  # a technician given no appointment today (the set piece's)
    # the guard on duty at a moment (:mod:`server.demo.roster`), None while theirs is the
    # quiet phone (what they report then is not known yet)
    on_duty: Callable[[datetime], str | None] | None = None


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def record_data(t: RecordType, row: Row) -> dict[str, Any]:
    """A row's values as the record carries them (field names, ISO times, string ids)."""
    return {f.name: _value(row.get(f.column)) for f in t.fields}


def _value(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


class History:
    def __init__(self, rng: random.Random, now: datetime, zone: ZoneInfo,
                 people: dict[str, list[Resident]]) -> None:
        self.rng, self.now, self.zone, self.people = rng, now, zone, people
        self.today = now.astimezone(zone).date()
        self.requests: list[Row] = []
        self.visits: list[Row] = []
        self.follow_ups: list[Row] = []
        self.loans: list[Row] = []
        self.refs: list[Row] = []
        self.audit: list[Row] = []
        self.uploads: set[tuple[str, str]] = set()
        self.images = images()
        self.numbers: set[str] = set()
        self.followed: set[Any] = set()  # requests with a follow-up
        self.units: dict[str, Unit | None] = {}  # request id -> its unit
        self._columns = {t.name: {f.column: f.name for f in t.fields}
                         for t in (REQUEST_TYPE, VISIT_TYPE, FOLLOW_UP_TYPE)}

    # --- plumbing -------------------------------------------------------------------------

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute,
                        tzinfo=self.zone).astimezone(UTC)

    def _receipt(self, at: datetime) -> datetime:
        rng = self.rng
        late = rng.random() < 0.02  # the phone was offline a while
        delay = timedelta(minutes=rng.uniform(15, 150)) if late else timedelta(
            seconds=rng.uniform(2, 50))
        return min(max(self.now, at), at + delay).replace(microsecond=0)

    def _blob(self, name: str, staff: str) -> str:
        sha = self.images[name][0]
        self.uploads.add((sha, staff))
        return sha

    def _ref(self, record_type: str, row: Row, sha: str) -> None:
        self.refs.append({"id": uuid.uuid5(BLOB_REF_NS, f"{record_type}:{row['id']}:{sha}"),
                          "sha256": sha, "record_type": record_type, "record_id": row["id"],
                          "space": row["space"]})

    def _audit(self, t: RecordType, row: Row, action: str, staff: str, at: datetime,
               changes: dict[str, list[Any]]) -> datetime:
        received = self._receipt(at)
        self.audit.append({
            "id": self._id(), "record_type": t.name, "record_id": row["id"],
            "space": row["space"], "version": 1, "action": action, "staff": staff,
            "device": None, "client_id": None, "mutation_id": None, "device_hlc": "",
            "device_time": at, "server_time": received, "changes": changes})
        return received

    def _create(self, t: RecordType, row: Row, action: str, staff: str, at: datetime) -> None:
        received = self._audit(t, row, action, staff, at, {
            k: [None, v] for k, v in record_data(t, row).items()})
        row.update(created_at=received, updated_at=received)

    def _change(self, t: RecordType, row: Row, action: str, staff: str, at: datetime,
                **updates: Any) -> None:
        """Set columns of ``row`` as ``action`` would, with its audit row."""
        names = self._columns[t.name]
        changes = {names[k]: [_value(row.get(k)), _value(v)] for k, v in updates.items()
                   if row.get(k) != v}
        row.update(updates)
        if changes:
            row["updated_at"] = max(row["updated_at"], self._audit(t, row, action, staff, at,
                                                                   changes))

    def hlc(self, at: datetime, staff: str) -> str:
        return hlc_mod.encode(hlc_mod.HLC(int(at.timestamp() * 1000), 0,
                                          hlc_mod.node_id(staff)))

    def slot(self, after: datetime, days: int) -> datetime:
        """A half-hour appointment ``days`` days after ``after`` (local), 09:30–17:30."""
        day = after.astimezone(self.zone).date() + timedelta(days=days)
        at = self.local(day, 9, 30) + timedelta(minutes=30 * self.rng.randint(0, 16))
        return at if at > after else self.slot(after, days + 1)

    def is_today(self, at: datetime | None) -> bool:
        return at is not None and at.astimezone(self.zone).date() == self.today

    def contact(self, unit: Unit | None) -> tuple[str, str]:
        people = self.people.get(str(unit.id)) if unit is not None else None
        if not people:
            return "", ""
        r = self.rng.choice(people)
        return str(r.name), str(r.phone)

    # --- the steps ------------------------------------------------------------------------

    def report(self, sr: SiteRepairs, at: datetime, job: Job, urgency: str, by: str,
               source: str, unit: Unit | None, area: str = "", complaint: bool = False,
               **extra: Any) -> Row:
        """``repair.report``: a new request with its deadlines from the site's policy."""
        at = at.replace(microsecond=0)
        request_id = self._id()
        while (number := request_number(str(request_id), iso(at), self.zone)) in self.numbers:
            request_id = self._id()
        self.numbers.add(number)
        respond, complete = deadlines(sr.policy, urgency, iso(at))
        name, phone = self.contact(unit)
        row: Row = {
            "id": request_id, "site": sr.site_id, "number": number,
            "unit": unit.id if unit is not None else None, "area": area,
            "category": job.category, "urgency": urgency, "complaint": complaint,
            "description": job.ask + (COMPLAINT_NOTE if complaint else ""), "photos": [],
            "contact_name": name, "contact_phone": phone,
            "contact_pref": self.rng.choice(("call_first", "call_first", "appointment",
                                             "any_time", "message")) if unit else "any_time",
            "source": source, "anomaly_visit": None, "parent": None, "reported_at": at,
            "reported_by": by, "respond_by": datetime.fromisoformat(respond),
            "complete_by": datetime.fromisoformat(complete), "state": "new", "assignee": None,
            "appointment_at": None, "assigned_at": None, "started_at": None,
            "finished_at": None, "outcome_reason": "", "key_loan": None, "closed_at": None,
            "close_reason": "", "space": sr.space, "version": 1, **extra}
        if source == "technician":
            row.update(assignee=by, state="assigned", assigned_at=at)
        self._create(REQUEST_TYPE, row, "repair.report", by, at)
        for sha in row["photos"]:
            self._ref(REQUEST_TYPE.name, row, sha)
        self.requests.append(row)
        self.units[str(row["id"])] = unit
        return row

    def assign(self, sr: SiteRepairs, req: Row, tech: str, at: datetime,
               appointment: datetime | None) -> None:
        state = "assigned" if req["state"] in ("new", "assigned") else req["state"]
        self._change(REQUEST_TYPE, req, "repair.assign", self.rng.choice(sr.desks), at,
                     assignee=tech, appointment_at=appointment, assigned_at=at, state=state)

    def start(self, sr: SiteRepairs, req: Row, tech: str, arrived: datetime, basis: str,
              keyed: bool = False) -> Row:
        """``repair.start_visit``: who was there and the conduct checklist (an emergency
        entry with a guard or a named witness)."""
        rng = self.rng
        arrived = arrived.replace(microsecond=0)
        present = req["unit"] is not None and not keyed
        second, witness = None, ""
        if basis == "emergency":
            name = self.contact(self.units[str(req["id"])])[0] if present else ""
            if name and rng.random() < 0.4:
                witness = f"{name}（住戶）"
            elif sr.guards:
                second = rng.choice(sr.guards)
            else:
                witness = "管理處職員"
        row: Row = {
            "id": self._id(), "site": sr.site_id, "request": req["id"], "unit": req["unit"],
            "basis": basis, "technician": tech, "device": None, "second_staff": second,
            "witness": witness, "resident_present": present, "resident_consent": present,
            "only_minors": False, "arrived_at": arrived, "left_at": None,
            "uniform_badge": rng.random() < 0.97,
            "shoe_covers": req["unit"] is not None and rng.random() < 0.92,
            "floor_protection": req["unit"] is not None and rng.random() < 0.85,
            "clean_up": False, "found": "", "work_done": "", "charges": [], "total": 0.0,
            "before_photos": [], "after_photos": [], "signature_blob": "",
            "refused_reason": "", "satisfaction": None, "outcome": "", "outcome_reason": "",
            "notice_photo": "", "follow_request": None, "closed_at": None, "close_hlc": "",
            "space": sr.space, "version": 1}
        self._create(VISIT_TYPE, row, "repair.start_visit", tech, arrived)
        self.visits.append(row)
        if req["state"] != "closed":
            self._change(REQUEST_TYPE, req, "repair.start_visit", tech, arrived,
                         state="in_progress", started_at=req["started_at"] or arrived,
                         assignee=req["assignee"] or tech)
        return row

    def close(self, sr: SiteRepairs, req: Row, visit: Row, left: datetime, outcome: str,
              job: Job, keyed: bool = False, reason: str = "") -> Row | None:
        """``repair.update_visit`` then ``repair.close_visit``; the request's state, a
        follow-up request (outcome follow_up) and the follow-up the sample picks. Returns
        the follow-up, if any."""
        rng, tech = self.rng, visit["technician"]
        left = left.replace(microsecond=0)
        unit = req["unit"] is not None
        if outcome != "no_one_home":
            charges = [{"item": i, "qty": q, "amount": a} for i, q, a in job.parts] if (
                unit and job.parts and outcome == "done" and rng.random() < CHARGED) else []
            if charges and rng.random() < 0.6:
                charges.append({"item": LABOUR, "qty": rng.choice((1, 1, 1.5, 2)),
                                "amount": rng.choice((180, 220, 280))})
            before = after = []
            if unit and rng.random() < BEFORE_AFTER:
                before = [self._blob("socket" if job.category == "electricity" else "stain",
                                     tech)]
                after = [self._blob("fixed", tech)] if outcome == "done" else []
            work = job.work if outcome == "done" else PARTIAL[outcome]
            noted = max(visit["arrived_at"], left - timedelta(minutes=3))
            self._change(VISIT_TYPE, visit, "repair.update_visit", tech, noted, found=job.found,
                         work_done=work, charges=charges, total=charges_total(charges),
                         before_photos=before, after_photos=after,
                         clean_up=rng.random() < 0.95)
            for sha in before + after:
                self._ref(VISIT_TYPE.name, visit, sha)
        closing: Row = {"left_at": left, "outcome": outcome, "closed_at": left,
                        "close_hlc": self.hlc(left, tech)}
        if outcome == "no_one_home":
            closing["notice_photo"] = self._blob("notice", tech)
        elif keyed or not unit:
            closing["refused_reason"] = NO_SIGN_KEY if keyed else NO_SIGN_AREA
        else:
            low = req["complaint"] or outcome == "cannot_complete"
            score = weighted(rng, LOW_SCORES if low else SCORES)
            if rng.random() < REFUSED:
                closing["refused_reason"] = rng.choice(REFUSALS)
                if closing["refused_reason"] == REFUSALS[0]:  # not satisfied
                    score = min(score, rng.choice((1, 2)))
            else:
                closing["signature_blob"] = self._blob(rng.choice(("sign2", "sign4", "sign9")),
                                                       tech)
            closing["satisfaction"] = score
        if outcome in ("follow_up", "cannot_complete"):
            closing["outcome_reason"] = reason
        child = None
        if outcome == "follow_up":
            child = self.report(
                sr, left, job._replace(ask=reason), req["urgency"], tech, "technician",
                self.units[str(req["id"])], req["area"], parent=req["id"],
                **{k: req[k] for k in ("contact_name", "contact_phone", "contact_pref")})
            closing["follow_request"] = child["id"]
        self._change(VISIT_TYPE, visit, "repair.close_visit", tech, left, **closing)
        effects: Row = {"no_one_home": {"state": "assigned"},
                        "cannot_complete": {"state": "cannot_complete",
                                            "outcome_reason": reason}}.get(
            outcome, {"state": "done", "finished_at": left})
        self._change(REQUEST_TYPE, req, "repair.close_visit", tech, left, **effects)
        if outcome in ("done", "follow_up") and req["id"] not in self.followed:
            return self.sample(sr, req, visit)
        return None

    def sample(self, sr: SiteRepairs, req: Row, visit: Row) -> Row | None:
        seed, percent = sample_rule(sr.policy)
        reason = "complaint" if req["complaint"] else "unsatisfied" if visit[
            "satisfaction"] in (1, 2) else "sampled" if sampled(seed, str(req["id"]),
                                                               percent) else ""
        if not reason:
            return None
        self.followed.add(req["id"])
        left = visit["left_at"]
        row: Row = {"id": self._id(), "site": sr.site_id, "request": req["id"],
                    "visit": visit["id"], "unit": req["unit"], "reason": reason,
                    "due_at": left + timedelta(days=FOLLOW_UP_DAYS), "method": "call",
                    "reached": False, "rating": "", "notes": "", "done_at": None,
                    "done_by": None, "space": sr.space, "version": 1}
        self._create(FOLLOW_UP_TYPE, row, "repair.close_visit", visit["technician"], left)
        self.follow_ups.append(row)
        return row

    def call(self, sr: SiteRepairs, req: Row, fu: Row) -> str:
        """``repair.follow_up``: the call (or visit) when it happened; the rating ("" when
        not yet done or the resident was not reached)."""
        rng = self.rng
        at = (fu["due_at"] + timedelta(hours=rng.uniform(4, 48)) if rng.random() < 0.06
              else fu["due_at"] - timedelta(hours=rng.uniform(2, 60)))
        at = max(at, fu["due_at"] - timedelta(days=FOLLOW_UP_DAYS) + timedelta(hours=3))
        at = at.replace(microsecond=0)
        if at > self.now:
            return ""
        staff = rng.choice(sr.desks)
        method = "visit" if rng.random() < 0.1 else "call"
        if rng.random() < UNREACHED:
            self._change(FOLLOW_UP_TYPE, fu, "repair.follow_up", staff, at, method=method,
                         notes=UNREACHED_NOTE)
            return ""
        rating = weighted(rng, RATINGS[fu["reason"]])
        self._change(FOLLOW_UP_TYPE, fu, "repair.follow_up", staff, at, method=method,
                     reached=True, rating=rating, notes=rng.choice(CALL_NOTES[rating]),
                     done_at=at, done_by=staff)
        state = ("assigned" if req["assignee"] else "new") if rating == "C" else "followed_up"
        self._change(REQUEST_TYPE, req, "repair.follow_up", staff, at, state=state)
        return rating

    # --- a request's life -----------------------------------------------------------------

    def office_close(self, sr: SiteRepairs, req: Row, at: datetime) -> None:
        self._change(REQUEST_TYPE, req, "repair.close", sr.office, at.replace(microsecond=0),
                     state="closed", closed_at=at.replace(microsecond=0),
                     close_reason=self.rng.choice(CLOSE_REASONS))
