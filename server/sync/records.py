"""The tables that hold the synced record types, derived from their declarations.

The engine sees records as :class:`sync.storage.Record` (type, id, space, version, ``data`` of
JSON values, ``field_hlc``, ``deleted``); each declared type (:mod:`sync.kit.records`, in its
domain's folder) is one table here. Columns come from the declared fields — a reference's
column drops ``_id`` (``site_id`` is column ``site``), a list is a JSON column, a tombstone is
its flag column — so this module holds no field list of its own. ``tests/unit/
test_declarations.py`` checks every Piccolo table against the same declarations.

Datetimes travel as ISO-8601 strings in UTC, exactly as ``datetime.astimezone(UTC)
.isoformat()`` writes them, on both databases. The SQL built from these tables lives in
:mod:`server.sync.sql` and :mod:`server.sync.sql_write`.
"""

from __future__ import annotations

from functools import cache
from typing import Literal, NamedTuple

from sync.domains import default_registry
from sync.kit.records import RecordType

Kind = Literal["uuid", "text", "bool", "float", "int", "ts", "json"]

_KINDS: dict[str, Kind] = {
    "uuid": "uuid", "text": "text", "bool": "bool", "float": "float", "int": "int",
    "ts": "ts", "json": "json", "list": "json",
}


class Column(NamedTuple):
    name: str  # key in Record.data ("" for storage-only columns)
    column: str
    kind: Kind
    max_length: int = 0  # characters (declared); 0 = unbounded
    nullable: bool = False


class RecordTable(NamedTuple):
    type: str
    table: str
    fields: tuple[Column, ...]
    # how a tombstone is stored: ("active", True) = active is false for deleted rows,
    # ("voided", False) = voided is true; None = the type has no tombstones
    deleted: tuple[str, bool] | None
    has_field_hlc: bool
    blob_columns: tuple[str, ...]  # scalar blob fields (indexed columns)
    blob_lists: tuple[str, ...]  # list blob fields (their hashes go to blob_ref)
    has_updated_at: bool = True
    writable: bool = True  # pushes may write it (conflicts are written as ConflictRows)

    def field(self, name: str) -> Column:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.type} has no field {name!r}")


# Tables whose storage differs from the default: conflicts are written by the engine's
# conflict rows and reviews by the office (server/review/marks.py), never as pushed records,
# and have no updated_at.
_STORAGE = {"conflict": {"has_updated_at": False, "writable": False},
            "review": {"has_updated_at": False, "writable": False}}


def table_for(t: RecordType) -> RecordTable:
    columns = tuple(
        Column(f.name, f.column, _KINDS[f.kind],
               f.max_length if f.kind == "text" else 0, f.nullable)
        for f in t.fields)
    deleted = None
    if t.tombstone is not None:
        deleted = (t.tombstone.flag, not t.tombstone.deleted_value)
    return RecordTable(
        type=t.name, table=t.table_name, fields=columns, deleted=deleted,
        has_field_hlc=bool(t.lww) or t.keeps_field_hlc,
        blob_columns=tuple(f.column for f in t.blob_fields if f.kind == "text"),
        blob_lists=tuple(f.name for f in t.blob_fields if f.kind == "list"),
        **_STORAGE.get(t.name, {}),  # type: ignore[arg-type]
    )


@cache
def tables() -> dict[str, RecordTable]:
    return {t.name: table_for(t) for t in default_registry().records}


TABLES: dict[str, RecordTable] = tables()
# pulls send records in (version, type, id) order: the types sorted by name
TYPES_SORTED: tuple[str, ...] = tuple(sorted(TABLES))


def table_of(type_: str) -> RecordTable:
    try:
        return TABLES[type_]
    except KeyError:
        raise KeyError(f"unknown record type {type_!r}") from None
