"""Patrol rules against hostile or buggy phones and two honest phones offline at once, over
the in-memory server: cross-site references, other guards' visits, reviews of what is no
skip, replays with other arguments, finishes and starts arriving out of order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.domains.patrol.records import INCIDENT, ROUND, SCAN
from sync.domains.patrol.scenario import scenario_id, scenario_token, setup_records
from sync.memory import MemoryDatabase
from tests.unit.sync_helpers import NOW, OTHER, SITE, Phone, new_db, person, push

ROUND0 = scenario_id(f"{SITE}:round0")  # slot NOW-1h, start by NOW-30m, due NOW
OTHER_ROUND = scenario_id(f"{OTHER}:round0")
CPS = [scenario_id(f"{SITE}:cp{i}") for i in range(3)]
OTHER_CP = scenario_id(f"{OTHER}:cp0")


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).astimezone(UTC).isoformat()


def estate() -> MemoryDatabase:
    db = new_db()
    db.office_write(setup_records([SITE, OTHER], NOW))
    return db


def guard(sites: tuple[str, ...] = (SITE,), role: str = "patrol") -> Phone:
    return Phone(person(role, sites))


def scan_args(i: int, minutes: float, round_id: str = ROUND0, **over: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "round_id": round_id, "method": "qr",
            "token": scenario_token(f"{SITE}:{i}"), "scanned_at": at(minutes), **over}


def skip_args(i: int, minutes: float, **over: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "round_id": ROUND0, "checkpoint_id": CPS[i],
            "at": at(minutes), "reason": "門鎖上", **over}


async def run(db: MemoryDatabase, ph: Phone, *steps: tuple[str, dict[str, Any]],
              now: datetime = NOW) -> list[str]:
    """Push the steps; the rejection codes of this push, in order."""
    before = len(db.rejections.get(ph.client_id, []))
    await push(db, ph, [ph.m(name, args) for name, args in steps], now=now)
    return [r.code for r in db.rejections.get(ph.client_id, [])[before:]]


def data(db: MemoryDatabase, type_: str, id_: str) -> dict[str, Any]:
    return db.records[(type_, id_)].data


# --- cross-site references -----------------------------------------------------------------

async def test_an_incident_never_names_a_round_or_visit_of_another_site() -> None:
    db = estate()
    both = guard((SITE, OTHER))
    other_scan = scan_args(0, -50, OTHER_ROUND, token=scenario_token(f"{OTHER}:0"))
    assert await run(db, both, ("scan.record", other_scan)) == []
    report = {"checkpoint_id": CPS[0], "description": "漏水", "at": at(-40)}
    codes = await run(db, both,
                      ("incident.report", {**report, "incident_id": str(uuid.uuid4()),
                                           "round_id": OTHER_ROUND}),
                      ("incident.report", {**report, "incident_id": str(uuid.uuid4()),
                                           "scan_id": other_scan["scan_id"]}))
    assert codes == ["unknown_round", "unknown_scan"]
    assert not [k for k in db.records if k[0] == INCIDENT]


async def test_an_incident_names_existing_records_only_and_a_visit_of_its_round() -> None:
    db = estate()
    g = guard()
    mine = scan_args(0, -50)
    assert await run(db, g, ("scan.record", mine)) == []
    report = {"checkpoint_id": CPS[0], "description": "漏水", "at": at(-40)}
    codes = await run(
        db, g,
        ("incident.report", {**report, "incident_id": str(uuid.uuid4()),
                             "round_id": str(uuid.uuid4())}),
        ("incident.report", {**report, "incident_id": str(uuid.uuid4()),
                             "scan_id": str(uuid.uuid4())}),
        ("incident.report", {**report, "incident_id": str(uuid.uuid4()),
                             "round_id": scenario_id(f"{SITE}:round1"),
                             "scan_id": mine["scan_id"]}),
        ("incident.report", {**report, "incident_id": str(uuid.uuid4()), "round_id": ROUND0,
                             "scan_id": mine["scan_id"]}))
    assert codes == ["unknown_round", "unknown_scan", "unknown_scan"]
    assert len([k for k in db.records if k[0] == INCIDENT]) == 1


async def test_a_skip_never_names_a_checkpoint_of_another_site() -> None:
    db = estate()
    both = guard((SITE, OTHER))
    assert await run(db, both, ("scan.skip", skip_args(0, -50, checkpoint_id=OTHER_CP))) \
        == ["not_on_route"]  # the round's route lists its own site's checkpoints only


# --- other people's visits, reviews --------------------------------------------------------

async def test_only_the_guard_who_was_there_answers_a_visits_checklist() -> None:
    db = estate()
    a, b = guard(), guard()
    visit = scan_args(0, -50, answers={"leak": True}, abnormal=True, note="漏水")
    assert await run(db, a, ("scan.record", visit)) == []
    hide = {"scan_id": visit["scan_id"], "answers": {"leak": False}, "abnormal": False}
    assert await run(db, b, ("scan.answer", hide)) == ["unknown_scan"]
    assert data(db, SCAN, visit["scan_id"])["abnormal"] is True
    assert await run(db, a, ("scan.answer", {**hide, "answers": {"pressure": 5},
                                             "abnormal": True})) == []
    assert data(db, SCAN, visit["scan_id"])["answers"] == {"leak": True, "pressure": 5}


async def test_a_skipped_checkpoint_has_no_checklist_answers() -> None:
    db = estate()
    g = guard()
    skip = skip_args(1, -50)
    assert await run(db, g, ("scan.skip", skip)) == []
    answer = {"scan_id": skip["scan_id"], "answers": {"leak": False}}
    assert await run(db, g, ("scan.answer", answer)) == ["unknown_scan"]


async def test_only_a_skip_is_reviewed() -> None:
    db = estate()
    g, boss = guard(), guard(role="supervisor")
    visit = scan_args(0, -50)
    assert await run(db, g, ("scan.record", visit)) == []
    review = {"scan_id": visit["scan_id"], "decision": "rejected", "note": "假"}
    assert await run(db, boss, ("scan.review", review)) == ["unknown_scan"]
    assert data(db, SCAN, visit["scan_id"])["review"] == ""
    assert await run(db, g, ("scan.review", review)) == ["forbidden_role"]


# --- replays with other arguments ----------------------------------------------------------

async def test_a_skip_replayed_with_other_arguments_is_already_exists() -> None:
    db = estate()
    g = guard()
    skip = skip_args(1, -50)
    assert await run(db, g, ("scan.skip", skip)) == []
    codes = await run(db, g, ("scan.skip", skip),
                      ("scan.skip", {**skip, "round_id": scenario_id(f"{SITE}:round1")}),
                      ("scan.skip", {**skip, "at": at(-20)}))
    assert codes == ["already_exists", "already_exists"]
    assert data(db, SCAN, skip["scan_id"])["round_id"] == ROUND0


# --- two phones offline --------------------------------------------------------------------

async def test_a_visit_made_before_the_finish_of_another_phone_completes_the_round() -> None:
    db = estate()
    a, b = guard(), guard()
    # A visits two checkpoints and finishes at -10; B visited the third at -20, synced later
    assert await run(db, a, ("scan.record", scan_args(0, -50)),
                     ("scan.record", scan_args(1, -40)),
                     ("round.finish", {"round_id": ROUND0, "at": at(-10)})) == []
    assert data(db, ROUND, ROUND0)["status"] == "incomplete"
    late = scan_args(2, -20)
    after = scan_args(0, -5)
    assert await run(db, b, ("scan.record", late), ("scan.record", after)) == []
    assert "after_finish" not in data(db, SCAN, late["scan_id"])["flags"]
    assert "after_finish" in data(db, SCAN, after["scan_id"])["flags"]
    assert data(db, ROUND, ROUND0)["status"] == "done"


async def test_a_visit_after_the_finish_does_not_complete_the_round() -> None:
    db = estate()
    a, b = guard(), guard()
    assert await run(db, a, ("scan.record", scan_args(0, -50)),
                     ("round.finish", {"round_id": ROUND0, "at": at(-10)})) == []
    assert await run(db, b, ("scan.record", scan_args(1, -5)),
                     ("scan.skip", skip_args(2, -4))) == []
    assert data(db, ROUND, ROUND0)["status"] == "incomplete"


async def test_a_start_made_before_another_phones_finish_is_no_refusal() -> None:
    db = estate()
    a, b = guard(), guard()
    assert await run(db, a, ("round.start", {"round_id": ROUND0, "at": at(-50)}),
                     ("round.finish", {"round_id": ROUND0, "at": at(-10)})) == []
    assert await run(db, b, ("round.start", {"round_id": ROUND0, "at": at(-45)})) == []
    assert await run(db, b, ("round.start", {"round_id": ROUND0, "at": at(-5)})) \
        == ["round_closed"]
    assert data(db, ROUND, ROUND0)["finished_at"] == at(-10)


async def test_an_unscheduled_round_is_not_due_before_it_starts() -> None:
    db = estate()
    g = guard()
    start = {"round_id": str(uuid.uuid4()), "route_id": scenario_id(f"{SITE}:route"), "at": at(0),
             "due_by": at(-60)}
    assert await run(db, g, ("round.start", start)) == ["invalid_args"]
