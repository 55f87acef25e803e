"""Repair requests (報修), in-home visits (入室服務) and follow-ups (回訪): the declarations.

A **request** comes from a resident's call at the desk, a guard's patrol anomaly or a
technician on site; it is for a unit or a public area, has a category and an urgency, and
response and completion deadlines counted from the site's **repair policy** (defaults:
emergency 30 min / 4 h, urgent 2 h / 24 h, normal 24 h / 72 h). A supervisor or the desk
assigns it to a technician with an appointment. The technician's **visit** records the basis
for entry, who was there, the conduct checklist, the work, charges, before and after photos
and how it closed (signed or refused, 1–5, done / no one home / follow-up needed). A
**follow-up** (回訪) is due when the site's sampling rule picks the request (complaints and
low ratings always, the rest by a seeded sample) and is rated A 滿意 / B 較滿意 / C 不滿意.

Everything travels in the ``visits`` stream: the front desk and supervisors read all of a
site's; a technician receives only the records of the units on their own jobs (the stream is
filtered by ``unit_id``, :mod:`sync.streams`), and the public-area requests of their sites.
"""

from __future__ import annotations

from sync.domains.estate import INACTIVE
from sync.kit.fields import SHA256_PATTERN, Field, ref
from sync.kit.records import RecordType

STREAM = "visits"
POLICY = "repair_policy"
REQUEST = "repair_request"
VISIT = "repair_visit"
FOLLOW_UP = "follow_up"
TECHNICIAN = "repair_technician"

CATEGORIES = {
    "water": "Water", "electricity": "Electricity", "doors_locks": "Doors and locks",
    "lift": "Lift", "common_area": "Common area", "other": "Other",
}
URGENCIES = {"emergency": "Emergency", "urgent": "Urgent", "normal": "Normal"}
SOURCES = {"desk": "Resident's call at the desk", "patrol": "Patrol anomaly",
           "technician": "Technician on site", "office": "Office"}
CONTACT_PREFS = {"call_first": "Call before coming", "any_time": "Come any time",
                 "appointment": "Only by appointment", "message": "Send a message"}
STATES = {
    "new": "New", "assigned": "Assigned", "in_progress": "In progress", "done": "Done",
    "cannot_complete": "Cannot complete", "followed_up": "Followed up",
    "closed": "Closed by the office",
}
# a request still to be worked on
OPEN_STATES = ("new", "assigned", "in_progress")
BASES = {"request": "Resident's request", "appointment": "Appointment",
         "emergency": "Emergency"}
OUTCOMES = {"": "Not closed yet", "done": "Done", "no_one_home": "No one home (notice left)",
            "follow_up": "Follow-up needed", "cannot_complete": "Cannot complete"}
FOLLOW_REASONS = {"complaint": "Complaint", "sampled": "Sampled", "unsatisfied": "Low rating"}
RATINGS = {"": "Not rated", "A": "A Satisfied", "B": "B Fairly satisfied",
           "C": "C Unsatisfied"}
METHODS = {"call": "Phone call", "visit": "Visit"}

# deadlines by urgency (minutes): respond, complete
DEFAULT_DEADLINES = {"emergency": (30, 240), "urgent": (120, 1440), "normal": (1440, 4320)}
DEFAULT_SAMPLE_PERCENT = 30
MAX_MINUTES = 60 * 24 * 60  # sixty days


def minutes(name: str, label: str) -> Field:
    """A deadline of the policy, in minutes."""
    return Field(name, "int", minimum=1, maximum=MAX_MINUTES, label=label)

MONEY_MAX = 1_000_000

BLOB = {"max_length": 64, "pattern": SHA256_PATTERN, "blob": True}
PHOTOS = {"max_length": 10, "item_pattern": SHA256_PATTERN, "blob": True}

POLICY_TYPE = RecordType(
    POLICY, STREAM, label="Repair policy", table="repair_policy", title=("currency",),
    fields=(
        ref("site_id", "site", label="Site"),
        minutes("respond_emergency", "Emergency: respond within (min)"),
        minutes("complete_emergency", "Emergency: complete within (min)"),
        minutes("respond_urgent", "Urgent: respond within (min)"),
        minutes("complete_urgent", "Urgent: complete within (min)"),
        minutes("respond_normal", "Normal: respond within (min)"),
        minutes("complete_normal", "Normal: complete within (min)"),
        Field("sample_percent", "int", minimum=0, maximum=100,
              label="Repairs followed up (%)"),
        Field("sample_seed", max_length=40, required=True,
              pattern=r"^[A-Za-z0-9_\-]+$", pattern_message="Letters, digits, - and _ only.",
              label="Sampling seed"),
        Field("currency", text="code", max_length=3, pattern=r"^[A-Z]{3}$",
              pattern_message="Three capital letters, e.g. HKD.", label="Currency"),
    ),
)

# the site's repair team as the phones know it (staff records do not travel): the desk
# assigns a request offline by picking one of them; kept by the office
TECHNICIAN_TYPE = RecordType(
    TECHNICIAN, STREAM, label="Repair technician", table="repair_technician",
    title=("name",),
    fields=(
        ref("site_id", "site", label="Site"),
        ref("staff_id", "staff", label="Staff member"),
        Field("name", max_length=120, required=True, label="Name"),
        Field("trade", max_length=60, label="Trade"),
    ),
    tombstone=INACTIVE,
)

REQUEST_TYPE = RecordType(
    REQUEST, STREAM, label="Repair request", title=("number",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site"),
        # a short number people can say on the phone (the desk's running number, R-…)
        Field("number", text="code", max_length=24, required=True, label="Request number",
              pattern=r"^[A-Z0-9][A-Z0-9\-]*$", pattern_message="Letters, digits and - only.",
              indexed=True),
        ref("unit_id", "unit", nullable=True, label="Unit"),
        Field("area", max_length=120, label="Public area"),
        Field("category", choices=CATEGORIES, label="Category"),
        Field("urgency", choices=URGENCIES, label="Urgency"),
        Field("complaint", "bool", label="A complaint"),
        Field("description", text="multiline", max_length=2000, required=True,
              label="Description"),
        Field("photos", "list", label="Photos", **PHOTOS),  # type: ignore[arg-type]
        Field("contact_name", max_length=120, label="Contact", personal=True),
        Field("contact_phone", max_length=40, pattern=r"^[0-9+()\- ]*$",
              pattern_message="Digits, spaces, + ( ) and - only.", label="Contact phone",
              personal=True),
        Field("contact_pref", choices=CONTACT_PREFS, label="Contact preference"),
        Field("source", choices=SOURCES, label="Reported by"),
        ref("anomaly_visit_id", "scan", nullable=True, label="Patrol anomaly"),
        ref("parent_id", "repair_request", nullable=True, label="Follows request"),
        Field("reported_at", "ts", label="Reported at"),
        ref("reported_by", "staff", label="Logged by", server=True),
        Field("respond_by", "ts", label="Respond by", server=True),
        Field("complete_by", "ts", label="Complete by", server=True),
        Field("state", choices=STATES, label="State", server=True, indexed=True),
        ref("assignee_id", "staff", nullable=True, label="Technician"),
        Field("appointment_at", "ts", nullable=True, label="Appointment"),
        Field("assigned_at", "ts", nullable=True, label="Assigned at", server=True),
        Field("started_at", "ts", nullable=True, label="Work started", server=True),
        Field("finished_at", "ts", nullable=True, label="Work finished", server=True),
        Field("outcome_reason", text="multiline", max_length=1000,
              label="Why it could not be completed", server=True),
        ref("key_loan_id", "key_loan", nullable=True, label="Key lent for it"),
        Field("closed_at", "ts", nullable=True, label="Closed at", server=True),
        Field("close_reason", text="multiline", max_length=1000, label="Closing reason",
              server=True),
    ),
    conflict_kinds=("closed_while_working",),
    open_when=(("closed_at", None),),
)

VISIT_TYPE = RecordType(
    VISIT, STREAM, label="In-home visit", title=("arrived_at",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("request_id", "repair_request", label="Request"),
        ref("unit_id", "unit", nullable=True, label="Unit", server=True),
        Field("basis", choices=BASES, label="Basis for entry"),
        ref("technician_id", "staff", label="Technician", server=True),
        ref("device_id", "device", nullable=True, label="Device", server=True),
        ref("second_staff_id", "staff", nullable=True, label="Second staff member"),
        Field("witness", max_length=120, label="Witness", personal=True),
        Field("resident_present", "bool", label="Resident present"),
        Field("resident_consent", "bool", label="Resident consents"),
        Field("only_minors", "bool", label="Only minors at home"),
        Field("arrived_at", "ts", label="Arrived"),
        Field("left_at", "ts", nullable=True, label="Left"),
        Field("uniform_badge", "bool", label="Uniform and badge"),
        Field("shoe_covers", "bool", label="Shoe covers"),
        Field("floor_protection", "bool", label="Floor protection"),
        Field("clean_up", "bool", label="Clean-up done"),
        Field("found", text="multiline", max_length=2000, label="What was found"),
        Field("work_done", text="multiline", max_length=2000, label="What was done"),
        # [{"item": text, "qty": number, "amount": number}]; the total is computed
        Field("charges", "json", label="Materials and charges"),
        Field("total", "float", minimum=0, maximum=MONEY_MAX, label="Total charges"),
        Field("before_photos", "list", label="Photos before", **PHOTOS),  # type: ignore[arg-type]
        Field("after_photos", "list", label="Photos after", **PHOTOS),  # type: ignore[arg-type]
        Field("signature_blob", label="Resident's signature", personal=True, **BLOB),  # type: ignore[arg-type]
        Field("refused_reason", text="multiline", max_length=500,
              label="Why the resident did not sign"),
        Field("satisfaction", "int", nullable=True, minimum=1, maximum=5,
              label="Satisfaction (1–5)"),
        Field("outcome", choices=OUTCOMES, label="Outcome"),
        Field("outcome_reason", text="multiline", max_length=1000, label="Reason"),
        Field("notice_photo", label="Notice left", **BLOB),  # type: ignore[arg-type]
        ref("follow_request_id", "repair_request", nullable=True,
            label="Follow-up request"),
        Field("closed_at", "ts", nullable=True, label="Closed at", server=True),
        Field("close_hlc", text="hlc", max_length=32, label="Closing clock", server=True),
    ),
    conflict_kinds=("double_close",),
    open_when=(("closed_at", None),),
)

FOLLOW_UP_TYPE = RecordType(
    FOLLOW_UP, STREAM, label="Follow-up", title=("rating",), keeps_field_hlc=True,
    fields=(
        ref("site_id", "site", label="Site", server=True),
        ref("request_id", "repair_request", label="Request"),
        ref("visit_id", "repair_visit", nullable=True, label="Visit"),
        ref("unit_id", "unit", nullable=True, label="Unit", server=True),
        Field("reason", choices=FOLLOW_REASONS, label="Why followed up", server=True),
        Field("due_at", "ts", label="Call due", server=True),
        Field("method", choices=METHODS, label="By"),
        Field("reached", "bool", label="Reached"),
        Field("rating", choices=RATINGS, label="Rating"),
        Field("notes", text="multiline", max_length=2000, label="Notes"),
        Field("done_at", "ts", nullable=True, label="Done at"),
        ref("done_by", "staff", nullable=True, label="Done by", server=True),
    ),
    conflict_kinds=("double_follow_up",),
    open_when=(("done_at", None),),
)

RECORDS = (POLICY_TYPE, TECHNICIAN_TYPE, REQUEST_TYPE, VISIT_TYPE, FOLLOW_UP_TYPE)
