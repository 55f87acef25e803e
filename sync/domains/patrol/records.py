"""Patrol rounds (巡更/巡視): the record declarations.

The office sets up **checkpoints** (a printed code and a random QR token per tag; a re-issued
tag leaves a **retired tag** behind so its old token is refused clearly), **checklists**,
**routes** of checkpoints and **schedules**. The server plans each schedule's slots as
**rounds**; a guard's phone starts a round, **scans** its checkpoints (each scan saved at
once), answers their checklists, records anomalies and **incidents**, skips a checkpoint with
a reason and finishes the round. Everything travels in the ``patrol`` stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.domains.estate import INACTIVE
from sync.kit.fields import SHA256_PATTERN, UUID_PATTERN, Field, Problem, ref
from sync.kit.records import RecordType

STREAM = "patrol"
CHECKPOINT = "checkpoint"
RETIRED_TAG = "retired_tag"
CHECKLIST = "checklist"
ROUTE = "route"
SCHEDULE = "schedule"
ROUND = "round"
SCAN = "scan"
INCIDENT = "incident"

KINDS = {
    "fire_panel": "Fire control panel", "hose_reel": "Fire hose reel",
    "extinguisher": "Fire extinguishers", "fire_exit": "Fire exit and stairs",
    "smoke_door": "Smoke door", "roof": "Roof landing", "plant_room": "Plant room",
    "meter_room": "Meter room", "refuse_room": "Refuse room", "car_park": "Car park",
    "lift": "Lift lobby", "lobby": "Entrance lobby", "other": "Other place",
}
SEVERITIES = {"none": "No problem", "low": "Low", "medium": "Medium", "high": "High"}
METHODS = {"qr": "QR scanned", "typed": "Code typed", "nfc": "NFC tag", "skip": "Skipped"}
ROUND_STATUSES = {"planned": "Planned", "in_progress": "In progress", "done": "Done",
                  "incomplete": "Incomplete", "missed": "Missed"}
REVIEWS = {"": "Not needed", "pending": "Awaiting a supervisor", "confirmed": "Confirmed",
           "rejected": "Rejected"}
INCIDENT_STATUSES = {"open": "Open", "acknowledged": "Acknowledged", "closed": "Closed"}
ITEM_TYPES = {"yesno": "Yes / no", "number": "Number", "choice": "Choice", "text": "Text"}

TOKEN_PATTERN = r"^[A-Za-z0-9_\-]{16,40}$"  # noqa: S105 (a format, not a secret)
HHMM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
SEVERITY = Field("severity", choices=SEVERITIES, label="Severity")
PHOTOS = Field("photos", "list", max_length=5, item_pattern=SHA256_PATTERN, blob=True,
               label="Photos")

CHECKPOINT_TYPE = RecordType(
    CHECKPOINT, STREAM, label="Checkpoint", table="patrol_checkpoint", title=("code", "name"),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("code", text="code", max_length=20, required=True,
              pattern=r"^[A-Z0-9][A-Z0-9_\-]*$", pattern_message="Letters, digits, - and _ only.",
              label="Printed code", indexed=True),
        Field("name", max_length=120, required=True, label="Name"),
        ref("building_id", "building", nullable=True, label="Building"),
        Field("floor", max_length=10, label="Floor"),
        Field("place", max_length=120, label="Place"),
        Field("kind", choices=KINDS, label="Kind of place",
              choice_message="Choose one of the listed kinds of place."),
        Field("token", max_length=40, pattern=TOKEN_PATTERN, required=True, label="QR token",
              indexed=True),
        ref("checklist_id", "checklist", nullable=True, label="Checklist"),
    ),
    tombstone=INACTIVE,
)

RETIRED_TAG_TYPE = RecordType(
    RETIRED_TAG, STREAM, label="Retired tag", table="patrol_retired_tag", title=("token",),
    fields=(
        ref("site_id", "site", label="Site"),
        ref("checkpoint_id", "checkpoint", label="Checkpoint"),
        Field("token", max_length=40, pattern=TOKEN_PATTERN, required=True, label="QR token",
              indexed=True),
        Field("retired_at", "ts", label="Retired at"),
    ),
)

ITEMS_LIMIT = 30


def _items_check(values: Mapping[str, Any]) -> list[Problem]:
    """A checklist's items: a list of ``{id, label, type, min?, max?, unit?, choices?,
    photo_if_abnormal?}`` (the office's form builds it; an import may not)."""
    items = values.get("items")
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > ITEMS_LIMIT:
        return [Problem("items", "At most {n} items.", {"n": ITEMS_LIMIT})]
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES \
                or not isinstance(item.get("id"), str) or not item["id"] \
                or item["id"] in seen or not isinstance(item.get("label"), str) \
                or not item["label"].strip() or len(item["label"]) > 120:
            return [Problem("items", BAD_ITEMS)]
        seen.add(item["id"])
    return []


BAD_ITEMS = "Each line: a label, then its type (yes/no, number min–max unit, choice a/b/c, text)."

CHECKLIST_TYPE = RecordType(
    CHECKLIST, STREAM, label="Checklist", table="patrol_checklist", title=("name",),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("name", max_length=120, required=True, label="Name"),
        Field("for_kind", choices={"": "Chosen per checkpoint", **KINDS},
              label="For every checkpoint of kind"),
        Field("frequency", max_length=60, label="How often"),
        Field("items", "json", label="Items"),
    ),
    tombstone=INACTIVE,
    check=_items_check,
)

ROUTE_TYPE = RecordType(
    ROUTE, STREAM, label="Route", table="patrol_route", title=("name",),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("name", max_length=120, required=True, label="Name"),
        Field("checkpoint_ids", "list", max_length=60, item_pattern=UUID_PATTERN,
              label="Checkpoints"),
        Field("ordered", "bool", label="In this order"),
        Field("expected_minutes", "int", minimum=1, maximum=600, label="Expected minutes",
              range_message="Enter minutes from {min} to {max}."),
    ),
    tombstone=INACTIVE,
)

SCHEDULE_TYPE = RecordType(
    SCHEDULE, STREAM, label="Schedule", table="patrol_schedule", title=("name",),
    fields=(
        ref("site_id", "site", label="Site"),
        Field("name", max_length=120, required=True, label="Name"),
        ref("route_id", "route", label="Route"),
        Field("every_hours", "int", minimum=0, maximum=24, label="Every (hours)",
              range_message="Enter hours from {min} to {max} (0: at the fixed times)."),
        Field("window_start", max_length=5, pattern=HHMM_PATTERN, label="From",
              pattern_message="A time such as 22:00."),
        Field("window_end", max_length=5, pattern=HHMM_PATTERN, label="Until",
              pattern_message="A time such as 06:00."),
        Field("fixed_times", "list", max_length=24, item_pattern=HHMM_PATTERN,
              label="At fixed times"),
        Field("random_start", "bool", label="Random start inside each slot"),
        Field("start_minutes", "int", minimum=5, maximum=240, label="Start within (minutes)",
              range_message="Enter minutes from {min} to {max}."),
        Field("guard_ids", "list", max_length=50, item_pattern=UUID_PATTERN,
              label="Guards (none: every guard of the site)"),
    ),
    tombstone=INACTIVE,
)

ROUND_TYPE = RecordType(
    ROUND, STREAM, label="Round", table="patrol_round", title=("slot_at",),
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("route_id", "route", label="Route"),
        ref("schedule_id", "schedule", nullable=True, label="Schedule"),
        Field("slot_at", "ts", label="Planned start"),
        Field("start_by", "ts", label="Start by"),
        Field("due_by", "ts", label="Due by"),
        Field("guard_ids", "list", max_length=50, item_pattern=UUID_PATTERN, label="Guards"),
        Field("status", choices=ROUND_STATUSES, label="Status"),
        Field("started_at", "ts", nullable=True, label="Started at"),
        ref("started_by", "staff", nullable=True, label="Started by", server=True),
        Field("finished_at", "ts", nullable=True, label="Finished at"),
        ref("finished_by", "staff", nullable=True, label="Finished by", server=True),
        Field("late", "bool", label="Late"),
        Field("missed_at", "ts", nullable=True, label="Marked missed at", server=True),
        Field("unscheduled", "bool", label="Unscheduled"),
    ),
    conflict_kinds=("double_finish",),
)

SCAN_TYPE = RecordType(
    SCAN, STREAM, label="Checkpoint visit", table="patrol_scan", title=("token",),
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("round_id", "round", label="Round"),
        ref("checkpoint_id", "checkpoint", label="Checkpoint", server=True),
        Field("method", choices=METHODS, label="How"),
        Field("token", max_length=40, label="Code or token"),
        Field("scanned_at", "ts", label="Scanned at"),
        Field("answers", "json", label="Checklist answers"),
        Field("abnormal", "bool", label="Something not normal"),
        Field("note", text="multiline", max_length=1000, label="Note"),
        SEVERITY,
        PHOTOS,
        Field("skip_reason", text="multiline", max_length=500, label="Reason for skipping"),
        Field("review", choices=REVIEWS, label="Supervisor's review"),
        Field("review_note", text="multiline", max_length=500, label="Review note"),
        ref("reviewed_by", "staff", nullable=True, label="Reviewed by", server=True),
        ref("scanned_by", "staff", label="Guard", server=True),
        ref("scanned_device", "device", nullable=True, label="Phone", server=True),
        Field("flags", "list", max_length=8, item_max_length=20, label="Flags", server=True),
    ),
)

INCIDENT_TYPE = RecordType(
    INCIDENT, STREAM, label="Incident", table="patrol_incident", title=("description",),
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("checkpoint_id", "checkpoint", label="Checkpoint"),
        ref("round_id", "round", nullable=True, label="Round"),
        ref("scan_id", "scan", nullable=True, label="Checkpoint visit"),
        Field("description", text="multiline", max_length=1000, required=True,
              label="What is wrong"),
        SEVERITY,
        PHOTOS,
        Field("reported_at", "ts", label="Reported at"),
        ref("reported_by", "staff", label="Reported by", server=True),
        Field("status", choices=INCIDENT_STATUSES, label="Status"),
    ),
)

RECORDS = (CHECKPOINT_TYPE, RETIRED_TAG_TYPE, CHECKLIST_TYPE, ROUTE_TYPE, SCHEDULE_TYPE,
           ROUND_TYPE, SCAN_TYPE, INCIDENT_TYPE)
