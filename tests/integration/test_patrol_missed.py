"""Missed rounds are computed by the server, with no phone syncing, and revised when late
data arrives — the audit keeps both (issue 9's second acceptance test)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from server.lib.queries import json_value
from server.patrol import planner
from server.patrol.tables import PatrolRound, PatrolScan
from server.sync.tables import AuditEntry
from sync.context import iso
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.patrol_planner_support import HK, PatrolSet, local, patrol_set
from tests.integration.sync_support import PUSH, Phone, phone


async def _push(client: Any, p: Phone, *mutations: tuple[str, dict[str, Any]]) -> dict:
    r = await client.post(PUSH, headers=p.headers,
                          json=p.body([p.mutation(n, a) for n, a in mutations]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rejected"] == 0, body
    return body


async def _round(round_id: str) -> dict[str, Any]:
    row = await PatrolRound.select().where(PatrolRound.id == round_id).first()
    assert row is not None
    return row


def _scan(ps: PatrolSet, round_id: str, n: int, at: datetime) -> tuple[str, dict[str, Any]]:
    return ("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": round_id,
                            "method": "qr", "token": ps.tokens[n], "scanned_at": iso(at)})


async def _planned_night(factory: Any) -> tuple[PatrolSet, str, list[dict[str, Any]]]:
    site = await factory.site(code="HYG")
    guard = await factory.staff("g1", role="patrol", sites=(site,))
    # two rounds: 22:00 and 00:00, each to start within 30 minutes, due 40 minutes later
    ps = await patrol_set(site, every_hours=2, window=("22:00", "02:00"), start_minutes=30,
                          expected_minutes=40, guard_ids=(guard,))
    assert await planner.plan(local(-3, "21:00"), zone=HK) == 2
    rounds = await PatrolRound.select().order_by(PatrolRound.slot_at)
    return ps, guard, rounds


async def test_a_partial_round_and_a_round_never_started_show_missed(
        client: Any, settings: Any, factory: Any) -> None:
    ps, guard, (first, second) = await _planned_night(factory)
    first_id, second_id = str(first["id"]), str(second["id"])
    p = await phone(settings, guard)
    # the 22:00 round: started, two of its three checkpoints scanned, finished
    t = local(-3, "22:05")
    await _push(client, p, ("round.start", {"round_id": first_id, "at": iso(t)}),
                _scan(ps, first_id, 0, t + timedelta(minutes=3)),
                _scan(ps, first_id, 1, t + timedelta(minutes=9)),
                ("round.finish", {"round_id": first_id, "at": iso(t + timedelta(minutes=20))}))
    # the 00:00 round: no phone ever syncs. Before its start window closes, nothing happens
    assert await planner.sweep(local(-2, "00:29")) == 0
    assert (await _round(second_id))["status"] == "planned"
    # after both windows: the server marks it missed on its own
    sweep_at = local(-2, "01:00")
    assert await planner.sweep(sweep_at) == 1
    assert await planner.sweep(sweep_at + timedelta(minutes=5)) == 0  # once

    done = await _round(first_id)
    assert done["status"] == "incomplete" and done["missed_at"] is None
    visited = {str(r["checkpoint"]) for r in await PatrolScan.select(
        PatrolScan.checkpoint).where(PatrolScan.round == first_id)}
    route = ps.checkpoints
    assert set(route) - visited == {route[2]}  # the missed checkpoint
    missed = await _round(second_id)
    assert missed["status"] == "missed" and missed["missed_at"] == sweep_at
    assert missed["started_at"] is None and json_value(missed["guard_ids"]) == [guard]
    # the office sees it: the round's history shows the planner marking it missed
    audit = await AuditEntry.select().where(AuditEntry.record_id == second_id).order_by(
        AuditEntry.version)
    assert [(a["action"], str(a["staff"]), a["device"]) for a in audit] == [
        ("round.plan", planner.PLANNER_ID, None), ("round.miss", planner.PLANNER_ID, None)]
    await _office_sees(client, factory, ps, first_id, second_id)


async def _office_sees(client: Any, factory: Any, ps: PatrolSet, incomplete: str,
                       missed: str) -> None:
    """The office's pages show it, without any phone: the board, the round, exceptions."""
    from server.review.queries import history

    trail = await history("round", missed)
    assert [e["who"] for e in trail] == [planner.PLANNER_NAME] * 2
    await factory.staff("boss", role="supervisor", sites=(ps.site,))
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, "boss", TEST_PASSWORD)
    night, after = (local(d, "12:00").astimezone(HK).date().isoformat() for d in (-3, -2))
    board = await client.get(f"/office/patrol?site={ps.site}&day={after}")
    assert board.status_code == 200
    assert re.search(r'badge state-missed">Missed<', board.text), board.text
    page = await client.get(f"/office/patrol/rounds/{incomplete}")
    assert page.status_code == 200
    assert "1 checkpoints not visited." in page.text
    missed_stop = re.search(rf"{ps.codes[2]} · [^<]*<span class=\"badge alert\">Missed<",
                            page.text)
    assert missed_stop is not None, page.text
    for code in ps.codes[:2]:
        assert not re.search(rf"{code} · [^<]*<span class=\"badge alert\">", page.text)
    listing = await client.get(
        f"/office/patrol/exceptions?site={ps.site}&date_from={night}&date_to={after}")
    assert listing.status_code == 200
    assert f'href="/office/patrol/rounds/{missed}"' in listing.text
    missed_section = listing.text.split("Missed rounds", 1)[1].split("</ul>", 1)[0]
    assert missed in missed_section and incomplete not in missed_section


async def test_late_data_revises_a_missed_round_and_the_audit_keeps_both(
        client: Any, settings: Any, factory: Any) -> None:
    ps, guard, (_first, second) = await _planned_night(factory)
    second_id = str(second["id"])
    sweep_at = local(-2, "01:00")
    assert await planner.sweep(sweep_at) == 2
    assert (await _round(second_id))["status"] == "missed"
    # the guard did walk it: the phone was offline and syncs hours later
    p = await phone(settings, guard)
    walked = local(-2, "00:40")  # after the start window (00:30): a late start
    await _push(client, p, _scan(ps, second_id, 0, walked))
    revised = await _round(second_id)
    assert revised["status"] == "in_progress" and revised["late"] is True
    assert revised["started_at"] == walked and str(revised["started_by"]) == guard
    assert revised["missed_at"] == sweep_at  # when it was marked stays on record
    audit = await AuditEntry.select().where(AuditEntry.record_id == second_id).order_by(
        AuditEntry.version)
    entries = [(a["action"], str(a["staff"]), a["device"] is not None) for a in audit]
    assert entries == [("round.plan", planner.PLANNER_ID, False),
                       ("round.miss", planner.PLANNER_ID, False),
                       ("scan.record", guard, True)]
    miss, revision = audit[1], audit[2]
    assert json_value(miss["changes"])["status"] == ["planned", "missed"]
    assert json_value(revision["changes"])["status"] == ["missed", "in_progress"]
    # past its due time and still not finished: incomplete (never missed again)
    assert await planner.sweep(sweep_at + timedelta(hours=3)) == 1
    assert (await _round(second_id))["status"] == "incomplete"
    # finished later: incomplete (two checkpoints unvisited), late, the miss still on record
    await _push(client, p, ("round.finish", {"round_id": second_id,
                                             "at": iso(walked + timedelta(minutes=50))}))
    final = await _round(second_id)
    assert (final["status"], final["late"]) == ("incomplete", True)
    assert final["finished_at"] == walked + timedelta(minutes=50)


async def test_a_round_started_in_time_is_never_marked_missed(
        client: Any, settings: Any, factory: Any) -> None:
    ps, guard, (first, second) = await _planned_night(factory)
    p = await phone(settings, guard)
    await _push(client, p, _scan(ps, str(first["id"]), 0, local(-3, "22:10")))
    # before its due time (22:00 + 30 + 40 minutes) the started round is left alone
    assert await planner.sweep(local(-3, "23:05")) == 0
    assert (await _round(str(first["id"])))["status"] == "in_progress"
    # later: never finished, so incomplete (not missed); the 00:00 round nobody started: missed
    assert await planner.sweep(local(-2, "06:00")) == 2
    assert (await _round(str(first["id"])))["status"] == "incomplete"
    assert (await _round(str(second["id"])))["status"] == "missed"
    # the phone's finish arrives late: it revises the round (still incomplete: one visit)
    await _push(client, p, ("round.finish", {"round_id": str(first["id"]),
                                             "at": iso(local(-3, "23:20"))}))
    row = await _round(str(first["id"]))
    assert row["status"] == "incomplete" and row["finished_at"] is not None
