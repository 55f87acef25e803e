"""Patrol rules against hostile or buggy phones and two honest phones offline at once, through
the sync API on SQLite and PostgreSQL (times read back from the database compare as sent):
another guard's visit, a review of what is no skip, an incident naming another site's round,
a visit and a start made before another phone's finish."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from server.patrol.tables import PatrolRound, PatrolScan
from sync import SCHEMA_VERSION
from tests.integration import sync_support as ss
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import a_round, hours_ago, patrol_estate


@pytest.fixture
async def estate(factory: Any) -> Estate:
    e = await patrol_estate(factory)
    e.guard2 = await factory.staff("guard2", role="patrol", sites=(e.a,))
    e.roamer = await factory.staff("roamer", role="patrol", sites=(e.a, e.b))
    return e


async def _codes(client: Any, p: Any, *steps: tuple[str, dict[str, Any]]) -> list[str]:
    """Push the steps; every rejection code of this phone so far, in order."""
    r = await client.post(ss.PUSH, headers=p.headers,
                          json=p.body([p.mutation(name, args) for name, args in steps]))
    assert r.status_code == 200, r.text
    r = await client.post(ss.PULL, headers=p.headers, json={
        "client_id": p.client_id, "schema_version": SCHEMA_VERSION})
    assert r.status_code == 200, r.text
    return [x["code"] for x in r.json()["rejections"]]


def _scan(rnd: str, token: str, when: Any, **over: Any) -> dict[str, Any]:
    return {"scan_id": str(uuid.uuid4()), "round_id": rnd, "method": "qr", "token": token,
            "scanned_at": when.isoformat(), **over}


async def test_two_phones_offline_a_visit_and_a_start_before_the_finish_count(
        client: Any, settings: Any, estate: Estate) -> None:
    slot = hours_ago(1)
    rnd = await a_round(estate, slot=slot)
    a = await ss.phone(settings, estate.guard)
    b = await ss.phone(settings, estate.guard2)
    at = lambda m: slot + timedelta(minutes=m)  # noqa: E731
    assert await _codes(client, a, ("round.start", {"round_id": rnd, "at": at(1).isoformat()}),
                        ("scan.record", _scan(rnd, estate.t1, at(5))),
                        ("scan.record", _scan(rnd, estate.t2, at(10))),
                        ("round.finish", {"round_id": rnd, "at": at(30).isoformat()})) == []
    row = await PatrolRound.select(PatrolRound.status).where(PatrolRound.id == rnd).first()
    assert row["status"] == "incomplete"
    before = _scan(rnd, estate.t3, at(20))
    after = _scan(rnd, estate.t1, at(40))
    # B started at 2 and visited the third checkpoint at 20, offline; it syncs after A
    assert await _codes(client, b, ("round.start", {"round_id": rnd, "at": at(2).isoformat()}),
                        ("scan.record", before), ("scan.record", after)) == []
    row = await PatrolRound.select(PatrolRound.status).where(PatrolRound.id == rnd).first()
    assert row["status"] == "done"
    flags = {str(s["id"]): s["flags"] for s in await PatrolScan.select(
        PatrolScan.id, PatrolScan.flags).where(PatrolScan.round == rnd)}
    assert "after_finish" not in flags[before["scan_id"]]
    assert "after_finish" in flags[after["scan_id"]]
    assert await _codes(client, b, ("round.start", {"round_id": rnd,
                                                    "at": at(45).isoformat()})) \
        == ["round_closed"]


async def test_another_guards_visit_is_neither_answered_nor_reviewed_as_a_skip(
        client: Any, settings: Any, estate: Estate) -> None:
    slot = hours_ago(0.5)
    rnd = await a_round(estate, slot=slot)
    a = await ss.phone(settings, estate.guard)
    b = await ss.phone(settings, estate.guard2)
    boss = await ss.phone(settings, estate.boss)
    visit = _scan(rnd, estate.t1, slot + timedelta(minutes=5),
                  answers={"i2": False}, abnormal=True, note="出口堵塞")
    assert await _codes(client, a, ("scan.record", visit)) == []
    assert await _codes(client, b, ("scan.answer", {
        "scan_id": visit["scan_id"], "answers": {"i2": True}, "abnormal": False})) \
        == ["unknown_scan"]
    assert await _codes(client, boss, ("scan.review", {
        "scan_id": visit["scan_id"], "decision": "confirmed"})) == ["unknown_scan"]
    row = await PatrolScan.select(PatrolScan.abnormal, PatrolScan.review, PatrolScan.answers) \
        .where(PatrolScan.id == visit["scan_id"]).first()
    answers = row["answers"]
    assert (json.loads(answers) if isinstance(answers, str) else answers) == {"i2": False}
    assert row["abnormal"] is True and row["review"] == ""


async def test_an_incident_never_names_a_round_of_another_site(
        client: Any, settings: Any, estate: Estate) -> None:
    other = await a_round(estate, slot=hours_ago(0.5), site=estate.b)
    p = await ss.phone(settings, estate.roamer)
    report = {"incident_id": str(uuid.uuid4()), "checkpoint_id": estate.p1, "round_id": other,
              "description": "漏水", "at": hours_ago(0.2).isoformat()}
    assert await _codes(client, p, ("incident.report", report)) == ["unknown_round"]
