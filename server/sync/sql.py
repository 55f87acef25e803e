# ruff: noqa: S608 - SQL here is assembled from the record mapping's own table and column
# names and numbered placeholders; every value travels as a bound parameter.
"""The SQL of the sync store, for SQLite and PostgreSQL, built once per record type.

Why raw SQL: a push of 1,000 mutations must cost a handful of statements (one per table),
and a pull page must come back as JSON the engine decodes in one call. Reads therefore build
each record's JSON in the database (SQLite ``json_object``, PostgreSQL ``json_build_object``)
and msgspec decodes a whole page straight into :class:`sync.storage.Record` structs; writes
are one ``executemany`` (SQLite) or one ``INSERT … SELECT FROM unnest(…)`` (PostgreSQL) per
table. Only portable upserts (``INSERT … ON CONFLICT (id) DO UPDATE``).

Values are written the way Piccolo writes them, so Piccolo reads the rows back unchanged:
SQLite timestamps as ``str(aware UTC datetime)``, UUIDs as text, booleans as 0/1, JSON as
text; PostgreSQL through asyncpg's own types.
"""

from __future__ import annotations

import math
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any, ClassVar

import msgspec

from server.sync.records import TABLES, Field, Kind, RecordTable

_json_encode = msgspec.json.encode
json_encode = _json_encode
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
BIGINT_MAX = 2**63 - 1


def q(name: str) -> str:
    return f'"{name}"'


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and len(value) == 36 and UUID_RE.fullmatch(value) is not None


def clamp_bigint(n: int) -> int:
    return max(-BIGINT_MAX, min(BIGINT_MAX, int(n)))


def parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def json_text(value: Any) -> str:
    return _json_encode(value).decode()


def uuid7_batch(n: int, now_ms: int | None = None) -> list[str]:
    """``n`` UUIDv7 (RFC 9562) as text: the time in milliseconds first, then a counter in
    ``rand_a`` (ordered within the batch), then random bits — from one call to the OS's
    random source. Time-ordered ids append to the end of a B-tree index instead of landing
    anywhere in it (the audit table grows by 1,000 rows per large push), and they sort by
    creation like the phones' own record ids."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    head = f"{ms & 0xFFFFFFFFFFFF:012x}"
    head = f"{head[:8]}-{head[8:]}-7"
    h = os.urandom(8 * n).hex()
    out = []
    for i in range(n):
        r = h[16 * i:16 * i + 16]
        variant = "89ab"[int(r[0], 16) & 3]
        out.append(f"{head}{i & 0xFFF:03x}-{variant}{r[1:4]}-{r[4:16]}")
    return out


def sqlite_time(value: Any) -> str | None:
    """A timestamp as Piccolo writes it to SQLite: ``str(aware UTC datetime)``."""
    if (value.__class__ is str and len(value) in (25, 32) and value[10] == "T"
            and value.endswith("+00:00")):
        return value[:10] + " " + value[11:]  # already UTC isoformat(): only the "T" differs
    dt = parse_time(value)
    return None if dt is None else str(dt)


class Dialect:
    """What differs between the two databases."""

    name = ""
    array_types: ClassVar[dict[Kind, str]] = {}

    def ph(self, n: int) -> str:
        raise NotImplementedError

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        raise NotImplementedError

    def value(self, f: Field) -> str:
        """The column as a JSON value inside :meth:`obj`."""
        raise NotImplementedError

    def deleted(self, t: RecordTable) -> str:
        raise NotImplementedError

    def field_hlc(self, t: RecordTable) -> str:
        raise NotImplementedError

    def in_list(self, column: str, kind: Kind, n: int) -> str:
        """``column`` is one of the values of parameter ``n`` (see :meth:`list_param`)."""
        raise NotImplementedError

    def list_param(self, values: Sequence[Any]) -> Any:
        raise NotImplementedError

    def converter(self, f: Field) -> Callable[[Any], Any]:
        raise NotImplementedError


def _text(max_length: int, strip_nul: bool) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        s = "" if v is None else (v if isinstance(v, str) else str(v))
        if strip_nul and "\x00" in s:
            s = s.replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL
        return s[:max_length] if max_length and len(s) > max_length else s
    return convert


def _uuid(v: Any) -> Any:
    if v is None or v == "":
        return None
    return str(v) if isinstance(v, uuid.UUID) else v


def _bool(v: Any) -> bool:
    return bool(v)


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def _int(v: Any) -> int:
    return clamp_bigint(int(v or 0))


def _json(v: Any) -> str:
    return json_text(v)


class SQLite(Dialect):
    name = "sqlite"

    def ph(self, n: int) -> str:
        return "?"

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def value(self, f: Field) -> str:
        c = q(f.column)
        if f.kind == "bool":
            return f"json(CASE WHEN {c} THEN 'true' ELSE 'false' END)"
        if f.kind == "ts":
            return f"replace({c}, ' ', 'T')"
        if f.kind == "json":
            return f"json({c})"
        return c

    def deleted(self, t: RecordTable) -> str:
        if t.deleted is None:
            return "json('false')"
        column, inverted = t.deleted
        yes, no = ("'false'", "'true'") if inverted else ("'true'", "'false'")
        return f"json(CASE WHEN {q(column)} THEN {yes} ELSE {no} END)"

    def field_hlc(self, t: RecordTable) -> str:
        return 'json("field_hlc")' if t.has_field_hlc else "json('{}')"

    def in_list(self, column: str, kind: Kind, n: int) -> str:
        return f"{q(column)} IN (SELECT value FROM json_each(?))"

    def list_param(self, values: Sequence[Any]) -> Any:
        return json_text(list(values))

    def converter(self, f: Field) -> Callable[[Any], Any]:
        return {
            "uuid": _uuid, "text": _text(f.max_length, strip_nul=False), "bool": _bool,
            "float": _float, "int": _int, "ts": sqlite_time, "json": _json,
        }[f.kind]


def _pg_ts(v: Any) -> datetime | None:
    return parse_time(v)


# Python's isoformat(): no fraction when the microseconds are 0, else six digits
_PG_TS = (
    "CASE WHEN {c} IS NULL THEN NULL "
    "WHEN extract(microseconds FROM {c})::bigint % 1000000 = 0 THEN "
    "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') "
    "ELSE to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END"
)


class Postgres(Dialect):
    name = "postgres"
    array_types: ClassVar[dict[Kind, str]] = {
        "uuid": "uuid[]", "text": "text[]", "bool": "bool[]", "float": "float8[]",
        "int": "int8[]", "ts": "timestamptz[]", "json": "json[]",
    }

    def ph(self, n: int) -> str:
        return f"${n}"

    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def value(self, f: Field) -> str:
        c = q(f.column)
        if f.kind == "ts":
            return _PG_TS.format(c=c)
        return c

    def deleted(self, t: RecordTable) -> str:
        if t.deleted is None:
            return "false"
        column, inverted = t.deleted
        return f"NOT {q(column)}" if inverted else q(column)

    def field_hlc(self, t: RecordTable) -> str:
        return '"field_hlc"' if t.has_field_hlc else "'{}'::json"

    def in_list(self, column: str, kind: Kind, n: int) -> str:
        return f"{q(column)} = ANY(${n}::{self.array_types[kind]})"

    def list_param(self, values: Sequence[Any]) -> Any:
        return list(values)

    def converter(self, f: Field) -> Callable[[Any], Any]:
        return {
            "uuid": _uuid, "text": _text(f.max_length, strip_nul=True), "bool": _bool,
            "float": _float, "int": _int, "ts": _pg_ts, "json": _json,
        }[f.kind]


SQLITE = SQLite()
POSTGRES = Postgres()


# --- reads ---------------------------------------------------------------------------------

@cache
def record_json(d: Dialect, type_: str) -> str:
    """The SQL expression of one row of ``type_`` as a Record's JSON."""
    t = TABLES[type_]
    data = d.obj([(f.name, d.value(f)) for f in t.fields])
    return d.obj([
        ("type", f"'{t.type}'"), ("id", '"id"'), ("space", '"space"'),
        ("version", '"version"'), ("data", data), ("field_hlc", d.field_hlc(t)),
        ("deleted", d.deleted(t)),
    ])


def cast_text(d: Dialect, expr: str) -> str:
    return f"({expr})::text" if d is POSTGRES else expr


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
    return _json_encode(rows).decode()


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
