"""The technician's visit (入室服務): started at the door (``repair.start_visit``), the work
recorded (``repair.update_visit``) and closed (``repair.close_visit``: signed or refused,
rated, done / no one home / follow-up needed / cannot complete) — and the follow-up (回訪) a
closing may make due.

What offline phones cannot see is applied and flagged, never dropped: a visit started on a
request the office closed meanwhile is kept (``closed_while_working``), a visit closed on two
phones keeps its first closing (``double_close``, both closings in the details).

Conflict details (the office's review console and the phone show them):

* ``closed_while_working`` (request): ``request_id``, ``number``, ``closed_at``,
  ``close_reason``, ``visit_id``, ``arrived_at`` (the same from ``repair.close``);
* ``double_close`` (visit): ``visit_id``, ``request_id``, ``closings`` — the first (its
  technician and device, its closing clock ``hlc``, which names the phone) and the second:
  ``staff_id``, ``device_id``, ``hlc``, ``left_at``, ``outcome``, ``satisfaction``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.context import Context
from sync.domains.repairs.common import (
    ALREADY_EXISTS,
    CANNOT_COMPLETE_REASON,
    EMERGENCY_WITNESS,
    FOLLOW_REQUEST_NEEDED,
    FOLLOW_UP_DAYS,
    LEFT_BEFORE_ARRIVAL,
    NOTICE_PHOTO,
    ONLY_MINORS,
    OUTCOME_REQUIRED,
    RESIDENT_CONSENT,
    SIGN_OR_SAY,
    UNKNOWN_REQUEST,
    UNKNOWN_SITE,
    VISIT_CLOSED,
    add_minutes,
    charges_total,
    clean_charges,
    deadlines,
    own_visit,
    policy_of,
    request_number,
    request_of,
    sample_rule,
    working,
)
from sync.domains.repairs.records import FOLLOW_UP, POLICY, REQUEST, VISIT
from sync.domains.repairs.sampling import sampled
from sync.errors import Reject
from sync.kit.fields import Problem
from sync.storage import Lookup, Record

# what a repeated start must name alike to be the same visit
SAME_VISIT = ("request_id", "basis", "arrived_at")
START_ARGS = ("request_id", "basis", "second_staff_id", "witness", "resident_present",
              "resident_consent", "only_minors", "arrived_at", "uniform_badge", "shoe_covers",
              "floor_protection")
# the outcomes the resident signs (or refuses to sign) for
SIGNED = ("done", "follow_up", "cannot_complete")
# the outcomes a follow-up (回訪) may follow
FOLLOWED = ("done", "follow_up")


# --- repair.start_visit ---------------------------------------------------------------------

def start_check(a: Any) -> list[Problem]:
    problems = []
    if a.basis == "emergency" and a.second_staff_id is None and not a.witness:
        problems.append(Problem("witness", EMERGENCY_WITNESS))
    if a.only_minors:
        problems.append(Problem("only_minors", ONLY_MINORS))
    if a.resident_present and not a.resident_consent:
        problems.append(Problem("resident_consent", RESIDENT_CONSENT))
    return problems


def apply_start(ctx: Context, a: Any) -> None:
    existing = ctx.get(VISIT, a.visit_id)
    if existing is not None:
        if all(existing.data.get(f) == getattr(a, f) for f in SAME_VISIT):
            return  # the same start sent again
        raise Reject(ALREADY_EXISTS, f"visit {a.visit_id} already exists with other details")
    request = request_of(ctx, a.request_id)
    d = request.data
    actor = ctx.actor
    ctx.insert(VISIT, a.visit_id, {
        "site_id": d.get("site_id"), "unit_id": d.get("unit_id"),
        **{f: getattr(a, f) for f in START_ARGS},
        "technician_id": actor.staff_id, "device_id": actor.device_id, "left_at": None,
        "clean_up": False, "found": "", "work_done": "", "charges": [], "total": 0.0,
        "before_photos": [], "after_photos": [], "signature_blob": "", "refused_reason": "",
        "satisfaction": None, "outcome": "", "outcome_reason": "", "notice_photo": "",
        "follow_request_id": None, "closed_at": None, "close_hlc": ""})
    if d.get("state") == "closed":
        # the office closed it while the technician was on the way: the visit is kept
        ctx.conflict("closed_while_working", record_type=REQUEST, record_ids=[request.id],
                     details=working(request, a.visit_id, a.arrived_at),
                     staff_ids=[actor.staff_id])
        return
    changes: dict[str, Any] = {"state": "in_progress"}
    if d.get("started_at") is None:
        changes["started_at"] = a.arrived_at
    if d.get("assignee_id") is None:
        changes["assignee_id"] = actor.staff_id
    ctx.update(request, changes)


# --- repair.update_visit --------------------------------------------------------------------

def update_check(a: Any) -> list[Problem]:
    return clean_charges(a.fields["charges"])[1] if "charges" in a.fields else []


def apply_update(ctx: Context, a: Any) -> None:
    visit = own_visit(ctx, a.visit_id)
    if visit.data.get("closed_at") is not None:
        raise Reject(VISIT_CLOSED, f"visit {a.visit_id} is closed", "visit_id")
    changes = dict(a.fields)
    if "charges" in changes:
        charges = clean_charges(changes["charges"])[0]
        changes["charges"] = charges
        changes["total"] = charges_total(charges)
    ctx.update(visit, changes)


# --- repair.close_visit ---------------------------------------------------------------------

def close_check(a: Any) -> list[Problem]:
    outcome = a.outcome
    if not outcome:
        return [Problem("outcome", OUTCOME_REQUIRED)]
    problems = []
    if outcome in SIGNED and not a.signature_blob and not a.refused_reason:
        problems.append(Problem("signature_blob", SIGN_OR_SAY))
    if outcome == "no_one_home" and not a.notice_photo:
        problems.append(Problem("notice_photo", NOTICE_PHOTO))
    if outcome == "follow_up" and a.follow_request_id is None:
        problems.append(Problem("follow_request_id", FOLLOW_REQUEST_NEEDED))
    if outcome == "cannot_complete" and not a.outcome_reason:
        problems.append(Problem("outcome_reason", CANNOT_COMPLETE_REASON))
    return problems


def close_lookups(a: Any) -> list[Lookup]:
    return [Lookup(POLICY, "site_id", a.site_id),
            Lookup(FOLLOW_UP, "request_id", a.request_id)]


def follow_reason(request: Mapping[str, Any], request_id: str, satisfaction: int | None,
                  policy: Mapping[str, Any] | None) -> str:
    """Why a finished request is followed up: a complaint and a low rating always, else the
    site's seeded sample; "" when it is not."""
    if request.get("complaint"):
        return "complaint"
    if satisfaction in (1, 2):
        return "unsatisfied"
    seed, percent = sample_rule(policy)
    return "sampled" if sampled(seed, request_id, percent) else ""


def _double_close(ctx: Context, visit: Record, a: Any) -> None:
    v = visit.data
    actor = ctx.actor
    first = {"staff_id": v.get("technician_id"), "device_id": v.get("device_id"),
             "hlc": v.get("close_hlc"), "left_at": v.get("left_at"),
             "outcome": v.get("outcome"), "satisfaction": v.get("satisfaction")}
    second = {"staff_id": actor.staff_id, "device_id": actor.device_id, "hlc": ctx.hlc,
              "left_at": a.left_at, "outcome": a.outcome, "satisfaction": a.satisfaction}
    ctx.conflict("double_close", record_type=VISIT, record_ids=[visit.id], details={
        "visit_id": visit.id, "request_id": v.get("request_id"), "closings": [first, second]},
        staff_ids=[v.get("technician_id"), actor.staff_id])


def _follow_request(ctx: Context, request: Record, a: Any,
                    policy: Mapping[str, Any] | None) -> None:
    """The rest of the work as a new request, assigned to the technician who closed."""
    d = request.data
    respond_by, complete_by = deadlines(policy, str(d.get("urgency")), a.left_at)
    actor = ctx.actor
    number = d.get("number") or ""
    new_number = a.follow_request_number or request_number(a.follow_request_id, a.left_at)
    ctx.insert(REQUEST, a.follow_request_id, {
        "site_id": d.get("site_id"), "number": new_number,
        "unit_id": d.get("unit_id"), "area": d.get("area"), "category": d.get("category"),
        "urgency": d.get("urgency"), "complaint": False,
        "description": a.outcome_reason or f"Follow-up of {number}", "photos": [],
        "contact_name": d.get("contact_name"), "contact_phone": d.get("contact_phone"),
        "contact_pref": d.get("contact_pref"), "source": "technician",
        "anomaly_visit_id": None, "parent_id": request.id, "reported_at": a.left_at,
        "reported_by": actor.staff_id, "respond_by": respond_by, "complete_by": complete_by,
        "state": "assigned", "assignee_id": actor.staff_id, "appointment_at": None,
        "assigned_at": a.left_at, "started_at": None, "finished_at": None,
        "outcome_reason": "", "key_loan_id": None, "closed_at": None, "close_reason": ""})


def _request_after(outcome: str, a: Any) -> dict[str, Any]:
    if outcome in FOLLOWED:
        return {"state": "done", "finished_at": a.left_at}
    if outcome == "no_one_home":
        return {"state": "assigned"}
    return {"state": "cannot_complete", "outcome_reason": a.outcome_reason}


def apply_close(ctx: Context, a: Any) -> None:
    visit = own_visit(ctx, a.visit_id)
    v = visit.data
    if v.get("request_id") != a.request_id:
        raise Reject(UNKNOWN_REQUEST, f"visit {a.visit_id} is not of request {a.request_id}",
                     "request_id")
    request = request_of(ctx, a.request_id)
    d = request.data
    if d.get("site_id") != a.site_id:
        raise Reject(UNKNOWN_SITE, f"request {a.request_id} is not of site {a.site_id}",
                     "site_id")
    arrived = v.get("arrived_at")
    if isinstance(arrived, str) and a.left_at < arrived:
        raise Reject(LEFT_BEFORE_ARRIVAL, "left before arriving", "left_at")
    if v.get("closed_at") is not None:
        _double_close(ctx, visit, a)  # closed on another phone: the first closing stands
        return
    policy = policy_of(ctx, a.site_id)
    open_request = d.get("state") != "closed"  # closed by the office: left as it is
    follow = open_request and a.outcome == "follow_up" and a.follow_request_id is not None
    if follow and ctx.get(REQUEST, a.follow_request_id) is not None:
        raise Reject(ALREADY_EXISTS, f"request {a.follow_request_id} already exists",
                     "follow_request_id")
    reason = ""
    if open_request and a.outcome in FOLLOWED and a.follow_up_id is not None and not [
            f for f in ctx.find(FOLLOW_UP, "request_id", request.id) if not f.deleted]:
        reason = follow_reason(d, request.id, a.satisfaction, policy)
    if reason and ctx.get(FOLLOW_UP, a.follow_up_id) is not None:
        raise Reject(ALREADY_EXISTS, f"follow-up {a.follow_up_id} already exists",
                     "follow_up_id")
    ctx.update(visit, {
        "left_at": a.left_at, "signature_blob": a.signature_blob,
        "refused_reason": a.refused_reason, "satisfaction": a.satisfaction,
        "outcome": a.outcome, "outcome_reason": a.outcome_reason,
        "notice_photo": a.notice_photo,
        "follow_request_id": a.follow_request_id if follow else None,
        "closed_at": a.left_at, "close_hlc": ctx.hlc})
    if open_request:
        ctx.update(request, _request_after(a.outcome, a))
    if follow:
        _follow_request(ctx, request, a, policy)
    if reason:
        ctx.insert(FOLLOW_UP, a.follow_up_id, {
            "site_id": d.get("site_id"), "request_id": request.id, "visit_id": visit.id,
            "unit_id": d.get("unit_id"), "reason": reason,
            "due_at": add_minutes(a.left_at, FOLLOW_UP_DAYS * 24 * 60), "method": "call",
            "reached": False, "rating": "", "notes": "", "done_at": None, "done_by": None})
