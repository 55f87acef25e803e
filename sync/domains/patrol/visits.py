"""The rules of checkpoint visits: a tag read or a code typed (``scan.record``), the
checklist's answers (``scan.answer``), a skip with its reason (``scan.skip``) and the
supervisor's review of it (``scan.review``). Registered in ``rules.py``."""

from __future__ import annotations

from typing import Any

from sync.context import Context, Record
from sync.domains.patrol.common import (
    AFTER_FINISH,
    ALREADY_EXISTS,
    CHECKPOINT_RETIRED,
    EARLY,
    LATE,
    NOT_ON_ROUTE,
    OFF_ROUTE,
    REASON_REQUIRED,
    REPEAT,
    TAG_RETIRED,
    UNKNOWN_CHECKPOINT,
    UNKNOWN_SCAN,
    UNKNOWN_TAG,
    WRONG_SITE,
    before_finish,
    mark_started,
    round_of,
    route_checkpoints,
    visits_of,
)
from sync.domains.patrol.records import (
    CHECKPOINT,
    RETIRED_TAG,
    SCAN,
)
from sync.errors import Reject
from sync.kit import text as textmod

# --- scan.record ---------------------------------------------------------------------------

def typed_code(text: str) -> str:
    """A printed code as typed, in the form codes are stored (full-width, case, spaces)."""
    return textmod.normalize(text, "code")


def resolve_tag(ctx: Context, site_id: str, method: str, token: str) -> Record:
    """The checkpoint a scanned token (or typed code) names at ``site_id``, or the refusal
    that says why not."""
    if method == "typed":
        found = ctx.find(CHECKPOINT, "code", typed_code(token))
    else:
        found = ctx.find(CHECKPOINT, "token", token)
    if not found and method != "typed":
        retired = ctx.find(RETIRED_TAG, "token", token)
        if retired:
            raise Reject(TAG_RETIRED, "this tag was replaced: scan the new label", "token")
    mine = [c for c in found if c.data.get("site_id") == site_id]
    if not mine:
        if found:
            raise Reject(WRONG_SITE, "this tag belongs to another site", "token")
        raise Reject(UNKNOWN_TAG, f"no checkpoint has the code {token!r}", "token")
    checkpoint = mine[0]
    if checkpoint.deleted:
        raise Reject(CHECKPOINT_RETIRED, f"checkpoint {checkpoint.data.get('code')} is "
                                         "no longer in use", "token")
    return checkpoint


def visit_flags(ctx: Context, rnd: Record, checkpoint_id: str, at: str, scan_id: str) -> list[str]:
    d = rnd.data
    flags = []
    if checkpoint_id not in route_checkpoints(ctx, rnd):
        flags.append(OFF_ROUTE)
    if at < str(d.get("slot_at")):
        flags.append(EARLY)
    if at > str(d.get("due_by")):
        flags.append(LATE)
    if any(v.id != scan_id and v.data.get("checkpoint_id") == checkpoint_id
           for v in visits_of(ctx, rnd.id)):
        flags.append(REPEAT)
    if d.get("finished_at") is not None and at > str(d.get("finished_at")):
        flags.append(AFTER_FINISH)  # (a visit made before another phone's finish is not)
    return flags


RECORD_FIELDS = ("round_id", "method", "token", "scanned_at", "answers", "abnormal", "note",
                 "severity", "photos")


def apply_record(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in RECORD_FIELDS}
    existing = ctx.get(SCAN, a.scan_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in given.items()):
            return  # the same visit sent again
        raise Reject(ALREADY_EXISTS, f"visit {a.scan_id} was recorded differently")
    rnd = round_of(ctx, a.round_id)
    site_id = str(rnd.data.get("site_id"))
    checkpoint = resolve_tag(ctx, site_id, a.method, a.token)
    flags = visit_flags(ctx, rnd, checkpoint.id, a.scanned_at, a.scan_id)
    mark_started(ctx, rnd, a.scanned_at)
    actor = ctx.actor
    ctx.insert(SCAN, a.scan_id, {
        "site_id": site_id, **given, "checkpoint_id": checkpoint.id, "skip_reason": "",
        "review": "", "review_note": "", "reviewed_by": None, "scanned_by": actor.staff_id,
        "scanned_device": actor.device_id, "flags": flags})
    before_finish(ctx, rnd.id, a.scanned_at)


# --- scan.answer ---------------------------------------------------------------------------

def apply_answer(ctx: Context, a: Any) -> None:
    scan = ctx.get(SCAN, a.scan_id)
    # only the guard who was there answers its checklist, and a skipped checkpoint has none
    if scan is None or scan.data.get("scanned_by") != ctx.actor.staff_id \
            or scan.data.get("method") == "skip":
        raise Reject(UNKNOWN_SCAN, f"no visit {a.scan_id} of yours to answer", "scan_id")
    answers = scan.data.get("answers")
    merged = {**(answers if isinstance(answers, dict) else {}), **a.answers}
    changes: dict[str, Any] = {"answers": merged, "abnormal": a.abnormal}
    for f in ("note", "severity", "photos"):
        value = getattr(a, f)
        if value is not None:
            changes[f] = value
    ctx.update(scan, changes)


# --- scan.skip -----------------------------------------------------------------------------

def apply_skip(ctx: Context, a: Any) -> None:
    if not a.reason:
        raise Reject(REASON_REQUIRED, "skipping a checkpoint needs a reason", "reason")
    existing = ctx.get(SCAN, a.scan_id)
    if existing is not None:
        d = existing.data
        if d.get("method") == "skip" and d.get("skip_reason") == a.reason and \
                d.get("checkpoint_id") == a.checkpoint_id and \
                d.get("round_id") == a.round_id and d.get("scanned_at") == a.at:
            return
        raise Reject(ALREADY_EXISTS, f"visit {a.scan_id} was recorded differently")
    rnd = round_of(ctx, a.round_id)
    checkpoint = ctx.get(CHECKPOINT, a.checkpoint_id)
    if checkpoint is None:
        raise Reject(UNKNOWN_CHECKPOINT, f"no checkpoint {a.checkpoint_id}", "checkpoint_id")
    if a.checkpoint_id not in route_checkpoints(ctx, rnd):
        raise Reject(NOT_ON_ROUTE, "this checkpoint is not on the round's route",
                     "checkpoint_id")
    mark_started(ctx, rnd, a.at)
    actor = ctx.actor
    ctx.insert(SCAN, a.scan_id, {
        "site_id": rnd.data.get("site_id"), "round_id": a.round_id, "method": "skip",
        "token": "", "scanned_at": a.at, "answers": {}, "abnormal": False, "note": "",
        "severity": "none", "photos": [], "checkpoint_id": a.checkpoint_id,
        "skip_reason": a.reason, "review": "pending", "review_note": "",
        "reviewed_by": None, "scanned_by": actor.staff_id, "scanned_device": actor.device_id,
        "flags": visit_flags(ctx, rnd, a.checkpoint_id, a.at, a.scan_id)})
    before_finish(ctx, rnd.id, a.at)


# --- scan.review ---------------------------------------------------------------------------

def apply_review(ctx: Context, a: Any) -> None:
    scan = ctx.get(SCAN, a.scan_id)
    if scan is None or scan.data.get("method") != "skip":
        raise Reject(UNKNOWN_SCAN, f"no skipped checkpoint {a.scan_id}", "scan_id")
    if a.decision == "rejected" and not a.note:
        raise Reject(REASON_REQUIRED, "rejecting a skip needs a note", "note")
    ctx.update(scan, {"review": a.decision, "review_note": a.note,
                      "reviewed_by": ctx.actor.staff_id})


