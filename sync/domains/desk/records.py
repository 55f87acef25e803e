"""Front-desk logs: the declarations — the visitor register (來訪登記), goods-out passes
(物品搬出放行條) checked at the gate, and the shift handover (交接班記錄).

A **visitor** is signed in at the desk for a unit: name, ID type and its last four
characters, phone, the resident who confirmed (one of the unit's residents, or "confirmed by
phone" with the number called), purpose, badge and time in; signed out with the time out.

A **goods-out pass** is issued by the desk for a unit: items (free text lines) and their
count, vehicle plate, valid until (the same day by default) and the basis the manual requires
before goods leave (the owner present, the owner's written authorisation: a photo, or the
owner reached by phone: number and time). Its ``code`` is what the pass's QR code holds: the
pass's content signed by the issuing phone's **device key** (ECDSA P-256, Web Crypto; each
phone registers its public key for each of its sites at sign-in, :data:`DEVICE_KEY`), so a
gate guard's phone that has the key verifies a pass it has never seen, offline
(:mod:`sync.domains.desk.passcode`). The guard's **pass check** records what was presented,
the verdict of the signature and the goods: a pass let out twice (two gates, offline) is a
conflict for the office.

A **handover** is drafted at the end of a shift by the outgoing person's phone from the data
(keys out and overdue, cards, rounds, open requests, visitors inside: ``summary``) with free
notes and their signature; the incoming person signs it on the same phone or their own.

Everything travels in the ``desk`` stream: the front desk, the patrol guards (the gate) and
supervisors read all of a site's.
"""

from __future__ import annotations

from sync.kit.fields import SHA256_PATTERN, Field, ref
from sync.kit.records import RecordType

STREAM = "desk"
DEVICE_KEY = "device_key"
VISITOR = "visitor"
GOODS_PASS = "goods_pass"  # noqa: S105 (a record type, not a password)
PASS_CHECK = "pass_check"  # noqa: S105
HANDOVER = "handover"

ID_TYPES = {"hkid": "HKID card", "mainland": "Mainland travel permit",
            "passport": "Passport", "other": "Other ID"}
CONFIRMATIONS = {"resident": "A resident of the unit confirmed",
                 "phone": "Confirmed by phone"}
BASES = {"owner_present": "The owner is present",
         "written": "The owner's written authorisation",
         "phone": "The owner reached by phone"}
VERDICTS = {"valid": "Genuine pass", "forged": "Not a genuine pass",
            "expired": "Expired", "used": "Already used", "unknown_key": "Unknown issuer"}
OUTCOMES = {"passed": "Goods match: let out", "mismatch": "Goods do not match",
            "refused": "Refused"}

PHONE = {"max_length": 40, "pattern": r"^[0-9+()\- ]*$",
         "pattern_message": "Digits, spaces, + ( ) and - only."}
BLOB = {"max_length": 64, "pattern": SHA256_PATTERN, "blob": True}
PHOTOS = {"max_length": 6, "item_pattern": SHA256_PATTERN, "blob": True}
# a pass's QR text: "CTP1.<payload>.<signature>", both base64url (passcode.py)
CODE_PATTERN = r"^CTP1\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$"
CODE_MAX = 1400
MAX_ITEMS = 12
ITEM_MAX = 60

DEVICE_KEY_TYPE = RecordType(
    DEVICE_KEY, STREAM, label="Device key", title=("holder",),
    fields=(
        ref("site_id", "site", label="Site"),
        # the raw P-256 public key (65 bytes, uncompressed point), base64url: case matters,
        # so a plain line, not a code text (codes are upper-cased)
        Field("public_key", max_length=90, required=True,
              pattern=r"^[A-Za-z0-9_\-]{87}$", label="Public key"),
        Field("holder", max_length=120, required=True, label="Key holder"),
        Field("registered_at", "ts", label="Registered at"),
        ref("staff_id", "staff", label="Staff member", server=True),
        ref("device_id", "device", nullable=True, label="Device", server=True),
    ),
)

VISITOR_TYPE = RecordType(
    VISITOR, STREAM, label="Visitor", title=("name",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site"),
        ref("unit_id", "unit", label="Unit visited"),
        Field("name", max_length=120, required=True, label="Visitor's name", personal=True),
        Field("id_type", choices=ID_TYPES, label="ID type"),
        Field("id_last4", text="code", max_length=4, pattern=r"^[A-Z0-9]{4}$",
              pattern_message="The last four letters or digits of the ID.",
              label="ID (last 4)", personal=True),
        Field("phone", label="Visitor's phone", personal=True, **PHONE),  # type: ignore[arg-type]
        Field("confirmed_by", choices=CONFIRMATIONS, label="Visit confirmed"),
        ref("resident_id", "resident", nullable=True, label="Resident who confirmed"),
        Field("called_number", label="Number called", personal=True, **PHONE),  # type: ignore[arg-type]
        Field("purpose", max_length=200, required=True, label="Purpose"),
        Field("badge", text="code", max_length=20, label="Badge number"),
        Field("time_in", "ts", label="Time in", indexed=True),
        ref("signed_in_by", "staff", label="Signed in by", server=True),
        Field("time_out", "ts", nullable=True, label="Time out"),
        ref("signed_out_by", "staff", nullable=True, label="Signed out by", server=True),
    ),
    conflict_kinds=("signed_out_twice",),
    open_when=(("time_out", None),),
)

GOODS_PASS_TYPE = RecordType(
    GOODS_PASS, STREAM, label="Goods-out pass", title=("number",),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("number", text="code", max_length=24, required=True, label="Pass number",
              pattern=r"^[A-Z0-9][A-Z0-9\-]*$", pattern_message="Letters, digits and - only.",
              indexed=True),
        ref("unit_id", "unit", label="Unit"),
        Field("items", "list", max_length=MAX_ITEMS, item_max_length=ITEM_MAX, label="Items"),
        Field("item_count", "int", minimum=1, maximum=999, label="Number of pieces"),
        Field("plate", text="code", max_length=12, pattern=r"^[A-Z0-9 \-]*$",
              pattern_message="Letters, digits, spaces and - only.", label="Vehicle plate"),
        Field("valid_until", "ts", label="Valid until"),
        Field("basis", choices=BASES, label="Basis"),
        Field("owner_name", max_length=120, required=True, label="Owner", personal=True),
        Field("authorisation_photo", label="Written authorisation", **BLOB),  # type: ignore[arg-type]
        Field("phoned_number", label="Number called", personal=True, **PHONE),  # type: ignore[arg-type]
        Field("phoned_at", "ts", nullable=True, label="Called at"),
        Field("issued_at", "ts", label="Issued at"),
        ref("key_id", "device_key", label="Signed with"),
        Field("code", max_length=CODE_MAX, pattern=CODE_PATTERN,  # base64url: as given
              label="QR code"),
        ref("issued_by", "staff", label="Issued by", server=True),
        ref("device_id", "device", nullable=True, label="Device", server=True),
    ),
)

PASS_CHECK_TYPE = RecordType(
    PASS_CHECK, STREAM, label="Gate check", title=("number",),
    fields=(
        ref("site_id", "site", label="Site"),
        # the pass as its QR said: the pass itself may not have reached the server yet
        Field("pass_id", "uuid", label="Pass", indexed=True),
        Field("number", text="code", max_length=24, label="Pass number"),
        Field("code", max_length=CODE_MAX, label="QR code presented"),
        Field("verdict", choices=VERDICTS, label="Verdict"),
        Field("outcome", choices=OUTCOMES, label="Outcome"),
        Field("photos", "list", label="Photos", **PHOTOS),  # type: ignore[arg-type]
        Field("note", text="multiline", max_length=1000, label="Note"),
        Field("checked_at", "ts", label="Checked at"),
        ref("checked_by", "staff", label="Checked by", server=True),
        ref("device_id", "device", nullable=True, label="Device", server=True),
    ),
    conflict_kinds=("pass_used_twice",),
)

HANDOVER_TYPE = RecordType(
    HANDOVER, STREAM, label="Shift handover", title=("shift_end",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site"),
        Field("shift_start", "ts", label="Shift from"),
        Field("shift_end", "ts", label="Shift to", indexed=True),
        # drafted from the data by the outgoing phone: counts and the open items
        Field("summary", "json", label="Handed over"),
        Field("notes", text="multiline", max_length=2000, label="Notes"),
        ref("outgoing_id", "staff", label="Outgoing", server=True),
        Field("outgoing_name", max_length=120, required=True, label="Outgoing"),
        Field("outgoing_signature", label="Outgoing signature", personal=True, **BLOB),  # type: ignore[arg-type]
        Field("drafted_at", "ts", label="Signed at"),
        ref("incoming_id", "staff", nullable=True, label="Incoming (own phone)",
            server=True),
        Field("incoming_name", max_length=120, label="Incoming"),
        Field("incoming_signature", label="Incoming signature", personal=True, **BLOB),  # type: ignore[arg-type]
        Field("received_at", "ts", nullable=True, label="Received at"),
    ),
    conflict_kinds=("received_twice",),
    open_when=(("received_at", None),),
)

RECORDS = (DEVICE_KEY_TYPE, VISITOR_TYPE, GOODS_PASS_TYPE, PASS_CHECK_TYPE, HANDOVER_TYPE)
