"""The front-desk rules (sync/domains/desk) through the engine over the in-memory server: a
record sent again is a no-op, another under the same id is refused; a visitor signed out on
two phones, a pass let out at two gates, a handover received twice — both facts kept, the
first standing; the checks' problems (the phone's copy: tests/parity)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest

from sync.domains import default_registry
from sync.domains.desk.records import DEVICE_KEY, GOODS_PASS, HANDOVER, PASS_CHECK, VISITOR
from sync.domains.desk.rules import (
    INCOMING_NAME,
    ITEMS_REQUIRED,
    MISMATCH_SAY,
    NUMBER_CALLED,
    PHONED_WHEN,
    PICK_RESIDENT,
    REFUSE_INVALID,
    SHIFT_ORDER,
    SIGNATURE_REQUIRED,
    VALID_AFTER_ISSUE,
    WRITTEN_PHOTO,
)
from sync.domains.desk.scenario import pass_code, public_key
from sync.faults import FaultPlan
from sync.memory import MemoryDatabase
from sync.storage import Record
from sync.streams import space
from sync.testing import Step, memory_server_factory, run_convergence
from tests.unit.sync_helpers import NOW, OTHER, SIG, SITE, Phone, new_db, person, push

pytestmark = pytest.mark.unit

UNITS = [str(uuid.UUID(int=100 + i, version=4)) for i in range(3)]  # two of SITE, one OTHER
RESIDENTS = [str(uuid.UUID(int=150 + i, version=4)) for i in range(2)]  # of UNITS[0], [1]
KEYS = [str(uuid.UUID(int=200 + i, version=4)) for i in range(2)]  # of SITE, of OTHER
PHOTO = "6" * 64


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).astimezone(UTC).isoformat()


def estate() -> MemoryDatabase:
    """Two sites with units, a resident of each of SITE's units, a device key at each site."""
    db = new_db()
    db.office_write(Record("unit", u, space(s, "estate"), 1, {
        "site_id": s, "building_id": None, "number": f"A-{i}", "floor": "1", "area": None,
        "use": "residential"}) for i, (u, s) in enumerate(zip(UNITS, (SITE, SITE, OTHER),
                                                               strict=True)))
    db.office_write(Record("resident", r, space(SITE, "residents"), 1, {
        "site_id": SITE, "unit_id": u, "name": "黃太", "phone": "", "relation": "owner",
        "id_type": "none", "id_last4": "", "notes": ""}) for r, u in zip(RESIDENTS, UNITS,
                                                                       strict=False))
    db.office_write(Record(DEVICE_KEY, k, space(s, "desk"), 1, {
        "site_id": s, "public_key": public_key(i), "holder": "大堂手機",
        "registered_at": at(-600), "staff_id": None, "device_id": None})
        for i, (k, s) in enumerate(zip(KEYS, (SITE, OTHER), strict=True)))
    return db


def phone(role: str = "front_desk") -> Phone:
    return Phone(person(role, (SITE, OTHER)))


async def run(db: MemoryDatabase, ph: Phone, *steps: tuple[str, dict[str, Any]]) -> list[str]:
    """Push the steps; the rejection codes of this push, in order."""
    before = len(db.rejections.get(ph.client_id, []))
    db.blobs.setdefault(PHOTO, set()).add(ph.actor.staff_id)
    await push(db, ph, [ph.m(name, args) for name, args in steps])
    return [r.code for r in db.rejections.get(ph.client_id, [])[before:]]


def kinds(db: MemoryDatabase) -> list[str]:
    return sorted(c.kind for c in db.conflicts.values())


def data(db: MemoryDatabase, type_: str, id_: str) -> dict[str, Any]:
    return db.records[(type_, id_)].data


def problems(name: str, args: dict[str, Any]) -> list[tuple[str, str]]:
    spec = default_registry().get(name)
    assert spec is not None
    return [(p.field, p.message) for p in spec.decoder.problems(args)[1]]


def sign_in(unit: int = 0, minutes: float = 0, **over: Any) -> dict[str, Any]:
    return {"visitor_id": str(uuid.uuid4()), "site_id": SITE, "unit_id": UNITS[unit],
            "name": "張先生", "id_type": "hkid", "id_last4": "123A", "purpose": "探訪",
            "confirmed_by": "phone", "called_number": "9876 5432", "time_in": at(minutes),
            **over}


def issue(minutes: float = 0, **over: Any) -> dict[str, Any]:
    pass_id = str(uuid.uuid4())
    return {"pass_id": pass_id, "site_id": SITE, "number": "P-0001", "unit_id": UNITS[0],
            "items": ["雪櫃"], "item_count": 1, "issued_at": at(minutes),
            "valid_until": at(minutes + 600), "basis": "owner_present", "owner_name": "黃太",
            "key_id": KEYS[0], "code": pass_code({"id": pass_id}, 7), **over}


def check(pass_id: str, minutes: float = 30, **over: Any) -> dict[str, Any]:
    return {"check_id": str(uuid.uuid4()), "site_id": SITE, "pass_id": pass_id,
            "number": "P-0001", "code": "CTP1.e30.AAAA", "verdict": "valid",
            "outcome": "passed", "checked_at": at(minutes), **over}


def draft(**over: Any) -> dict[str, Any]:
    return {"handover_id": str(uuid.uuid4()), "site_id": SITE, "shift_start": at(-480),
            "shift_end": at(0), "summary": {"visitors_inside": 1}, "outgoing_name": "黃嘉欣",
            "outgoing_signature": SIG, "drafted_at": at(0), **over}


def receive(handover: dict[str, Any], minutes: float = 5, **over: Any) -> dict[str, Any]:
    return {"handover_id": handover["handover_id"], "incoming_name": "陳保安",
            "incoming_signature": SIG, "received_at": at(minutes), **over}


# --- records sent again, ids taken ----------------------------------------------------------

async def test_a_record_sent_again_is_a_no_op_and_another_under_its_id_is_refused() -> None:
    db, desk = estate(), phone()
    key = {"key_id": str(uuid.uuid4()), "site_id": SITE, "public_key": public_key(9),
           "holder": "大堂手機", "registered_at": at(0)}
    v, p, h = sign_in(), issue(), draft()
    assert await run(db, desk, ("desk.register_key", key), ("visitor.sign_in", v),
                     ("pass.issue", p), ("handover.draft", h)) == []
    versions = {k: r.version for k, r in db.records.items()}
    # a lost answer: the phone sends each again under new mutation ids
    assert await run(db, desk, ("desk.register_key", key), ("visitor.sign_in", v),
                     ("pass.issue", p), ("handover.draft", h)) == []
    assert {k: r.version for k, r in db.records.items()} == versions
    # another record under a taken id
    assert await run(db, desk, ("desk.register_key", {**key, "public_key": public_key(10)}),
                     ("visitor.sign_in", {**v, "name": "李先生"}),
                     ("pass.issue", {**p, "item_count": 2}),
                     ("handover.draft", {**h, "notes": "改"})) == ["already_exists"] * 4
    assert data(db, DEVICE_KEY, key["key_id"])["staff_id"] == desk.actor.staff_id
    assert data(db, VISITOR, v["visitor_id"])["name"] == "張先生"
    assert data(db, GOODS_PASS, p["pass_id"])["item_count"] == 1
    assert not db.conflicts


async def test_unknown_site_unit_resident_and_key() -> None:
    db = estate()
    ghost = str(uuid.uuid4())
    key = {"key_id": str(uuid.uuid4()), "site_id": ghost, "public_key": public_key(9),
           "holder": "x", "registered_at": at(0)}
    desk = Phone(person("front_desk", (SITE, OTHER, ghost)))
    assert await run(db, desk, ("desk.register_key", key),
                     ("visitor.sign_in", sign_in(unit=2)),  # a unit of the other site
                     ("visitor.sign_in", sign_in(confirmed_by="resident",
                                                 resident_id=RESIDENTS[1])),  # another unit's
                     ("pass.issue", issue(key_id=KEYS[1])),  # the other site's key
                     ("pass.issue", issue(key_id=str(uuid.uuid4()))),
                     ) == ["unknown_site", "unknown_unit", "unknown_resident",
                           "unknown_signing_key", "unknown_signing_key"]
    assert not [k for k in db.records if k[0] in (VISITOR, GOODS_PASS)]


# --- the visitor register --------------------------------------------------------------------

async def test_how_the_visit_was_confirmed_keeps_only_its_own_detail() -> None:
    db, desk = estate(), phone()
    by_resident = sign_in(confirmed_by="resident", resident_id=RESIDENTS[0])
    by_phone = sign_in(confirmed_by="phone", resident_id=RESIDENTS[0])
    assert await run(db, desk, ("visitor.sign_in", by_resident),
                     ("visitor.sign_in", by_phone)) == []
    d = data(db, VISITOR, by_resident["visitor_id"])
    assert (d["resident_id"], d["called_number"], d["time_out"]) == (RESIDENTS[0], "", None)
    d = data(db, VISITOR, by_phone["visitor_id"])
    assert (d["resident_id"], d["called_number"]) == (None, "9876 5432")
    assert d["signed_in_by"] == desk.actor.staff_id


async def test_a_visitor_signed_out_on_two_phones_the_first_stands() -> None:
    db, desk, gate = estate(), phone(), phone("patrol")
    v = sign_in()
    out = {"visitor_id": v["visitor_id"], "time_out": at(60)}
    assert await run(db, desk, ("visitor.sign_in", v), ("visitor.sign_out", out)) == []
    # the same sign-out sent again: nothing new
    assert await run(db, desk, ("visitor.sign_out", out)) == []
    assert not db.conflicts
    # the gate signed them out too, offline
    assert await run(db, gate, ("visitor.sign_out", {**out, "time_out": at(65)})) == []
    d = data(db, VISITOR, v["visitor_id"])
    assert (d["time_out"], d["signed_out_by"]) == (at(60), desk.actor.staff_id)
    (c,) = db.conflicts.values()
    assert c.kind == "signed_out_twice" and c.record_ids == [v["visitor_id"]]
    assert c.details["sign_outs"] == [{"staff_id": desk.actor.staff_id, "time_out": at(60)},
                                      {"staff_id": gate.actor.staff_id, "time_out": at(65)}]
    assert set(c.staff_ids) == {desk.actor.staff_id, gate.actor.staff_id}


async def test_signing_out_the_same_person_at_another_time_is_a_conflict_too() -> None:
    db, desk = estate(), phone()
    v = sign_in()
    assert await run(db, desk, ("visitor.sign_in", v),
                     ("visitor.sign_out", {"visitor_id": v["visitor_id"], "time_out": at(60)}),
                     ("visitor.sign_out", {"visitor_id": v["visitor_id"], "time_out": at(61)})
                     ) == []
    assert kinds(db) == ["signed_out_twice"]
    assert data(db, VISITOR, v["visitor_id"])["time_out"] == at(60)


async def test_a_sign_out_before_the_sign_in_or_of_nobody_is_refused() -> None:
    db, desk = estate(), phone()
    v = sign_in(minutes=30)
    assert await run(db, desk, ("visitor.sign_in", v),
                     ("visitor.sign_out", {"visitor_id": v["visitor_id"], "time_out": at(29)}),
                     ("visitor.sign_out", {"visitor_id": str(uuid.uuid4()),
                                           "time_out": at(40)})
                     ) == ["out_before_in", "unknown_visitor"]
    assert db.rejections[desk.client_id][-2].field == "time_out"
    # out at the very moment of arrival is allowed
    assert await run(db, desk, ("visitor.sign_out", {"visitor_id": v["visitor_id"],
                                                     "time_out": at(30)})) == []


def test_the_sign_in_checks() -> None:
    assert problems("visitor.sign_in", sign_in(confirmed_by="resident")) == [
        ("resident_id", PICK_RESIDENT)]
    assert problems("visitor.sign_in", sign_in(called_number="")) == [
        ("called_number", NUMBER_CALLED)]
    assert problems("visitor.sign_in", sign_in()) == []


# --- passes at the gate ----------------------------------------------------------------------

async def test_a_pass_keeps_only_the_basis_given() -> None:
    db, desk = estate(), phone()
    present = issue(authorisation_photo=PHOTO, phoned_number="9123", phoned_at=at(-5))
    written = issue(basis="written", authorisation_photo=PHOTO, phoned_number="9123")
    phoned = issue(basis="phone", phoned_number="9123 4567", phoned_at=at(-5),
                   authorisation_photo=PHOTO)
    assert await run(db, desk, ("pass.issue", present), ("pass.issue", written),
                     ("pass.issue", phoned)) == []
    got = [data(db, GOODS_PASS, p["pass_id"]) for p in (present, written, phoned)]
    assert [(d["authorisation_photo"], d["phoned_number"], d["phoned_at"]) for d in got] == [
        ("", "", None), (PHOTO, "", None), ("", "9123 4567", at(-5))]
    assert got[0]["issued_by"] == desk.actor.staff_id
    assert got[0]["device_id"] == desk.actor.device_id


def test_the_pass_checks() -> None:
    assert problems("pass.issue", issue(items=[])) == [("items", ITEMS_REQUIRED)]
    assert problems("pass.issue", issue(basis="written")) == [
        ("authorisation_photo", WRITTEN_PHOTO)]
    assert problems("pass.issue", issue(basis="phone", phoned_number="9123")) == [
        ("phoned_number", PHONED_WHEN)]
    assert problems("pass.issue", issue(valid_until=at(0))) == [
        ("valid_until", VALID_AFTER_ISSUE)]
    assert problems("pass.issue", issue()) == []
    some = str(uuid.uuid4())
    assert problems("pass.check", check(some, verdict="forged")) == [
        ("outcome", REFUSE_INVALID)]
    assert problems("pass.check", check(some, verdict="valid", outcome="mismatch")) == [
        ("note", MISMATCH_SAY)]
    assert problems("pass.check", check(some, outcome="mismatch", photos=[PHOTO])) == []
    assert problems("pass.check", check(some, verdict="used", outcome="refused")) == []


async def test_a_pass_let_out_at_two_gates_names_the_earliest_check() -> None:
    db, desk = estate(), phone()
    gate1, gate2, gate3 = phone("patrol"), phone("supervisor"), phone("patrol")
    p = issue()
    first, earlier, third = check(p["pass_id"], 30), check(p["pass_id"], 20), check(
        p["pass_id"], 40)
    assert await run(db, desk, ("pass.issue", p)) == []
    assert await run(db, gate1, ("pass.check", first)) == []
    assert not db.conflicts
    # a second gate, offline, checked it ten minutes before the first one synced
    assert await run(db, gate2, ("pass.check", earlier)) == []
    assert await run(db, gate3, ("pass.check", third)) == []
    by_second = {c.record_ids[1]: c for c in db.conflicts.values()}
    assert set(by_second) == {earlier["check_id"], third["check_id"]}
    c = by_second[third["check_id"]]  # the earliest of the two before it: gate2's
    assert c.kind == "pass_used_twice" and c.record_type == PASS_CHECK
    assert c.record_ids == [earlier["check_id"], third["check_id"]]
    assert c.details["checks"] == [
        {"check_id": earlier["check_id"], "staff_id": gate2.actor.staff_id,
         "checked_at": at(20)},
        {"check_id": third["check_id"], "staff_id": gate3.actor.staff_id,
         "checked_at": at(40)}]
    assert c.details["pass_id"] == p["pass_id"]
    assert by_second[earlier["check_id"]].record_ids == [first["check_id"],
                                                         earlier["check_id"]]
    # every check is kept
    assert sum(1 for k in db.records if k[0] == PASS_CHECK) == 3


async def test_only_two_checks_that_let_the_goods_out_conflict() -> None:
    db, gate, gate2 = estate(), phone("patrol"), phone("patrol")
    pass_id = str(uuid.uuid4())  # the pass has not reached the server: checked as its QR said
    forged = check(pass_id, 10, verdict="forged", outcome="refused")
    mismatch = check(pass_id, 15, outcome="mismatch", note="多了一個紙箱")
    passed = check(pass_id, 20)
    refused_after = check(pass_id, 25, verdict="used", outcome="refused")
    assert await run(db, gate, ("pass.check", forged), ("pass.check", mismatch),
                     ("pass.check", passed), ("pass.check", refused_after)) == []
    assert not db.conflicts
    # the same passed check sent again (a lost answer): still one
    assert await run(db, gate, ("pass.check", passed)) == []
    assert not db.conflicts
    # a forged pass let out is refused before it is recorded (the phone's form does not allow
    # it either)
    bad = check(pass_id, 30, verdict="forged", outcome="passed")
    assert await run(db, gate2, ("pass.check", bad)) == ["invalid_args"]
    assert (PASS_CHECK, bad["check_id"]) not in db.records
    assert data(db, PASS_CHECK, forged["check_id"])["checked_by"] == gate.actor.staff_id


# --- the shift handover ----------------------------------------------------------------------

async def test_the_outgoing_person_cannot_receive_their_own_handover() -> None:
    db, desk, guard = estate(), phone(), phone("patrol")
    h = draft()
    assert await run(db, desk, ("handover.draft", h),
                     ("handover.receive", receive(h, own_phone=True)),
                     ("handover.receive", receive({"handover_id": str(uuid.uuid4())}))
                     ) == ["same_person", "unknown_handover"]
    assert data(db, HANDOVER, h["handover_id"])["received_at"] is None
    # on the outgoing phone, the incoming person signs with their name typed
    assert await run(db, desk, ("handover.receive", receive(h))) == []
    d = data(db, HANDOVER, h["handover_id"])
    assert (d["incoming_id"], d["incoming_name"], d["received_at"]) == (None, "陳保安", at(5))
    assert d["outgoing_id"] == desk.actor.staff_id
    # on their own phone, they are the one signed in
    h2 = draft()
    assert await run(db, desk, ("handover.draft", h2)) == []
    assert await run(db, guard, ("handover.receive", receive(h2, own_phone=True))) == []
    assert data(db, HANDOVER, h2["handover_id"])["incoming_id"] == guard.actor.staff_id


async def test_a_handover_received_twice_the_first_stands() -> None:
    db, desk, guard, guard2 = estate(), phone(), phone("patrol"), phone("patrol")
    h = draft()
    first = receive(h, own_phone=True)
    assert await run(db, desk, ("handover.draft", h)) == []
    assert await run(db, guard, ("handover.receive", first)) == []
    assert await run(db, guard, ("handover.receive", first)) == []  # sent again
    assert not db.conflicts
    assert await run(db, guard2, ("handover.receive", receive(h, 7, incoming_name="李保安",
                                                              own_phone=True))) == []
    d = data(db, HANDOVER, h["handover_id"])
    assert (d["incoming_name"], d["incoming_id"]) == ("陳保安", guard.actor.staff_id)
    (c,) = db.conflicts.values()
    assert c.kind == "received_twice" and c.record_ids == [h["handover_id"]]
    assert c.details["receipts"] == [
        {"name": "陳保安", "staff_id": guard.actor.staff_id, "received_at": at(5)},
        {"name": "李保安", "staff_id": guard2.actor.staff_id, "received_at": at(7)}]
    assert set(c.staff_ids) == {desk.actor.staff_id, guard2.actor.staff_id}


def test_the_handover_checks() -> None:
    assert problems("handover.draft", draft(shift_start=at(0))) == [("shift_end", SHIFT_ORDER)]
    assert problems("handover.draft", draft(outgoing_signature="")) == [
        ("outgoing_signature", SIGNATURE_REQUIRED)]
    assert problems("handover.draft", draft()) == []
    h = draft()
    assert problems("handover.receive", receive(h, incoming_name="")) == [
        ("incoming_name", INCOMING_NAME)]
    assert problems("handover.receive", receive(h, incoming_signature="")) == [
        ("incoming_signature", SIGNATURE_REQUIRED)]


# --- under faults: the simulated desks and guards produce every desk conflict ---------------

def test_the_desks_and_guards_of_the_scenario_produce_every_desk_conflict() -> None:
    seen: dict[str, int] = {}
    rejected: dict[str, int] = {}
    mutations = 0
    kinds_ = ("desk_visitor", "desk_visitor", "desk_pass", "desk_gate", "desk_gate",
              "desk_handover", "sync", "sync", "tick")
    for seed in range(4):
        rng = random.Random(seed)
        steps = [Step(rng.choice(kinds_), rng.randrange(6), rng.randrange(2**16),
                      rng.randrange(2**16)) for _ in range(250)]
        report = asyncio.run(run_convergence(memory_server_factory(page_size=5), steps,
                                             seed=seed, faults=FaultPlan(0.1, 0.1, 0.1, 0.1)))
        mutations += report.mutations
        for k, v in report.conflicts.items():
            seen[k] = seen.get(k, 0) + v
        for k, v in report.rejections.items():
            rejected[k] = rejected.get(k, 0) + v
    assert mutations > 300
    assert {"signed_out_twice", "pass_used_twice", "received_twice"} <= set(seen), seen
    assert {"same_person", "unknown_signing_key"} <= set(rejected), rejected
