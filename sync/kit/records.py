"""Record declarations: ONE per record type, in its domain's folder (``sync/domains/<name>``).

A :class:`RecordType` names the type's stream (who receives it), its fields (kinds, limits,
allowed values, blob and personal-data fields, labels), how a tombstone is kept, which fields
are corrected by last-writer-wins and which conflict kinds its rules raise. Everything else
is derived from it or tied to it by a test:

* the sync store's columns (``server/sync/records.py``) and the Piccolo table
  (``tests/unit/test_declarations.py`` fails when they disagree);
* the mutations' argument checks (:mod:`sync.kit.args`) — and the phone's form checks, which
  receive the declarations as data (:mod:`sync.kit.export`);
* the office's display (labels, choice labels) and the review pages;
* the record tables of ``docs/protocol.md`` (a test compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.kit.fields import Field, Problem, check_value

RecordCheck = Callable[[Mapping[str, Any]], "list[Problem]"]


@dataclass(frozen=True, slots=True)
class Tombstone:
    """How a deleted (deactivated, voided) record is stored: ``flag`` holds
    ``deleted_value`` (``active`` = False, ``voided`` = True). ``reason``: the field that
    says why. ``keep``: phones keep the record, shown as closed (a voided loan stays in its
    key's history); otherwise a tombstone removes it from phones."""

    flag: str
    deleted_value: bool
    reason: str = ""
    keep: bool = False

    @property
    def in_data(self) -> bool:
        """Whether the flag is one of the record's data fields (``voided``) or only a
        storage column (``active``)."""
        return self.deleted_value is True


@dataclass(frozen=True, slots=True)
class RecordType:
    name: str
    stream: str  # "" for conflicts: they live in the stream of their records
    fields: tuple[Field, ...]
    label: str = ""
    table: str = ""  # the server's table (default: the name)
    tombstone: Tombstone | None = None
    lww: tuple[str, ...] = ()  # fields corrected field by field, last writer wins
    # the store keeps a per-field HLC column although no field is corrected (yet): a table
    # made with one keeps it
    keeps_field_hlc: bool = False
    conflict_kinds: tuple[str, ...] = ()
    title: tuple[str, ...] = ()  # fields that name a record for people ("code", "label")
    # a record is "open" (the phone indexes it: loans out now) when every condition holds
    open_when: tuple[tuple[str, Any], ...] = ()
    site_field: str = "site_id"  # the field holding the record's site ("" = the id itself)
    # checks across fields, over values already checked one by one (the office's forms and
    # imports run them with :meth:`check_values`; a mutation's own are its spec's ``check``)
    check: RecordCheck | None = field(default=None, compare=False)
    by_field: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_field", {f.name: f for f in self.fields})
        for name in self.lww:
            if name not in self.by_field:
                raise ValueError(f"{self.name}: lww field {name!r} is not declared")
        t = self.tombstone
        if t is not None and t.in_data and t.flag not in self.by_field:
            raise ValueError(f"{self.name}: tombstone flag is not a field")

    def check_values(self, values: Mapping[str, Any], names: Iterable[str] | None = None
                     ) -> tuple[dict[str, Any], list[Problem]]:
        """``values`` of the named fields (default: every given one) in their stored form,
        and every problem: each field's first, then the record's cross-field ones (about
        fields that passed their own check)."""
        stored: dict[str, Any] = {}
        problems: list[Problem] = []
        for name in (names if names is not None else values):
            value, problem = check_value(self.field(name), values.get(name))
            stored[name] = value
            if problem is not None:
                problems.append(problem)
        if self.check is not None:
            bad = {p.field for p in problems}
            problems += [p for p in self.check(stored) if p.field not in bad]
        return stored, problems

    @property
    def table_name(self) -> str:
        return self.table or self.name

    def field(self, name: str) -> Field:
        try:
            return self.by_field[name]
        except KeyError:
            raise KeyError(f"{self.name} has no field {name!r}") from None

    @property
    def blob_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.blob)

    @property
    def personal_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.personal)

    def is_open(self, data: Mapping[str, Any]) -> bool:
        return bool(self.open_when) and all(matches(data.get(f), want)
                                            for f, want in self.open_when)

    def blobs_of(self, data: Mapping[str, Any]) -> list[str]:
        """The blob hashes this record names."""
        out: list[str] = []
        for f in self.blob_fields:
            value = data.get(f.name)
            if isinstance(value, str) and value:
                out.append(value)
            elif isinstance(value, list):
                out += [v for v in value if isinstance(v, str) and v]
        return out


def matches(got: Any, want: Any) -> bool:
    """One condition of ``open_when`` or a lookup's ``where``: ``None`` is null/missing,
    ``True``/``False`` truthy/falsy, anything else equality."""
    if want is None:
        return got is None
    if want is True or want is False:
        return bool(got) is want
    return bool(got == want)


class RecordTypes:
    """Every declared record type, by name."""

    def __init__(self, types: Iterable[RecordType] = ()) -> None:
        self._types: dict[str, RecordType] = {}
        for t in types:
            self.add(t)

    def add(self, t: RecordType) -> RecordType:
        if t.name in self._types:
            raise ValueError(f"record type {t.name!r} is declared twice")
        self._types[t.name] = t
        return t

    def get(self, name: str) -> RecordType | None:
        return self._types.get(name)

    def __getitem__(self, name: str) -> RecordType:
        try:
            return self._types[name]
        except KeyError:
            raise KeyError(f"unknown record type {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Any:
        return iter(self._types.values())

    def names(self) -> list[str]:
        return sorted(self._types)
