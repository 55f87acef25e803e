"""How the office shows any declared record: field labels, values as people read them, a
record's title — all from the declarations (sync/domains/<name>), so a new domain's records
show on the review pages without a line here.

A domain adds only what differs, through :data:`PRESENTERS` (one registration per domain in
``server/domains.py``): how the two sides of its conflict kinds read, which page shows one of
its records, and the actions its conflicts offer beside "mark resolved"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from server.lib.i18n import gettext as _
from server.lib.queries import local_time
from sync.domains import default_registry
from sync.kit.fields import Field
from sync.kit.records import RecordType
from sync.kit.reviews import STATES as REVIEW_STATES

# fields of the engine's own records (audit, conflicts), labelled here once
ENGINE_LABELS = {
    "status": "Status", "resolution": "Resolution", "resolution_note": "Note",
    "resolved_by": "Resolved by", "resolved_at": "Resolved at", "deleted": "Deleted",
    "review": "Review", "review_comment": "Review comment",
}


def record_type(name: str) -> RecordType | None:
    return default_registry().records.get(name)


def declared(record: str, name: str) -> Field | None:
    t = record_type(record)
    return t.by_field.get(name) if t is not None else None


def field_label(record: str, name: str) -> str:
    """The label (a message id) of a record's field."""
    f = declared(record, name)
    if f is not None and f.label:
        return f.label
    return ENGINE_LABELS.get(name, name)


def type_label(record: str) -> str:
    t = record_type(record)
    return t.label if t is not None and t.label else record


def display_value(record: str, name: str, value: Any, names: Mapping[str, str]) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    f = declared(record, name)
    if f is None and name == "review":
        return _(REVIEW_STATES.get(str(value), str(value)))
    if f is None and name in ("resolved_by",):
        return names.get(str(value), str(value))
    if f is None:
        if name.endswith("_at"):
            return local_time(value, seconds=True) or str(value)
        return _json(value)
    if f.ref == "staff":
        return names.get(str(value), str(value))
    if f.choices:
        return _(f.choices.get(str(value), str(value)))
    if f.kind == "ts":
        return local_time(value, seconds=True) or str(value)
    if f.blob and isinstance(value, list):
        return _("{count} photos", count=len(value))
    if f.blob:
        return _("attached")
    if isinstance(value, (list, dict)):
        return _json(value)
    return str(value)


def _json(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return str(value)


def staff_fields(record: str) -> tuple[str, ...]:
    t = record_type(record)
    return tuple(f.name for f in t.fields if f.ref == "staff") if t is not None else ()


def title(record: str, data: Mapping[str, Any]) -> str:
    """What names a record for people (a key's code and label, a resident's name)."""
    t = record_type(record)
    if t is None:
        return ""
    return " · ".join(str(data.get(f) or "") for f in t.title if data.get(f))


# --- what a domain adds -------------------------------------------------------------------

Sides = Callable[[dict[str, Any], dict[str, str]], list[dict[str, Any]]]


@dataclass
class Presenters:
    """What domains add to the review pages."""

    sides: dict[str, Sides] = field(default_factory=dict)  # conflict kind -> both values
    pages: dict[str, str] = field(default_factory=dict)  # record type -> "/office/…/{id}"
    actions: dict[str, str] = field(default_factory=dict)  # record type -> template
    # record type -> adds what its pages show to records (a loan's key code)
    decorate: dict[str, Callable[[list[dict[str, Any]], dict[str, str]], Awaitable[None]]] = (
        field(default_factory=dict))
    nav: list[tuple[str, str]] = field(default_factory=list)  # (label, href) in the top bar


PRESENTERS = Presenters()


def page_of(record: str, record_id: str) -> str:
    """Where a record is shown: its domain's page, else the generic record page."""
    pattern = PRESENTERS.pages.get(record)
    return pattern.format(id=record_id) if pattern else f"/office/records/{record}/{record_id}"


def pairs(record: str, data: Mapping[str, Any], names: Mapping[str, str],
          skip: tuple[str, ...] = ()) -> list[dict[str, str]]:
    return [{"label": field_label(record, f), "value": display_value(record, f, v, names)}
            for f, v in data.items() if f not in skip]


def sides(kind: str, record: str, details: dict[str, Any],
          names: dict[str, str]) -> list[dict[str, Any]]:
    """Both values of a conflict, as titled columns to show side by side."""
    present = PRESENTERS.sides.get(kind)
    if present is not None:
        return present(details, names)
    if kind == "field_overwritten":
        out = []
        for name, v in (details.get("fields") or {}).items():
            if not isinstance(v, dict):
                continue
            out.append({"title": _(field_label(record, name)), "rows": [
                {"label": _("Kept value"),
                 "value": display_value(record, name, v.get("kept"), names)},
                {"label": _("Overwritten value"),
                 "value": display_value(record, name, v.get("lost"), names)},
            ]})
        return out
    return [{"title": _("Details"), "rows": pairs(record, details, names)}]


def detail_staff(details: Any) -> list[str]:
    """Every staff id a conflict's details name (for their names), wherever they are."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (key == "by" or key.endswith("_by")):
            found.append(value)

    walk(details)
    return found
