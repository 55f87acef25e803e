"""Key register (鑰匙登記) and key loans (鑰匙借用): the record declarations.

Tags carry a code that does not show the unit number. A loan is a field record made on the
phone: never deleted, voided with a reason (a kept tombstone: the loan stays in its key's
history on the phones, shown as voided)."""

from __future__ import annotations

from sync.domains.estate import ID_LAST4, ID_TYPE, PHONE
from sync.kit.fields import SHA256_PATTERN, Field, ref
from sync.kit.records import RecordType, Tombstone

KEY = "key"
LOAN = "key_loan"

CATEGORIES = {
    "owner_deposited": "Owner-deposited", "vacant_unit": "Vacant unit",
    "show_flat": "Show flat", "public_area": "Public area",
    "equipment_room": "Equipment room", "master": "Master key",
}
BORROWER_KINDS = {"staff": "Staff member", "contractor": "Contractor", "resident": "Resident",
                  "agent": "Estate agent"}

KEY_TYPE = RecordType(
    KEY, "keys", label="Key", table="key_tag", title=("code", "label"),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("code", text="code", max_length=40, required=True, label="Tag code",
              indexed=True),
        Field("label", max_length=120, required=True, label="Label"),
        Field("category", choices=CATEGORIES, label="Category"),
        ref("unit_id", "unit", nullable=True, label="Unit"),
        Field("notes", text="multiline", max_length=2000, label="Notes"),
        Field("retired", "bool", label="Retired"),
    ),
    # a retired key stays on phones (loans refer to it): no tombstone
    lww=("code", "label", "category", "notes", "unit_id", "retired"),
    conflict_kinds=("field_overwritten",),
)

LOAN_TYPE = RecordType(
    LOAN, "keys", label="Key loan", title=("borrower_name",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("key_id", "key", label="Key"),
        Field("borrower_name", max_length=120, required=True, label="Borrower", personal=True),
        Field("borrower_phone", max_length=PHONE.max_length, pattern=PHONE.pattern,
              pattern_message=PHONE.pattern_message, label="Borrower's phone", personal=True),
        Field("borrower_kind", choices=BORROWER_KINDS, label="Borrower type"),
        ID_TYPE,
        ID_LAST4,
        Field("purpose", max_length=255, label="Purpose"),
        Field("approver", max_length=120, label="Approved by"),
        Field("owner_consent", max_length=255, label="Owner's consent"),
        Field("deposit", max_length=60, label="Deposit"),
        Field("lent_at", "ts", label="Lent at"),
        Field("due_at", "ts", label="Due"),
        Field("signature_blob", max_length=64, pattern=SHA256_PATTERN, required=True,
              blob=True, personal=True, label="Signature"),
        ref("lent_by", "staff", label="Lent by", server=True),
        ref("lent_device", "device", nullable=True, label="Lending device", server=True),
        Field("lent_hlc", text="hlc", max_length=32, label="Lending clock", server=True),
        Field("returned_at", "ts", nullable=True, label="Returned at"),
        Field("returned_by", max_length=120, label="Returned by", personal=True),
        Field("return_notes", text="multiline", max_length=2000, label="Return notes"),
        Field("return_photos", "list", max_length=20, item_pattern=SHA256_PATTERN,
              blob=True, label="Return photos"),
        ref("return_recorded_by", "staff", nullable=True, label="Return recorded by",
            server=True),
        Field("return_hlc", text="hlc", max_length=32, label="Return clock", server=True),
        Field("voided", "bool", label="Voided"),
        Field("void_reason", text="multiline", max_length=500, label="Reason for voiding"),
        ref("voided_by", "staff", nullable=True, label="Voided by", server=True),
    ),
    tombstone=Tombstone("voided", deleted_value=True, reason="void_reason", keep=True),
    conflict_kinds=("double_loan", "double_return", "return_before_loan"),
    open_when=(("returned_at", None), ("voided", False)),
)

RECORDS = (KEY_TYPE, LOAN_TYPE)
