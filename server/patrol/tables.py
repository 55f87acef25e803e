"""Patrol rounds (巡更/巡視): the tables behind ``sync/domains/patrol/records.py``.

Set-up records (checkpoints, checklists, routes, schedules) are kept by the office; rounds
are planned by the server; scans (checkpoint visits) and incidents come from the guards'
phones, created offline with client UUIDs and never deleted. ``created_at`` is the server's
receipt time, kept beside the phone's own time (``scanned_at``, ``reported_at``)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site


class PatrolChecklist(Table, tablename="patrol_checklist"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    name = Varchar(length=120)
    for_kind = Varchar(length=20, default="")
    frequency = Varchar(length=60, default="")
    items = JSON(default="[]")
    active = Boolean(default=True)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolCheckpoint(Table, tablename="patrol_checkpoint"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    code = Varchar(length=20, index=True)  # printed on the label
    name = Varchar(length=120)
    building = UUID(null=True, default=None)
    floor = Varchar(length=10, default="")
    place = Varchar(length=120, default="")
    kind = Varchar(length=20, default="other")
    token = Varchar(length=40, index=True)  # random, in the QR code; never the unit number
    checklist = UUID(null=True, default=None)
    active = Boolean(default=True)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolRetiredTag(Table, tablename="patrol_retired_tag"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    checkpoint = UUID(index=True)
    token = Varchar(length=40, index=True)
    retired_at = Timestamptz()
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolRoute(Table, tablename="patrol_route"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    name = Varchar(length=120)
    checkpoint_ids = JSON(default="[]")
    ordered = Boolean(default=True)
    expected_minutes = Integer(default=30)
    active = Boolean(default=True)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolSchedule(Table, tablename="patrol_schedule"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    name = Varchar(length=120)
    route = UUID(index=True)
    every_hours = Integer(default=0)
    window_start = Varchar(length=5, default="")
    window_end = Varchar(length=5, default="")
    fixed_times = JSON(default="[]")
    random_start = Boolean(default=False)
    start_minutes = Integer(default=30)
    guard_ids = JSON(default="[]")
    active = Boolean(default=True)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolRound(Table, tablename="patrol_round"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    route = UUID(index=True)
    schedule = UUID(null=True, default=None, index=True)
    slot_at = Timestamptz(index=True)
    start_by = Timestamptz()
    due_by = Timestamptz(index=True)
    guard_ids = JSON(default="[]")
    status = Varchar(length=20, default="planned", index=True)
    started_at = Timestamptz(null=True, default=None)
    started_by = UUID(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    finished_by = UUID(null=True, default=None)
    late = Boolean(default=False)
    missed_at = Timestamptz(null=True, default=None)
    unscheduled = Boolean(default=False)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolScan(Table, tablename="patrol_scan"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    round = UUID(index=True)
    checkpoint = UUID(index=True)
    method = Varchar(length=10)
    token = Varchar(length=40, default="")
    scanned_at = Timestamptz()  # the phone's time
    answers = JSON(default="{}")
    abnormal = Boolean(default=False)
    note = Text(default="")
    severity = Varchar(length=10, default="none")
    photos = JSON(default="[]")  # sha256 list
    skip_reason = Text(default="")
    review = Varchar(length=20, default="", index=True)
    review_note = Text(default="")
    reviewed_by = UUID(null=True, default=None)
    scanned_by = UUID(index=True)
    scanned_device = UUID(null=True, default=None)
    flags = JSON(default="[]")
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class PatrolIncident(Table, tablename="patrol_incident"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    checkpoint = UUID(index=True)
    round = UUID(null=True, default=None)
    scan = UUID(null=True, default=None)
    description = Text()
    severity = Varchar(length=10, default="none")
    photos = JSON(default="[]")
    reported_at = Timestamptz()
    reported_by = UUID(index=True)
    status = Varchar(length=20, default="open", index=True)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


TABLES = (PatrolChecklist, PatrolCheckpoint, PatrolRetiredTag, PatrolRoute, PatrolSchedule,
          PatrolRound, PatrolScan, PatrolIncident)
