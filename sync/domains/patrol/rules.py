"""The patrol domain's mutations and their rules — the authority. The guard's phone runs its
copy (``web/static/app/patrol/rules.js``); ``tests/parity`` compares the two.

A round is planned by the server (``round.plan``, from the schedules) or started by a guard
without a plan (``round.start`` with a route). Each checkpoint visit is saved the moment the
tag is read (``scan.record``; the checklist's answers follow with ``scan.answer``), or skipped
with a reason a supervisor reviews (``scan.skip``, ``scan.review``). ``round.finish`` closes
it; the server marks a round nobody started ``missed`` once its start window has passed
(``round.miss``), and late data revises that (the audit keeps both). A problem becomes an
incident in one tap (``incident.report``).

Times are compared as the stored UTC ISO strings (one format: the order of the text is the
order of the moments), on both sides.

Rejection codes: already_exists, unknown_round, unknown_route, unknown_tag, tag_retired,
checkpoint_retired, wrong_site, unknown_checkpoint, not_on_route, unknown_scan,
reason_required, round_closed. Conflict kind: double_finish.
"""

from __future__ import annotations

from typing import Any

from sync.context import Context
from sync.domains.patrol.common import (
    ALREADY_EXISTS,
    CODES,
    GUARDS,
    MESSAGES,
    PLANNER,
    ROUND_CLOSED,
    SUPERVISORS,
    UNKNOWN_CHECKPOINT,
    UNKNOWN_ROUND,
    UNKNOWN_ROUTE,
    UNKNOWN_SCAN,
    WINDOW_BACKWARDS,
    answers_check,
    mark_started,
    round_of,
    round_outcome,
)
from sync.domains.patrol.records import (
    CHECKPOINT,
    INCIDENT,
    INCIDENT_TYPE,
    RETIRED_TAG,
    ROUND,
    ROUND_TYPE,
    ROUTE,
    SCAN,
    SCAN_TYPE,
    STREAM,
)
from sync.domains.patrol.visits import (
    apply_answer,
    apply_record,
    apply_review,
    apply_skip,
    resolve_tag,
    typed_code,
)
from sync.errors import Reject
from sync.kit.args import arg, id_arg, record_args
from sync.kit.fields import Field, Problem
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Lookup

# --- round.plan / round.miss (the server's planner) ----------------------------------------

def _plan_check(a: Any) -> list[Problem]:
    if a.due_by < a.slot_at or a.start_by < a.slot_at:
        return [Problem("due_by", WINDOW_BACKWARDS)]
    return []


PLAN_FIELDS = ("route_id", "schedule_id", "slot_at", "start_by", "due_by", "guard_ids")


def _plan(ctx: Context, a: Any) -> None:
    planned = {f: getattr(a, f) for f in PLAN_FIELDS}
    existing = ctx.get(ROUND, a.round_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in planned.items()):
            return  # planned again: already there
        raise Reject(ALREADY_EXISTS, f"round {a.round_id} is planned differently")
    route = ctx.get(ROUTE, a.route_id)
    if route is None or route.deleted:
        raise Reject(UNKNOWN_ROUTE, f"no route {a.route_id}", "route_id")
    ctx.insert(ROUND, a.round_id, {
        "site_id": route.data.get("site_id"), **planned, "status": "planned",
        "started_at": None, "started_by": None, "finished_at": None, "finished_by": None,
        "late": False, "missed_at": None, "unscheduled": False})


def _miss(ctx: Context, a: Any) -> None:
    rnd = round_of(ctx, a.round_id)
    d = rnd.data
    if d.get("status") == "planned" and a.at >= str(d.get("start_by")):
        ctx.update(rnd, {"status": "missed", "missed_at": a.at})
    elif d.get("status") == "in_progress" and d.get("finished_at") is None \
            and a.at >= str(d.get("due_by")):
        # started but never finished by its due time (the phone may finish it later)
        ctx.update(rnd, {"status": "incomplete", "missed_at": a.at})


# --- round.start ---------------------------------------------------------------------------

def _start_check(a: Any) -> list[Problem]:
    if a.due_by is not None and a.due_by < a.at:
        return [Problem("due_by", WINDOW_BACKWARDS)]
    return []


def _start_round(ctx: Context, a: Any) -> None:
    rnd = ctx.get(ROUND, a.round_id)
    if rnd is not None:
        finished = rnd.data.get("finished_at")
        if finished is not None and a.at > str(finished):
            raise Reject(ROUND_CLOSED, f"round {a.round_id} is finished", "round_id")
        mark_started(ctx, rnd, a.at)
        return
    if a.route_id is None:
        raise Reject(UNKNOWN_ROUND, f"no round {a.round_id}", "round_id")
    route = ctx.get(ROUTE, a.route_id)
    if route is None or route.deleted:
        raise Reject(UNKNOWN_ROUTE, f"no route {a.route_id}", "route_id")
    ctx.insert(ROUND, a.round_id, {
        "site_id": route.data.get("site_id"), "route_id": a.route_id, "schedule_id": None,
        "slot_at": a.at, "start_by": a.at, "due_by": a.due_by or a.at,
        "guard_ids": [ctx.actor.staff_id], "status": "in_progress", "started_at": a.at,
        "started_by": ctx.actor.staff_id, "finished_at": None, "finished_by": None,
        "late": False, "missed_at": None, "unscheduled": True})


# --- round.finish --------------------------------------------------------------------------

def _finish(ctx: Context, a: Any) -> None:
    rnd = round_of(ctx, a.round_id)
    d = rnd.data
    actor = ctx.actor
    if d.get("finished_at") is not None:
        # two phones finished it (both offline): the first time stands, the second is kept
        ctx.conflict("double_finish", record_type=ROUND, record_ids=[rnd.id], details={
            "first": {"finished_at": d.get("finished_at"), "finished_by": d.get("finished_by")},
            "second": {"finished_at": a.at, "finished_by": actor.staff_id}},
            staff_ids=[d.get("finished_by"), actor.staff_id])
        return
    rnd = mark_started(ctx, rnd, a.at)
    ctx.update(rnd, {"finished_at": a.at, "finished_by": actor.staff_id,
                     "status": round_outcome(ctx, rnd),
                     "late": bool(rnd.data.get("late")) or a.at > str(d.get("due_by"))})


# --- incident.report -----------------------------------------------------------------------

def _report(ctx: Context, a: Any) -> None:
    given = {"checkpoint_id": a.checkpoint_id, "round_id": a.round_id, "scan_id": a.scan_id,
             "description": a.description, "severity": a.severity, "photos": a.photos,
             "reported_at": a.at}
    existing = ctx.get(INCIDENT, a.incident_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in given.items()):
            return
        raise Reject(ALREADY_EXISTS, f"incident {a.incident_id} was reported differently")
    checkpoint = ctx.get(CHECKPOINT, a.checkpoint_id)
    if checkpoint is None:
        raise Reject(UNKNOWN_CHECKPOINT, f"no checkpoint {a.checkpoint_id}", "checkpoint_id")
    # the round and visit it names, if any: of the checkpoint's site (the visit of the round)
    site_id = checkpoint.data.get("site_id")
    rnd = ctx.get(ROUND, a.round_id) if a.round_id else None
    if a.round_id and (rnd is None or rnd.data.get("site_id") != site_id):
        raise Reject(UNKNOWN_ROUND, f"no round {a.round_id}", "round_id")
    scan = ctx.get(SCAN, a.scan_id) if a.scan_id else None
    if a.scan_id and (scan is None or scan.data.get("site_id") != site_id or (
            a.round_id and scan.data.get("round_id") != a.round_id)):
        raise Reject(UNKNOWN_SCAN, f"no visit {a.scan_id}", "scan_id")
    ctx.insert(INCIDENT, a.incident_id, {
        "site_id": checkpoint.data.get("site_id"), **given,
        "reported_by": ctx.actor.staff_id, "status": "open"})


# --- registration --------------------------------------------------------------------------

ROUND_SPACE = SpaceFrom("round_id", record=ROUND)
AT = Field("at", "ts", label="At")


def _tag_lookups(a: Any) -> list[Lookup]:
    if a.method == "typed":
        return [Lookup(CHECKPOINT, "code", typed_code(a.token))]
    return [Lookup(CHECKPOINT, "token", a.token), Lookup(RETIRED_TAG, "token", a.token)]


def _round_lookups(a: Any) -> list[Lookup]:
    return [Lookup(SCAN, "round_id", a.round_id)]


MUTATIONS: tuple[MutationSpec, ...] = (
    MutationSpec(
        name="round.plan", label="Round planned",
        args=(id_arg("round_id", ROUND),
              *record_args(ROUND_TYPE, "route_id", "slot_at", "start_by", "due_by",
                           schedule_id=None, guard_ids=[])),
        check=_plan_check,
        space_from=(SpaceFrom("route_id", record=ROUTE),),
        apply=_plan, roles=PLANNER, creates=((ROUND, "round_id"),),
        description="The server plans a schedule's slot as a round (idempotent). Refused: "
                    "`unknown_route`, `already_exists` (planned differently).",
    ),
    MutationSpec(
        name="round.miss", label="Marked missed",
        args=(id_arg("round_id", ROUND), arg("at", AT)),
        space_from=(ROUND_SPACE,),
        apply=_miss, roles=PLANNER,
        description="The server marks a round nobody started `missed` once its start "
                    "window has passed, and one started but not finished by its due time "
                    "`incomplete` (else nothing); a later start or finish revises it. "
                    "Refused: `unknown_round`.",
    ),
    MutationSpec(
        name="round.start", label="Round started",
        args=(id_arg("round_id", ROUND), arg("at", AT),
              arg("route_id", Field("route_id", "uuid", ref=ROUTE, nullable=True), None),
              arg("due_by", Field("due_by", "ts", nullable=True), None)),
        check=_start_check,
        space_from=(ROUND_SPACE, SpaceFrom("route_id", record=ROUTE)),
        apply=_start_round, roles=GUARDS, creates=((ROUND, "round_id"),),
        description="Start a planned round, or (with `route_id`) an unscheduled one; a late "
                    "start revises `missed`. Refused: `unknown_round`, `unknown_route`, "
                    "`round_closed` (started after its finish; a start made before another "
                    "phone's finish is no refusal).",
    ),
    MutationSpec(
        name="scan.record", label="Checkpoint scanned",
        args=(id_arg("scan_id", SCAN),
              *record_args(SCAN_TYPE, "round_id", "method", "token", "scanned_at",
                           answers={}, abnormal=False, note="", severity="none", photos=[])),
        check=answers_check,
        space_from=(ROUND_SPACE,),
        apply=apply_record, roles=GUARDS, creates=((SCAN, "scan_id"),),
        lookups=lambda a: [*_tag_lookups(a), *_round_lookups(a)],
        follows=(("round_id", "route_id"),),
        description="A checkpoint's tag read (QR, NFC) or its code typed, saved at once; "
                    "starts the round. Refused: `unknown_round`, `unknown_tag`, `tag_retired` "
                    "(a re-issued label), `wrong_site`, `checkpoint_retired`, `already_exists`; "
                    "flagged (kept): off the route, early, late, repeated, after the finish.",
    ),
    MutationSpec(
        name="scan.answer", label="Checklist answered",
        args=(id_arg("scan_id", SCAN), arg("answers", SCAN_TYPE.field("answers")),
              arg("abnormal", SCAN_TYPE.field("abnormal"), False),
              arg("note", Field("note", text="multiline", max_length=1000, nullable=True),
                  None),
              arg("severity", Field("severity", choices=SCAN_TYPE.field("severity").choices,
                                    nullable=True), None),
              arg("photos", Field("photos", "list", max_length=5,
                                  item_pattern=SCAN_TYPE.field("photos").item_pattern,
                                  blob=True, nullable=True), None)),
        check=answers_check,
        space_from=(SpaceFrom("scan_id", record=SCAN),),
        apply=apply_answer, roles=GUARDS,
        description="Answers to a visited checkpoint's checklist (merged item by item), a "
                    "note, severity and photos, by the guard who made the visit. Refused: "
                    "`unknown_scan` (no visit of this guard's, or a skip).",
    ),
    MutationSpec(
        name="scan.skip", label="Checkpoint skipped",
        args=(id_arg("scan_id", SCAN), id_arg("round_id", ROUND),
              id_arg("checkpoint_id", CHECKPOINT), arg("at", AT),
              arg("reason", SCAN_TYPE.field("skip_reason"), "")),
        space_from=(ROUND_SPACE,),
        apply=apply_skip, roles=GUARDS, creates=((SCAN, "scan_id"),),
        lookups=_round_lookups,
        follows=(("round_id", "route_id"),),
        description="Skip a checkpoint of the round with a reason (a supervisor reviews it). "
                    "Refused: `reason_required`, `unknown_round`, `unknown_checkpoint`, "
                    "`not_on_route`, `already_exists` (the same id with other arguments). A "
                    "visit or skip made before another phone's finish can complete the round.",
    ),
    MutationSpec(
        name="scan.review", label="Skip reviewed",
        args=(id_arg("scan_id", SCAN),
              arg("decision", Field("decision", choices={"confirmed": "Confirmed",
                                                          "rejected": "Rejected"})),
              arg("note", SCAN_TYPE.field("review_note"), "")),
        space_from=(SpaceFrom("scan_id", record=SCAN),),
        apply=apply_review, roles=SUPERVISORS,
        description="A supervisor confirms or rejects a skip (rejecting needs a note). "
                    "Refused: `unknown_scan` (no such skip), `reason_required`.",
    ),
    MutationSpec(
        name="round.finish", label="Round finished",
        args=(id_arg("round_id", ROUND), arg("at", AT)),
        space_from=(ROUND_SPACE,),
        apply=_finish, roles=GUARDS,
        lookups=_round_lookups,
        follows=(("round_id", "route_id"),),
        description="Finish a round: done when every checkpoint was visited or skipped, "
                    "else incomplete; late past its due time. Finished twice (two phones): a "
                    "`double_finish` conflict keeping the first. Refused: `unknown_round`.",
    ),
    MutationSpec(
        name="incident.report", label="Problem reported",
        args=(id_arg("incident_id", INCIDENT),
              *record_args(INCIDENT_TYPE, "checkpoint_id", "description", round_id=None,
                           scan_id=None, severity="medium", photos=[]),
              arg("at", AT)),
        space_from=(SpaceFrom("checkpoint_id", record=CHECKPOINT),),
        apply=_report, roles=GUARDS, creates=((INCIDENT, "incident_id"),),
        description="Report a problem at a checkpoint (the office sees it; repair requests "
                    "will pick it up); the round and visit it names are of the checkpoint's "
                    "site, the visit of that round. Refused: `unknown_checkpoint`, "
                    "`unknown_round`, `unknown_scan`, `already_exists`.",
    ),
)

__all__ = ["CODES", "MESSAGES", "MUTATIONS", "STREAM", "resolve_tag", "round_outcome"]
