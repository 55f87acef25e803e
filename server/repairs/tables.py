"""Repairs (報修 / 入室服務 / 回訪): the tables behind ``sync/domains/repairs/records.py``.

Each site's repair policy is office-kept reference data; requests, visits and follow-ups are
field records, created offline with client UUIDs and never deleted: ``created_at`` is the
server's receipt time, kept beside the device's own times (``reported_at``, ``arrived_at``,
``left_at``, ``done_at``). References between requests, visits and follow-ups are plain UUID
columns (a request names its key loan, a visit its follow-up request: no foreign-key circle).
The filtered pulls of technicians read by (space, unit, version): the migration adds those
indexes (Piccolo declares single-column ones only)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site, Unit


class RepairPolicy(Table, tablename="repair_policy"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    respond_emergency = Integer(default=30)
    complete_emergency = Integer(default=240)
    respond_urgent = Integer(default=120)
    complete_urgent = Integer(default=1440)
    respond_normal = Integer(default=1440)
    complete_normal = Integer(default=4320)
    sample_percent = Integer(default=30)
    sample_seed = Varchar(length=40, default="caretaker")
    currency = Varchar(length=3, default="HKD")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class RepairTechnician(Table, tablename="repair_technician"):
    """The site's repair team as the phones know it (staff records do not travel)."""

    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    staff = UUID(index=True)
    name = Varchar(length=120)
    trade = Varchar(length=60, default="")
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class RepairRequest(Table, tablename="repair_request"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    number = Varchar(length=24, index=True)
    unit = ForeignKey(references=Unit, null=True, default=None, index=True)
    area = Varchar(length=120, default="")
    category = Varchar(length=20, default="other", index=True)
    urgency = Varchar(length=20, default="normal")
    complaint = Boolean(default=False)
    description = Text(default="")
    photos = JSON(default="[]")  # sha256 list
    contact_name = Varchar(length=120, default="")
    contact_phone = Varchar(length=40, default="")
    contact_pref = Varchar(length=20, default="call_first")
    source = Varchar(length=20, default="desk")
    anomaly_visit = UUID(null=True, default=None)
    parent = UUID(null=True, default=None, index=True)
    reported_at = Timestamptz(index=True)  # the device's time
    reported_by = UUID(index=True)  # staff
    respond_by = Timestamptz()
    complete_by = Timestamptz()
    state = Varchar(length=20, default="new", index=True)
    assignee = UUID(null=True, default=None, index=True)  # staff
    appointment_at = Timestamptz(null=True, default=None)
    assigned_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    outcome_reason = Text(default="")
    key_loan = UUID(null=True, default=None, index=True)
    closed_at = Timestamptz(null=True, default=None)
    close_reason = Text(default="")
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class RepairVisit(Table, tablename="repair_visit"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    request = UUID(index=True)
    unit = ForeignKey(references=Unit, null=True, default=None, index=True)
    basis = Varchar(length=20, default="request")
    technician = UUID(index=True)  # staff
    device = UUID(null=True, default=None)
    second_staff = UUID(null=True, default=None)
    witness = Varchar(length=120, default="")
    resident_present = Boolean(default=False)
    resident_consent = Boolean(default=False)
    only_minors = Boolean(default=False)
    arrived_at = Timestamptz(index=True)  # the device's time
    left_at = Timestamptz(null=True, default=None)
    uniform_badge = Boolean(default=False)
    shoe_covers = Boolean(default=False)
    floor_protection = Boolean(default=False)
    clean_up = Boolean(default=False)
    found = Text(default="")
    work_done = Text(default="")
    charges = JSON(default="[]")  # [{"item", "qty", "amount"}]
    total = DoublePrecision(default=0.0)
    before_photos = JSON(default="[]")
    after_photos = JSON(default="[]")
    signature_blob = Varchar(length=64, default="", index=True)
    refused_reason = Text(default="")
    satisfaction = Integer(null=True, default=None)
    outcome = Varchar(length=20, default="")
    outcome_reason = Text(default="")
    notice_photo = Varchar(length=64, default="", index=True)
    follow_request = UUID(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    close_hlc = Varchar(length=32, default="")
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class FollowUp(Table, tablename="follow_up"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    request = UUID(index=True)
    visit = UUID(null=True, default=None)
    unit = ForeignKey(references=Unit, null=True, default=None, index=True)
    reason = Varchar(length=20, default="sampled")
    due_at = Timestamptz(index=True)
    method = Varchar(length=20, default="call")
    reached = Boolean(default=False)
    rating = Varchar(length=20, default="")
    notes = Text(default="")
    done_at = Timestamptz(null=True, default=None)
    done_by = UUID(null=True, default=None)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


TABLES = (RepairPolicy, RepairTechnician, RepairRequest, RepairVisit, FollowUp)
