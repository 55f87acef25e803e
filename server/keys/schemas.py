"""Payloads of the office's key pages (URL-encoded forms and query filters) and the labels of
stored codes (categories, borrower kinds, statuses, conflict kinds), marked for translation.

Every form field is text with a default, so a half-filled form always decodes and the service
answers with a message next to each field instead of a bare 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec

from server.lib.i18n import lazy

PER_PAGE = 50

KEY_CATEGORY_LABELS = {
    "owner_deposited": lazy("owner_deposited"),
    "vacant_unit": lazy("vacant_unit"),
    "show_flat": lazy("show_flat"),
    "public_area": lazy("public_area"),
    "equipment_room": lazy("equipment_room"),
    "master": lazy("master"),
}
BORROWER_KIND_LABELS = {
    "staff": lazy("staff"),
    "contractor": lazy("contractor"),
    "resident": lazy("resident"),
    "agent": lazy("agent"),
}
LOAN_STATUS_LABELS = {
    "out": lazy("Out"),
    "overdue": lazy("Overdue"),
    "returned": lazy("Returned"),
    "voided": lazy("Voided"),
}
CONFLICT_KIND_LABELS = {
    "double_loan": lazy("double_loan"),
    "double_return": lazy("double_return"),
    "return_before_loan": lazy("return_before_loan"),
    "field_overwritten": lazy("field_overwritten"),
}
CONFLICT_STATUS_LABELS = {"open": lazy("Open"), "resolved": lazy("Resolved")}
RESOLUTION_LABELS = {
    "voided_loan": lazy("voided_loan"),
    "resolved_with_note": lazy("resolved_with_note"),
}
# Audit actions: phone mutations and office actions.
ACTION_LABELS = {
    "key.register": lazy("Key registered on a phone"),
    "key.update": lazy("Key corrected on a phone"),
    "key.lend": lazy("Lent (phone)"),
    "key.return": lazy("Returned (phone)"),
    "key.void_loan": lazy("Voided (phone)"),
    "office.key.register": lazy("Key registered by the office"),
    "office.key.update": lazy("Key edited by the office"),
    "office.key.retire": lazy("Key retired by the office"),
    "office.key.unretire": lazy("Key put back in use by the office"),
    "office.loan.void": lazy("Loan voided by the office"),
    "office.conflict.resolve": lazy("Conflict resolved by the office"),
    "office.rejection.resolve": lazy("Rejection resolved by the office"),
}
RETIRED_FILTER_LABELS = {
    "active": lazy("In use"),
    "retired": lazy("Retired"),
    "all": lazy("All"),
}
# Names of record fields in audit entries and conflicts (the sync wire names).
FIELD_LABELS = {
    "site_id": lazy("Site"),
    "key_id": lazy("Key"),
    "code": lazy("Tag code"),
    "label": lazy("Label"),
    "category": lazy("Category"),
    "unit_id": lazy("Unit"),
    "notes": lazy("Notes"),
    "retired": lazy("Retired"),
    "borrower_name": lazy("Borrower"),
    "borrower_phone": lazy("Borrower's phone"),
    "borrower_kind": lazy("Borrower type"),
    "id_type": lazy("ID type"),
    "id_last4": lazy("ID last 4"),
    "purpose": lazy("Purpose"),
    "approver": lazy("Approved by"),
    "owner_consent": lazy("Owner's consent"),
    "deposit": lazy("Deposit"),
    "lent_at": lazy("Lent at"),
    "due_at": lazy("Due"),
    "signature_blob": lazy("Signature"),
    "lent_by": lazy("Lent by"),
    "lent_device": lazy("Lending device"),
    "lent_hlc": lazy("Lending clock"),
    "returned_at": lazy("Returned at"),
    "returned_by": lazy("Returned by"),
    "return_notes": lazy("Return notes"),
    "return_photos": lazy("Return photos"),
    "return_recorded_by": lazy("Return recorded by"),
    "return_hlc": lazy("Return clock"),
    "voided": lazy("Voided"),
    "void_reason": lazy("Reason for voiding"),
    "voided_by": lazy("Voided by"),
    "status": lazy("Status"),
    "resolution": lazy("Resolution"),
    "resolution_note": lazy("Note"),
    "resolved_by": lazy("Resolved by"),
    "resolved_at": lazy("Resolved at"),
    "deleted": lazy("Deleted"),
}


# --- forms --------------------------------------------------------------------------------

class KeyForm(msgspec.Struct, kw_only=True):
    site: str = ""  # fixed once created (a key's space never changes)
    code: str = ""
    label: str = ""
    category: str = ""
    unit_number: str = ""  # 房號 of the linked unit, optional
    notes: str = ""


class VoidForm(msgspec.Struct, kw_only=True):
    loan: str = ""  # the loan to void (a conflict may involve several)
    reason: str = ""


class NoteForm(msgspec.Struct, kw_only=True):
    note: str = ""


# --- filters (query strings) --------------------------------------------------------------

class KeyFilters(msgspec.Struct, kw_only=True):
    q: str = ""
    site: str = ""
    category: str = ""
    retired: str = "active"  # active | retired | all
    page: int = 1


class LoanFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    status: str = ""  # "" | out | overdue | returned | voided
    date_from: str = ""  # YYYY-MM-DD, on lent_at, local time
    date_to: str = ""
    lent_by: str = ""
    q: str = ""  # key code / borrower
    page: int = 1


class ConflictFilters(msgspec.Struct, kw_only=True):
    status: str = "open"  # open | resolved | all
    site: str = ""
    page: int = 1


F = TypeVar("F", KeyFilters, LoanFilters, ConflictFilters)


def filters_from(params: Mapping[str, str], kind: type[F]) -> F:
    """Filters from a query string. Unknown or malformed values fall back to the defaults
    (a hand-edited URL shows the first page, not an error)."""
    values: dict[str, Any] = {}
    for name in kind.__struct_fields__:
        raw = params.get(name)
        if raw is None:
            continue
        if name == "page":
            values[name] = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
        else:
            values[name] = " ".join(str(raw).split())[:120]
    return kind(**values)


def query_string(filters: KeyFilters | LoanFilters | ConflictFilters, **override: Any) -> str:
    """The filters as a query string (paging and export links keep the current filters)."""
    values = {f: getattr(filters, f) for f in filters.__struct_fields__}
    values.update(override)
    if values.get("page") == 1:
        del values["page"]
    return urlencode({k: v for k, v in values.items() if v != ""})
