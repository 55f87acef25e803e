"""A patrol set-up for the planner and sweeper tests: checkpoints, a route and a schedule at
a site, written as the office keeps them (space and version set, so phones pull them)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.patrol.tables import PatrolCheckpoint, PatrolRoute, PatrolSchedule
from server.sync.spaces import space_of

HK = ZoneInfo("Asia/Hong_Kong")


@dataclass
class PatrolSet:
    site: str
    route: str
    schedule: str
    checkpoints: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


async def patrol_set(site: str, *, every_hours: int = 2, window: tuple[str, str] = ("22:00",
                     "06:00"), fixed_times: tuple[str, ...] = (), random_start: bool = False,
                     start_minutes: int = 30, expected_minutes: int = 40,
                     guard_ids: tuple[str, ...] = (), checkpoints: int = 3,
                     code_prefix: str = "CP") -> PatrolSet:
    space = space_of("checkpoint", site)
    cps, codes, tokens = [], [], []
    rows = []
    for n in range(checkpoints):
        cp_id, code, token = uuid.uuid4(), f"{code_prefix}-{n + 1:02d}", secrets.token_urlsafe(18)
        rows.append(PatrolCheckpoint(id=cp_id, site=site, code=code, name=f"巡更點 {n + 1}",
                                     kind="hose_reel", token=token, space=space, version=1))
        cps.append(str(cp_id))
        codes.append(code)
        tokens.append(token)
    await PatrolCheckpoint.insert(*rows)
    route = PatrolRoute(id=uuid.uuid4(), site=site, name="夜間巡邏", checkpoint_ids=cps,
                        ordered=False, expected_minutes=expected_minutes, space=space,
                        version=1)
    await route.save()
    schedule = PatrolSchedule(
        id=uuid.uuid4(), site=site, name="夜更", route=route.id, every_hours=every_hours,
        window_start=window[0], window_end=window[1], fixed_times=list(fixed_times),
        random_start=random_start, start_minutes=start_minutes, guard_ids=list(guard_ids),
        space=space, version=1)
    await schedule.save()
    return PatrolSet(site, str(route.id), str(schedule.id), cps, codes, tokens)


def local(day_offset: int, hhmm: str, zone: ZoneInfo = HK) -> datetime:
    """A moment ``day_offset`` local days from today at ``hhmm`` (UTC): the tests stay in
    the past of the real clock, where phones' times are not clamped."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    today = datetime.now(zone).date()
    at = datetime(today.year, today.month, today.day, hours, minutes, tzinfo=zone)
    return (at + timedelta(days=day_offset)).astimezone(UTC)


def at_local(moment: Any, zone: ZoneInfo = HK) -> str:
    """``moment`` (a datetime or an ISO text) as local ``HH:MM``."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(zone).strftime("%H:%M")
