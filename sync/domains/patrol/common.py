"""What the patrol rules share: who may act, the rejection codes and check messages, and
the reads every rule makes (a round, its route's checkpoints, its visits, its start)."""

from __future__ import annotations

from typing import Any

from sync.context import Context, Record
from sync.domains.patrol.records import (
    ROUND,
    ROUTE,
    SCAN,
)
from sync.errors import Reject
from sync.kit.fields import Problem

GUARDS = frozenset({"patrol", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
PLANNER = frozenset({"admin"})  # the server's planner acts as an administrator

ALREADY_EXISTS = "already_exists"
UNKNOWN_ROUND = "unknown_round"
UNKNOWN_ROUTE = "unknown_route"
UNKNOWN_TAG = "unknown_tag"
TAG_RETIRED = "tag_retired"
CHECKPOINT_RETIRED = "checkpoint_retired"
WRONG_SITE = "wrong_site"
UNKNOWN_CHECKPOINT = "unknown_checkpoint"
NOT_ON_ROUTE = "not_on_route"
UNKNOWN_SCAN = "unknown_scan"
REASON_REQUIRED = "reason_required"
ROUND_CLOSED = "round_closed"
CODES = (ALREADY_EXISTS, UNKNOWN_ROUND, UNKNOWN_ROUTE, UNKNOWN_TAG, TAG_RETIRED,
         CHECKPOINT_RETIRED, WRONG_SITE, UNKNOWN_CHECKPOINT, NOT_ON_ROUTE, UNKNOWN_SCAN,
         REASON_REQUIRED, ROUND_CLOSED)

ANSWERS_NOT_A_MAP = "Answers are given per checklist item."
WINDOW_BACKWARDS = "The round must be due after it starts."
MESSAGES = (ANSWERS_NOT_A_MAP, WINDOW_BACKWARDS)

# the flags a visit may carry
OFF_ROUTE, EARLY, LATE, REPEAT, AFTER_FINISH = "off_route", "early", "late", "repeat", \
    "after_finish"


# --- shared pieces -------------------------------------------------------------------------

def round_of(ctx: Context, round_id: str) -> Record:
    rec = ctx.get(ROUND, round_id)
    if rec is None:
        raise Reject(UNKNOWN_ROUND, f"no round {round_id}", "round_id")
    return rec


def route_checkpoints(ctx: Context, rnd: Record) -> list[str]:
    route = ctx.get(ROUTE, str(rnd.data.get("route_id")))
    ids = route.data.get("checkpoint_ids") if route is not None else None
    return [str(i) for i in ids] if isinstance(ids, list) else []


def visits_of(ctx: Context, round_id: str) -> list[Record]:
    return ctx.find(SCAN, "round_id", round_id)


def round_outcome(ctx: Context, rnd: Record) -> str:
    """done when every checkpoint of the route was visited or skipped, else incomplete."""
    seen = {str(v.data.get("checkpoint_id")) for v in visits_of(ctx, rnd.id)}
    return "done" if set(route_checkpoints(ctx, rnd)) <= seen else "incomplete"


def before_finish(ctx: Context, round_id: str, at: str) -> None:
    """A visit made before another phone's finish reached the server (both offline) counts
    as if it had arrived first: an ``incomplete`` round it completes becomes ``done``."""
    rnd = round_of(ctx, round_id)
    finished = rnd.data.get("finished_at")
    if finished is not None and at <= str(finished) and rnd.data.get("status") == "incomplete":
        ctx.update(rnd, {"status": round_outcome(ctx, rnd)})


def mark_started(ctx: Context, rnd: Record, at: str) -> Record:
    """A round's first sign of life starts it (a late one revises ``missed``)."""
    d = rnd.data
    if d.get("started_at") is not None:
        return rnd
    return ctx.update(rnd, {"started_at": at, "started_by": ctx.actor.staff_id,
                            "status": "in_progress",
                            "late": bool(d.get("late")) or at > str(d.get("start_by"))})


def answers_check(a: Any) -> list[Problem]:
    answers = getattr(a, "answers", None)
    if answers is not None and not isinstance(answers, dict):
        return [Problem("answers", ANSWERS_NOT_A_MAP)]
    if isinstance(answers, dict) and any(
            not isinstance(v, str | int | float | bool) or len(str(k)) > 20 or
            (isinstance(v, str) and len(v) > 500) for k, v in answers.items()):
        return [Problem("answers", ANSWERS_NOT_A_MAP)]
    return []

