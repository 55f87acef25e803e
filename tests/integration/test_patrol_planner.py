"""The patrol planner: slots in the estate's time zone, fixed times, random starts inside
their slot (reproducible), idempotent planning, guards copied, the planner's own identity in
the audit — and the background task that runs it."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from server.accounts.tables import Staff
from server.lib.queries import json_value
from server.patrol import planner
from server.patrol.tables import PatrolRound
from server.sync.tables import AuditEntry
from tests.integration.patrol_planner_support import HK, at_local, local, patrol_set


async def _rounds() -> list[dict]:
    return await PatrolRound.select().order_by(PatrolRound.slot_at)


async def test_every_two_hours_across_midnight_in_the_estate_zone(factory) -> None:
    site = await factory.site()
    ps = await patrol_set(site, every_hours=2, window=("22:00", "06:00"), start_minutes=30,
                          expected_minutes=40)
    now = local(-3, "12:00")
    assert await planner.plan(now, zone=HK) == 4
    rounds = await _rounds()
    assert [at_local(r["slot_at"]) for r in rounds] == ["22:00", "00:00", "02:00", "04:00"]
    first = rounds[0]
    assert first["slot_at"] == local(-3, "22:00")  # 14:00 UTC: counted in Hong Kong time
    assert first["start_by"] - first["slot_at"] == timedelta(minutes=30)
    assert first["due_by"] - first["start_by"] == timedelta(minutes=40)
    assert {str(r["schedule"]) for r in rounds} == {ps.schedule}
    assert {r["status"] for r in rounds} == {"planned"}
    assert rounds[1]["slot_at"] - first["slot_at"] == timedelta(hours=2)
    # the same schedule in another zone: the same local times, other moments
    await PatrolRound.delete(force=True)
    london = ZoneInfo("Europe/London")
    assert await planner.plan(local(-3, "12:00", london), zone=london) == 4
    assert [at_local(r["slot_at"], london) for r in await _rounds()] == [
        "22:00", "00:00", "02:00", "04:00"]


async def test_a_window_that_ends_early_and_one_of_a_whole_day(factory) -> None:
    site = await factory.site()
    a = await patrol_set(site, every_hours=3, window=("20:00", "01:00"), code_prefix="A")
    b = await patrol_set(site, every_hours=6, window=("00:00", "00:00"), code_prefix="B")
    # from 12:00 for 12 hours: A at 20:00 and 23:00; B (all day) at 12:00 (its start
    # window still open) and 18:00 — midnight is the horizon's end, not inside it
    assert await planner.plan(local(-3, "12:00"), timedelta(hours=12), zone=HK) == 4
    rounds = await _rounds()
    assert [(at_local(r["slot_at"]), str(r["schedule"])) for r in rounds] == [
        ("12:00", b.schedule), ("18:00", b.schedule), ("20:00", a.schedule),
        ("23:00", a.schedule)]
    schedule = next(s for s, _ in await planner.active_schedules() if s.id == a.schedule)
    day = local(-3, "12:00").astimezone(HK).date()
    # the last slot ends with the window (two hours, not three)
    assert [(at_local(t), minutes) for t, minutes in planner.day_slots(schedule, day, HK)] == [
        ("20:00", 180), ("23:00", 120)]


async def test_fixed_times_and_the_horizon(factory) -> None:
    site = await factory.site()
    await patrol_set(site, every_hours=0, window=("", ""), fixed_times=("15:00", "09:00"),
                     start_minutes=60, expected_minutes=45)
    now = local(-3, "10:00")
    # 09:00 today: its start window (until 10:00) has closed; 15:00 today and 09:00 tomorrow
    assert await planner.plan(now, zone=HK) == 2
    rounds = await _rounds()
    assert [(r["slot_at"], r["start_by"], r["due_by"]) for r in rounds] == [
        (local(-3, "15:00"), local(-3, "16:00"), local(-3, "16:45")),
        (local(-2, "09:00"), local(-2, "10:00"), local(-2, "10:45"))]
    # a shorter horizon plans less; nothing is planned twice
    await PatrolRound.delete(force=True)
    assert await planner.plan(now, timedelta(hours=6), zone=HK) == 1


async def test_random_start_stays_inside_its_slot_and_is_reproducible(factory) -> None:
    site = await factory.site()
    ps = await patrol_set(site, every_hours=2, window=("22:00", "06:00"), random_start=True,
                          start_minutes=30)
    now = local(-6, "12:00")
    assert await planner.plan(now, timedelta(days=3), zone=HK) == 12
    first = {str(r["id"]): r["slot_at"] for r in await _rounds()}
    offsets = []
    for r in await _rounds():
        base = r["slot_at"].astimezone(HK).replace(minute=0)
        base -= timedelta(hours=base.hour % 2)  # the even hour the slot began at
        offset = r["slot_at"] - base
        offsets.append(offset)
        assert timedelta(0) <= offset <= timedelta(minutes=120 - 30)
        assert r["start_by"] - r["slot_at"] == timedelta(minutes=30)
        assert r["start_by"] <= base + timedelta(hours=2)  # the start window inside the slot
    assert len(set(offsets)) > 3  # not one fixed minute: nobody can predict the round
    # planned again from scratch: the same rounds, the same minutes
    await PatrolRound.delete(force=True)
    assert await planner.plan(now, timedelta(days=3), zone=HK) == 12
    assert {str(r["id"]): r["slot_at"] for r in await _rounds()} == first
    # the pure function agrees with what was stored
    slots = planner.slots((await planner.active_schedules())[0][0], 40, now,
                          now + timedelta(days=3), HK)
    assert {s.round_id: s.slot_at for s in slots} == first
    assert all(s.schedule_id == ps.schedule for s in slots)


async def test_planning_twice_creates_nothing_new_and_guards_are_copied(factory) -> None:
    site = await factory.site()
    g1 = await factory.staff("g1", role="patrol", sites=(site,))
    g2 = await factory.staff("g2", role="patrol", sites=(site,))
    await patrol_set(site, guard_ids=(g1, g2), random_start=True)
    now = local(-3, "12:00")
    assert await planner.plan(now, zone=HK) == 4
    before = await _rounds()
    versions = {str(r["id"]): r["version"] for r in before}
    assert await planner.plan(now, zone=HK) == 0
    assert await planner.plan(now + timedelta(minutes=7), zone=HK) == 0
    after = await _rounds()
    assert {str(r["id"]): r["version"] for r in after} == versions
    assert all(json_value(r["guard_ids"]) == [g1, g2] for r in after)
    # the audit names the planner, a fixed system identity (no person, no sign-in)
    entries = await AuditEntry.select().where(AuditEntry.record_type == "round")
    assert len(entries) == 4
    assert {str(e["staff"]) for e in entries} == {planner.PLANNER_ID}
    assert {e["action"] for e in entries} == {"round.plan"}
    assert {e["device"] for e in entries} == {None}
    me = await Staff.select().where(Staff.id == planner.PLANNER_ID).first()
    assert me is not None
    assert (me["username"], me["role"], me["active"], me["password_hash"]) == (
        "system:planner", "admin", False, "")
    assert await Staff.count().where(Staff.id == planner.PLANNER_ID) == 1


async def test_inactive_schedules_and_routes_plan_nothing(factory) -> None:
    from server.patrol.tables import PatrolRoute, PatrolSchedule

    site = await factory.site()
    a = await patrol_set(site, code_prefix="A")
    b = await patrol_set(site, code_prefix="B")
    await PatrolSchedule.update({PatrolSchedule.active: False}).where(
        PatrolSchedule.id == a.schedule)
    await PatrolRoute.update({PatrolRoute.active: False}).where(PatrolRoute.id == b.route)
    assert await planner.plan(local(-3, "12:00"), zone=HK) == 0
    assert await Staff.count() == 0  # nothing to write: no planner row either


async def test_the_history_names_the_planner(factory) -> None:
    from server.review.queries import history

    site = await factory.site()
    await patrol_set(site, every_hours=0, fixed_times=("15:00",))
    assert await planner.plan(local(-3, "10:00"), zone=HK) == 1
    rnd = (await _rounds())[0]
    trail = await history("round", str(rnd["id"]))
    assert [(e["action"], e["who"]) for e in trail] == [("round.plan", planner.PLANNER_NAME)]


async def test_the_background_task_logs_errors_and_stops_cleanly(monkeypatch, caplog) -> None:
    calls: list[int] = []

    async def failing(now=None) -> tuple[int, int]:
        calls.append(1)
        raise RuntimeError("database away")

    monkeypatch.setattr(planner, "run_once", failing)
    assert planner.start(0) is None  # 0: switched off
    with caplog.at_level(logging.ERROR, logger="server.patrol.planner"):
        task = planner.start(0.01)
        assert task is not None
        await asyncio.sleep(0.1)
        assert not task.done()  # an error never ends it
        await planner.stop(task)
    assert task.cancelled()
    assert len(calls) >= 2
    assert "patrol planner failed" in caplog.text and "database away" in caplog.text


# --- the demo estate's patrol ---------------------------------------------------------------

async def test_the_demo_estate_has_patrol_set_up_history_and_rounds_for_guard(
        client, settings) -> None:
    from datetime import UTC, datetime

    from server.demo.loader import load_demo
    from server.estate.tables import Site
    from server.patrol.tables import (
        PatrolChecklist,
        PatrolCheckpoint,
        PatrolIncident,
        PatrolRoute,
        PatrolScan,
        PatrolSchedule,
    )
    from server.sync.tables import Blob, BlobRef
    from sync.domains.patrol.records import TOKEN_PATTERN
    from tests.integration.sync_support import phone, pull_all

    before = datetime.now(UTC).replace(microsecond=0)
    counts = await load_demo()
    assert counts["checkpoints"] == 2 * (4 * 8 + 6) and counts["routes"] == counts[
        "schedules"] == 6
    lists = {r["name"]: r for r in await PatrolChecklist.select()}
    assert {"消防喉轆檢查", "消防控制屏檢查", "走火通道及防煙門", "大堂入口清潔",
            "樓梯及扶手清潔", "燈具及雲石清潔", "樓梯級面清洗"} <= set(lists)
    assert {(n, lists[n]["frequency"]) for n in ("大堂入口清潔", "樓梯及扶手清潔",
                                                "燈具及雲石清潔", "樓梯級面清洗")} == {
        ("大堂入口清潔", "每日兩次"), ("樓梯及扶手清潔", "每日一次"),
        ("燈具及雲石清潔", "每星期一次"), ("樓梯級面清洗", "每月兩次")}
    pressure = json_value(lists["消防喉轆檢查"]["items"])[0]
    assert (pressure["type"], pressure["min"], pressure["max"], pressure["photo_if_abnormal"]) \
        == ("number", 2, 8, True)
    cps = await PatrolCheckpoint.select()
    assert len({c["token"] for c in cps}) == len(cps)  # random, never the code
    assert all(re.fullmatch(TOKEN_PATTERN, c["token"]) and c["code"] not in c["token"]
               for c in cps)
    routes = await PatrolRoute.select()
    assert {r["ordered"] for r in routes} == {True, False}
    schedules = await PatrolSchedule.select()
    assert any(s["every_hours"] == 2 and (s["window_start"], s["window_end"]) == (
        "22:00", "06:00") and s["random_start"] for s in schedules)
    assert any(json_value(s["fixed_times"]) == ["09:00", "15:00"] for s in schedules)
    # eight weeks of history: misses, late rounds, typed codes, skips awaiting review, photos
    rounds = await _rounds()
    assert rounds[0]["slot_at"] < before - timedelta(days=27)
    past = [r for r in rounds if r["due_by"] < before]
    share = {k: sum(r["status"] == k for r in past) / len(past)
             for k in ("done", "missed", "incomplete")}
    assert 0.02 < share["missed"] < 0.1 and share["incomplete"] > 0.01 and share["done"] > 0.75
    assert sum(r["late"] for r in past) > 0.03 * len(past)
    scans = await PatrolScan.select(PatrolScan.method, PatrolScan.review, PatrolScan.photos,
                                    PatrolScan.space, PatrolScan.version)
    typed = sum(s["method"] == "typed" for s in scans) / len(scans)
    assert 0.05 < typed < 0.15
    assert any(s["review"] == "pending" for s in scans)
    # written in bulk at version 1; the few the phones pushed (the console's set piece) later
    assert sum(s["version"] != 1 for s in scans) < 10
    assert all(s["version"] >= 1 and s["space"] for s in scans)
    assert await PatrolIncident.count() > 10
    photo = await Blob.select().first()
    assert photo is not None and bytes(photo["data"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert await BlobRef.count().where(BlobRef.record_type == "scan") > 10
    # today: every slot the planner would plan is there already (one id per slot)
    due = await planner.due_slots(before)
    assert due and await planner.existing_rounds([s.round_id for s in due]) == {
        s.round_id for s in due}
    # `guard` has a round due now and more later today, and the phone pulls them
    guard = await Staff.select().where(Staff.username == "guard").first()
    assert guard is not None
    gid = str(guard["id"])
    mine = [r for r in rounds if gid in (json_value(r["guard_ids"]) or [])]
    assert any(r["status"] == "planned" and r["slot_at"] <= before < r["start_by"]
               for r in mine)
    assert sum(r["status"] == "planned" and r["slot_at"] > before for r in mine) >= 3
    p = await phone(settings, gid)
    await pull_all(client, p)
    kinds = {t for t, _i in p.replica}
    assert {"checkpoint", "checklist", "route", "schedule", "round", "scan", "incident"} <= kinds
    hyg = await Site.select(Site.id).where(Site.code == "HYG").first()
    assert hyg is not None  # the guard's only site: its rounds, none of the other's
    assert sum(t == "round" for t, _i in p.replica) == sum(
        str(r["site"]) == str(hyg["id"]) for r in await _rounds())


async def test_the_planner_is_not_listed_as_staff(client, factory) -> None:
    """The audit names the planner, but it is no person: the staff list does not show it."""
    from tests.conftest import TEST_PASSWORD
    from tests.factories import sign_in

    site = await factory.site()
    await factory.staff("boss", role="admin")
    await patrol_set(site)
    assert await planner.plan(local(-3, "12:00"), zone=HK) > 0
    await sign_in(client, "boss", TEST_PASSWORD)
    page = await client.get("/office/staff")
    assert page.status_code == 200 and "boss" in page.text
    assert "system:planner" not in page.text and planner.PLANNER_NAME not in page.text


async def test_the_server_runs_the_planner_while_it_is_up(db, settings, monkeypatch) -> None:
    """The app's lifespan starts the domains' timers (server/domains.py ``background``) and
    stops them at shutdown; 0 seconds switches the planner off."""
    from litestar.testing import AsyncTestClient
    from msgspec.structs import replace

    from server.app import create_app

    runs: list[int] = []

    async def counted(now=None) -> tuple[int, int]:
        runs.append(1)
        return 0, 0

    monkeypatch.setattr(planner, "run_once", counted)
    app = create_app(replace(settings, patrol_plan_seconds=3600), engine=db.engine)
    async with AsyncTestClient(app):
        await asyncio.sleep(0.05)
        assert runs == [1]  # at once, then every hour
        (_part, task), = app.state.background
        assert not task.done()
    assert task.cancelled()
    off = create_app(replace(settings, patrol_plan_seconds=0), engine=db.engine)
    async with AsyncTestClient(off):
        assert off.state.background[0][1] is None
    assert runs == [1]
