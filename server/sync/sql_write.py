# ruff: noqa: S608 - SQL here is assembled from the record mapping's own table and column
# names and numbered placeholders; every value travels as a bound parameter.
"""The write side of the sync store's SQL: per-table upserts with generated row builders,
and the inserts of audit, conflict and rejection rows (reads and dialects: :mod:`sql`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

from server.sync.records import TABLES, Column, Kind, RecordTable
from server.sync.sql import POSTGRES, Dialect, json_encode, json_text, q

# --- writes --------------------------------------------------------------------------------

class Upsert:
    """The upsert of one record table: its SQL, and the builder of its rows.

    A push of 1,000 loans converts 30,000 values, so the builder does per value only what
    the value's kind needs: every field in one C call (``itemgetter``), then a converter
    only for the columns whose values change form on the way in (timestamps, JSON, a
    tombstone flag), and a check of every text value against its declared length (a value
    the declarations let through and the column cannot hold fails the write, never cut)."""

    def __init__(self, d: Dialect, t: RecordTable) -> None:
        self.table = t
        fields = list(t.fields)
        head: list[Column] = [Column("id", "id", "uuid")]
        deleted_column = ""
        if t.deleted is not None:
            deleted_column = t.deleted[0]
            if not any(f.column == deleted_column for f in fields):
                head.append(Column("", deleted_column, "bool"))
        if t.has_field_hlc:
            head.append(Column("", "field_hlc", "json"))
        tail = [Column("", "space", "text", 60), Column("", "version", "int"),
                Column("", "created_at", "ts")]
        if t.has_updated_at:
            tail.append(Column("", "updated_at", "ts"))
        self.columns = [*head, *fields, *tail]
        self.sql = upsert_sql(d, t.table, self.columns, keep=("created_at",))
        # a plain INSERT (SQLite: records the push's transaction found missing)
        cols = ", ".join(q(c.column) for c in self.columns)
        self.insert_sql = (f"INSERT INTO {q(t.table)} ({cols}) "
                           f"VALUES ({', '.join('?' for _ in self.columns)})"
                           if d is not POSTGRES else "")
        self.json_sql = (pg_json_sql(t.table, self.columns, keep=("created_at",))
                         if d is POSTGRES else "")
        self._build = _row_builder(d, t, fields, deleted_column)
        self._stamps = 2 if t.has_updated_at else 1

    def rows(self, records: Sequence[Any], server_time: datetime, d: Dialect) -> list[tuple]:
        """Rows in :attr:`columns` order (created_at/updated_at = ``server_time``)."""
        ts = server_time if d is POSTGRES else str(server_time)
        return self._build(records, (ts,) * self._stamps)


def _sqlite_ts(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def to_text(v: Any) -> Any:
        # an aware UTC isoformat() string is Piccolo's SQLite text but for the "T"
        if v.__class__ is str and len(v) in (25, 32) and v[10] == "T" and v.endswith("+00:00"):
            return v[:10] + " " + v[11:]
        return convert(v)
    return to_text


def _checked_text(name: str, max_length: int, convert: Callable[[Any], Any]
                  ) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v.__class__ is str and (not max_length or len(v) <= max_length) and "\x00" not in v:
            return v
        return convert(v)  # refuses (StoreRefused), or makes "" of None
    return check


def _checked_uuid(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        return v if v is None or (v.__class__ is str and len(v) == 36) else convert(v)
    return check


def _row_builder(d: Dialect, t: RecordTable, fields: list[Column],
                 deleted_column: str) -> Callable[[Sequence[Any], tuple[Any, ...]], list[tuple]]:
    pg = d is POSTGRES
    names = tuple(f.name for f in fields)
    get = itemgetter(*names) if len(names) > 1 else (lambda data: (data[names[0]],))
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(fields):
        slow = d.converter(f)
        if f.column == deleted_column:
            continue  # set from the record's own flag below
        if f.kind == "text":
            convert.append((i, _checked_text(f.column, f.max_length, slow)))
        elif f.kind == "uuid":
            convert.append((i, _checked_uuid(slow)))
        elif f.kind == "ts" and not pg:
            convert.append((i, _sqlite_ts(slow)))
        else:
            convert.append((i, slow))
    flag_index = next((i for i, f in enumerate(fields) if f.column == deleted_column), -1)
    separate_flag = bool(deleted_column) and flag_index < 0
    inverted = bool(t.deleted and t.deleted[1])
    field_hlc = t.has_field_hlc

    def build(records: Sequence[Any], stamps: tuple[Any, ...]) -> list[tuple]:
        out: list[tuple] = []
        append = out.append
        for rec in records:
            data = rec.data
            try:
                values = list(get(data))
            except KeyError:  # a record missing a field: None, as dict.get
                values = [data.get(n) for n in names]
            for i, fn in convert:
                values[i] = fn(values[i])
            if flag_index >= 0:
                values[flag_index] = bool(values[flag_index]) or rec.deleted
            head: tuple[Any, ...] = (rec.id,)
            if separate_flag:
                head += (not rec.deleted,) if inverted else (rec.deleted,)
            if field_hlc:
                head += (json_text(rec.field_hlc),)
            append((*head, *values, rec.space, rec.version, *stamps))
        return out

    return build


def upsert_sql(d: Dialect, table: str, columns: Sequence[Column], *, key: str = "id",
               keep: Sequence[str] = (), ignore: bool = False) -> str:
    names = [c.column for c in columns]
    cols = ", ".join(q(n) for n in names)
    if ignore:
        conflict = f"ON CONFLICT ({q(key)}) DO NOTHING"
    else:
        sets = ", ".join(f"{q(n)} = excluded.{q(n)}" for n in names if n != key and n not in keep)
        conflict = f"ON CONFLICT ({q(key)}) DO UPDATE SET {sets}"
    if d is POSTGRES:
        arrays = ", ".join(
            f"${i}::{POSTGRES.array_types[c.kind]}" for i, c in enumerate(columns, 1))
        return f"INSERT INTO {q(table)} ({cols}) SELECT * FROM unnest({arrays}) {conflict}"
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {q(table)} ({cols}) VALUES ({marks}) {conflict}"


_PG_SCALAR: dict[Kind, str] = {
    "uuid": "uuid", "text": "text", "bool": "bool", "float": "float8", "int": "int8",
    "ts": "timestamptz", "json": "json",
}


def pg_json_sql(table: str, columns: Sequence[Column], *, key: str = "id",
                keep: Sequence[str] = (), ignore: bool = False) -> str:
    """PostgreSQL: the same insert/upsert as :func:`upsert_sql`, its rows sent as ONE jsonb
    parameter (an array of row arrays, see :func:`pg_json_rows`) instead of one array per
    column: asyncpg encodes column arrays element by element in Python, msgspec a whole batch
    in C. Text-valued (``->>``) then cast per column, so json columns keep their exact text."""
    names = [c.column for c in columns]
    cols = ", ".join(q(n) for n in names)
    values = ", ".join(f"(r->>{i})::{_PG_SCALAR[c.kind]}" for i, c in enumerate(columns))
    head = upsert_sql(POSTGRES, table, columns, key=key, keep=keep, ignore=ignore)
    conflict = head[head.index(" ON CONFLICT "):]
    return (f"INSERT INTO {q(table)} ({cols}) SELECT {values} "
            f"FROM jsonb_array_elements($1::jsonb) AS r{conflict}")


def pg_json_rows(rows: Sequence[Sequence[Any]], columns: Sequence[Column]) -> str | None:
    """The rows as the jsonb parameter of :func:`pg_json_sql`, or None when a value has no
    exact JSON form (a non-finite float: the caller sends column arrays instead)."""
    floats = [i for i, c in enumerate(columns) if c.kind == "float"]
    for i in floats:
        for row in rows:
            v = row[i]
            if v is not None and not math.isfinite(v):
                return None
    return json_encode(rows).decode()


@cache
def upsert_for(d: Dialect, type_: str) -> Upsert:
    return Upsert(d, TABLES[type_])


BLOB_REF_COLUMNS = (
    Column("", "id", "uuid"), Column("", "sha256", "text"), Column("", "record_type", "text"),
    Column("", "record_id", "uuid"), Column("", "space", "text"),
)

AUDIT_COLUMNS = (
    Column("", "id", "uuid"), Column("", "record_type", "text"), Column("", "record_id", "uuid"),
    Column("", "space", "text"), Column("", "version", "int"), Column("", "action", "text"),
    Column("", "staff", "uuid"), Column("", "device", "uuid"), Column("", "client_id", "uuid"),
    Column("", "mutation_id", "int"), Column("", "device_hlc", "text"),
    Column("", "device_time", "ts"), Column("", "server_time", "ts"),
    Column("", "changes", "json"),
)

CONFLICT_COLUMNS = (
    Column("", "id", "uuid"), Column("", "kind", "text"), Column("", "space", "text"),
    Column("", "version", "int"), Column("", "record_type", "text"),
    Column("", "record_ids", "json"), Column("", "details", "json"),
    Column("", "staff_ids", "json"), Column("", "status", "text"),
    Column("", "resolution", "text"), Column("", "resolution_note", "text"),
    Column("", "created_at", "ts"),
)

REJECTION_COLUMNS = (
    Column("", "id", "uuid"), Column("", "client_id", "uuid"), Column("", "mutation_id", "int"),
    Column("", "name", "text"), Column("", "code", "text"), Column("", "reason", "text"),
    Column("", "args", "json"), Column("", "staff", "uuid"), Column("", "space", "text"),
    Column("", "status", "text"), Column("", "resolution_note", "text"),
    Column("", "created_at", "ts"), Column("", "field", "text"),
)


_INSERT_COLUMNS = {"audit_entry": AUDIT_COLUMNS, "sync_conflict": CONFLICT_COLUMNS,
                   "sync_rejection": REJECTION_COLUMNS, "blob_ref": BLOB_REF_COLUMNS}


@cache
def insert_sql(d: Dialect, table: str) -> str:
    return upsert_sql(d, table, _INSERT_COLUMNS[table], ignore=True)


def insert_columns(table: str) -> tuple[Column, ...]:
    return _INSERT_COLUMNS[table]


@cache
def insert_json_sql(table: str) -> str:
    """PostgreSQL: :func:`insert_sql` with its rows as one jsonb parameter."""
    return pg_json_sql(table, _INSERT_COLUMNS[table], ignore=True)
