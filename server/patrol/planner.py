"""The server's patrol planner and missed-round sweeper.

**Planning.** Every active schedule's slots over the coming hours (:data:`HORIZON`) become
rounds through ``round.plan`` — the same mutation, rules, versions and audit as any other
write (:func:`server.sync.office.apply`). Slots are counted in the estate's time zone
(``CARETAKER_TIMEZONE``):

* every N hours inside a window: a slot starts at the window's start and every N hours
  after, while inside the window (22:00–06:00 every 2 h: 22:00, 00:00, 02:00, 04:00); a
  window ending at or before its start crosses midnight (equal: the whole day). A slot
  lasts N hours (the last one ends with the window);
* fixed times: one slot at each time, lasting :data:`FIXED_SLOT_MINUTES`.

A round's start window is ``slot_at .. start_by`` (``start_minutes``); it is due
``expected_minutes`` (the route's) after that. With ``random_start`` the start falls at a
random minute inside its slot (the start window still inside the slot), drawn from the
schedule's id and the slot, so planning again draws the same minute. A round's id is
``uuid5`` of the schedule's id and the slot: planning twice creates nothing new, and a slot
already planned is left as it is (a schedule edited later changes only the slots not yet
planned). Slots whose start window has already closed are not planned.

**Missed rounds.** :func:`sweep` marks every planned round whose start window has passed
``missed`` (``round.miss``), whether or not any phone ever synced; late data from a phone
(``round.start``, ``scan.record``) revises it, and the audit keeps both entries.

**Who.** The planner acts as an administrator with a fixed identity: the staff row
:data:`PLANNER_ID` (user name ``system:planner``, which no sign-in form accepts; inactive,
no password), created the first time it has something to write. The audit shows its name.

:func:`start` runs both every ``CARETAKER_PATROL_PLAN_SECONDS`` in the server process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.accounts.schemas import CurrentUser
from server.accounts.staff_list import SYSTEM_PREFIX
from server.accounts.tables import Staff
from server.db import is_integrity_error
from server.estate.tables import Site
from server.lib import timezone
from server.lib.queries import json_value
from server.patrol.tables import PatrolRound, PatrolRoute, PatrolSchedule
from server.sync import office
from sync.context import iso
from sync.errors import Reject

log = logging.getLogger(__name__)

HORIZON = timedelta(hours=24)
FIXED_SLOT_MINUTES = 60
PLANNER_ID = "fa5b860c-15e7-54e4-ae73-5f6479f38818"  # uuid5(URL, "caretaker:system:planner")
PLANNER_USERNAME = f"{SYSTEM_PREFIX}planner"
PLANNER_NAME = "巡更排程系統 (system planner)"
# uuid5(URL, "caretaker:patrol:rounds"): round ids are uuid5 of it, the schedule and the slot
ROUND_NS = uuid.UUID("45f81356-3fa1-52c0-bf59-2646e834923b")
BATCH = 200  # mutations per transaction


@dataclass(frozen=True)
class Schedule:
    id: str
    site_id: str
    route_id: str
    every_hours: int
    window_start: str
    window_end: str
    fixed_times: tuple[str, ...]
    random_start: bool
    start_minutes: int
    guard_ids: tuple[str, ...]

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Schedule:
        """From a ``patrol_schedule`` row (Piccolo's column names)."""
        return cls(id=str(row["id"]), site_id=str(row["site"]), route_id=str(row["route"]),
                   every_hours=int(row["every_hours"] or 0),
                   window_start=row["window_start"] or "", window_end=row["window_end"] or "",
                   fixed_times=tuple(json_value(row["fixed_times"]) or ()),
                   random_start=bool(row["random_start"]),
                   start_minutes=int(row["start_minutes"] or 30),
                   guard_ids=tuple(str(g) for g in json_value(row["guard_ids"]) or ()))


@dataclass(frozen=True)
class Slot:
    """One planned round of a schedule."""

    round_id: str
    schedule_id: str
    route_id: str
    site_id: str
    base: datetime  # the slot's own start (UTC), before any random start
    slot_at: datetime
    start_by: datetime
    due_by: datetime
    guard_ids: tuple[str, ...]

    def plan_args(self) -> dict[str, Any]:
        return {"round_id": self.round_id, "route_id": self.route_id,
                "schedule_id": self.schedule_id, "slot_at": iso(self.slot_at),
                "start_by": iso(self.start_by), "due_by": iso(self.due_by),
                "guard_ids": list(self.guard_ids)}


def _hhmm(text: str) -> time | None:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def day_slots(s: Schedule, day: date, zone: ZoneInfo) -> list[tuple[datetime, int]]:
    """The slots of ``s`` beginning on the local ``day``: (start in UTC, length in minutes)."""
    out: list[tuple[datetime, int]] = []
    if s.every_hours > 0:
        first = _hhmm(s.window_start)
        if first is None:
            return out
        last = _hhmm(s.window_end) or first
        start = datetime.combine(day, first, tzinfo=zone)
        end = datetime.combine(day, last, tzinfo=zone)
        if end <= start:
            end += timedelta(days=1)
        at, end = start.astimezone(UTC), end.astimezone(UTC)
        step = timedelta(hours=s.every_hours)
        while at < end:
            out.append((at, int(min(step, end - at).total_seconds() // 60)))
            at += step
        return out
    for text in sorted(set(s.fixed_times)):
        hhmm = _hhmm(text)
        if hhmm is not None:
            out.append((datetime.combine(day, hhmm, tzinfo=zone).astimezone(UTC),
                        FIXED_SLOT_MINUTES))
    return out


def round_id(schedule_id: str, base: datetime) -> str:
    return str(uuid.uuid5(ROUND_NS, f"{schedule_id}:{iso(base)}"))


def start_offset(s: Schedule, base: datetime, length: int) -> int:
    """Minutes from the slot's start to the round's start: 0, or (``random_start``) a
    minute drawn from the schedule's id and the slot, keeping the start window inside."""
    span = length - s.start_minutes
    if not s.random_start or span <= 0:
        return 0
    return random.Random(f"{s.id}|{iso(base)}").randint(0, span)


def slots(s: Schedule, expected_minutes: int, start: datetime, end: datetime,
          zone: ZoneInfo | None = None) -> list[Slot]:
    """The slots of ``s`` beginning in [start, end), oldest first."""
    zone = zone or timezone.estate_zone()
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    out: list[Slot] = []
    day = first - timedelta(days=1)  # a window crossing midnight began the day before
    while day <= last:
        for base, length in day_slots(s, day, zone):
            if start <= base < end:
                at = base + timedelta(minutes=start_offset(s, base, length))
                start_by = at + timedelta(minutes=s.start_minutes)
                out.append(Slot(round_id(s.id, base), s.id, s.route_id, s.site_id, base, at,
                                start_by, start_by + timedelta(minutes=expected_minutes),
                                s.guard_ids))
        day += timedelta(days=1)
    return out


# --- the planner's identity ----------------------------------------------------------------

async def planner_user(site_ids: Iterable[str]) -> CurrentUser:
    """The planner as an office user of ``site_ids``; its staff row made on first use."""
    if not await Staff.exists().where(Staff.id == PLANNER_ID):
        try:
            await Staff.insert(Staff(id=uuid.UUID(PLANNER_ID), username=PLANNER_USERNAME,
                                     display_name=PLANNER_NAME, password_hash="",
                                     role="admin", active=False))
        except Exception as exc:  # another worker made it first
            if not is_integrity_error(exc):
                raise
    return CurrentUser(id=PLANNER_ID, username=PLANNER_USERNAME, display_name=PLANNER_NAME,
                       role="admin", site_ids=tuple(sorted(set(site_ids))))


async def _apply(mutations: Sequence[tuple[str, dict[str, Any]]], site_ids: Iterable[str],
                 what: str) -> int:
    """Apply in batches; a batch a rule refuses is applied one by one (the refused mutation
    logged and left out). Returns how many applied."""
    user = await planner_user(site_ids)
    done = 0
    for i in range(0, len(mutations), BATCH):
        batch = mutations[i:i + BATCH]
        try:
            await office.apply(user, batch)
            done += len(batch)
            continue
        except Reject:
            pass
        except Exception as exc:  # another server process wrote the same rounds first
            if not is_integrity_error(exc):
                raise
            log.info("patrol %s: another process got there first; next time", what)
            continue
        for m in batch:
            try:
                await office.apply(user, [m])
                done += 1
            except Reject as r:
                log.warning("patrol %s: %s %s refused: %s %s", what, m[0], m[1].get("round_id"),
                            r.code, r.reason)
    return done


# --- planning ------------------------------------------------------------------------------

async def active_schedules(site_id: str | None = None) -> list[tuple[Schedule, int]]:
    """Active schedules of active routes (of ``site_id``), with the route's minutes."""
    query = PatrolSchedule.select().where(PatrolSchedule.active.eq(True))
    if site_id is not None:
        query = query.where(PatrolSchedule.site == site_id)
    rows = await query
    routes = {str(r["id"]): int(r["expected_minutes"] or 0) for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.expected_minutes).where(PatrolRoute.active.eq(True))}
    active_sites = {str(r["id"]) for r in await Site.select(Site.id).where(
        Site.active.eq(True))}
    out = []
    for row in rows:
        s = Schedule.of(row)
        if s.route_id in routes and s.site_id in active_sites:
            out.append((s, routes[s.route_id]))
    return out


async def existing_rounds(ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        rows = await PatrolRound.select(PatrolRound.id).where(
            PatrolRound.id.is_in(list(ids[i:i + 500])))
        found.update(str(r["id"]) for r in rows)
    return found


async def due_slots(now: datetime, horizon: timedelta = HORIZON,
                    zone: ZoneInfo | None = None, site_id: str | None = None) -> list[Slot]:
    """The slots to plan at ``now``: beginning before ``now + horizon``, still startable."""
    out: list[Slot] = []
    for s, minutes in await active_schedules(site_id):
        out += [slot for slot in slots(s, minutes, now - timedelta(days=1), now + horizon, zone)
                if slot.start_by > now]
    return out


async def plan(now: datetime | None = None, horizon: timedelta = HORIZON,
               zone: ZoneInfo | None = None, site_id: str | None = None) -> int:
    """Plan the rounds of the coming ``horizon``; returns how many rounds were new."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    wanted = await due_slots(now, horizon, zone, site_id)
    known = await existing_rounds([s.round_id for s in wanted])
    new = {s.round_id: s for s in wanted if s.round_id not in known}
    by_site: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for s in sorted(new.values(), key=lambda s: (s.slot_at, s.round_id)):
        by_site[s.site_id].append(("round.plan", s.plan_args()))
    return sum([await _apply(mutations, [site], "planning")
                for site, mutations in sorted(by_site.items())])


# --- the sweeper ---------------------------------------------------------------------------

async def sweep(now: datetime | None = None) -> int:
    """Mark missed every planned round whose start window closed by ``now``, and incomplete
    every started one still unfinished at its due time (``round.miss`` decides which);
    returns how many were marked."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    rows = await PatrolRound.select(PatrolRound.id, PatrolRound.site).where(
        ((PatrolRound.status == "planned") & (PatrolRound.start_by <= now))
        | ((PatrolRound.status == "in_progress") & (PatrolRound.due_by <= now)
           & PatrolRound.finished_at.is_null())).order_by(PatrolRound.start_by)
    by_site: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for r in rows:
        by_site[str(r["site"])].append(("round.miss", {"round_id": str(r["id"]),
                                                       "at": iso(now)}))
    return sum([await _apply(mutations, [site], "sweep")
                for site, mutations in sorted(by_site.items())])


async def run_once(now: datetime | None = None) -> tuple[int, int]:
    """Sweep, then plan: (rounds marked missed, rounds planned)."""
    now = now or datetime.now(UTC)
    return await sweep(now), await plan(now)


# --- in the server process -----------------------------------------------------------------

async def run_periodically(interval: float) -> None:
    """:func:`run_once` every ``interval`` seconds until cancelled; errors are logged."""
    while True:
        try:
            missed, planned = await run_once()
            if missed or planned:
                log.info("patrol: %d rounds planned, %d marked missed", planned, missed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("patrol planner failed; trying again in %s s", interval)
        await asyncio.sleep(interval)


def start(interval: float) -> asyncio.Task[None] | None:
    """The background task (none when ``interval`` is 0: switched off)."""
    if interval <= 0:
        return None
    return asyncio.get_running_loop().create_task(run_periodically(interval),
                                                  name="patrol-planner")


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
