"""What simulated desks, guards and supervisors do with the front-desk logs in the convergence
scenario (:mod:`sync.testing`) and the parity cases (``tests/parity``), the records they
start from, and how the end check knows each desk event a phone recorded was kept.

Desks register their phone's key, sign visitors in (confirmed by a resident of the unit when
they have one, else by phone) and out — now and then one signed out already on another phone
(``signed_out_twice``) — and issue goods-out passes signed with their key (the ``code`` only
has the QR text's shape: the rules do not verify signatures); guards and supervisors check
passes at the gate — an expired or forged one refused, and now and then one let out at a
second gate whose phone had not seen the first check (``pass_used_twice``); whoever is on
shift drafts the handover and the next person receives it, now and then on a second phone
too (``received_twice``) or on the outgoing person's own phone (``same_person``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync.domains.desk.passcode import b64, payload_text
from sync.domains.desk.records import DEVICE_KEY, GOODS_PASS, HANDOVER, PASS_CHECK, VISITOR
from sync.storage import Record

KINDS = ("desk_visitor", "desk_visitor", "desk_pass", "desk_gate", "desk_handover")
BASES = ("owner_present", "written", "phone")
ID_TYPES = ("hkid", "mainland", "passport", "other")


def public_key(n: int) -> str:
    """A device key's public key as a record holds it (65 bytes, base64url: 87 characters)."""
    return b64(b"\x04" + n.to_bytes(64, "big"))


def pass_code(content: dict[str, Any], n: int) -> str:
    """A pass's QR text: its content as the phone signs it, with a stand-in signature."""
    return f"CTP1.{payload_text(content)}.{b64(n.to_bytes(64, 'big'))}"


def _content(pass_id: str, d: dict[str, Any]) -> dict[str, Any]:
    return {"id": pass_id, "n": d["number"], "s": d["site_id"], "u": d["unit_id"],
            "it": d["items"], "c": d["item_count"], "p": d["plate"], "b": d["basis"],
            "vu": d["valid_until"], "ia": d["issued_at"], "k": d["key_id"]}


# --- the parity cases -----------------------------------------------------------------------

def parity_records(seed: Any) -> list[dict[str, Any]]:
    """The desk set-up every parity case starts from (tests/parity/cases.py): residents of
    the units (one moved out), device keys (one withdrawn, one of site 2), visitors inside,
    signed out, one arrived later than most times a case draws and one voided, passes each
    let out once (a second check letting one out conflicts) and a forgery refused, and
    handovers waiting for each person of site 1 or received already, one voided."""
    s1, s2 = seed.sites
    u11, u12 = seed.units[s1]
    (u13,) = seed.units[s2]
    uid, rec = seed.uid, seed.rec
    desk, desk2, sup, guard, far = seed.actors[:5]
    t = [(seed.t0 - timedelta(hours=h)).isoformat() for h in range(12)]
    later = (seed.t0 + timedelta(hours=2)).isoformat()
    until = (seed.t0 + timedelta(hours=10)).isoformat()

    def resident(n: int, site: str, unit: str, deleted: bool = False) -> dict[str, Any]:
        return rec("resident", uid(n), site, {
            "site_id": site, "unit_id": unit, "name": "黃太", "phone": "9876 5432",
            "relation": "owner", "id_type": "none", "id_last4": "", "notes": ""},
            deleted=deleted)

    def key(n: int, site: str, who: Any, deleted: bool = False) -> dict[str, Any]:
        return rec(DEVICE_KEY, uid(n), site, {
            "site_id": site, "public_key": public_key(n), "holder": "大堂手機",
            "registered_at": t[11], "staff_id": who.staff_id, "device_id": who.device_id},
            deleted=deleted)

    def visitor(n: int, site: str, unit: str, time_in: str, deleted: bool = False,
                **over: Any) -> dict[str, Any]:
        return rec(VISITOR, uid(n), site, {
            "site_id": site, "unit_id": unit, "name": "張先生", "id_type": "hkid",
            "id_last4": "123A", "phone": "", "confirmed_by": "phone", "resident_id": None,
            "called_number": "9876 5432", "purpose": "探訪", "badge": "V-07",
            "time_in": time_in, "signed_in_by": desk.staff_id, "time_out": None,
            "signed_out_by": None, **over}, deleted=deleted)

    def goods(n: int, site: str, unit: str, key_n: int, who: Any) -> dict[str, Any]:
        d = {"site_id": site, "number": f"P-{n}", "unit_id": unit, "items": ["雪櫃", "紙箱"],
             "item_count": 3, "plate": "AB 1234", "valid_until": until,
             "basis": "owner_present", "owner_name": "黃太", "authorisation_photo": "",
             "phoned_number": "", "phoned_at": None, "issued_at": t[2], "key_id": uid(key_n)}
        d["code"] = pass_code(_content(uid(n), d), n)
        return rec(GOODS_PASS, uid(n), site, {**d, "issued_by": who.staff_id,
                                               "device_id": who.device_id})

    def check(n: int, site: str, pass_n: int, outcome: str, verdict: str) -> dict[str, Any]:
        return rec(PASS_CHECK, uid(n), site, {
            "site_id": site, "pass_id": uid(pass_n), "number": f"P-{pass_n}",
            "code": f"CTP1.eyJ9.{pass_n}", "verdict": verdict, "outcome": outcome,
            "photos": [], "note": "", "checked_at": t[1], "checked_by": guard.staff_id,
            "device_id": guard.device_id})

    def handover(n: int, site: str, who: Any, deleted: bool = False,
                 **over: Any) -> dict[str, Any]:
        return rec(HANDOVER, uid(n), site, {
            "site_id": site, "shift_start": t[9], "shift_end": t[1],
            "summary": {"visitors_inside": 1}, "notes": "B座升降機維修中",
            "outgoing_id": who.staff_id, "outgoing_name": "黃嘉欣",
            "outgoing_signature": seed.blobs[0], "drafted_at": t[1], "incoming_id": None,
            "incoming_name": "", "incoming_signature": "", "received_at": None, **over},
            deleted=deleted)

    return [
        resident(601, s1, u11), resident(602, s1, u12, deleted=True), resident(603, s2, u13),
        key(611, s1, desk), key(612, s1, desk2, deleted=True), key(613, s2, far),
        visitor(621, s1, u11, t[3], confirmed_by="resident", resident_id=uid(601),
                called_number=""),
        visitor(622, s1, u12, t[4], time_out=t[2], signed_out_by=desk2.staff_id),
        visitor(623, s1, u11, later),  # arrives later than most times a case draws
        visitor(624, s2, u13, t[3], signed_in_by=far.staff_id),
        visitor(625, s1, u12, t[5], deleted=True),
        goods(631, s1, u11, 611, desk), goods(632, s2, u13, 613, far),
        # each pass let out once (another check letting it out conflicts), a forgery refused
        check(641, s1, 631, "passed", "valid"), check(642, s2, 632, "passed", "valid"),
        check(643, s1, 631, "refused", "forged"),
        handover(651, s1, desk),
        handover(652, s1, desk2, incoming_name="陳保安", incoming_signature=seed.blobs[1],
                 received_at=t[0]),
        handover(653, s2, far),
        # one waiting for each person of site 1 to receive (on their own phone: same_person)
        handover(654, s1, guard), handover(655, s1, sup), handover(656, s1, desk2),
        handover(657, s1, desk, deleted=True),  # voided by the office
    ]


# --- the convergence scenario ---------------------------------------------------------------

def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _of(ph: Any, type_: str, site: str) -> list[Record]:
    return [r for r in ph.records(type_) if r.data.get("site_id") == site and not r.deleted]


def _visitor(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    now = _iso(ph.now())
    visitors = _of(ph, VISITOR, site)
    inside = [v for v in visitors if v.data.get("time_out") is None]
    if visitors and a % 3:  # someone leaves (now and then one who left on another phone)
        pool = inside if inside and b % 5 else visitors
        ph.mutate("visitor.sign_out", {"visitor_id": pool[b % len(pool)].id, "time_out": now})
        return
    units = _of(ph, "unit", site)
    if not units:
        return  # nothing pulled yet
    unit = units[b % len(units)]
    residents = [r for r in ph.records("resident") if not r.deleted and (
        r.data.get("unit_id") == unit.id or b % 11 == 0)]  # now and then another unit's
    by_resident = residents and b % 2
    ph.mutate("visitor.sign_in", {
        "visitor_id": ph.new_id(), "site_id": site, "unit_id": unit.id,
        "name": f"訪客 {b % 40}", "id_type": ID_TYPES[b % len(ID_TYPES)],
        "id_last4": f"{b % 10000:04d}", "phone": f"6{b % 1000:03d} 0000",
        "confirmed_by": "resident" if by_resident else "phone",
        "resident_id": residents[a % len(residents)].id if by_resident else None,
        "called_number": "" if by_resident else f"9{a % 1000:03d} 1111",
        "purpose": ("探訪", "送貨", "裝修", "維修")[a % 4], "badge": f"V-{b % 30:02d}",
        "time_in": now})


def _key_of(ph: Any, site: str) -> Record | None:
    mine = [k for k in _of(ph, DEVICE_KEY, site)
            if k.data.get("staff_id") == ph.staff.staff_id]
    return mine[0] if mine else None


def _issue(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    key = _key_of(ph, site)
    if key is None:  # the phone's key, made at sign-in
        ph.mutate("desk.register_key", {
            "key_id": ph.new_id(), "site_id": site, "public_key": public_key(a * 65536 + b),
            "holder": f"手機 {ph.spec.client_id[:4]}", "registered_at": _iso(ph.now())})
        return
    units = _of(ph, "unit", site)
    if not units:
        return
    key_id = key.id
    if b % 23 == 0:  # a key of another site (a phone moved): refused
        others = [k for k in ph.records(DEVICE_KEY) if k.data.get("site_id") != site]
        key_id = others[0].id if others else ph.new_id()
    now = ph.now()
    basis = BASES[b % len(BASES)]
    d = {"site_id": site, "number": f"P-{b % 1000:03d}{a % 10}",
         "unit_id": units[a % len(units)].id,
         "items": [("雪櫃", "梳化", "紙箱", "單車")[b % 4], *(["電視機"] if a % 2 else [])],
         "item_count": 1 + b % 5, "plate": f"AB {a % 10000}" if b % 3 else "",
         "valid_until": _iso(now + timedelta(hours=1 + b % 12)), "basis": basis,
         "owner_name": f"業主 {a % 20}", "issued_at": _iso(now), "key_id": key_id,
         "authorisation_photo": ph.new_blob() if basis == "written" else "",
         "phoned_number": "9123 4567" if basis == "phone" else "",
         "phoned_at": _iso(now - timedelta(minutes=5)) if basis == "phone" else None}
    pass_id = ph.new_id()
    ph.mutate("pass.issue", {"pass_id": pass_id, **d,
                             "code": pass_code(_content(pass_id, d), a * 65536 + b)})


def _gate(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    passes = _of(ph, GOODS_PASS, site)
    now = ph.now()
    if passes and b % 7:
        p = passes[a % len(passes)]
        pass_id, number, code = p.id, p.data["number"], p.data["code"]
        until = p.data.get("valid_until")
    else:  # a pass issued on a desk phone this one has not synced with
        pass_id, number, until = ph.new_id(), f"P-{b % 1000:03d}X", _iso(now + timedelta(hours=2))
        code = pass_code({"id": pass_id, "n": number}, b)
    used = any(c.data.get("pass_id") == pass_id and c.data.get("outcome") == "passed"
               for c in ph.records(PASS_CHECK))
    if b % 13 == 0:
        verdict = "forged"
    elif isinstance(until, str) and datetime.fromisoformat(until) < now:
        verdict = "expired"
    elif used and b % 6:  # else a second gate whose phone had not seen the first check
        verdict = "used"
    else:
        verdict = "valid"
    outcome = ("passed", "passed", "mismatch")[b % 3] if verdict == "valid" else "refused"
    ph.mutate("pass.check", {
        "check_id": ph.new_id(), "site_id": site, "pass_id": pass_id, "number": number,
        "code": code, "verdict": verdict, "outcome": outcome,
        "photos": [ph.new_blob()] if outcome == "mismatch" and a % 2 else [],
        "note": "多了一個紙箱" if outcome == "mismatch" else "", "checked_at": _iso(now)})


def _handover(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    handovers = _of(ph, HANDOVER, site)
    waiting = [h for h in handovers if h.data.get("received_at") is None]
    now = ph.now()
    if handovers and a % 2:  # the next shift signs (now and then one signed already)
        pool = waiting if waiting and b % 5 else handovers
        h = pool[b % len(pool)]
        ph.mutate("handover.receive", {
            "handover_id": h.id, "incoming_name": f"接班 {b % 9}",
            "incoming_signature": ph.new_blob(), "received_at": _iso(now),
            "own_phone": b % 3 == 0})
        return
    inside = [v for v in _of(ph, VISITOR, site) if v.data.get("time_out") is None]
    ph.mutate("handover.draft", {
        "handover_id": ph.new_id(), "site_id": site,
        "shift_start": _iso(now - timedelta(hours=8)), "shift_end": _iso(now),
        "summary": {"visitors_inside": len(inside),
                    "passes": len(_of(ph, GOODS_PASS, site))},
        "notes": ("", "B座升降機維修中", "停車場閘口故障")[b % 3],
        "outgoing_name": f"當值 {a % 9}", "outgoing_signature": ph.new_blob(),
        "drafted_at": _iso(now)})


def act(ph: Any, kind: str, a: int, b: int) -> None:
    """One step of a phone (``ph``: :class:`sync.testing.ScenarioPhone`)."""
    if kind == "desk_visitor":
        _visitor(ph, a, b)
    elif kind == "desk_pass":
        _issue(ph, a, b)
    elif kind == "desk_gate":
        _gate(ph, a, b)
    elif kind == "desk_handover":
        _handover(ph, a, b)


def bad(ph: Any, a: int, b: int) -> None:
    """What an old or buggy app might send: a pass that is not genuine, let out."""
    ph.mutate("pass.check", {"check_id": ph.new_id(), "site_id": ph.sites[0],
                             "pass_id": ph.new_id(), "number": "P-1", "code": "x",
                             "verdict": "forged", "outcome": "passed",
                             "checked_at": _iso(ph.now())}, validate=False)


# --- what the end check asks ----------------------------------------------------------------

def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def kept(name: str, a: dict[str, Any], where: str, records: dict[tuple[str, str], Record],
         state: Any, cid: str, mutation_id: int) -> list[str] | None:
    """Problems if a desk event a phone recorded (and the server did not reject) is not
    stored; None for mutations of other domains."""
    get = records.get
    if name == "desk.register_key":
        k = get((DEVICE_KEY, a["key_id"]))
        return [] if k is not None and k.data["public_key"] == a["public_key"] else [
            f"{where}: device key missing or different"]
    if name == "visitor.sign_in":
        v = get((VISITOR, a["visitor_id"]))
        same = v is not None and v.data["name"] == a["name"] and \
            _instant(v.data["time_in"]) == _instant(a["time_in"])
        return [] if same else [f"{where}: visitor missing or different"]
    if name == "visitor.sign_out":  # the first sign-out stands (a second: a conflict)
        v = get((VISITOR, a["visitor_id"]))
        return [] if v is not None and v.data["time_out"] is not None else [
            f"{where}: sign-out lost"]
    if name == "pass.issue":
        p = get((GOODS_PASS, a["pass_id"]))
        return [] if p is not None and p.data["code"] == a["code"] else [
            f"{where}: pass missing or different"]
    if name == "pass.check":
        c = get((PASS_CHECK, a["check_id"]))
        same = c is not None and (c.data["pass_id"], c.data["outcome"]) == (
            a["pass_id"], a["outcome"])
        return [] if same else [f"{where}: gate check missing or different"]
    if name == "handover.draft":
        h = get((HANDOVER, a["handover_id"]))
        return [] if h is not None and h.data["outgoing_signature"] == a[
            "outgoing_signature"] else [f"{where}: handover missing or different"]
    if name == "handover.receive":
        h = get((HANDOVER, a["handover_id"]))
        return [] if h is not None and h.data["received_at"] is not None else [
            f"{where}: receipt lost"]
    return None
