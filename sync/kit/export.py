"""The declarations as data for the phone (the service worker receives them in its /sw.js
configuration): record types, mutations' arguments, where a mutation's space comes from, who
may run it, streams, and the messages of the checks. The phone's kit
(``web/static/app/kit/``) checks forms and applies mutations from exactly this, so a limit
or an allowed value is declared once, in Python."""

from __future__ import annotations

from typing import Any

from sync import SCHEMA_VERSION, streams
from sync.kit import fields as f
from sync.kit.args import Arg
from sync.kit.fields import Field
from sync.kit.records import RecordType
from sync.registry import MutationSpec, Registry

MESSAGES = {name: getattr(f, name) for name in (
    "REQUIRED", "TOO_LONG", "TOO_MANY", "NOT_A_CHOICE", "CONTROL", "BAD_FORMAT", "BAD_ID",
    "BAD_TIME", "TIME_RANGE", "BAD_TYPE", "UNKNOWN_FIELD", "NOTHING_TO_CHANGE", "OUT_OF_RANGE",
    "BAD_NUMBER")}


def _field_full(x: Field) -> dict[str, Any]:
    return {
        "name": x.name, "kind": x.kind, "label": x.label, "text": x.text,
        "max_length": x.max_length, "nullable": x.nullable, "required": x.required,
        "choices": dict(x.choices), "pattern": x.pattern, "pattern_message": x.pattern_message,
        "length_message": x.length_message, "item_pattern": x.item_pattern,
        "item_max_length": x.item_max_length, "ref": x.ref, "blob": x.blob,
        "personal": x.personal, "indexed": x.indexed or (x.kind == "uuid" and bool(x.ref)),
        "choice_message": x.choice_message, "minimum": f.plain_number(x.minimum),
        "maximum": f.plain_number(x.maximum), "above_minimum": x.above_minimum,
        "range_message": x.range_message, "number_message": x.number_message,
    }


# What a field declares unless it says otherwise: sent once; each field sends only its name
# and what differs (the phone's kit fills in the rest: web/static/app/kit/declarations.js).
FIELD_DEFAULTS = {k: v for k, v in _field_full(Field("_")).items() if k != "name"}


def field_data(x: Field) -> dict[str, Any]:
    return {k: v for k, v in _field_full(x).items()
            if k == "name" or k not in FIELD_DEFAULTS or FIELD_DEFAULTS[k] != v}


def arg_data(a: Arg) -> dict[str, Any]:
    out: dict[str, Any] = {"name": a.name, "field": field_data(a.field),
                           "required": a.required}
    if not a.required:
        out["default"] = a.default
    if a.fields:
        out["fields"] = [arg_data(sub) for sub in a.fields]
    return out


def record_data(t: RecordType) -> dict[str, Any]:
    tomb = t.tombstone
    return {
        "name": t.name, "stream": t.stream, "label": t.label, "title": list(t.title),
        "fields": [field_data(x) for x in t.fields], "lww": list(t.lww),
        "tombstone": None if tomb is None else {
            "flag": tomb.flag, "deleted_value": tomb.deleted_value, "reason": tomb.reason,
            "keep": tomb.keep},
        "open_when": [list(c) for c in t.open_when],
        "conflict_kinds": list(t.conflict_kinds),
    }


def mutation_data(m: MutationSpec) -> dict[str, Any]:
    return {
        "name": m.name, "label": m.label, "roles": sorted(m.roles),
        "args": [arg_data(a) for a in m.args],
        "space_from": [{"arg": s.arg, "record": s.record, "stream": s.stream}
                       for s in m.space_from],
        "creates": [list(c) for c in m.creates],
    }


def export(registry: Registry) -> dict[str, Any]:
    """Everything the phone's kit needs, as JSON-ready data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "field_defaults": FIELD_DEFAULTS,
        "records": {t.name: record_data(t) for t in registry.records},
        "mutations": {m.name: mutation_data(m) for m in registry.specs()},
        "streams": {s.name: sorted(s.readers) for s in streams.STREAMS},
        "everything": sorted(streams.EVERYTHING),
        "by_unit": {s.name: sorted(s.by_unit) for s in streams.STREAMS if s.by_unit},
        "roles": streams.ROLE_LABELS,
        "org_space": streams.ORG_SPACE,
        "messages": MESSAGES,
        "patterns": {"uuid": f.UUID_PATTERN, "ts": f.TS_PATTERN},
        "years": [f.MIN_YEAR, f.MAX_YEAR],
    }


def _field_texts(x: Field) -> list[str]:
    return [x.label, x.pattern_message, x.length_message, x.choice_message, x.range_message,
            x.number_message, *x.choices.values()]


def texts(registry: Registry, extra: tuple[str, ...] = ()) -> set[str]:
    """Every text the declarations show people — labels of record types, fields, choices and
    mutations, the checks' messages — plus ``extra`` (the domains' own check messages): the
    message ids the phone's catalog must hold (``tests/unit/test_i18n.py``)."""
    out: set[str] = set(MESSAGES.values()) | set(extra) | set(streams.ROLE_LABELS.values())
    for t in registry.records:
        out.add(t.label)
        for x in t.fields:
            out.update(_field_texts(x))
    for m in registry.specs():
        out.add(m.label)
        for a in m.args:
            for sub in (a, *a.fields):
                out.update(_field_texts(sub.field))
    return {s for s in out if s}
