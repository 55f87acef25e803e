"""Record types of sync protocol v1 and the tables that hold them.

The engine sees records as :class:`sync.storage.Record` (type, id, space, version, ``data`` of
JSON values, ``field_hlc``, ``deleted``); each type is one table here. This module is the one
place that knows which column holds which field, how each column is typed, and what makes a
row a tombstone. The SQL built from it lives in :mod:`server.sync.sql`.

Field names follow the engine's domain modules (``site_id``, ``key_id`` …: a foreign key's
field carries ``_id``, its column does not). Datetimes travel as ISO-8601 strings in UTC,
exactly as ``datetime.astimezone(UTC).isoformat()`` writes them, on both databases.

Scoping: a record's ``space`` is its site id (``org`` for organisation-wide records). A
``conflict`` record lives in the space (site) where it was raised: every device of that site
receives it, ``staff_ids`` names the people involved (their phones highlight it), and a
resolution by the office sends it again with its new ``status``, ``resolution`` and
``resolution_note`` (the fields of :func:`sync.storage.conflict_record`, plus those two).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal["uuid", "text", "bool", "float", "int", "ts", "json"]


class Field(NamedTuple):
    name: str  # key in Record.data
    column: str
    kind: Kind
    max_length: int = 0  # varchar length (PostgreSQL enforces it); 0 = unbounded
    nullable: bool = False


class RecordTable(NamedTuple):
    type: str
    table: str
    fields: tuple[Field, ...]
    # how a tombstone is stored: ("active", True) = active is false for deleted rows,
    # ("voided", False) = voided is true; None = the type has no tombstones
    deleted: tuple[str, bool] | None
    has_field_hlc: bool
    has_updated_at: bool = True
    writable: bool = True  # pushes may write it (conflicts are written as ConflictRows)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.type} has no field {name!r}")


def _f(name: str, kind: Kind = "text", max_length: int = 0, *, column: str = "",
       nullable: bool = False) -> Field:
    return Field(name, column or name, kind, max_length, nullable)


def _fk(name: str, *, nullable: bool = False) -> Field:
    return Field(name, name.removesuffix("_id"), "uuid", 0, nullable)


SITE = RecordTable("site", "site", (
    _f("code", max_length=20), _f("name", max_length=120), _f("address", max_length=255),
), deleted=("active", True), has_field_hlc=False)

BUILDING = RecordTable("building", "building", (
    _fk("site_id"), _f("code", max_length=20), _f("name", max_length=120),
), deleted=("active", True), has_field_hlc=False)

UNIT = RecordTable("unit", "unit", (
    _fk("site_id"), _fk("building_id"), _f("number", max_length=40),
    _f("floor", max_length=10), _f("area", "float", nullable=True), _f("use", max_length=20),
), deleted=("active", True), has_field_hlc=False)

RESIDENT = RecordTable("resident", "resident", (
    _fk("site_id"), _fk("unit_id"), _f("name", max_length=120), _f("phone", max_length=40),
    _f("relation", max_length=20), _f("id_type", max_length=20), _f("id_last4", max_length=4),
    _f("notes"),
), deleted=("active", True), has_field_hlc=False)

KEY = RecordTable("key", "key_tag", (
    _fk("site_id"), _f("code", max_length=40), _f("label", max_length=120),
    _f("category", max_length=20), _fk("unit_id", nullable=True), _f("notes"),
    _f("retired", "bool"),
), deleted=None, has_field_hlc=True)  # a retired key stays on phones: loans refer to it

KEY_LOAN = RecordTable("key_loan", "key_loan", (
    _fk("site_id"), _fk("key_id"),
    _f("borrower_name", max_length=120), _f("borrower_phone", max_length=40),
    _f("borrower_kind", max_length=20), _f("id_type", max_length=20),
    _f("id_last4", max_length=4), _f("purpose", max_length=255),
    _f("approver", max_length=120), _f("owner_consent", max_length=255),
    _f("deposit", max_length=60), _f("lent_at", "ts"), _f("due_at", "ts"),
    _f("signature_blob", max_length=64), _f("lent_by", "uuid"),
    _f("lent_device", "uuid", nullable=True), _f("lent_hlc", max_length=32),
    _f("returned_at", "ts", nullable=True), _f("returned_by", max_length=120),
    _f("return_notes"), _f("return_photos", "json"),
    _f("return_recorded_by", "uuid", nullable=True), _f("return_hlc", max_length=32),
    _f("voided", "bool"), _f("void_reason"), _f("voided_by", "uuid", nullable=True),
), deleted=("voided", False), has_field_hlc=True)

CONFLICT = RecordTable("conflict", "sync_conflict", (
    _f("kind", max_length=40), _f("record_type", max_length=40), _f("record_ids", "json"),
    _f("details", "json"), _f("staff_ids", "json"), _f("created_at", "ts"),
    _f("status", max_length=20), _f("resolution", max_length=40), _f("resolution_note"),
), deleted=None, has_field_hlc=False, has_updated_at=False, writable=False)

TABLES: dict[str, RecordTable] = {
    t.type: t for t in (SITE, BUILDING, UNIT, RESIDENT, KEY, KEY_LOAN, CONFLICT)
}
# pulls send records in (version, type, id) order: the types sorted by name
TYPES_SORTED: tuple[str, ...] = tuple(sorted(TABLES))


def table_of(type_: str) -> RecordTable:
    try:
        return TABLES[type_]
    except KeyError:
        raise KeyError(f"unknown record type {type_!r}") from None
