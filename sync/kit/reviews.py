"""The office's review of a synced record: approved, has issues or rejected, with a comment
(as ODK Central and TrackTik review submissions). A review belongs to no domain: like a
conflict it travels in the space of the record it is about (``stream`` is ""), and it names
the record's author in ``staff_ids``, so the author's phone shows "has issues" and the
comment in its inbox after the next sync. One review per record (its id is derived from the
record's), rewritten when the office changes its mind; the audit trail keeps every mark."""

from __future__ import annotations

import uuid

from sync.kit.fields import Field
from sync.kit.records import RecordType

APPROVED, HAS_ISSUES, REJECTED = "approved", "has_issues", "rejected"
STATES = {APPROVED: "Approved", HAS_ISSUES: "Has issues", REJECTED: "Rejected"}
# a comment is required for these (the author must learn what is wrong)
NEEDS_COMMENT = (HAS_ISSUES, REJECTED)
COMMENT_MAX = 1000

REVIEW = RecordType(
    "review", "", label="Review", table="sync_review", site_field="",
    fields=(
        Field("record_type", max_length=40, label="Record type"),
        Field("record_id", "uuid", label="Record"),
        Field("state", max_length=20, label="Review", choices=STATES),
        Field("comment", text="multiline", max_length=COMMENT_MAX, label="Comment"),
        Field("staff_ids", "json", label="People involved"),
        Field("reviewed_by", "uuid", label="Reviewed by", ref="staff"),
        Field("reviewed_at", "ts", label="Reviewed at"),
    ),
)

_NS = uuid.UUID("0b6a3f52-2d41-5e8f-9c57-7a1e4d2b9c10")


def review_id(record_type: str, record_id: str) -> str:
    """The one review of a record."""
    return str(uuid.uuid5(_NS, f"{record_type}:{record_id}"))
