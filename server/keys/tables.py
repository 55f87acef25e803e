"""Key register (鑰匙登記) and key loans (鑰匙借用).

Tags are coded so that a lost key does not show its unit. Loans are field records: created
offline with client UUIDs, never deleted, voided with a reason.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site, Unit


class KeyTag(Table, tablename="key_tag"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    code = Varchar(length=40, index=True)  # printed on the tag; never the unit number
    label = Varchar(length=120)
    category = Varchar(length=20)
    unit = ForeignKey(references=Unit, null=True, default=None)
    notes = Text(default="")
    retired = Boolean(default=False)
    field_hlc = JSON(default="{}")  # field -> HLC of its last write (last-writer-wins)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class KeyLoan(Table, tablename="key_loan"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    key = ForeignKey(references=KeyTag, index=True, null=False)
    borrower_name = Varchar(length=120)
    borrower_phone = Varchar(length=40, default="")
    borrower_kind = Varchar(length=20)
    id_type = Varchar(length=20, default="none")
    id_last4 = Varchar(length=4, default="")
    purpose = Varchar(length=255, default="")
    approver = Varchar(length=120, default="")
    owner_consent = Varchar(length=255, default="")  # how consent was given; "" = none
    deposit = Varchar(length=60, default="")
    lent_at = Timestamptz()  # device time of the loan
    due_at = Timestamptz()
    signature_blob = Varchar(length=64, default="", index=True)
    lent_by = UUID(index=True)  # staff
    lent_device = UUID(null=True, default=None)
    lent_hlc = Varchar(length=32, default="")
    returned_at = Timestamptz(null=True, default=None)
    returned_by = Varchar(length=120, default="")
    return_notes = Text(default="")
    return_photos = JSON(default="[]")  # sha256 list
    return_recorded_by = UUID(null=True, default=None)
    return_hlc = Varchar(length=32, default="")
    voided = Boolean(default=False)
    void_reason = Text(default="")
    voided_by = UUID(null=True, default=None)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # server receipt time
    updated_at = Timestamptz(default=TimestamptzNow())
