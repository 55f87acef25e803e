"""The Piccolo tables hold what the declarations say (sync/domains): every declared field has
a column of a matching type, text columns are at least as long as the declared limit (a value
the checks let through always fits: nothing is cut, nothing fails at the database), nullable
exactly where declared, and the sync columns are there."""

from __future__ import annotations

import pytest
from piccolo.columns import (
    JSON,
    JSONB,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.piccolo_app import APP_CONFIG
from server.sync.records import TABLES
from sync.domains import default_registry
from sync.kit.fields import Field
from sync.kit.records import RecordType

PICCOLO: dict[str, type[Table]] = {t._meta.tablename: t for t in APP_CONFIG.table_classes}

COLUMN_TYPES: dict[str, tuple[type, ...]] = {
    "uuid": (UUID, ForeignKey),
    "text": (Varchar, Text),
    "bool": (Boolean,),
    "float": (Real, DoublePrecision),
    "int": (Integer, BigInt),
    "ts": (Timestamptz,),
    "json": (JSON, JSONB),
    "list": (JSON, JSONB),
}

def _declared() -> list[RecordType]:
    """The synced types and the office's other declared ones (staff)."""
    from server.domains import reference_lists

    types = {t.name: t for t in default_registry().records}
    for lst in reference_lists():
        types.setdefault(lst.type.name, lst.type)
        assert lst.table._meta.tablename == lst.type.table_name, lst.slug
    return list(types.values())


CASES = [(t, f) for t in _declared() for f in t.fields]


def _column(t: RecordType, f: Field) -> object:
    table = PICCOLO[t.table_name]
    column = table._meta.get_column_by_name(f.column)
    assert column is not None, f"{t.table_name} has no column {f.column} for {t.name}.{f.name}"
    return column


def test_every_declared_type_has_its_table() -> None:
    for t in default_registry().records:
        assert t.table_name in PICCOLO, f"no Piccolo table {t.table_name} for {t.name}"
        assert TABLES[t.name].table == t.table_name


@pytest.mark.parametrize(("t", "f"), CASES, ids=[f"{t.name}.{f.name}" for t, f in CASES])
def test_the_column_holds_what_the_field_may(t: RecordType, f: Field) -> None:
    column = _column(t, f)
    assert isinstance(column, COLUMN_TYPES[f.kind]), (
        f"{t.name}.{f.name} is {f.kind} but the column is {type(column).__name__}")
    if isinstance(column, Varchar):
        # a choice holds at most its longest allowed value
        longest = f.max_length or max((len(c) for c in f.choices), default=0)
        assert longest, f"{t.name}.{f.name}: a Varchar column needs a declared limit"
        assert column.length >= longest, (
            f"{t.name}.{f.name}: declared {longest} characters, column {column.length}")
    if f.ref and isinstance(column, ForeignKey):
        target = column._foreign_key_meta.resolved_references._meta.tablename
        declared = default_registry().records[f.ref].table_name \
                if f.ref in default_registry().records else f.ref
        assert target == declared, f"{t.name}.{f.name} references {target}, not {f.ref}"
    assert column._meta.null == f.nullable, (
        f"{t.name}.{f.name}: declared nullable={f.nullable}, column null={column._meta.null}")


@pytest.mark.parametrize("t", list(default_registry().records), ids=lambda t: t.name)
def test_the_sync_columns_are_there(t: RecordType) -> None:
    table = PICCOLO[t.table_name]
    names = {c._meta.name for c in table._meta.columns}
    assert {"id", "space", "version"} <= names
    if TABLES[t.name].has_field_hlc:
        assert "field_hlc" in names
    if t.tombstone is not None:
        assert t.tombstone.flag in names
    space = table._meta.get_column_by_name("space")
    assert isinstance(space, Varchar) and space.length >= 36 + 1 + max(
        len(s) for s in ("estate", "residents", "keys", "patrol", "cards", "visits", "desk"))


def test_a_too_short_column_would_be_caught() -> None:
    """The check above is not vacuous: a declared limit beyond the column fails it."""
    from dataclasses import replace

    t = default_registry().records["key"]
    f = replace(t.field("label"), max_length=10_000)
    with pytest.raises(AssertionError, match="declared 10000"):
        test_the_column_holds_what_the_field_may(t, f)
