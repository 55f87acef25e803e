"""Field-level last-writer-wins for correction mutations (``key.update`` and the like).

Each record keeps ``field_hlc``: field -> the HLC of the write that set it. An incoming
correction wins a field when its HLC is greater than the stored one (HLC strings compare in
causal order, device id as tie-break). A losing value is never silently dropped: it comes back
as an :class:`Overwritten` and the engine stores it in a ``field_overwritten`` conflict; the
winner's before/after goes to the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Overwritten(NamedTuple):
    """A value that lost: it stays in the conflict record, next to the value that was kept."""

    field: str
    value: Any
    hlc: str
    kept_value: Any
    kept_hlc: str


class Merge(NamedTuple):
    changes: dict[str, Any]  # fields the incoming write wins (values may equal the old ones)
    field_hlc: dict[str, str]  # the record's new field_hlc
    lost: list[Overwritten]  # incoming values that lost and differ from the kept value


def merge_fields(
    current: Mapping[str, Any],
    field_hlc: Mapping[str, str],
    incoming: Mapping[str, Any],
    hlc: str,
) -> Merge:
    """Merge ``incoming`` (written at ``hlc``) into ``current`` field by field."""
    changes: dict[str, Any] = {}
    new_hlc = dict(field_hlc)
    lost: list[Overwritten] = []
    for field, value in incoming.items():
        stored = field_hlc.get(field, "")
        if hlc > stored:
            changes[field] = value
            new_hlc[field] = hlc
        else:
            kept = current.get(field)
            if kept != value:
                lost.append(Overwritten(field, value, hlc, kept, stored))
    return Merge(changes, new_hlc, lost)
