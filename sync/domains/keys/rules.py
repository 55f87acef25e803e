"""The key domain's mutations and their rules — the authority. The phone runs its copy
(``web/static/app/keys/rules.js``) for its optimistic apply and its form checks;
``tests/parity`` runs generated sequences through both and fails on any difference. The
office's key pages write through these same mutations (``server/keys/service.py``).

Rejection codes: already_exists, unknown_site, unknown_unit, code_in_use, code_shows_unit,
label_shows_unit, unknown_key, key_retired, owner_consent_required, unknown_loan,
loan_voided, reason_required (and the engine's invalid_args, unknown_blob, forbidden_role,
forbidden_site…). Conflict kinds: double_loan, double_return, return_before_loan (and
field_overwritten from corrections).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sync.context import Context
from sync.domains.keys.records import KEY, KEY_TYPE, LOAN, LOAN_TYPE
from sync.errors import Reject
from sync.kit.args import arg, fields_arg, id_arg, record_args
from sync.kit.fields import Field, Problem
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Lookup

WRITERS = frozenset({"admin", "supervisor", "front_desk"})
SUPERVISORS = frozenset({"admin", "supervisor"})

# rejection codes of this domain
ALREADY_EXISTS = "already_exists"
UNKNOWN_SITE = "unknown_site"
UNKNOWN_UNIT = "unknown_unit"
CODE_IN_USE = "code_in_use"
CODE_SHOWS_UNIT = "code_shows_unit"
LABEL_SHOWS_UNIT = "label_shows_unit"
UNKNOWN_KEY = "unknown_key"
KEY_RETIRED = "key_retired"
OWNER_CONSENT_REQUIRED = "owner_consent_required"
UNKNOWN_LOAN = "unknown_loan"
LOAN_VOIDED = "loan_voided"
REASON_REQUIRED = "reason_required"
CODES = (ALREADY_EXISTS, UNKNOWN_SITE, UNKNOWN_UNIT, CODE_IN_USE, CODE_SHOWS_UNIT,
         LABEL_SHOWS_UNIT, UNKNOWN_KEY, KEY_RETIRED, OWNER_CONSENT_REQUIRED, UNKNOWN_LOAN,
         LOAN_VOIDED, REASON_REQUIRED)

# messages of the cross-field checks (English ids of the catalogs)
ID_LAST4_WITHOUT_TYPE = "Choose the ID type, or leave the last 4 characters empty."
ID_LAST4_EXACTLY = "Enter exactly the last 4 characters of the ID."
DUE_BEFORE_LENT = "The key must be due back after it is lent."
# the words of this domain's own checks (message ids of the keys catalog)
MESSAGES = (ID_LAST4_WITHOUT_TYPE, ID_LAST4_EXACTLY, DUE_BEFORE_LENT)


# --- the tag code must not lead to the flat -----------------------------------------------

def _compact(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def shows_unit(text: str, unit_number: str) -> bool:
    """True when ``text`` (a tag code or label) contains the unit number, as typed or
    without its separators ("A-12C" is in "HYG-A12C-1"): a lost key must not lead to its
    flat."""
    if not unit_number:
        return False
    if unit_number.lower() in text.lower():
        return True
    compact = _compact(unit_number)
    return len(compact) >= 3 and compact in _compact(text)


def _check_unit(ctx: Context, site_id: str, unit_id: str | None, code: str,
                label: str) -> None:
    """The unit must exist at the key's site, and neither code nor label may show it."""
    if unit_id is None:
        return
    unit = ctx.get("unit", unit_id)
    if unit is None or unit.deleted or unit.data.get("site_id") != site_id:
        raise Reject(UNKNOWN_UNIT, f"no unit {unit_id} at this site", "unit_id")
    number = str(unit.data.get("number") or "")
    if shows_unit(code, number):
        raise Reject(CODE_SHOWS_UNIT,
                     f"the tag code {code!r} shows the unit number {number!r}", "code")
    if shows_unit(label, number):
        raise Reject(LABEL_SHOWS_UNIT,
                     f"the label {label!r} shows the unit number {number!r}", "label")


def _check_code_free(ctx: Context, site_id: str, code: str, key_id: str) -> None:
    for other in ctx.find(KEY, "code", code):
        if other.id != key_id and other.data.get("site_id") == site_id:
            raise Reject(CODE_IN_USE, f"another key at this site has the code {code!r}",
                         "code")


# --- key.register --------------------------------------------------------------------------

def _register(ctx: Context, a: Any) -> None:
    data = {
        "site_id": a.site_id, "code": a.code, "label": a.label, "category": a.category,
        "unit_id": a.unit_id, "notes": a.notes, "retired": False,
    }
    existing = ctx.get(KEY, a.key_id)
    if existing is not None:
        if all(existing.data.get(f) == data[f] for f in data if f != "retired"):
            return  # the same key registered again (another desk, or a re-sent form)
        raise Reject(ALREADY_EXISTS, f"key {a.key_id} is already registered differently")
    site = ctx.get("site", a.site_id)
    if site is None or site.deleted:
        raise Reject(UNKNOWN_SITE, f"no site {a.site_id}", "site_id")
    _check_unit(ctx, a.site_id, a.unit_id, a.code, a.label)
    _check_code_free(ctx, a.site_id, a.code, a.key_id)
    ctx.insert(KEY, a.key_id, data, lww=KEY_TYPE.lww)


# --- key.update ----------------------------------------------------------------------------

def _update(ctx: Context, a: Any) -> None:
    key = ctx.get(KEY, a.key_id)
    if key is None:
        raise Reject(UNKNOWN_KEY, f"no key {a.key_id}", "key_id")
    d = key.data
    fields: dict[str, Any] = a.fields
    site_id = str(d.get("site_id"))
    after = {**d, **fields}
    if "code" in fields:
        _check_code_free(ctx, site_id, fields["code"], key.id)
    if "unit_id" in fields or "code" in fields or "label" in fields:
        _check_unit(ctx, site_id, after.get("unit_id"), str(after.get("code") or ""),
                    str(after.get("label") or ""))
    ctx.correct(key, fields)


# --- key.lend ------------------------------------------------------------------------------

def _lend_check(a: Any) -> list[Problem]:
    problems = []
    if a.id_type == "none" and a.id_last4:
        problems.append(Problem("id_last4", ID_LAST4_WITHOUT_TYPE))
    elif a.id_type != "none" and len(a.id_last4) != 4:
        problems.append(Problem("id_last4", ID_LAST4_EXACTLY))
    if a.due_at < a.lent_at:
        problems.append(Problem("due_at", DUE_BEFORE_LENT))
    return problems


LEND_FIELDS = ("key_id", "borrower_name", "borrower_phone", "borrower_kind", "id_type",
               "id_last4", "purpose", "approver", "owner_consent", "deposit", "lent_at",
               "due_at", "signature_blob")

# a loan still out: what key.lend's double_loan check reads (never the key's whole history)
OPEN_LOAN = LOAN_TYPE.open_when

_NOT_RETURNED: dict[str, Any] = {
    "returned_at": None, "returned_by": "", "return_notes": "", "return_photos": [],
    "return_recorded_by": None, "return_hlc": "", "voided": False, "void_reason": "",
    "voided_by": None,
}


def lend_refusal(k: dict[str, Any], a: Any) -> Reject | None:
    """Why this key may not be lent on these details, or None (the phone's lend form shows it
    beside the other problems)."""
    if k.get("retired"):
        return Reject(KEY_RETIRED, f"key {k.get('code')} is retired", "key_id")
    if k.get("category") == "owner_deposited" and not a.owner_consent:
        return Reject(OWNER_CONSENT_REQUIRED,
                      f"key {k.get('code')} is owner-deposited: record the owner's consent",
                      "owner_consent")
    return None


def _lend(ctx: Context, a: Any) -> None:
    lent = {f: getattr(a, f) for f in LEND_FIELDS}
    existing = ctx.get(LOAN, a.loan_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in lent.items()):
            return  # the same loan again: already applied
        raise Reject(ALREADY_EXISTS, f"loan {a.loan_id} already exists with other details")
    key = ctx.get(KEY, a.key_id)
    if key is None:
        raise Reject(UNKNOWN_KEY, f"no key {a.key_id}", "key_id")
    k = key.data
    refused = lend_refusal(k, a)
    if refused is not None:
        raise refused
    open_loans = [other for other in ctx.find(LOAN, "key_id", a.key_id)
                  if LOAN_TYPE.is_open(other.data)]
    actor = ctx.actor
    data = {"site_id": k["site_id"], **lent, "lent_by": actor.staff_id,
            "lent_device": actor.device_id, "lent_hlc": ctx.hlc, **_NOT_RETURNED,
            "return_photos": []}
    ctx.insert(LOAN, a.loan_id, data)
    if open_loans:
        # two desks lent the same key while offline: both facts stand, the office decides
        ctx.conflict(
            "double_loan",
            record_type=LOAN,
            record_ids=[other.id for other in open_loans] + [a.loan_id],
            details={
                "key_id": a.key_id,
                "key_code": k.get("code"),
                "loans": [_loan_summary(other.id, other.data) for other in open_loans]
                + [_loan_summary(a.loan_id, data)],
            },
            staff_ids=[other.data.get("lent_by") for other in open_loans] + [actor.staff_id],
        )


def _loan_summary(loan_id: str, d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "loan_id": loan_id, "borrower_name": d.get("borrower_name"),
        "borrower_kind": d.get("borrower_kind"), "lent_at": d.get("lent_at"),
        "due_at": d.get("due_at"), "lent_by": d.get("lent_by"),
        "lent_device": d.get("lent_device"),
    }


# --- key.return ----------------------------------------------------------------------------

def _return(ctx: Context, a: Any) -> None:
    loan = ctx.get(LOAN, a.loan_id)
    if loan is None:
        raise Reject(UNKNOWN_LOAN, f"no loan {a.loan_id}", "loan_id")
    d = loan.data
    if d.get("voided"):
        raise Reject(LOAN_VOIDED, f"loan {a.loan_id} was voided: {d.get('void_reason')}",
                     "loan_id")
    actor = ctx.actor
    returned = {
        "returned_at": a.returned_at, "returned_by": a.returned_by,
        "return_notes": a.return_notes, "return_photos": list(a.return_photos),
        "return_recorded_by": actor.staff_id, "return_hlc": ctx.hlc,
    }
    if d.get("returned_at") is not None:
        # returned twice (two desks, or a second scan): the first return stays on the record
        first = {f: d.get(f) for f in returned}
        ctx.conflict(
            "double_return",
            record_type=LOAN,
            record_ids=[a.loan_id],
            details={"loan_id": a.loan_id, "key_id": d.get("key_id"), "first": first,
                     "second": {**returned, "return_device": actor.device_id}},
            staff_ids=[d.get("return_recorded_by"), actor.staff_id],
        )
        return
    ctx.update(loan, returned)
    lent_at = d.get("lent_at")
    if isinstance(lent_at, str) and a.returned_at < lent_at:
        ctx.conflict(
            "return_before_loan",
            record_type=LOAN,
            record_ids=[a.loan_id],
            details={"loan_id": a.loan_id, "key_id": d.get("key_id"), "lent_at": lent_at,
                     "returned_at": a.returned_at, "lent_by": d.get("lent_by"),
                     "return_recorded_by": actor.staff_id},
            staff_ids=[d.get("lent_by"), actor.staff_id],
        )


# --- key.void_loan -------------------------------------------------------------------------

def _void(ctx: Context, a: Any) -> None:
    if not a.reason:
        raise Reject(REASON_REQUIRED, "voiding a loan needs a reason", "reason")
    loan = ctx.get(LOAN, a.loan_id)
    if loan is None:
        raise Reject(UNKNOWN_LOAN, f"no loan {a.loan_id}", "loan_id")
    if loan.data.get("voided"):
        raise Reject(LOAN_VOIDED, f"loan {a.loan_id} is already voided", "loan_id")
    ctx.update(
        loan,
        {"voided": True, "void_reason": a.reason, "voided_by": ctx.actor.staff_id},
        deleted=True,
    )


# --- registration --------------------------------------------------------------------------

KEY_SPACE = SpaceFrom("key_id", record=KEY)
LOAN_SPACE = SpaceFrom("loan_id", record=LOAN)

MUTATIONS: tuple[MutationSpec, ...] = (
    MutationSpec(
        name="key.register", label="Key registered",
        args=(id_arg("key_id", KEY), *record_args(KEY_TYPE, "site_id", "code", "label",
                                                    "category", unit_id=None, notes="")),
        space_from=(SpaceFrom("site_id", stream="keys"),),
        apply=_register, roles=WRITERS,
        creates=((KEY, "key_id"),),
        lookups=lambda a: [Lookup(KEY, "code", a.code)],
        description="Add a key tag to the site's register. Refused: `already_exists` (the id "
                    "with other content; identical = no-op), `code_in_use` (another key of "
                    "the site has the code), `unknown_site`, `unknown_unit` (not a unit of "
                    "the site), `code_shows_unit`/`label_shows_unit` (a unit's key must not "
                    "show its unit number).",
    ),
    MutationSpec(
        name="key.update", label="Key corrected",
        args=(id_arg("key_id", KEY), fields_arg("fields", KEY_TYPE, KEY_TYPE.lww)),
        space_from=(KEY_SPACE,),
        apply=_update, roles=WRITERS,
        follows=(("key_id", "unit_id"),),  # the key's unit: a new label must not show it
        lookups=lambda a: [Lookup(KEY, "code", a.fields["code"])] if "code" in a.fields
        else [],
        description="Correct a key's code, label, category, notes, unit or retired flag, "
                    "field by field, last writer wins by HLC; the losing value is kept in a "
                    "`field_overwritten` conflict. Refused: `unknown_key`, `code_in_use`, "
                    "`unknown_unit`, `code_shows_unit`, `label_shows_unit`.",
    ),
    MutationSpec(
        name="key.lend", label="Lent",
        args=(id_arg("loan_id", LOAN),
              *record_args(LOAN_TYPE, "key_id", "borrower_name", "borrower_kind", "lent_at",
                           "due_at", "signature_blob", borrower_phone="", id_type="none",
                           id_last4="", purpose="", approver="", owner_consent="",
                           deposit="")),
        check=_lend_check,
        space_from=(KEY_SPACE, LOAN_SPACE),
        apply=_lend, roles=WRITERS,
        creates=((LOAN, "loan_id"),),
        lookups=lambda a: [Lookup(LOAN, "key_id", a.key_id, OPEN_LOAN)],
        description="Lend a key. Refused: `unknown_key`, `key_retired`, "
                    "`owner_consent_required` (an owner-deposited key), `invalid_args` (due "
                    "before lent, an ID part that is not 4 characters, …); `already_exists` "
                    "for the loan id with other details. The key already out: both loans "
                    "kept and a `double_loan` conflict.",
    ),
    MutationSpec(
        name="key.return", label="Returned",
        args=(id_arg("loan_id", LOAN),
              arg("returned_by", replace(LOAN_TYPE.field("returned_by"), required=True)),
              arg("returned_at", Field("returned_at", "ts", label="Returned at")),
              *record_args(LOAN_TYPE, return_notes="", return_photos=[])),
        space_from=(LOAN_SPACE,),
        apply=_return, roles=WRITERS,
        description="Record a key's return. Refused: `unknown_loan`, `loan_voided`. "
                    "Already returned: a `double_return` conflict keeping both times; "
                    "returned before it was lent: applied with a `return_before_loan` "
                    "conflict.",
    ),
    MutationSpec(
        name="key.void_loan", label="Voided",
        args=(id_arg("loan_id", LOAN), arg("reason", LOAN_TYPE.field("void_reason"), "")),
        space_from=(LOAN_SPACE,),
        apply=_void, roles=SUPERVISORS,
        description="Void a loan entered by mistake (it becomes a tombstone). Refused: "
                    "`reason_required`, `unknown_loan`, `loan_voided`.",
    ),
)
