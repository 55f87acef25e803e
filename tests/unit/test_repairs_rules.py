"""The repair rules (sync/domains/repairs) through the engine over the in-memory server: a
request's deadlines and state, the entry checks (emergency, minors, consent), how a visit's
closing moves its request, and what offline phones produce — one visit closed on two
phones, a request the office closed while a technician was working, in both orders: both
facts kept, the first standing (the follow-ups: tests/unit/test_repairs_sampling.py)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest

from sync.domains import default_registry
from sync.domains.repairs.common import request_number
from sync.domains.repairs.records import FOLLOW_UP, POLICY, REQUEST, TECHNICIAN, VISIT
from sync.faults import FaultPlan
from sync.memory import MemoryDatabase
from sync.storage import Record
from sync.streams import space
from sync.testing import (
    SITE_A,
    SITE_B,
    MemoryHandle,
    PhoneSpec,
    Setup,
    StaffSpec,
    Step,
    run_convergence,
)
from tests.unit.sync_helpers import NOW, OTHER, SIG, SITE, Phone, new_db, person, push

pytestmark = pytest.mark.unit

UNITS = [str(uuid.UUID(int=100 + i, version=4)) for i in range(3)]  # two of SITE, one OTHER
POLICY_ID = str(uuid.UUID(int=200, version=4))
SHA = "6" * 64  # a notice photo


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).astimezone(UTC).isoformat()


def estate(**policy: Any) -> MemoryDatabase:
    """Two sites with units; ``SITE`` has a repair policy (``policy`` overrides its
    fields), ``OTHER`` none."""
    db = new_db()
    db.office_write(Record("unit", u, space(s, "estate"), 1, {
        "site_id": s, "building_id": None, "number": f"A-{i}", "floor": "1", "area": None,
        "use": "residential"}) for i, (u, s) in enumerate(zip(UNITS, (SITE, SITE, OTHER),
                                                               strict=True)))
    db.office_write([Record(POLICY, POLICY_ID, space(SITE, "visits"), 1, {
        "site_id": SITE, "respond_emergency": 15, "complete_emergency": 120,
        "respond_urgent": 60, "complete_urgent": 600, "respond_normal": 600,
        "complete_normal": 2880, "sample_percent": 0, "sample_seed": "hyg", "currency": "HKD",
        **policy})])
    return db


def phone(role: str = "front_desk") -> Phone:
    return Phone(person(role, (SITE, OTHER)))


async def run(db: MemoryDatabase, ph: Phone, *steps: tuple[str, dict[str, Any]]) -> list[str]:
    """Push the steps; the rejection codes of this push, in order."""
    before = len(db.rejections.get(ph.client_id, []))
    db.blobs.setdefault(SHA, set()).add(ph.actor.staff_id)
    await push(db, ph, [ph.m(name, args) for name, args in steps])
    return [r.code for r in db.rejections.get(ph.client_id, [])[before:]]


def report(site: str = SITE, unit: int | None = 0, minutes: float = 0, **over: Any
           ) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {"request_id": request_id, "site_id": site, "unit_id": None if unit is None else
            UNITS[unit], "number": request_number(request_id, at(minutes)),
            "category": "water", "urgency": "normal", "description": "廚房水喉漏水",
            "source": "desk", "reported_at": at(minutes), "contact_name": "陳太", **over}


def start(request: dict[str, Any], minutes: float = 10, **over: Any) -> dict[str, Any]:
    return {"visit_id": str(uuid.uuid4()), "request_id": request["request_id"],
            "basis": "appointment", "arrived_at": at(minutes), "resident_present": True,
            "resident_consent": True, **over}


def close(visit: dict[str, Any], request: dict[str, Any], minutes: float = 60,
          outcome: str = "done", **over: Any) -> dict[str, Any]:
    return {"visit_id": visit["visit_id"], "request_id": request["request_id"],
            "site_id": request["site_id"], "left_at": at(minutes), "outcome": outcome,
            "signature_blob": SIG, "satisfaction": 4, "follow_up_id": str(uuid.uuid4()),
            **over}


def req(db: MemoryDatabase, a: dict[str, Any]) -> dict[str, Any]:
    return db.records[(REQUEST, a["request_id"])].data


def vis(db: MemoryDatabase, a: dict[str, Any]) -> dict[str, Any]:
    return db.records[(VISIT, a["visit_id"])].data


def follow_ups(db: MemoryDatabase) -> list[dict[str, Any]]:
    return [r.data for (t, _), r in db.records.items() if t == FOLLOW_UP]


def kinds(db: MemoryDatabase) -> list[str]:
    return sorted(c.kind for c in db.conflicts.values())


def problems(name: str, args: dict[str, Any]) -> list[tuple[str, str]]:
    spec = default_registry().get(name)
    assert spec is not None
    return [(p.field, p.message) for p in spec.decoder.problems(args)[1]]


# --- reporting: deadlines, unit or area -----------------------------------------------------

async def test_a_report_gets_its_deadlines_and_state() -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    here = report(urgency="urgent")
    there = report(OTHER, 2, urgency="emergency")
    on_site = report(unit=1, source="technician", minutes=5)
    assert await run(db, desk, ("repair.report", here), ("repair.report", there)) == []
    assert await run(db, tech, ("repair.report", on_site)) == []
    d = req(db, here)
    assert (d["respond_by"], d["complete_by"], d["state"], d["assignee_id"]) == (
        at(60), at(600), "new", None)
    assert (req(db, there)["respond_by"], req(db, there)["complete_by"]) == (at(30), at(240))
    o = req(db, on_site)  # the technician on site does it
    assert (o["state"], o["assignee_id"], o["assigned_at"], o["reported_by"]) == (
        "assigned", tech.actor.staff_id, at(5), tech.actor.staff_id)


async def test_a_report_names_a_unit_of_its_site_or_a_public_area() -> None:
    db, desk = estate(), phone()
    assert problems("repair.report", report(unit=None)) == [
        ("area", "Choose a unit or name the public area.")]
    public = report(unit=None, area="大堂升降機")
    again = dict(public)
    codes = await run(db, desk, ("repair.report", report(unit=2)), ("repair.report", public),
                      ("repair.report", again),
                      ("repair.report", {**public, "description": "another"}))
    assert codes == ["unknown_unit", "already_exists"]  # the same report again: a no-op
    assert req(db, public)["area"] == "大堂升降機" and req(db, public)["unit_id"] is None


# --- assigning ------------------------------------------------------------------------------

async def test_assigning_moves_a_new_request_and_refuses_a_finished_one() -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    a = report()
    assign = {"request_id": a["request_id"], "assignee_id": tech.actor.staff_id,
              "assigned_at": at(1), "appointment_at": at(120)}
    assert await run(db, desk, ("repair.report", a), ("repair.assign", assign)) == []
    assert (req(db, a)["state"], req(db, a)["appointment_at"]) == ("assigned", at(120))
    v = start(a)
    assert await run(db, tech, ("repair.start_visit", v)) == []
    assert await run(db, desk, ("repair.assign", {**assign, "appointment_at": None})) == []
    assert req(db, a)["state"] == "in_progress"  # still in progress
    assert await run(db, tech, ("repair.close_visit", close(v, a))) == []
    assert await run(db, desk, ("repair.assign", assign),
                     ("repair.assign", {**assign, "request_id": str(uuid.uuid4())})
                     ) == ["request_closed", "unknown_request"]


# --- the entry checks -----------------------------------------------------------------------

def test_the_entry_checks() -> None:
    a = report()
    assert problems("repair.start_visit", start(a, basis="emergency")) == [
        ("witness", "An emergency entry needs a second staff member or a named witness.")]
    assert problems("repair.start_visit", start(a, basis="emergency", witness="保安 陳生")) == []
    assert problems("repair.start_visit", start(
        a, basis="emergency", second_staff_id=str(uuid.uuid4()))) == []
    assert problems("repair.start_visit", start(a, only_minors=True, resident_consent=False)
                    ) == [("only_minors", "No entry when only minors are at home."),
                          ("resident_consent",
                           "The resident present must consent to the entry.")]
    assert problems("repair.start_visit", start(a, resident_present=False,
                                                resident_consent=False)) == []


# --- closing a visit: outcomes and the request's state ---------------------------------------

@pytest.mark.parametrize(("outcome", "over", "state"), [
    ("done", {}, "done"),
    ("no_one_home", {"notice_photo": SHA, "signature_blob": ""}, "assigned"),
    ("cannot_complete", {"outcome_reason": "缺零件"}, "cannot_complete"),
])
async def test_a_closing_moves_its_request(outcome: str, over: dict[str, Any],
                                           state: str) -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    a = report()
    v = start(a)
    assert await run(db, desk, ("repair.report", a)) == []
    assert await run(db, tech, ("repair.start_visit", v),
                     ("repair.close_visit", close(v, a, outcome=outcome, **over))) == []
    d, w = req(db, a), vis(db, v)
    assert (d["state"], d["started_at"], d["assignee_id"]) == (state, at(10),
                                                               tech.actor.staff_id)
    assert d["finished_at"] == (at(60) if outcome == "done" else None)
    assert d["outcome_reason"] == over.get("outcome_reason", "")
    assert (w["closed_at"], w["outcome"], w["technician_id"]) == (at(60), outcome,
                                                                  tech.actor.staff_id)
    assert w["close_hlc"] and w["device_id"] == tech.actor.device_id


async def test_a_follow_up_outcome_opens_the_rest_of_the_work_as_a_new_request() -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    a = report(urgency="urgent", contact_phone="9123 4567")
    v = start(a)
    rest = str(uuid.uuid4())
    assert await run(db, desk, ("repair.report", a)) == []
    assert await run(db, tech, ("repair.start_visit", v), ("repair.close_visit", close(
        v, a, outcome="follow_up", follow_request_id=rest, outcome_reason="需訂零件"))) == []
    assert req(db, a)["state"] == "done"
    n = db.records[(REQUEST, rest)].data
    assert (n["parent_id"], n["state"], n["assignee_id"], n["source"]) == (
        a["request_id"], "assigned", tech.actor.staff_id, "technician")
    assert (n["number"], n["description"], n["reported_at"]) == (
        request_number(rest, at(60)), "需訂零件", at(60))
    assert (n["respond_by"], n["complete_by"]) == (at(120), at(660))  # the policy's urgent
    assert (n["unit_id"], n["contact_phone"], n["complaint"]) == (UNITS[0], "9123 4567", False)
    assert vis(db, v)["follow_request_id"] == rest


def test_the_closing_checks() -> None:
    a = report()
    v = start(a)
    base = close(v, a, signature_blob="")
    assert problems("repair.close_visit", {**base, "outcome": ""}) == [
        ("outcome", "Choose how the visit ended.")]
    assert problems("repair.close_visit", base) == [
        ("signature_blob", "The resident signs, or say why they did not.")]
    assert problems("repair.close_visit", {**base, "refused_reason": "住戶拒絕"}) == []
    assert problems("repair.close_visit", {**base, "outcome": "no_one_home"}) == [
        ("notice_photo", "Take a photo of the notice left.")]
    assert problems("repair.close_visit", {**base, "outcome": "follow_up", "signature_blob":
                                           SIG}) == [
        ("follow_request_id", "A follow-up needs a new request for the rest of the work.")]
    assert problems("repair.close_visit", {**base, "outcome": "cannot_complete",
                                           "signature_blob": SIG}) == [
        ("outcome_reason", "Say why it could not be completed.")]


async def test_a_closing_before_the_arrival_and_of_another_request_is_refused() -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    a, b = report(), report(unit=1)
    v = start(a, minutes=30)
    assert await run(db, desk, ("repair.report", a), ("repair.report", b)) == []
    codes = await run(db, tech, ("repair.start_visit", v),
                      ("repair.close_visit", close(v, a, minutes=20)),
                      ("repair.close_visit", close(v, b)),
                      ("repair.close_visit", {**close(v, a), "site_id": OTHER}),
                      ("repair.close_visit", {**close(v, a), "visit_id": str(uuid.uuid4())}))
    assert codes == ["left_before_arrival", "unknown_request", "unknown_site", "unknown_visit"]
    assert vis(db, v)["closed_at"] is None


# --- two phones offline: both facts kept, the first stands -----------------------------------

async def test_a_visit_closed_on_two_phones_keeps_the_first_closing() -> None:
    db, desk = estate(sample_percent=100), phone()
    tech = person("technician", (SITE,))
    one, two = Phone(tech), Phone(tech)  # the same technician's two devices
    a = report()
    v = start(a)
    assert await run(db, desk, ("repair.report", a)) == []
    assert await run(db, one, ("repair.start_visit", v)) == []
    first = close(v, a, minutes=50, satisfaction=5)
    second = close(v, a, minutes=55, satisfaction=1, outcome="follow_up",
                   follow_request_id=str(uuid.uuid4()))
    assert await run(db, one, ("repair.close_visit", first)) == []
    assert await run(db, two, ("repair.close_visit", second)) == []
    w = vis(db, v)
    assert (w["closed_at"], w["satisfaction"], w["outcome"]) == (at(50), 5, "done")
    assert kinds(db) == ["double_close"]
    (c,) = db.conflicts.values()
    closings = c.details["closings"]
    assert [(x["left_at"], x["outcome"], x["satisfaction"]) for x in closings] == [
        (at(50), "done", 5), (at(55), "follow_up", 1)]
    assert closings[0]["hlc"] == w["close_hlc"] and closings[1]["hlc"] != w["close_hlc"]
    assert c.record_ids == [v["visit_id"]] and c.staff_ids == [tech.staff_id]
    assert (REQUEST, second["follow_request_id"]) not in db.records
    assert [f["reason"] for f in follow_ups(db)] == ["sampled"]  # one follow-up


@pytest.mark.parametrize("office_first", [True, False])
async def test_the_office_closes_a_request_a_technician_is_working_on(
        office_first: bool) -> None:
    db, desk, tech, office = estate(sample_percent=100), phone(), phone("technician"), \
        phone("supervisor")
    a = report()
    v = start(a)
    shut = {"request_id": a["request_id"], "reason": "住戶取消", "closed_at": at(5)}
    assert await run(db, desk, ("repair.report", a)) == []
    steps = [(office, ("repair.close", shut)), (tech, ("repair.start_visit", v))]
    for ph, step in steps if office_first else reversed(steps):
        assert await run(db, ph, step) == []
    assert await run(db, office, ("repair.close", {**shut, "reason": "again"})) == []  # no-op
    d = req(db, a)
    assert (d["state"], d["closed_at"], d["close_reason"]) == ("closed", at(5), "住戶取消")
    assert vis(db, v)["closed_at"] is None  # the visit is kept
    assert kinds(db) == ["closed_while_working"]
    (c,) = db.conflicts.values()
    assert (c.details["visit_id"], c.details["arrived_at"], c.details["number"],
            c.details["close_reason"]) == (v["visit_id"], at(10), a["number"], "住戶取消")
    assert tech.actor.staff_id in c.staff_ids
    assert await run(db, tech, ("repair.close_visit", close(v, a))) == []
    assert req(db, a)["state"] == "closed" and follow_ups(db) == []  # the office's stands
    assert problems("repair.close", {**shut, "reason": ""}) == [
        ("reason", "Say why the request is closed.")]


# --- the work recorded, the key linked ---------------------------------------------------------

async def test_the_work_and_charges_of_an_open_visit() -> None:
    db, desk, tech = estate(), phone(), phone("technician")
    a = report()
    v = start(a)
    charges = [{"item": " 喉管 ", "qty": 2, "amount": 35.5}, {"item": "人工", "qty": 1,
                                                            "amount": 0.125}]
    work = {"visit_id": v["visit_id"], "fields": {"charges": charges, "found": "漏水"}}
    assert await run(db, desk, ("repair.report", a)) == []
    bad = {**work, "fields": {"charges": [{"item": "x", "qty": 0, "amount": 1}]}}
    assert await run(db, tech, ("repair.start_visit", v), ("repair.update_visit", bad),
                     ("repair.update_visit", work)) == ["invalid_args"]
    assert db.rejections[tech.client_id][-1].field == "charges"
    w = vis(db, v)
    assert (w["total"], w["found"], w["charges"][0]["item"]) == (71.13, "漏水", "喉管")
    assert await run(db, tech, ("repair.close_visit", close(v, a)),
                     ("repair.update_visit", work)) == ["visit_closed"]


async def test_linking_the_key_lent_for_a_request() -> None:
    db, desk = estate(), phone()
    loan = str(uuid.uuid4())
    db.office_write([Record("key_loan", loan, space(SITE, "keys"), 1, {"site_id": SITE})])
    a = report()
    link = {"request_id": a["request_id"], "key_loan_id": loan}
    assert await run(db, desk, ("repair.report", a), ("repair.link_key", link),
                     ("repair.link_key", {**link, "key_loan_id": str(uuid.uuid4())})
                     ) == ["unknown_loan"]
    assert req(db, a)["key_loan_id"] == loan


# --- under faults: the simulated desks and technicians produce every repair conflict ---------

def team_setup() -> Setup:
    """Two desks, a guard, the office, and two technicians — one with two phones (a visit
    closed on both, offline)."""
    def staff(n: int, role: str, *sites: str) -> StaffSpec:
        return StaffSpec(str(uuid.UUID(int=900 + n, version=4)), role, sites)

    def device(n: int, s: StaffSpec, skew: int = 0) -> PhoneSpec:
        return PhoneSpec(str(uuid.UUID(int=950 + n, version=4)), s.staff_id, skew)

    desk, guard = staff(1, "front_desk", SITE_A), staff(2, "patrol", SITE_A)
    desk2 = staff(7, "front_desk", SITE_A)
    office, admin = staff(3, "supervisor", SITE_A, SITE_B), staff(4, "admin", SITE_A, SITE_B)
    lee, wong = staff(5, "technician", SITE_A), staff(6, "technician", SITE_A, SITE_B)
    return Setup(sites=[SITE_A, SITE_B], staff=[desk, desk2, guard, office, admin, lee, wong],
                 phones=[device(1, desk), device(2, lee), device(3, lee, -60_000),
                         device(4, wong), device(5, office), device(6, guard),
                         device(7, desk2, 30_000)],
                 observer=device(9, admin))


def team_factory() -> Any:
    """The in-memory server with each site's repair team set up (the desk assigns from it)."""
    async def factory(setup: Setup, clock: Any) -> MemoryHandle:
        handle = MemoryHandle(setup, clock, page_size=5)
        handle.db.office_write(Record(TECHNICIAN, s.staff_id[:-2] + site[-2:], space(
            site, "visits"), 1, {"site_id": site, "staff_id": s.staff_id, "name": "師傅"})
            for s in setup.staff if s.role == "technician" for site in s.sites)
        return handle
    return factory


def test_the_desks_and_technicians_of_the_scenario_produce_every_repair_conflict() -> None:
    seen: dict[str, int] = {}
    mutations = 0
    kinds_ = ("repair_report", "repair_desk", "repair_visit", "repair_visit", "repair_office",
              "sync", "sync", "tick")
    for seed in range(6):
        rng = random.Random(seed)
        steps = [Step(rng.choice(kinds_), rng.randrange(7), rng.randrange(2**16),
                      rng.randrange(2**16)) for _ in range(300)]
        report = asyncio.run(run_convergence(team_factory(), steps, seed=seed,
                                             faults=FaultPlan(0.1, 0.1, 0.1, 0.1),
                                             setup=team_setup()))
        mutations += report.mutations
        for k, v in report.conflicts.items():
            seen[k] = seen.get(k, 0) + v
    assert mutations > 300
    assert {"double_close", "closed_while_working", "double_follow_up"} <= set(seen), seen
