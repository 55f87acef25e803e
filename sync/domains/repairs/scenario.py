"""What simulated desks, guards, technicians and the office do with repairs in the
convergence scenario (:mod:`sync.testing`) and the parity cases (``tests/parity``), the
records they start from, and how the end check knows each repair event a phone recorded was
kept.

Desks and guards report requests (now and then for a unit of another site: refused), desks
assign them, link the key lent and call residents back (回訪; now and then a follow-up done
already: ``double_follow_up``); technicians — and supervisors, who may do what they do —
start visits on the requests they see, record the work and charges and close them (now and
then a visit closed already, as a second phone of the same technician does offline:
``double_close``); the office closes requests, a technician perhaps still inside
(``closed_while_working``, in either order)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import streams
from sync.domains.repairs.common import request_number
from sync.domains.repairs.records import (
    FOLLOW_UP,
    OPEN_STATES,
    POLICY,
    REQUEST,
    STREAM,
    TECHNICIAN,
    VISIT,
)
from sync.storage import Record

KINDS = ("repair_report", "repair_desk", "repair_visit", "repair_visit", "repair_office")
_NS = uuid.UUID("0b7e6c1a-58d2-4f0e-9d3b-7a1c2e4f6a80")
SOURCES = {"front_desk": "desk", "patrol": "patrol", "technician": "technician"}
URGENCY = ("normal", "normal", "urgent", "emergency")
CATEGORY = ("water", "electricity", "doors_locks", "lift", "common_area", "other")
OUTCOME = ("done", "done", "no_one_home", "follow_up", "cannot_complete")


def scenario_id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


def policy_data(site: str, **over: Any) -> dict[str, Any]:
    return {"site_id": site, "respond_emergency": 20, "complete_emergency": 180,
            "respond_urgent": 60, "complete_urgent": 720, "respond_normal": 720,
            "complete_normal": 2880, "sample_percent": 50, "sample_seed": "hyg",
            "currency": "HKD", **over}


def setup_records(sites: list[str], start: datetime) -> list[Record]:
    """What the office has set up before the phones start (the convergence scenario): the
    first site's repair policy, following up most repairs (the others keep the defaults)."""
    return [Record(POLICY, scenario_id(f"{sites[0]}:policy"), streams.space(sites[0], STREAM),
                   1, policy_data(sites[0], sample_percent=80))] if sites else []


# --- the parity cases -----------------------------------------------------------------------

def parity_records(seed: Any) -> list[dict[str, Any]]:
    """The repair set-up every parity case starts from (tests/parity/cases.py): site 1's
    policy and team, requests in every state — new, assigned, in progress with a visit open
    (one arrived later than most times a case draws), done with its follow-up due, closed by
    the office while a visit is open, a public-area complaint in progress, followed up (its
    follow-up done), cannot complete — and one of site 2 (no policy: the defaults)."""
    s1, s2 = seed.sites
    u11, u12 = seed.units[s1]
    (u13,) = seed.units[s2]
    uid, rec = seed.uid, seed.rec
    # the visits are the technician's (a supervisor may record on them too): both pass the
    # technician's own-visit check, another technician would not; but one, a supervisor's,
    # that the technician may not record on (not_your_visit)
    desk, sup = seed.actors[0], seed.actors[2]
    tech = next((x for x in seed.actors if x.role == "technician"), seed.actors[2])
    t = [(seed.t0 - timedelta(days=d)).isoformat() for d in range(4)]
    later = (seed.t0 + timedelta(hours=2)).isoformat()

    def request(n: int, site: str, unit: str | None, state: str, **over: Any) -> dict[str, Any]:
        data = {
            "site_id": site, "number": request_number(uid(n), t[3]), "unit_id": unit,
            "area": "" if unit else "大堂", "category": "water", "urgency": "normal",
            "complaint": False, "description": "廚房水喉漏水", "photos": [],
            "contact_name": "陳太", "contact_phone": "9123 4567", "contact_pref": "call_first",
            "source": "desk", "anomaly_visit_id": None, "parent_id": None, "reported_at": t[3],
            "reported_by": desk.staff_id, "respond_by": t[2], "complete_by": t[1],
            "state": state, "assignee_id": tech.staff_id if state != "new" else None,
            "appointment_at": None, "assigned_at": t[3] if state != "new" else None,
            "started_at": None, "finished_at": None, "outcome_reason": "", "key_loan_id": None,
            "closed_at": None, "close_reason": "", **over}
        return rec(REQUEST, uid(n), site, data)

    def visit(n: int, site: str, req: int, unit: str | None, arrived: str,
              **over: Any) -> dict[str, Any]:
        return rec(VISIT, uid(n), site, {
            "site_id": site, "request_id": uid(req), "unit_id": unit, "basis": "appointment",
            "technician_id": tech.staff_id, "device_id": tech.device_id,
            "second_staff_id": None, "witness": "", "resident_present": True,
            "resident_consent": True, "only_minors": False, "arrived_at": arrived,
            "left_at": None, "uniform_badge": True, "shoe_covers": True,
            "floor_protection": True, "clean_up": False, "found": "", "work_done": "",
            "charges": [], "total": 0, "before_photos": [], "after_photos": [],
            "signature_blob": "", "refused_reason": "", "satisfaction": None, "outcome": "",
            "outcome_reason": "", "notice_photo": "", "follow_request_id": None,
            "closed_at": None, "close_hlc": "", **over})

    def closed(at: str) -> dict[str, Any]:
        return {"left_at": at, "closed_at": at, "close_hlc": seed.early, "outcome": "done",
                "signature_blob": seed.blobs[0], "satisfaction": 4, "work_done": "換墊圈",
                "charges": [{"item": "墊圈", "qty": 2, "amount": 12.5}], "total": 25}

    def follow(n: int, req: int, vis: int, unit: str, **over: Any) -> dict[str, Any]:
        return rec(FOLLOW_UP, uid(n), s1, {
            "site_id": s1, "request_id": uid(req), "visit_id": uid(vis), "unit_id": unit,
            "reason": "sampled", "due_at": seed.t0.isoformat(), "method": "call",
            "reached": False, "rating": "", "notes": "", "done_at": None, "done_by": None,
            **over})

    return [
        rec(POLICY, uid(501), s1, policy_data(s1, sample_seed="hyg-2026")),  # 513 sampled
        rec(TECHNICIAN, uid(502), s1, {"site_id": s1, "staff_id": tech.staff_id,
                                        "name": "李師傅", "trade": "水電"}),
        request(511, s1, u11, "new"),
        request(510, s1, u11, "assigned", urgency="urgent"),
        request(512, s1, u12, "in_progress", urgency="urgent", started_at=later),
        visit(520, s1, 512, u12, later),  # arrives later than most times a case draws
        request(513, s1, u11, "in_progress", started_at=t[1]),
        visit(521, s1, 513, u11, t[1]),
        visit(527, s1, 513, u11, t[1], technician_id=sup.staff_id, device_id=sup.device_id),
        request(514, s1, u12, "done", started_at=t[2], finished_at=t[1]),
        visit(522, s1, 514, u12, t[2], **closed(t[1])),
        follow(531, 514, 522, u12),
        request(515, s1, u11, "closed", started_at=t[2], closed_at=t[1],
                close_reason="住戶自行維修"),
        visit(523, s1, 515, u11, t[2]),
        request(516, s1, None, "in_progress", complaint=True, category="common_area",
                urgency="emergency", started_at=t[1]),
        visit(526, s1, 516, None, t[1], basis="emergency", witness="保安 陳生",
              resident_present=False, resident_consent=False),
        request(517, s1, u12, "followed_up", started_at=t[3], finished_at=t[2]),
        visit(524, s1, 517, u12, t[3], **closed(t[2])),
        follow(532, 517, 524, u12, reached=True, rating="A", done_at=t[1],
               done_by=desk.staff_id),
        request(519, s1, u12, "cannot_complete", outcome_reason="缺零件"),
        request(518, s2, u13, "in_progress", started_at=t[1]),
        visit(525, s2, 518, u13, t[1]),
    ]


# --- the convergence scenario ---------------------------------------------------------------

def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _mine(ph: Any, rows: list[Record]) -> list[Record]:
    return [r for r in rows if r.data.get("site_id") in ph.sites]


def _report(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    units = [u for u in ph.records("unit") if u.data.get("site_id") == site]
    if b % 17 == 0:  # a unit of another site: refused
        units = [u for u in ph.records("unit") if u.data.get("site_id") != site] or units
    unit = units[b % len(units)].id if units and b % 5 else None
    request_id, now = ph.new_id(), _iso(ph.now())
    ph.mutate("repair.report", {
        "request_id": request_id, "site_id": site, "number": request_number(request_id, now),
        "unit_id": unit, "area": "" if unit else ("大堂", "停車場", "天台")[b % 3],
        "category": CATEGORY[a % len(CATEGORY)], "urgency": URGENCY[b % len(URGENCY)],
        "complaint": b % 6 == 0, "description": f"報修 {b % 50}",
        "contact_name": f"住戶 {b % 30}", "contact_phone": f"9{b % 10000:04d} 0000",
        "source": SOURCES.get(ph.staff.role, "office"), "reported_at": now,
        "photos": [ph.new_blob()] if b % 4 == 0 else []})


def _assignee(ph: Any, request: Record, a: int) -> str:
    site = request.data.get("site_id")
    team = [r.data["staff_id"] for r in ph.records(TECHNICIAN)
            if r.data.get("site_id") == site and not r.deleted]
    seen = sorted({str(r.data["technician_id"]) for r in ph.records(VISIT)
                   if r.data.get("site_id") == site})
    pool = team or seen
    return pool[a % len(pool)] if pool else ph.staff.staff_id


def _desk(ph: Any, a: int, b: int) -> None:
    requests = _mine(ph, ph.records(REQUEST))
    at = _iso(ph.now())
    follows = _mine(ph, ph.records(FOLLOW_UP))
    what = a % 4 if follows else a % 2
    if what >= 2:  # the calls back, once there are any
        due = [f for f in follows if f.data.get("done_at") is None]
        pool = due if due and b % 4 else follows
        if pool:
            reached = b % 4 != 0
            ph.mutate("repair.follow_up", {
                "follow_up_id": pool[a % len(pool)].id, "method": ("call", "visit")[b % 2],
                "reached": reached, "rating": ("A", "B", "C")[b % 3] if reached else "",
                "notes": f"回訪 {b % 9}", "done_at": at})
        return
    if not requests:
        _report(ph, a, b)  # nothing to dispatch yet: a resident calls
        return
    live = [r for r in requests if r.data.get("state") in OPEN_STATES]
    pool = live if live and b % 6 else requests  # now and then one no longer open
    request = pool[b % len(pool)]
    if what == 0:
        later = _iso(ph.now() + timedelta(hours=1 + b % 48)) if b % 3 else None
        ph.mutate("repair.assign", {"request_id": request.id,
                                    "assignee_id": _assignee(ph, request, a),
                                    "assigned_at": at, "appointment_at": later})
    else:
        loans = [r for r in ph.records("key_loan")
                 if r.data.get("site_id") == request.data.get("site_id")]
        loan = loans[b % len(loans)].id if loans and b % 7 else ph.new_id()
        ph.mutate("repair.link_key", {"request_id": request.id, "key_loan_id": loan})


def _start(ph: Any, a: int, b: int) -> None:
    requests = _mine(ph, ph.records(REQUEST))
    me = ph.staff.staff_id
    mine = [r for r in requests if r.data.get("assignee_id") == me
            and r.data.get("state") in OPEN_STATES]
    pool = mine if mine and b % 4 else requests
    if not pool:
        _report(ph, a, b)  # nothing to work on yet: what the technician finds on site
        return
    request = pool[a % len(pool)]
    basis = ("request", "appointment", "emergency")[b % 3]
    present = b % 2 == 0
    ph.mutate("repair.start_visit", {
        "visit_id": ph.new_id(), "request_id": request.id, "basis": basis,
        "witness": "保安 陳生" if basis == "emergency" else "", "resident_present": present,
        "resident_consent": present, "arrived_at": _iso(ph.now()), "uniform_badge": True,
        "shoe_covers": b % 5 != 0, "floor_protection": b % 3 != 0})


def _update(ph: Any, visit: Record, a: int, b: int) -> None:
    choices: list[dict[str, Any]] = [
        {"found": f"水喉位置漏水 {b % 7}", "work_done": "更換喉管"},
        {"charges": [{"item": "喉管", "qty": 1 + b % 3, "amount": 35.5},
                     {"item": "人工", "qty": 1, "amount": 200 + b % 50}]},
        {"before_photos": [ph.new_blob()], "after_photos": [ph.new_blob()]},
        {"clean_up": True, "shoe_covers": True},
        {"second_staff_id": ph.staff.staff_id, "witness": "管理員"},
    ]
    ph.mutate("repair.update_visit", {"visit_id": visit.id, "fields": choices[a % len(choices)]})


def _close(ph: Any, visit: Record, a: int, b: int) -> None:
    outcome = OUTCOME[(a // 7) % len(OUTCOME)]
    signed = outcome != "no_one_home"
    ph.mutate("repair.close_visit", {
        "visit_id": visit.id, "request_id": visit.data["request_id"],
        "site_id": visit.data["site_id"], "left_at": _iso(ph.now()), "outcome": outcome,
        "signature_blob": ph.new_blob() if signed and b % 3 else "",
        "refused_reason": "住戶不在家人代收" if signed and not b % 3 else "",
        "satisfaction": 1 + (b // 3) % 5 if signed else None,
        "outcome_reason": "需訂零件" if outcome in ("cannot_complete", "follow_up") else "",
        "notice_photo": ph.new_blob() if outcome == "no_one_home" else "",
        "follow_request_id": ph.new_id() if outcome == "follow_up" else None,
        "follow_up_id": ph.new_id()})


def _work(ph: Any, a: int, b: int) -> None:
    visits = _mine(ph, ph.records(VISIT))
    me = ph.staff.staff_id
    mine = [v for v in visits if v.data.get("technician_id") == me
            and v.data.get("closed_at") is None]
    if b % 9 == 0 and visits:  # closed on the other phone already, perhaps
        _close(ph, visits[a % len(visits)], a, b)
    elif not mine or b % 5 == 0:
        _start(ph, a, b)
    elif b % 2:
        _update(ph, mine[a % len(mine)], a, b)
    else:
        _close(ph, mine[a % len(mine)], a, b)


def _office(ph: Any, a: int, b: int) -> None:
    requests = _mine(ph, ph.records(REQUEST))
    working = {v.data.get("request_id") for v in ph.records(VISIT)
               if v.data.get("closed_at") is None}
    busy = [r for r in requests if r.id in working]
    pool = busy if busy and b % 3 == 0 else requests
    if not pool:
        _report(ph, a, b)
    else:
        ph.mutate("repair.close", {"request_id": pool[a % len(pool)].id,
                                   "reason": ("住戶取消", "重複報修", "已由業主處理")[b % 3],
                                   "closed_at": _iso(ph.now())})


def act(ph: Any, kind: str, a: int, b: int) -> None:
    """One step of a phone (``ph``: :class:`sync.testing.ScenarioPhone`)."""
    if kind == "repair_report":
        _report(ph, a, b)
    elif kind == "repair_desk":
        _desk(ph, a, b)
    elif kind == "repair_visit":
        _work(ph, a, b)
    elif kind == "repair_office":
        _office(ph, a, b)


def bad(ph: Any, a: int, b: int) -> None:
    """What an old or buggy app might send: a report naming neither unit nor area."""
    ph.mutate("repair.report", {"request_id": ph.new_id(), "site_id": ph.sites[0],
                                "number": "R-1", "category": "water", "urgency": "normal",
                                "description": "x", "source": "desk",
                                "reported_at": _iso(ph.now())}, validate=False)


# --- what the end check asks ----------------------------------------------------------------

def _ever(state: Any, record_id: str, field: str, value: Any) -> bool:
    """Whether some change of the record ever set ``field`` to ``value`` or changed it from
    ``value`` (a later change overwrote it: the audit keeps both)."""
    return any(r.record_id == record_id and field in r.changes and value in r.changes[field]
               for r in state.audit)


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _stands(rec: Record | None, state: Any, field: str, value: Any) -> bool:
    return rec is not None and (rec.data.get(field) == value or _ever(state, rec.id, field,
                                                                      value))


def kept(name: str, a: dict[str, Any], where: str, records: dict[tuple[str, str], Record],
         state: Any, cid: str, mutation_id: int) -> list[str] | None:
    """Problems if a repair event a phone recorded (and the server did not reject) is not
    stored; None for mutations of other domains."""
    if not name.startswith("repair."):
        return None
    get = records.get
    if name == "repair.report":
        r = get((REQUEST, a["request_id"]))
        same = r is not None and r.data["description"] == a["description"] and \
            _instant(r.data["reported_at"]) == _instant(a["reported_at"])
        return [] if same else [f"{where}: request missing or different"]
    if name == "repair.assign":
        r = get((REQUEST, a["request_id"]))
        return [] if _stands(r, state, "assignee_id", a["assignee_id"]) else [
            f"{where}: assignment lost"]
    if name == "repair.link_key":
        r = get((REQUEST, a["request_id"]))
        return [] if _stands(r, state, "key_loan_id", a["key_loan_id"]) else [
            f"{where}: key link lost"]
    if name == "repair.close":
        r = get((REQUEST, a["request_id"]))
        return [] if r is not None and r.data["state"] == "closed" else [
            f"{where}: closing lost"]
    if name == "repair.start_visit":
        v = get((VISIT, a["visit_id"]))
        same = v is not None and _instant(v.data["arrived_at"]) == _instant(a["arrived_at"])
        return [] if same else [f"{where}: visit missing or different"]
    if name == "repair.update_visit":
        v = get((VISIT, a["visit_id"]))
        lost = [f for f, value in a["fields"].items() if f != "charges"
                and not _stands(v, state, f, value)]
        return [f"{where}: {f} lost" for f in lost]
    if name == "repair.close_visit":
        v = get((VISIT, a["visit_id"]))
        return [] if v is not None and v.data["closed_at"] is not None else [
            f"{where}: closing lost"]
    f = get((FOLLOW_UP, a["follow_up_id"]))
    if f is None:
        return [f"{where}: follow-up missing"]
    if a["reached"] and f.data["done_at"] is None:
        return [f"{where}: follow-up call lost"]
    return []
