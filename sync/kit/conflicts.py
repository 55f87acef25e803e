"""The conflict record: what the rules of every domain raise when an invariant breaks
(both facts are kept, the office decides). Conflicts belong to no domain and travel in the
stream of the records they are about (``stream`` is "")."""

from __future__ import annotations

from sync.kit.fields import Field
from sync.kit.records import RecordType

CONFLICT = RecordType(
    "conflict", "", label="Conflict", table="sync_conflict", site_field="",
    fields=(
        Field("kind", max_length=40, label="Kind"),
        Field("record_type", max_length=40, label="Record type"),
        Field("record_ids", "json", label="Records"),
        Field("details", "json", label="Details"),
        Field("staff_ids", "json", label="People involved"),
        Field("created_at", "ts", label="Created at"),
        Field("status", max_length=20, label="Status"),
        Field("resolution", max_length=40, label="Resolution"),
        Field("resolution_note", text="multiline", label="Note"),
    ),
)
