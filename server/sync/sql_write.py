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

from server.sync.records import TABLES, Field, Kind, RecordTable
from server.sync.sql import POSTGRES, Dialect, json_encode, json_text, q

# --- writes --------------------------------------------------------------------------------

class Upsert:
    """The upsert of one record table: its SQL, and a row builder generated for it.

    The builder is generated Python (one tuple expression per record, with inline fast paths
    for the common value shapes) because a push of 1,000 loans converts 30,000 values: a
    function call per value would cost more than the database's own work."""

    def __init__(self, d: Dialect, t: RecordTable) -> None:
        self.table = t
        fields = list(t.fields)
        head: list[Field] = [Field("id", "id", "uuid")]
        deleted_column = ""
        if t.deleted is not None:
            deleted_column = t.deleted[0]
            if not any(f.column == deleted_column for f in fields):
                head.append(Field("", deleted_column, "bool"))
        if t.has_field_hlc:
            head.append(Field("", "field_hlc", "json"))
        tail = [Field("", "space", "text", 40), Field("", "version", "int"),
                Field("", "created_at", "ts")]
        if t.has_updated_at:
            tail.append(Field("", "updated_at", "ts"))
        self.columns = [*head, *fields, *tail]
        self.sql = upsert_sql(d, t.table, self.columns, keep=("created_at",))
        # a plain INSERT (SQLite: records the push's transaction found missing)
        cols = ", ".join(q(c.column) for c in self.columns)
        self.insert_sql = (f"INSERT INTO {q(t.table)} ({cols}) "
                           f"VALUES ({', '.join('?' for _ in self.columns)})"
                           if d is not POSTGRES else "")
        self.json_sql = (pg_json_sql(t.table, self.columns, keep=("created_at",))
                         if d is POSTGRES else "")
        self._build = _row_builder(d, t, head, fields, tail, deleted_column)

    def rows(self, records: Sequence[Any], server_time: datetime, d: Dialect) -> list[tuple]:
        """Rows in :attr:`columns` order (created_at/updated_at = ``server_time``)."""
        return self._build(records, server_time if d is POSTGRES else str(server_time))


def _row_builder(d: Dialect, t: RecordTable, head: list[Field], fields: list[Field],
                 tail: list[Field], deleted_column: str) -> Callable[..., list[tuple]]:
    namespace: dict[str, Any] = {"_json": json_text}
    pg = d is POSTGRES
    names = tuple(f.name for f in fields)
    values = [f"v{i}" for i in range(len(fields))]

    def slow(i: int, f: Field) -> str:
        namespace[f"_c{i}"] = d.converter(f)
        return f"_c{i}(v{i})"

    exprs = []
    for f in head:
        if f.column == "id":
            exprs.append("rec.id")
        elif f.column == "field_hlc":
            exprs.append("_json(rec.field_hlc)")
        else:  # a tombstone flag that is not a data field
            assert t.deleted is not None
            exprs.append("not rec.deleted" if t.deleted[1] else "rec.deleted")
    for i, f in enumerate(fields):
        v = f"v{i}"
        if f.column == deleted_column:
            exprs.append(f"(bool({v}) or rec.deleted)")
        elif f.kind == "text":
            size = f" and len({v}) <= {f.max_length}" if f.max_length else ""
            nul = f" and '\\x00' not in {v}" if pg else ""
            exprs.append(f"({v} if {v}.__class__ is str{size}{nul} else {slow(i, f)})")
        elif f.kind == "uuid":
            exprs.append(f"({v} if {v}.__class__ is str and len({v}) == 36 else {slow(i, f)})")
        elif f.kind == "bool":
            exprs.append(f"bool({v})")
        elif f.kind == "json":
            exprs.append(f"_json({v})")
        elif f.kind == "ts" and not pg:
            # an aware UTC isoformat() string is Piccolo's SQLite text but for the "T"
            exprs.append(f"({v}[:10] + ' ' + {v}[11:] if {v}.__class__ is str and len({v}) in "
                         f"(25, 32) and {v}[10] == 'T' and {v}.endswith('+00:00') "
                         f"else {slow(i, f)})")
        else:  # float, int, PostgreSQL timestamps: the converter
            exprs.append(slow(i, f))
    exprs += ["rec.space", "rec.version", "ts"] + (["ts"] if len(tail) == 4 else [])
    # every field's value in one C call (itemgetter); a record missing a field (None, as
    # dict.get) takes the slow path
    namespace["_get"] = itemgetter(*names) if len(names) > 1 else (lambda d: (d[names[0]],))
    namespace["_names"] = names
    unpack = ", ".join(values) + ("," if len(values) == 1 else "")
    source = (
        "def build(records, ts):\n"
        "    out = []\n"
        "    append = out.append\n"
        "    for rec in records:\n"
        "        d = rec.data\n"
        "        try:\n"
        f"            {unpack} = _get(d)\n"
        "        except KeyError:\n"
        f"            {unpack} = [d.get(n) for n in _names]\n"
        f"        append(({', '.join(exprs)},))\n"
        "    return out\n"
    )
    exec(compile(source, f"<upsert {d.name} {t.type}>", "exec"), namespace)  # noqa: S102
    return namespace["build"]  # type: ignore[no-any-return]


def upsert_sql(d: Dialect, table: str, columns: Sequence[Field], *, key: str = "id",
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


def pg_json_sql(table: str, columns: Sequence[Field], *, key: str = "id",
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


def pg_json_rows(rows: Sequence[Sequence[Any]], columns: Sequence[Field]) -> str | None:
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


AUDIT_COLUMNS = (
    Field("", "id", "uuid"), Field("", "record_type", "text"), Field("", "record_id", "uuid"),
    Field("", "space", "text"), Field("", "version", "int"), Field("", "action", "text"),
    Field("", "staff", "uuid"), Field("", "device", "uuid"), Field("", "client_id", "uuid"),
    Field("", "mutation_id", "int"), Field("", "device_hlc", "text"),
    Field("", "device_time", "ts"), Field("", "server_time", "ts"),
    Field("", "changes", "json"),
)

CONFLICT_COLUMNS = (
    Field("", "id", "uuid"), Field("", "kind", "text"), Field("", "space", "text"),
    Field("", "version", "int"), Field("", "record_type", "text"),
    Field("", "record_ids", "json"), Field("", "details", "json"),
    Field("", "staff_ids", "json"), Field("", "status", "text"),
    Field("", "resolution", "text"), Field("", "resolution_note", "text"),
    Field("", "created_at", "ts"),
)

REJECTION_COLUMNS = (
    Field("", "id", "uuid"), Field("", "client_id", "uuid"), Field("", "mutation_id", "int"),
    Field("", "name", "text"), Field("", "code", "text"), Field("", "reason", "text"),
    Field("", "args", "json"), Field("", "staff", "uuid"), Field("", "space", "text"),
    Field("", "status", "text"), Field("", "resolution_note", "text"),
    Field("", "created_at", "ts"),
)


_INSERT_COLUMNS = {"audit_entry": AUDIT_COLUMNS, "sync_conflict": CONFLICT_COLUMNS,
                   "sync_rejection": REJECTION_COLUMNS}


@cache
def insert_sql(d: Dialect, table: str) -> str:
    return upsert_sql(d, table, _INSERT_COLUMNS[table], ignore=True)


def insert_columns(table: str) -> tuple[Field, ...]:
    return _INSERT_COLUMNS[table]


@cache
def insert_json_sql(table: str) -> str:
    """PostgreSQL: :func:`insert_sql` with its rows as one jsonb parameter."""
    return pg_json_sql(table, _INSERT_COLUMNS[table], ignore=True)
