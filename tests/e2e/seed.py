"""Seed the browser tests' database (run in a subprocess: ``python -m tests.e2e.seed URL``).

The demo estate, plus a second front-desk account for 海悅花園 (two phones lending the same
key) and a separate site with 500 keys and its own desk account (the board benchmark), a
patrol set-up at 海悅花園 for the guard's phone (:func:`seed_patrol`), and IC cards at both
(:func:`seed_cards`: a card policy, access zones and a stock of cards; the benchmark site
gets a building of units to issue them to).
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import uuid
from datetime import UTC, datetime, timedelta

from server import db
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff, StaffSite
from server.cards.tables import CardPolicy, CardQuota, CardZone
from server.demo.loader import DEMO_PASSWORD, load_demo
from server.estate.tables import Building, Site, Unit
from server.keys.tables import KeyTag
from server.lib.security import hash_password
from server.patrol.tables import (
    PatrolChecklist,
    PatrolCheckpoint,
    PatrolRetiredTag,
    PatrolRoute,
)
from server.sync import office
from server.sync.spaces import bump_for, space_of
from server.sync.tables import SpaceVersion
from sync.streams import site_spaces

PERF_KEYS = 500
PERF_UNITS = 30


async def seed(url: str) -> None:
    engine = db.make_engine(url)
    await db.start(engine)
    try:
        await db.migrate(engine)
        await load_demo()
        hyg = await Site.select(Site.id).where(Site.code == "HYG").first()
        password = hash_password(DEMO_PASSWORD)
        desk2 = Staff(username="desk2", display_name="何詠詩 (前台)", password_hash=password,
                      role="front_desk")
        await desk2.save()
        await StaffSite(staff=desk2.id, site=hyg["id"]).save()

        perf_id = uuid.uuid4()
        await Site.insert(Site(id=perf_id, code="PRF", name="測試花園",
                               space=space_of("site", str(perf_id)), version=1))
        await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                    for s in site_spaces(str(perf_id))])
        await KeyTag.insert(*[
            KeyTag(site=perf_id, code=f"PRF-K{n:03d}", label=f"公共地方 {n}",
                   category="public_area", space=space_of("key", str(perf_id)), version=1)
            for n in range(1, PERF_KEYS + 1)
        ])
        perf = Staff(username="perfdesk", display_name="測試前台", password_hash=password,
                     role="front_desk")
        await perf.save()
        await StaffSite(staff=perf.id, site=perf_id).save()
        await seed_patrol(str(hyg["id"]))
        await seed_units(str(perf_id), "PRF", PERF_UNITS)
        for site_id, prefix in ((str(hyg["id"]), "E2E"), (str(perf_id), "PRF")):
            await seed_cards(site_id, prefix)
    finally:
        await db.stop(engine)


PATROL_ROUTE = "E2E 夜間巡邏"
PATROL_ITEMS = [
    {"id": "exit", "label": "走火通道暢通", "type": "yesno"},
    {"id": "pressure", "label": "消防喉轆水壓", "type": "number", "min": 2, "max": 8,
     "unit": "bar", "photo_if_abnormal": True},
    {"id": "lamp", "label": "燈光", "type": "choice", "choices": ["正常", "昏暗", "不亮"]},
    {"id": "remark", "label": "備註", "type": "text"},
]


async def seed_patrol(site_id: str) -> None:
    """Four checkpoints at ``site_id`` (codes E2E-CP1..4, random QR tokens; CP1's label was
    re-issued, so an old token is retired), a checklist for them, an ordered route and a
    round planned now for every guard of the site (through the planner's own mutation,
    ``round.plan``, as an administrator)."""
    space, version = await bump_for("checklist", site_id)
    checklist_id = uuid.uuid4()
    await PatrolChecklist.insert(PatrolChecklist(
        id=checklist_id, site=site_id, name="E2E 消防巡查", for_kind="hose_reel",
        items=PATROL_ITEMS, space=space, version=version))
    checkpoints = [
        PatrolCheckpoint(id=uuid.uuid4(), site=site_id, code=f"E2E-CP{n}",
                         name=f"第{n}座 消防喉轆", floor=str(n), place="後樓梯",
                         kind="hose_reel", token=secrets.token_urlsafe(18),
                         checklist=checklist_id if n != 4 else None,
                         space=space, version=version)
        for n in range(1, 5)]
    await PatrolCheckpoint.insert(*checkpoints)
    await PatrolRetiredTag.insert(PatrolRetiredTag(
        id=uuid.uuid4(), site=site_id, checkpoint=checkpoints[0].id,
        token=secrets.token_urlsafe(18), retired_at=datetime.now(UTC) - timedelta(days=3),
        space=space, version=version))
    route_id = uuid.uuid4()
    await PatrolRoute.insert(PatrolRoute(
        id=route_id, site=site_id, name=PATROL_ROUTE, ordered=True, expected_minutes=30,
        checkpoint_ids=[str(c.id) for c in checkpoints], space=space, version=version))
    admin = await Staff.select(Staff.id).where(Staff.username == "admin").first()
    user = CurrentUser(id=str(admin["id"]), username="admin", display_name="admin",
                       role="admin", site_ids=(site_id,))
    now = datetime.now(UTC).replace(microsecond=0)
    await office.apply(user, [("round.plan", {
        "round_id": str(uuid.uuid4()), "route_id": str(route_id),
        "slot_at": (now - timedelta(minutes=5)).isoformat(),
        "start_by": (now + timedelta(hours=2)).isoformat(),
        "due_by": (now + timedelta(hours=3)).isoformat(), "guard_ids": []})])


async def seed_units(site_id: str, code: str, n: int) -> None:
    """One building of ``n`` units at ``site_id`` (the benchmark site has none)."""
    space, version = await bump_for("unit", site_id)
    building_id = uuid.uuid4()
    await Building.insert(Building(id=building_id, site=site_id, code=code, name=f"{code} 座",
                                   space=space, version=version))
    await Unit.insert(*[
        Unit(id=uuid.uuid4(), site=site_id, building=building_id,
             number=f"{i // 8 + 1}/F-{i % 8 + 1:02d}", floor=str(i // 8 + 1), space=space,
             version=version)
        for i in range(n)])


CARD_ZONES = (("LOBBY", "大堂大門", "door"), ("LIFT", "升降機（住客樓層）", "lift"),
              ("CARPARK", "停車場", "car_park"))
CARD_STOCK = 40


async def seed_cards(site_id: str, prefix: str) -> None:
    """IC cards at ``site_id``: a policy (two cards a unit, two years, fee 50, deposit 100) and
    three zones as the office's lists keep them (unless the site has its own already: the
    demo's), a quota of two cards for three units, and a stock of cards ``<prefix>-C001``…
    put in through ``card.stock``, as the office's import."""
    if not await CardPolicy.exists().where(CardPolicy.site == site_id):
        space, version = await bump_for("card_policy", site_id)
        await CardPolicy.insert(CardPolicy(id=uuid.uuid4(), site=site_id, quota=2,
                                           validity_days=730, fee=50.0, deposit=100.0,
                                           space=space, version=version))
    if not await CardZone.exists().where(CardZone.site == site_id):
        space, version = await bump_for("card_zone", site_id)
        await CardZone.insert(*[
            CardZone(id=uuid.uuid4(), site=site_id, code=code, name=name, kind=kind,
                     space=space, version=version) for code, name, kind in CARD_ZONES])
    # a few units with residents and no card yet get a quota of their own: two cards
    units = await Unit.raw(
        "select u.id from unit u where u.site = {} and u.active and exists (select 1 from"
        " resident r where r.unit = u.id and r.active) and not exists (select 1 from"
        " card_issue i where i.unit = u.id) order by u.number limit 3 offset 40", site_id)
    if units:
        space, version = await bump_for("card_quota", site_id)
        await CardQuota.insert(*[
            CardQuota(id=uuid.uuid4(), site=site_id, unit=u["id"], quota=2,
                      notes="E2E: 兩張卡", space=space, version=version) for u in units])
    admin = await Staff.select(Staff.id).where(Staff.username == "admin").first()
    user = CurrentUser(id=str(admin["id"]), username="admin", display_name="admin",
                       role="admin", site_ids=(site_id,))
    await office.apply(user, [("card.stock", {
        "card_id": str(uuid.uuid4()), "site_id": site_id, "number": f"{prefix}-C{n:03d}",
        "technology": "ic", "batch": "E2E-2026"}) for n in range(1, CARD_STOCK + 1)])


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1]))
