"""IC cards (IC卡中心 / 門禁卡): the record declarations.

The office keeps each site's **card policy** (the per-unit quota, validity, fee and deposit),
its named **zones** (doors, lift floors, car park: a card's access scope) and per-unit
**quota overrides**. **Cards** are the physical stock (number, UID, technology, batch), imported
by the office or met for the first time at the desk; an **issue** (IC卡領取登記表) hands a card
to a person of a unit and ends when the card is reported lost, replaced, returned or revoked.
A lost, damaged or revoked card is **blacklisted** at once and waits for the door system to
take it (``door_taken_at``). Everything travels in the ``cards`` stream (front desk,
supervisors, admins)."""

from __future__ import annotations

from sync.domains.estate import ID_LAST4, ID_TYPE, INACTIVE, RELATIONS
from sync.kit.fields import SHA256_PATTERN, Field, ref
from sync.kit.records import RecordType

STREAM = "cards"
CARD = "card"
ISSUE = "card_issue"
POLICY = "card_policy"
ZONE = "card_zone"
QUOTA = "card_quota"

TECHNOLOGIES = {"id": "ID (125 kHz)", "ic": "IC (MIFARE)", "cpu": "CPU card"}
STATUSES = {
    "in_stock": "In stock", "issued": "Issued", "lost": "Lost (blacklisted)",
    "damaged": "Damaged (blacklisted)", "returned": "Returned", "revoked": "Revoked (blacklisted)",
}
# the statuses whose card must not open any door
BLACKLISTED = ("lost", "damaged", "revoked")
END_REASONS = {"": "Still held", "lost": "Reported lost", "damaged": "Damaged",
               "returned": "Returned", "revoked": "Revoked", "replaced": "Replaced"}
ZONE_KINDS = {"door": "Door", "lift": "Lift floor", "car_park": "Car park", "other": "Other"}

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_\-]*$"
CODE_MESSAGE = "Letters, digits, - and _ only."
# a card's printed number: compared and stored in upper case
NUMBER = Field("number", text="code", max_length=40, required=True, pattern=CODE_PATTERN,
               pattern_message=CODE_MESSAGE, label="Card number", indexed=True)
MONEY_MAX = 100_000
MONEY = {"minimum": 0, "maximum": MONEY_MAX,
         "range_message": "Enter an amount from {min} to {max}.",
         "number_message": "Enter an amount, e.g. 50 or 50.5."}
DEFAULT_QUOTA = 4
DEFAULT_VALIDITY_DAYS = 730  # two years

POLICY_TYPE = RecordType(
    POLICY, STREAM, label="Card policy", table="card_policy", title=("quota",),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("quota", "int", minimum=0, maximum=50, label="Cards per unit"),
        Field("validity_days", "int", minimum=1, maximum=3650, label="Valid for (days)"),
        Field("fee", "float", label="Card fee", **MONEY),  # type: ignore[arg-type]
        Field("deposit", "float", label="Deposit", **MONEY),  # type: ignore[arg-type]
    ),
)

ZONE_TYPE = RecordType(
    ZONE, STREAM, label="Access zone", table="card_zone", title=("code", "name"),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("code", text="code", max_length=20, required=True, pattern=CODE_PATTERN,
              pattern_message=CODE_MESSAGE, label="Code", indexed=True),
        Field("name", max_length=120, required=True, label="Name"),
        Field("kind", choices=ZONE_KINDS, label="Kind of zone"),
    ),
    tombstone=INACTIVE,
)

QUOTA_TYPE = RecordType(
    QUOTA, STREAM, label="Unit's card quota", table="card_quota", title=("quota",),
    fields=(
        ref("site_id", "site", label="Site"),
        ref("unit_id", "unit", label="Unit"),
        Field("quota", "int", minimum=0, maximum=50, label="Cards for this unit"),
        Field("notes", text="multiline", max_length=500, label="Notes"),
    ),
)

CARD_TYPE = RecordType(
    CARD, STREAM, label="IC card", table="card", title=("number",),
    fields=(
        ref("site_id", "site", label="Site"),
        NUMBER,
        Field("uid", text="code", max_length=40, pattern=r"^[A-Z0-9]*$",
              pattern_message="Letters and digits only.", label="Chip UID"),
        Field("technology", choices=TECHNOLOGIES, label="Technology"),
        Field("batch", max_length=40, label="Batch"),
        Field("status", choices=STATUSES, label="Status", server=True),
        # False when the desk issued a number the stock did not know yet
        Field("registered", "bool", label="In the stock register", server=True),
        ref("issue_id", "card_issue", nullable=True, label="Current issue", server=True),
        ref("unit_id", "unit", nullable=True, label="Unit", server=True),
        Field("blacklisted_at", "ts", nullable=True, label="Blacklisted at", server=True),
        Field("door_taken_at", "ts", nullable=True, label="Taken by the door system",
              server=True),
        Field("notes", text="multiline", max_length=2000, label="Notes"),
    ),
    lww=("uid", "technology", "batch", "notes"),
    conflict_kinds=("issued_while_lost", "double_issue", "quota_exceeded", "unregistered_card",
                    "field_overwritten"),
)

ISSUE_TYPE = RecordType(
    ISSUE, STREAM, label="Card issue", title=("holder_name",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site"),
        ref("card_id", "card", label="Card"),
        ref("unit_id", "unit", label="Unit"),
        ref("resident_id", "resident", nullable=True, label="Resident"),
        Field("holder_name", max_length=120, required=True, label="Holder", personal=True),
        Field("relation", choices=RELATIONS, label="Relation to the unit"),
        ID_TYPE,
        ID_LAST4,
        Field("authorisation_blob", max_length=64, pattern=SHA256_PATTERN, blob=True,
              personal=True, label="Authorisation letter (委托書)"),
        Field("owner_confirmation", max_length=255, label="Owner's confirmation by phone",
              personal=True),
        Field("scope", "list", max_length=30, item_pattern=CODE_PATTERN, item_max_length=20,
              label="Access scope"),
        Field("valid_until", "ts", label="Valid until"),
        Field("fee", "float", label="Card fee", **MONEY),  # type: ignore[arg-type]
        Field("deposit", "float", label="Deposit", **MONEY),  # type: ignore[arg-type]
        Field("receipt_no", max_length=40, label="Receipt number"),
        Field("signature_blob", max_length=64, pattern=SHA256_PATTERN, required=True,
              blob=True, personal=True, label="Holder's signature"),
        Field("issued_at", "ts", label="Issued at"),
        ref("replaces_issue_id", "card_issue", nullable=True, label="Replaces"),
        ref("issued_by", "staff", label="Issued by", server=True),
        ref("issued_device", "device", nullable=True, label="Issuing device", server=True),
        Field("issued_hlc", text="hlc", max_length=32, label="Issuing clock", server=True),
        Field("ended_at", "ts", nullable=True, label="Ended at", server=True),
        Field("end_reason", choices=END_REASONS, label="Ended because", server=True),
        Field("end_notes", text="multiline", max_length=2000, label="Notes on ending",
              server=True),
        Field("deposit_refunded", "float", nullable=True, label="Deposit refunded",
              server=True, **MONEY),  # type: ignore[arg-type]
        ref("ended_by", "staff", nullable=True, label="Ended by", server=True),
    ),
    conflict_kinds=("issued_while_lost", "double_issue", "quota_exceeded"),
    open_when=(("ended_at", None),),
)

RECORDS = (POLICY_TYPE, ZONE_TYPE, QUOTA_TYPE, CARD_TYPE, ISSUE_TYPE)
