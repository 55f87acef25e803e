"""The repair domain's mutations and their rules — the authority. The phones run their copy
(``web/static/app/repairs/rules.js``) for their optimistic apply and their form checks;
``tests/parity`` runs generated sequences through both and fails on any difference. The
office's repair pages write through these same mutations.

A request is reported (``repair.report``: at the desk, from a patrol anomaly, by a technician
on site), assigned with an appointment (``repair.assign``), worked on in visits
(:mod:`sync.domains.repairs.visit`: ``repair.start_visit``, ``repair.update_visit``,
``repair.close_visit``), linked to the key lent for it (``repair.link_key``), followed up by a
call (``repair.follow_up``: 回訪, rated A/B/C; a C reopens it) and closed by the office
(``repair.close``).

Rejection codes: already_exists, unknown_site, unknown_unit, unknown_request, unknown_visit,
unknown_follow_up, unknown_loan, request_closed, visit_closed, left_before_arrival (and the
engine's invalid_args, unknown_blob, forbidden_role, forbidden_site…). Conflict kinds:
closed_while_working, double_close, double_follow_up.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync.context import Context
from sync.domains.repairs.common import (
    ALREADY_EXISTS,
    CANNOT_COMPLETE_REASON,
    CHARGE_RULE,
    CHARGES_TOO_HIGH,
    CLOSE_REASON_REQUIRED,
    CODES,
    DISPATCHERS,
    EMERGENCY_WITNESS,
    FOLLOW_REQUEST_NEEDED,
    LEFT_BEFORE_ARRIVING,
    MESSAGES,
    NO_RATING_UNREACHED,
    NOTICE_PHOTO,
    OFFICE,
    ONLY_MINORS,
    OPEN_VISIT,
    OUTCOME_REQUIRED,
    RATING_REQUIRED,
    REPORTERS,
    REQUEST_CLOSED,
    RESIDENT_CONSENT,
    SIGN_OR_SAY,
    TECHNICIANS,
    UNIT_OR_AREA,
    UNKNOWN_FOLLOW_UP,
    UNKNOWN_LOAN,
    UNKNOWN_SITE,
    UNKNOWN_UNIT,
    deadlines,
    open_visits,
    policy_of,
    request_of,
    working,
)
from sync.domains.repairs.records import (
    FOLLOW_UP,
    FOLLOW_UP_TYPE,
    OPEN_STATES,
    POLICY,
    REQUEST,
    REQUEST_TYPE,
    STREAM,
    VISIT,
    VISIT_TYPE,
)
from sync.domains.repairs.visit import (
    apply_close,
    apply_start,
    apply_update,
    close_check,
    close_lookups,
    start_check,
    update_check,
)
from sync.errors import Reject
from sync.kit.args import Arg, arg, fields_arg, id_arg, record_args
from sync.kit.fields import Field, Problem
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Lookup

# --- repair.report --------------------------------------------------------------------------

# the arguments a request keeps as they were given
REPORT_ARGS = ("site_id", "number", "unit_id", "area", "category", "urgency", "complaint",
               "description", "photos", "contact_name", "contact_phone", "contact_pref",
               "source", "anomaly_visit_id", "parent_id", "reported_at")


def _report_check(a: Any) -> list[Problem]:
    if a.unit_id is None and not a.area:
        return [Problem("area", UNIT_OR_AREA)]
    return []


def _report(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in REPORT_ARGS}
    existing = ctx.get(REQUEST, a.request_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in given.items()):
            return  # the same report sent again
        raise Reject(ALREADY_EXISTS, f"request {a.request_id} already exists differently")
    site = ctx.get("site", a.site_id)
    if site is None or site.deleted:
        raise Reject(UNKNOWN_SITE, f"no site {a.site_id}", "site_id")
    if a.unit_id is not None:
        unit = ctx.get("unit", a.unit_id)
        if unit is None or unit.deleted or unit.data.get("site_id") != a.site_id:
            raise Reject(UNKNOWN_UNIT, f"no unit {a.unit_id} at this site", "unit_id")
    respond_by, complete_by = deadlines(policy_of(ctx, a.site_id), a.urgency, a.reported_at)
    actor = ctx.actor
    on_site = a.source == "technician"  # the technician reporting it does it
    ctx.insert(REQUEST, a.request_id, {
        **given, "photos": list(a.photos), "reported_by": actor.staff_id,
        "respond_by": respond_by, "complete_by": complete_by,
        "state": "assigned" if on_site else "new",
        "assignee_id": actor.staff_id if on_site else None, "appointment_at": None,
        "assigned_at": a.reported_at if on_site else None, "started_at": None,
        "finished_at": None, "outcome_reason": "", "key_loan_id": None, "closed_at": None,
        "close_reason": ""})


# --- repair.assign / repair.link_key / repair.close -----------------------------------------

def _assign(ctx: Context, a: Any) -> None:
    request = request_of(ctx, a.request_id)
    state = request.data.get("state")
    if state not in OPEN_STATES:
        raise Reject(REQUEST_CLOSED, f"request {a.request_id} is {state}", "request_id")
    ctx.update(request, {"assignee_id": a.assignee_id, "appointment_at": a.appointment_at,
                         "assigned_at": a.assigned_at,
                         "state": "assigned" if state == "new" else state})


def _link_key(ctx: Context, a: Any) -> None:
    request = request_of(ctx, a.request_id)
    loan = ctx.get("key_loan", a.key_loan_id)
    if loan is None or loan.deleted or loan.data.get("site_id") != request.data.get("site_id"):
        # a loan of another site is none of this request's (its borrower stays there)
        raise Reject(UNKNOWN_LOAN, f"no key loan {a.key_loan_id} at the request's site",
                     "key_loan_id")
    ctx.update(request, {"key_loan_id": a.key_loan_id})


def _close_check(a: Any) -> list[Problem]:
    return [] if a.reason else [Problem("reason", CLOSE_REASON_REQUIRED)]


def _close(ctx: Context, a: Any) -> None:
    request = request_of(ctx, a.request_id)
    if request.data.get("state") == "closed":
        return  # closed already: the first closing stands
    request = ctx.update(request, {"state": "closed", "closed_at": a.closed_at,
                                   "close_reason": a.reason})
    for visit in open_visits(ctx, request.id):
        # a technician is inside: their visit goes on being recorded, the office checks
        ctx.conflict("closed_while_working", record_type=REQUEST, record_ids=[request.id],
                     details=working(request, visit.id, visit.data.get("arrived_at")),
                     staff_ids=[visit.data.get("technician_id"), ctx.actor.staff_id])


# --- repair.follow_up -----------------------------------------------------------------------

def _follow_check(a: Any) -> list[Problem]:
    if a.reached and not a.rating:
        return [Problem("rating", RATING_REQUIRED)]
    if not a.reached and a.rating:
        return [Problem("rating", NO_RATING_UNREACHED)]
    return []


def _follow_up(ctx: Context, a: Any) -> None:
    follow = ctx.get(FOLLOW_UP, a.follow_up_id)
    if follow is None or follow.deleted:
        raise Reject(UNKNOWN_FOLLOW_UP, f"no follow-up {a.follow_up_id}", "follow_up_id")
    d = follow.data
    actor = ctx.actor
    if d.get("done_at") is not None:
        # recorded on two phones: the first stands, the office sees both
        first = {"staff_id": d.get("done_by"), "done_at": d.get("done_at"),
                 "method": d.get("method"), "reached": d.get("reached"),
                 "rating": d.get("rating"), "notes": d.get("notes")}
        second = {"staff_id": actor.staff_id, "done_at": a.done_at, "method": a.method,
                  "reached": a.reached, "rating": a.rating, "notes": a.notes}
        ctx.conflict("double_follow_up", record_type=FOLLOW_UP, record_ids=[follow.id],
                     details={"follow_up_id": follow.id, "request_id": d.get("request_id"),
                              "follow_ups": [first, second]},
                     staff_ids=[d.get("done_by"), actor.staff_id])
        return
    if not a.reached:
        ctx.update(follow, {"method": a.method, "notes": a.notes})  # still due
        return
    ctx.update(follow, {"method": a.method, "reached": True, "rating": a.rating,
                        "notes": a.notes, "done_at": a.done_at, "done_by": actor.staff_id})
    request_id = d.get("request_id")
    if not isinstance(request_id, str):
        return
    request = ctx.get(REQUEST, request_id)
    if request is None or request.data.get("state") == "closed":
        return  # the office's closing stands
    if a.rating == "C":  # unsatisfied: the work is reopened
        state = "assigned" if request.data.get("assignee_id") else "new"
    else:
        state = "followed_up"
    ctx.update(request, {"state": state})


# --- registration ---------------------------------------------------------------------------

SITE_SPACE = SpaceFrom("site_id", stream=STREAM)
REQUEST_SPACE = SpaceFrom("request_id", record=REQUEST)
VISIT_SPACE = SpaceFrom("visit_id", record=VISIT)
UPDATE_FIELDS = ("found", "work_done", "charges", "before_photos", "after_photos", "clean_up",
                 "uniform_badge", "shoe_covers", "floor_protection", "second_staff_id",
                 "witness")


def _given(f: Field, **over: Any) -> Field:
    """A record's field as an argument the phone gives (not set by the rules, not null)."""
    return replace(f, server=False, nullable=False, **over)


def _req(name: str) -> Arg:
    return arg(name, _given(REQUEST_TYPE.field(name)))


MUTATIONS: tuple[MutationSpec, ...] = (
    MutationSpec(
        name="repair.report", label="Repair reported",
        args=(id_arg("request_id", REQUEST),
              *record_args(REQUEST_TYPE, "site_id", "number", "category", "urgency",
                           "description", "source", "reported_at", unit_id=None, area="",
                           complaint=False, photos=[], contact_name="", contact_phone="",
                           contact_pref="call_first", anomaly_visit_id=None, parent_id=None)),
        check=_report_check,
        space_from=(SITE_SPACE,),
        apply=_report, roles=REPORTERS, creates=((REQUEST, "request_id"),),
        lookups=lambda a: [Lookup(POLICY, "site_id", a.site_id)],
        description="Log a repair request for a unit or a public area (a resident's call, a "
                    "patrol anomaly, a technician on site: then it is assigned to them). Its "
                    "deadlines follow the site's repair policy for its urgency. Refused: "
                    "`already_exists` (the id with other content; identical = no-op), "
                    "`unknown_site`, `unknown_unit` (not a unit of the site), `invalid_args` "
                    "(neither unit nor area…).",
    ),
    MutationSpec(
        name="repair.assign", label="Repair assigned",
        args=(id_arg("request_id", REQUEST), _req("assignee_id"), _req("assigned_at"),
              arg("appointment_at", REQUEST_TYPE.field("appointment_at"), None)),
        space_from=(REQUEST_SPACE,),
        apply=_assign, roles=DISPATCHERS,
        description="Assign a request to a technician, with an appointment. Refused: "
                    "`unknown_request`, `request_closed` (done, followed up, closed…).",
    ),
    MutationSpec(
        name="repair.start_visit", label="Visit started",
        args=(id_arg("visit_id", VISIT),
              *record_args(VISIT_TYPE, "request_id", "basis", "arrived_at",
                           second_staff_id=None, witness="", resident_present=False,
                           resident_consent=False, only_minors=False, uniform_badge=False,
                           shoe_covers=False, floor_protection=False)),
        check=start_check,
        space_from=(REQUEST_SPACE,),
        apply=apply_start, roles=TECHNICIANS, creates=((VISIT, "visit_id"),),
        description="A technician enters a unit: the basis for entry, who is there, the "
                    "conduct checklist; the request is in progress. Refused: "
                    "`already_exists`, `unknown_request`, `invalid_args` (an emergency "
                    "without a second staff member or witness, only minors at home, no "
                    "consent…). Flagged, applied: `closed_while_working` (the office closed "
                    "the request: the visit is kept, the request stays closed).",
    ),
    MutationSpec(
        name="repair.update_visit", label="Visit recorded",
        args=(id_arg("visit_id", VISIT), fields_arg("fields", VISIT_TYPE, UPDATE_FIELDS)),
        check=update_check,
        space_from=(VISIT_SPACE,),
        apply=apply_update, roles=TECHNICIANS,
        description="Record what was found and done, materials and charges (the total is "
                    "computed), photos and the checklist. Refused: `unknown_visit`, "
                    "`not_your_visit` (a technician on another's visit), `visit_closed`, "
                    "`invalid_args` (a bad charge…).",
    ),
    MutationSpec(
        name="repair.close_visit", label="Visit closed",
        args=(id_arg("visit_id", VISIT), *record_args(VISIT_TYPE, "request_id"),
              arg("site_id", REQUEST_TYPE.field("site_id")),
              arg("left_at", _given(VISIT_TYPE.field("left_at"))),
              *record_args(VISIT_TYPE, "outcome", signature_blob="", refused_reason="",
                           satisfaction=None, outcome_reason="", notice_photo="",
                           follow_request_id=None),
              arg("follow_up_id", Field("follow_up_id", "uuid", ref=FOLLOW_UP, nullable=True,
                                        label="Follow-up"), None),
              # the follow-up request's number, made on the phone in the estate's day
              arg("follow_request_number",
                  replace(REQUEST_TYPE.field("number"), required=False), "")),
        check=close_check,
        space_from=(VISIT_SPACE,),
        apply=apply_close, roles=TECHNICIANS,
        creates=((REQUEST, "follow_request_id"), (FOLLOW_UP, "follow_up_id")),
        lookups=close_lookups,
        description="Close a visit (the resident signs or says why not, rates it 1–5): "
                    "done, no one home (a notice left), follow-up needed (a new request, "
                    "assigned to the technician) or cannot complete. A follow-up (回訪) "
                    "is due for a complaint, a rating of 1–2 or the site's seeded sample. "
                    "`request_id` and `site_id` are the visit's (the push loads the site's "
                    "policy and the request's follow-ups with them). Refused: "
                    "`unknown_visit`, `not_your_visit`, `unknown_request`/`unknown_site` "
                    "(not the visit's), "
                    "`left_before_arrival`, `already_exists` (the new request's or "
                    "follow-up's id), `invalid_args`. Flagged: `double_close` (closed on "
                    "another phone: the first closing stands).",
    ),
    MutationSpec(
        name="repair.link_key", label="Key linked",
        args=(id_arg("request_id", REQUEST), _req("key_loan_id")),
        space_from=(REQUEST_SPACE,),
        apply=_link_key, roles=DISPATCHERS,
        description="Name the key loan made for a request (the entry chain: key, visit, "
                    "follow-up). Refused: `unknown_request`, `unknown_loan`.",
    ),
    MutationSpec(
        name="repair.follow_up", label="Follow-up recorded",
        args=(id_arg("follow_up_id", FOLLOW_UP),
              *record_args(FOLLOW_UP_TYPE, "method", "reached", rating="", notes=""),
              arg("done_at", _given(FOLLOW_UP_TYPE.field("done_at")))),
        check=_follow_check,
        space_from=(SpaceFrom("follow_up_id", record=FOLLOW_UP),),
        apply=_follow_up, roles=DISPATCHERS,
        follows=(("follow_up_id", "request_id"),),
        description="回訪: the resident reached and their rating (A, B: followed up; C: the "
                    "request is reopened), or not reached (still due). Refused: "
                    "`unknown_follow_up`, `invalid_args`. Flagged: `double_follow_up` "
                    "(recorded twice: the first stands).",
    ),
    MutationSpec(
        name="repair.close", label="Request closed",
        args=(id_arg("request_id", REQUEST), arg("reason", _given(REQUEST_TYPE.field(
            "close_reason"))), _req("closed_at")),
        check=_close_check,
        space_from=(REQUEST_SPACE,),
        apply=_close, roles=OFFICE,
        lookups=lambda a: [Lookup(VISIT, "request_id", a.request_id, OPEN_VISIT)],
        description="The office closes a request, saying why; closed already: no-op. "
                    "Refused: `unknown_request`, `invalid_args`. Flagged, applied: "
                    "`closed_while_working` (a visit of it is open).",
    ),
)

# the messages of the checks, as this module names them (tests/unit/test_i18n.py)
__all__ = ["CANNOT_COMPLETE_REASON", "CHARGES_TOO_HIGH", "CHARGE_RULE", "CODES",
           "EMERGENCY_WITNESS", "FOLLOW_REQUEST_NEEDED", "LEFT_BEFORE_ARRIVING", "MESSAGES",
           "MUTATIONS", "NOTICE_PHOTO", "ONLY_MINORS", "OUTCOME_REQUIRED", "RESIDENT_CONSENT",
           "SIGN_OR_SAY"]
