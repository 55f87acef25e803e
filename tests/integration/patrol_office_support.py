"""Shared helpers for the office's patrol page tests: a two-site estate with checkpoints, a
checklist, a route, guards and rounds (rows written as the office and the planner would)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.patrol.tables import (
    PatrolChecklist,
    PatrolCheckpoint,
    PatrolRound,
    PatrolRoute,
)
from server.sync.spaces import space_of
from tests.integration.office_keys_support import Estate

ITEMS = [{"id": "i1", "label": "Pressure", "type": "number", "min": 2, "max": 8,
          "unit": "bar", "photo_if_abnormal": True},
         {"id": "i2", "label": "Exit clear", "type": "yesno"}]


def patrol_space(site: str) -> str:
    return space_of("checkpoint", site)


async def checkpoint(site: str, code: str, *, checklist: str | None = None,
                     active: bool = True) -> tuple[str, str]:
    cid, token = str(uuid.uuid4()), uuid.uuid4().hex[:24]
    await PatrolCheckpoint.insert(PatrolCheckpoint(
        id=cid, site=site, code=code, name=f"{code} 位置", floor="G", place="大堂",
        kind="hose_reel", token=token, checklist=checklist, active=active,
        space=patrol_space(site), version=1))
    return cid, token


async def patrol_estate(factory: Any) -> Estate:
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    guard = await factory.staff("guard", role="patrol", sites=(a,))
    desk = await factory.staff("desk", role="front_desk", sites=(a,))
    checklist = str(uuid.uuid4())
    await PatrolChecklist.insert(PatrolChecklist(
        id=checklist, site=a, name="消防巡查", items=ITEMS, space=patrol_space(a), version=1))
    p1, t1 = await checkpoint(a, "CP-01", checklist=checklist)
    p2, t2 = await checkpoint(a, "CP-02", checklist=checklist)
    p3, t3 = await checkpoint(a, "CP-03")
    pb, tb = await checkpoint(b, "JB-01")
    route = str(uuid.uuid4())
    await PatrolRoute.insert(PatrolRoute(
        id=route, site=a, name="夜更路線", checkpoint_ids=[p1, p2, p3], ordered=True,
        expected_minutes=30, space=patrol_space(a), version=1))
    return Estate(a=a, b=b, boss=boss, guard=guard, desk=desk, checklist=checklist,
                  p1=p1, p2=p2, p3=p3, pb=pb, t1=t1, t2=t2, t3=t3, tb=tb, route=route)


async def a_round(e: Estate, *, slot: datetime, status: str = "planned", late: bool = False,
                  started: bool = False, finished: bool = False, site: str = "",
                  route: str = "") -> str:
    rid = str(uuid.uuid4())
    await PatrolRound.insert(PatrolRound(
        id=rid, site=site or e.a, route=route or e.route, slot_at=slot,
        start_by=slot + timedelta(minutes=30), due_by=slot + timedelta(minutes=60),
        guard_ids=[e.guard], status=status, late=late,
        started_at=slot if started or finished else None,
        started_by=e.guard if started or finished else None,
        finished_at=slot + timedelta(minutes=40) if finished else None,
        finished_by=e.guard if finished else None, space=patrol_space(site or e.a), version=1))
    return rid


def hours_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=n)


async def sign_in_en(client: Any, username: str) -> None:
    """Sign in and read the pages in English (the messages the tests look for)."""
    from tests.conftest import TEST_PASSWORD
    from tests.factories import sign_in

    await sign_in(client, username, TEST_PASSWORD)
    assert (await client.get("/lang/en")).status_code == 200
