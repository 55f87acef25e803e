"""Patrol's work on a timer in the server process (registered through server/domains.py):
plan the schedules' rounds and mark the missed ones every ``CARETAKER_PATROL_PLAN_SECONDS``
(:mod:`server.patrol.planner`), whether or not any phone syncs."""

from __future__ import annotations

import asyncio

from server.patrol import planner
from server.settings import Settings


def start(settings: Settings) -> asyncio.Task[None] | None:
    return planner.start(settings.patrol_plan_seconds)


async def stop(task: asyncio.Task[None] | None) -> None:
    await planner.stop(task)
