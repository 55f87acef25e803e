"""What the repair rules share: who may act, the rejection codes and check messages, the
request number, the deadlines, the charges and their total, and the reads every rule makes.

Times are the stored UTC ISO strings (``datetime.isoformat`` of the UTC moment) on both sides;
the phone's copy (``web/static/app/repairs/common.js``) writes the same strings, and lists of
records are sorted by (time, id) so the server and the phone name them in the same order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sync.context import Context, iso
from sync.domains.repairs.records import (
    DEFAULT_DEADLINES,
    DEFAULT_SAMPLE_PERCENT,
    MONEY_MAX,
    POLICY,
    REQUEST,
    VISIT,
    VISIT_TYPE,
)
from sync.errors import Reject
from sync.kit import text as textmod
from sync.kit.fields import TOO_MANY, Problem
from sync.storage import Record

# who may act
REPORTERS = frozenset({"front_desk", "patrol", "technician", "supervisor", "admin"})
DISPATCHERS = frozenset({"front_desk", "supervisor", "admin"})
TECHNICIANS = frozenset({"technician", "supervisor", "admin"})
OFFICE = frozenset({"supervisor", "admin"})

# rejection codes of this domain
ALREADY_EXISTS = "already_exists"
UNKNOWN_SITE = "unknown_site"
UNKNOWN_UNIT = "unknown_unit"
UNKNOWN_REQUEST = "unknown_request"
UNKNOWN_VISIT = "unknown_visit"
UNKNOWN_FOLLOW_UP = "unknown_follow_up"
UNKNOWN_LOAN = "unknown_loan"
REQUEST_CLOSED = "request_closed"
VISIT_CLOSED = "visit_closed"
LEFT_BEFORE_ARRIVAL = "left_before_arrival"
NOT_YOUR_VISIT = "not_your_visit"
CODES = (ALREADY_EXISTS, UNKNOWN_SITE, UNKNOWN_UNIT, UNKNOWN_REQUEST, UNKNOWN_VISIT,
         UNKNOWN_FOLLOW_UP, UNKNOWN_LOAN, REQUEST_CLOSED, VISIT_CLOSED, LEFT_BEFORE_ARRIVAL,
         NOT_YOUR_VISIT)

# messages of the cross-field checks (English ids of the catalogs)
UNIT_OR_AREA = "Choose a unit or name the public area."
EMERGENCY_WITNESS = "An emergency entry needs a second staff member or a named witness."
ONLY_MINORS = "No entry when only minors are at home."
RESIDENT_CONSENT = "The resident present must consent to the entry."
CHARGE_RULE = "Each charge needs an item, a quantity above 0 and an amount from 0 to {max}."
CHARGES_TOO_HIGH = "The charges add up to more than {max}."
OUTCOME_REQUIRED = "Choose how the visit ended."
SIGN_OR_SAY = "The resident signs, or say why they did not."
NOTICE_PHOTO = "Take a photo of the notice left."
FOLLOW_REQUEST_NEEDED = "A follow-up needs a new request for the rest of the work."
CANNOT_COMPLETE_REASON = "Say why it could not be completed."
LEFT_BEFORE_ARRIVING = "Left before arriving."
RATING_REQUIRED = "Give the rating the resident gave."
NO_RATING_UNREACHED = "No rating when the resident was not reached."
CLOSE_REASON_REQUIRED = "Say why the request is closed."
MESSAGES = (UNIT_OR_AREA, EMERGENCY_WITNESS, ONLY_MINORS, RESIDENT_CONSENT, CHARGE_RULE,
            CHARGES_TOO_HIGH, OUTCOME_REQUIRED, SIGN_OR_SAY, NOTICE_PHOTO, FOLLOW_REQUEST_NEEDED,
            CANNOT_COMPLETE_REASON, LEFT_BEFORE_ARRIVING, RATING_REQUIRED, NO_RATING_UNREACHED,
            CLOSE_REASON_REQUIRED)

DEFAULT_SEED = "caretaker"
FOLLOW_UP_DAYS = 3  # a follow-up is due three days after the visit closed
MAX_CHARGES = 30
MAX_QTY = 10_000
ITEM_MAX = 120
# a visit still open (not closed): what the lookups of a request's open visits load
OPEN_VISIT = VISIT_TYPE.open_when


# --- the request number and the deadlines ---------------------------------------------------

def request_number(request_id: str, reported_at: str, zone: tzinfo = UTC) -> str:
    """``R-`` + YYMMDD of the report + ``-`` + the id's last six hex digits: a number people
    can say on the phone (the phone's twin: ``requestNumber``). The day is the estate's
    (``zone``: the office passes its time zone; a phone uses its own clock's) — a request
    logged at 2 a.m. in Hong Kong carries that day, not the UTC one; the rules themselves
    only fall back to UTC when a phone sent no number. The last digits, not the first: a
    time-ordered id (UUIDv7) starts with the clock, the same for hours."""
    day = datetime.fromisoformat(reported_at).astimezone(zone)
    return f"R-{day:%y%m%d}-{request_id[-6:].upper()}"


def add_minutes(at: str, minutes: int) -> str:
    """A stored moment plus whole minutes, in the stored form."""
    return iso(datetime.fromisoformat(at) + timedelta(minutes=minutes))


def _minutes(policy: Mapping[str, Any] | None, kind: str, urgency: str) -> int:
    default = DEFAULT_DEADLINES[urgency][0 if kind == "respond" else 1]
    if policy is None:
        return default
    value = policy.get(f"{kind}_{urgency}")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else default


def deadlines(policy: Mapping[str, Any] | None, urgency: str, reported_at: str
              ) -> tuple[str, str]:
    """(respond by, complete by) of a request: its report plus the site's policy's minutes for
    its urgency (a field the policy lacks, or no policy: :data:`DEFAULT_DEADLINES`)."""
    u = urgency if urgency in DEFAULT_DEADLINES else "normal"
    return (add_minutes(reported_at, _minutes(policy, "respond", u)),
            add_minutes(reported_at, _minutes(policy, "complete", u)))


def sample_rule(policy: Mapping[str, Any] | None) -> tuple[str, int]:
    """(seed, percent) of the site's follow-up sample (defaults without a policy)."""
    if policy is None:
        return DEFAULT_SEED, DEFAULT_SAMPLE_PERCENT
    seed = policy.get("sample_seed")
    percent = policy.get("sample_percent")
    return (seed if isinstance(seed, str) and seed else DEFAULT_SEED,
            percent if isinstance(percent, int) and not isinstance(percent, bool)
            else DEFAULT_SAMPLE_PERCENT)


# --- charges --------------------------------------------------------------------------------

def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def charges_total(charges: list[dict[str, Any]]) -> float:
    """The sum of quantity × unit price, rounded to cents (half up: the same digits in
    Python and JavaScript, summed in order)."""
    total = 0.0
    for c in charges:
        total += c["qty"] * c["amount"]
    return round_cents(total)


def round_cents(x: float) -> float:
    """``x`` (not negative) rounded to cents, halves up, as JavaScript's
    ``Math.round(x * 100) / 100`` does."""
    scaled = x * 100
    whole = float(int(scaled)) if scaled < 2**52 else scaled
    return (whole + (1.0 if scaled - whole >= 0.5 else 0.0)) / 100


def clean_charges(value: Any, path: str = "charges") -> tuple[list[dict[str, Any]],
                                                              list[Problem]]:
    """The charges in their stored form (items' text normalised; each ``item``, ``qty``,
    ``amount`` only), and the problems (one per kind, on ``path``)."""
    bad = [Problem(path, CHARGE_RULE, {"max": MONEY_MAX})]
    if not isinstance(value, list):
        return [], bad
    if len(value) > MAX_CHARGES:
        return [], [Problem(path, TOO_MANY, {"n": MAX_CHARGES})]
    out: list[dict[str, Any]] = []
    for c in value:
        if not isinstance(c, dict) or set(c) != {"item", "qty", "amount"}:
            return [], bad
        item, qty, amount = c["item"], c["qty"], c["amount"]
        if not isinstance(item, str) or textmod.forbidden(item, "line"):
            return [], bad
        item = textmod.normalize(item, "line")
        if not textmod.visible(item) or textmod.length(item) > ITEM_MAX:
            return [], bad
        if not (_number(qty) and 0 < qty <= MAX_QTY and _number(amount)
                and 0 <= amount <= MONEY_MAX):
            return [], bad
        out.append({"item": item, "qty": qty, "amount": amount})
    if charges_total(out) > MONEY_MAX:
        return [], [Problem(path, CHARGES_TOO_HIGH, {"max": MONEY_MAX})]
    return out, []


# --- reads ----------------------------------------------------------------------------------

def first(records: list[Record]) -> Record | None:
    """One record of several (the office keeps one; the lowest id if it kept more)."""
    return min(records, key=lambda r: r.id) if records else None


def policy_of(ctx: Context, site_id: str) -> dict[str, Any] | None:
    """The site's repair policy (found by the lookup on ``site_id`` the mutation declares)."""
    found = [r for r in ctx.find(POLICY, "site_id", site_id)
             if not r.deleted and r.data.get("site_id") == site_id]
    chosen = first(found)
    return chosen.data if chosen is not None else None


def request_of(ctx: Context, request_id: str, field: str = "request_id") -> Record:
    request = ctx.get(REQUEST, request_id)
    if request is None or request.deleted:
        raise Reject(UNKNOWN_REQUEST, f"no repair request {request_id}", field)
    return request


def visit_of(ctx: Context, visit_id: str) -> Record:
    visit = ctx.get(VISIT, visit_id)
    if visit is None or visit.deleted:
        raise Reject(UNKNOWN_VISIT, f"no visit {visit_id}", "visit_id")
    return visit


def own_visit(ctx: Context, visit_id: str) -> Record:
    """A visit the acting person may record on: a technician only their own (or one they
    are the second staff member of); supervisors any of their sites'."""
    visit = visit_of(ctx, visit_id)
    actor = ctx.actor
    people = (visit.data.get("technician_id"), visit.data.get("second_staff_id"))
    if actor.role == "technician" and actor.staff_id not in people:
        raise Reject(NOT_YOUR_VISIT, f"visit {visit_id} is another technician's", "visit_id")
    return visit


def _arrived_order(rec: Record) -> tuple[str, str]:
    return str(rec.data.get("arrived_at") or ""), rec.id


def open_visits(ctx: Context, request_id: str) -> list[Record]:
    """The request's visits still open, first arrival first (the lookup of the request's
    open visits must be declared)."""
    found = [r for r in ctx.find(VISIT, "request_id", request_id)
             if not r.deleted and VISIT_TYPE.is_open(r.data)]
    return sorted(found, key=_arrived_order)


def working(request: Record, visit_id: str, arrived_at: Any) -> dict[str, Any]:
    """A ``closed_while_working`` conflict's details (both orders say the same)."""
    d = request.data
    return {"request_id": request.id, "number": d.get("number"), "closed_at": d.get("closed_at"),
            "close_reason": d.get("close_reason"), "visit_id": visit_id,
            "arrived_at": arrived_at}
