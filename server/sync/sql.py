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

import os
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar

import msgspec

from server.sync.records import TABLES, Column, Kind, RecordTable
from sync.storage import Record, RejectionRow

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


class Dialect(ABC):
    """What differs between the two databases (each method is one SQL dialect choice)."""

    name = ""
    array_types: ClassVar[dict[Kind, str]] = {}

    @abstractmethod
    def ph(self, n: int) -> str:
        ...

    @abstractmethod
    def obj(self, pairs: Sequence[tuple[str, str]]) -> str:
        ...

    @abstractmethod
    def value(self, f: Column) -> str:
        """The column as a JSON value inside :meth:`obj`."""
        ...

    @abstractmethod
    def deleted(self, t: RecordTable) -> str:
        ...

    @abstractmethod
    def field_hlc(self, t: RecordTable) -> str:
        ...

    @abstractmethod
    def in_list(self, column: str, kind: Kind, n: int) -> str:
        """``column`` is one of the values of parameter ``n`` (see :meth:`list_param`)."""
        ...

    @abstractmethod
    def list_param(self, values: Sequence[Any]) -> Any:
        ...

    @abstractmethod
    def converter(self, f: Column) -> Callable[[Any], Any]:
        ...


class StoreRefused(ValueError):
    """A value the declarations should have refused reached the store: never cut, never
    changed — the write fails (and the push isolates the mutation that carried it)."""


def _text(name: str, max_length: int) -> Callable[[Any], Any]:
    def convert(v: Any) -> Any:
        s = "" if v is None else v
        if s.__class__ is not str:
            raise StoreRefused(f"{name}: not text: {type(v).__name__}")
        if max_length and len(s) > max_length:
            raise StoreRefused(f"{name}: {len(s)} characters, at most {max_length}")
        if "\x00" in s:
            raise StoreRefused(f"{name}: a NUL character")
        return s
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

    def value(self, f: Column) -> str:
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

    def converter(self, f: Column) -> Callable[[Any], Any]:
        return {
            "uuid": _uuid, "text": _text(f.column, f.max_length), "bool": _bool,
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

    def value(self, f: Column) -> str:
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

    def converter(self, f: Column) -> Callable[[Any], Any]:
        return {
            "uuid": _uuid, "text": _text(f.column, f.max_length), "bool": _bool,
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


# --- helpers of the sync store's statements --------------------------------------------------

_records = msgspec.json.Decoder(list[Record])
decode_rejections = msgspec.json.Decoder(list[RejectionRow])
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def id_out(d: Dialect) -> str:
    # SQLite: text without Piccolo's UUID converter (a Python call per row); PostgreSQL: the
    # uuid itself (binary, and it sorts like the canonical text)
    return "id" if d is POSTGRES else "CAST(id AS TEXT)"


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(
        c in "0123456789abcdef" for c in value)


def printable(text: str) -> str:
    """Text from a phone that is not a record (an unknown mutation's name, a reason quoting
    it): PostgreSQL text cannot hold NUL, so NUL shows as U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def decode_records(texts: list[str]) -> list[Record]:
    if not texts:
        return []
    return _records.decode("[" + ",".join(texts) + "]")


class Params:
    """Positional parameters for one statement (``?`` or ``$n``)."""

    def __init__(self, d: Dialect) -> None:
        self.d = d
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        return self.d.ph(len(self.values))

    def add_list(self, column: str, kind: Any, values: Sequence[Any]) -> str:
        self.values.append(self.d.list_param(values))
        return self.d.in_list(column, kind, len(self.values))
