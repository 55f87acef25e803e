"""The staff record as the office edits it: declared like the synced records (fields,
limits, labels, allowed values; :class:`sync.kit.records.RecordType`), so its form is checked
by the same kit — but it is not synced: phones receive only who they are."""

from __future__ import annotations

from sync.domains.estate import PHONE
from sync.kit.fields import Field
from sync.kit.records import RecordType, Tombstone
from sync.streams import ROLE_LABELS

USERNAME = r"^[a-z0-9][a-z0-9._\-]{1,59}$"

STAFF = RecordType(
    "staff", "", label="Staff member", title=("username", "display_name"),
    site_field="",
    fields=(
        Field("username", max_length=60, required=True, pattern=USERNAME, label="User name",
              pattern_message="2–60 lowercase letters, digits, dot, - or _, starting with a "
                              "letter or digit."),
        Field("display_name", max_length=120, required=True, label="Display name"),
        Field("role", choices=ROLE_LABELS, label="Role",
              choice_message="Choose one of the listed roles."),
        PHONE,
    ),
    tombstone=Tombstone("active", deleted_value=False),
)
