"""Key register (鑰匙登記) and key loans (鑰匙借用): the first domain on the sync engine.

Record types (their ``space`` is the key's site id):

* ``key``: site_id, code, label, category, unit_id, notes, retired. The corrected fields
  (label, category, notes, unit_id, retired) merge by last-writer-wins on the HLC.
* ``key_loan``: site_id, key_id, borrower_name, borrower_phone, borrower_kind, id_type,
  id_last4, purpose, approver, owner_consent, deposit, lent_at, due_at, signature_blob, lent_by,
  lent_device, lent_hlc, returned_at, returned_by, return_notes, return_photos,
  return_recorded_by, return_hlc, voided, void_reason, voided_by. A voided loan is a tombstone.

Rejection codes: already_exists, unknown_key, key_retired, owner_consent_required,
unknown_loan, loan_voided, reason_required (and the engine's invalid_args, forbidden_role,
forbidden_site…). Conflict kinds: double_loan, double_return, return_before_loan (and
field_overwritten from corrections).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from sync.context import Context, iso
from sync.errors import Reject
from sync.registry import MutationSpec, Registry
from sync.storage import Lookup, Ref

KEY = "key"
LOAN = "key_loan"

WRITERS = frozenset({"admin", "supervisor", "front_desk"})
SUPERVISORS = frozenset({"admin", "supervisor"})

# rejection codes of this domain
ALREADY_EXISTS = "already_exists"
UNKNOWN_KEY = "unknown_key"
KEY_RETIRED = "key_retired"
OWNER_CONSENT_REQUIRED = "owner_consent_required"
UNKNOWN_LOAN = "unknown_loan"
LOAN_VOIDED = "loan_voided"
REASON_REQUIRED = "reason_required"

Uuid = Annotated[
    str, Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
              description="UUID, lowercase with dashes")
]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
OptionalSha256 = Annotated[str, Meta(pattern=r"^(?:[0-9a-f]{64})?$")]
AwareDatetime = Annotated[datetime, Meta(tz=True)]
Category = Literal[
    "owner_deposited", "vacant_unit", "show_flat", "public_area", "equipment_room", "master"
]
BorrowerKind = Literal["staff", "contractor", "resident", "agent"]
IdType = Literal["hkid", "mainland_id", "passport", "other", "none"]


Code = Annotated[str, Meta(min_length=1, max_length=40)]
Name = Annotated[str, Meta(min_length=1, max_length=120)]
Text40 = Annotated[str, Meta(max_length=40)]
Text60 = Annotated[str, Meta(max_length=60)]
Text120 = Annotated[str, Meta(max_length=120)]
Text255 = Annotated[str, Meta(max_length=255)]
Text500 = Annotated[str, Meta(max_length=500)]
Notes = Annotated[str, Meta(max_length=2000)]
Last4 = Annotated[str, Meta(max_length=4)]


class Args(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every mutation's args: unknown fields are an error."""


class KeyRegister(Args, kw_only=True):
    key_id: Uuid
    site_id: Uuid
    code: Code
    label: Text120
    category: Category
    unit_id: Uuid | None = None
    notes: Notes = ""


class KeyFields(Struct, forbid_unknown_fields=True, kw_only=True):
    label: Text120 | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    notes: Notes | UnsetType = UNSET
    unit_id: Uuid | UnsetType | None = UNSET
    retired: bool | UnsetType = UNSET

    def __post_init__(self) -> None:
        if not self.given():
            raise ValueError("fields: nothing to update")

    def given(self) -> dict[str, Any]:
        return {f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not UNSET}


class KeyUpdate(Args, kw_only=True):
    key_id: Uuid
    fields: KeyFields


class KeyLend(Args, kw_only=True):
    loan_id: Uuid
    key_id: Uuid
    borrower_name: Name
    borrower_phone: Text40 = ""
    borrower_kind: BorrowerKind
    id_type: IdType = "none"
    id_last4: Last4 = ""
    purpose: Text255 = ""
    approver: Text120 = ""
    owner_consent: Text255 = ""
    deposit: Text60 = ""
    lent_at: AwareDatetime
    due_at: AwareDatetime
    signature_blob: OptionalSha256 = ""

    def __post_init__(self) -> None:
        if self.due_at < self.lent_at:
            raise ValueError("due_at is before lent_at")
        # ID numbers are never stored in full: type + last 4, or nothing at all
        if self.id_type == "none" and self.id_last4:
            raise ValueError("id_last4 must be empty when id_type is none")
        if self.id_type != "none" and len(self.id_last4) != 4:
            raise ValueError("id_last4 must be exactly the last 4 characters of the ID")


class KeyReturn(Args, kw_only=True):
    loan_id: Uuid
    returned_at: AwareDatetime
    returned_by: Name
    return_notes: Notes = ""
    return_photos: Annotated[list[Sha256], Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )


class KeyVoidLoan(Args, kw_only=True):
    loan_id: Uuid
    reason: Text500 = ""


# --- key.register --------------------------------------------------------------------------

def _register(ctx: Context, a: KeyRegister) -> None:
    data = {
        "site_id": a.site_id, "code": a.code, "label": a.label, "category": a.category,
        "unit_id": a.unit_id, "notes": a.notes, "retired": False,
    }
    existing = ctx.get(KEY, a.key_id)
    if existing is not None:
        if all(existing.data.get(f) == data[f] for f in data if f != "retired"):
            return  # the same key registered again (another desk, or a re-sent form)
        raise Reject(ALREADY_EXISTS, f"key {a.key_id} is already registered differently")
    ctx.insert(KEY, a.key_id, data, lww=KEY_CORRECTED_FIELDS)


KEY_CORRECTED_FIELDS = ("label", "category", "notes", "unit_id", "retired")


# --- key.update ----------------------------------------------------------------------------

def _update(ctx: Context, a: KeyUpdate) -> None:
    key = ctx.get(KEY, a.key_id)
    if key is None:
        raise Reject(UNKNOWN_KEY, f"no key {a.key_id}")
    ctx.correct(key, a.fields.given())


# --- key.lend ------------------------------------------------------------------------------

def _lend_data(a: KeyLend) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.structs.asdict(a)
    del data["loan_id"]
    data["lent_at"] = iso(a.lent_at)
    data["due_at"] = iso(a.due_at)
    return data


# a loan still out: what key.lend's double_loan check reads (never the key's whole history)
OPEN_LOAN: tuple[tuple[str, Any], ...] = (("returned_at", None), ("voided", False))

_NOT_RETURNED: dict[str, Any] = {
    "returned_at": None, "returned_by": "", "return_notes": "", "return_photos": [],
    "return_recorded_by": None, "return_hlc": "", "voided": False, "void_reason": "",
    "voided_by": None,
}


def _lend(ctx: Context, a: KeyLend) -> None:
    lent = _lend_data(a)
    existing = ctx.get(LOAN, a.loan_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in lent.items()):
            return  # the same loan again: already applied
        raise Reject(ALREADY_EXISTS, f"loan {a.loan_id} already exists with other details")
    key = ctx.get(KEY, a.key_id)
    if key is None:
        raise Reject(UNKNOWN_KEY, f"no key {a.key_id}")
    k = key.data
    if k.get("retired"):
        raise Reject(KEY_RETIRED, f"key {k.get('code')} is retired")
    if k.get("category") == "owner_deposited" and not a.owner_consent.strip():
        raise Reject(OWNER_CONSENT_REQUIRED,
                     f"key {k.get('code')} is owner-deposited: record the owner's consent")
    open_loans = [
        other for other in ctx.find(LOAN, "key_id", a.key_id)
        if other.data.get("returned_at") is None and not other.data.get("voided")
    ]
    actor = ctx.actor
    data = lent  # built for this call: completed in place (same keys, same order)
    data["site_id"] = k["site_id"]
    data["lent_by"] = actor.staff_id
    data["lent_device"] = actor.device_id
    data["lent_hlc"] = ctx.hlc
    data.update(_NOT_RETURNED)
    data["return_photos"] = []
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

def _return(ctx: Context, a: KeyReturn) -> None:
    loan = ctx.get(LOAN, a.loan_id)
    if loan is None:
        raise Reject(UNKNOWN_LOAN, f"no loan {a.loan_id}")
    d = loan.data
    if d.get("voided"):
        raise Reject(LOAN_VOIDED, f"loan {a.loan_id} was voided: {d.get('void_reason')}")
    actor = ctx.actor
    returned = {
        "returned_at": iso(a.returned_at), "returned_by": a.returned_by,
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
    if isinstance(lent_at, str) and a.returned_at < datetime.fromisoformat(lent_at):
        ctx.conflict(
            "return_before_loan",
            record_type=LOAN,
            record_ids=[a.loan_id],
            details={"loan_id": a.loan_id, "key_id": d.get("key_id"), "lent_at": lent_at,
                     "returned_at": returned["returned_at"], "lent_by": d.get("lent_by"),
                     "return_recorded_by": actor.staff_id},
            staff_ids=[d.get("lent_by"), actor.staff_id],
        )


# --- key.void_loan -------------------------------------------------------------------------

def _void(ctx: Context, a: KeyVoidLoan) -> None:
    if not a.reason.strip():
        raise Reject(REASON_REQUIRED, "voiding a loan needs a reason")
    loan = ctx.get(LOAN, a.loan_id)
    if loan is None:
        raise Reject(UNKNOWN_LOAN, f"no loan {a.loan_id}")
    if loan.data.get("voided"):
        raise Reject(LOAN_VOIDED, f"loan {a.loan_id} is already voided")
    ctx.update(
        loan,
        {"voided": True, "void_reason": a.reason, "voided_by": ctx.actor.staff_id},
        deleted=True,
    )


# --- registration --------------------------------------------------------------------------

def _key_space(a: KeyUpdate | KeyLend, spaces: Mapping[Ref, str]) -> str:
    return spaces.get(Ref(KEY, a.key_id), "")


def _lend_space(a: KeyLend, spaces: Mapping[Ref, str]) -> str:
    return spaces.get(Ref(KEY, a.key_id)) or spaces.get(Ref(LOAN, a.loan_id), "")


def _loan_space(a: KeyReturn | KeyVoidLoan, spaces: Mapping[Ref, str]) -> str:
    return spaces.get(Ref(LOAN, a.loan_id), "")


def _loan_ref(a: KeyReturn | KeyVoidLoan) -> list[Ref]:
    return [Ref(LOAN, a.loan_id)]


def _no_lookups(_a: Any) -> list[Lookup]:
    return []


SPECS: tuple[MutationSpec[Any], ...] = (
    MutationSpec(
        name="key.register", args_type=KeyRegister,
        refs=lambda a: [Ref(KEY, a.key_id)], lookups=_no_lookups,
        space=lambda a, _spaces: a.site_id, apply=_register, roles=WRITERS,
        creates=lambda a: [Ref(KEY, a.key_id)],
        description="Add a key tag to the site's register.",
    ),
    MutationSpec(
        name="key.update", args_type=KeyUpdate,
        refs=lambda a: [Ref(KEY, a.key_id)], lookups=_no_lookups,
        space=_key_space, apply=_update, roles=WRITERS,
        description="Correct a key's label, category, notes, unit or retired flag (LWW).",
    ),
    MutationSpec(
        name="key.lend", args_type=KeyLend,
        refs=lambda a: [Ref(KEY, a.key_id), Ref(LOAN, a.loan_id)],
        lookups=lambda a: [Lookup(LOAN, "key_id", a.key_id, OPEN_LOAN)],
        space=_lend_space, apply=_lend, roles=WRITERS,
        creates=lambda a: [Ref(LOAN, a.loan_id)],
        description="Lend a key; a second open loan of the same key is a double_loan conflict.",
    ),
    MutationSpec(
        name="key.return", args_type=KeyReturn,
        refs=_loan_ref, lookups=_no_lookups,
        space=_loan_space, apply=_return, roles=WRITERS,
        description="Record a key's return.",
    ),
    MutationSpec(
        name="key.void_loan", args_type=KeyVoidLoan,
        refs=_loan_ref, lookups=_no_lookups,
        space=_loan_space, apply=_void, roles=SUPERVISORS,
        description="Void a loan entered by mistake (supervisor; reason required).",
    ),
)


def register(registry: Registry) -> None:
    for spec in SPECS:
        registry.register(spec)
