"""Sync streams (schema version 2), the schema: ``space`` columns widen to 60 characters;
blob uploads and blob references get tables of their own; a loan's signature column is
indexed; a rejection keeps the mutation name as the phone sent it (text) and names the
argument at fault (``field``).

A record's references to its site, building, unit and key become NOT NULL (they always held a
value; the declarations require them).

SQLite cannot alter a column's type or nullability (without rebuilding the table); it does
not enforce varchar lengths either, so there only the index changes of ``alter_columns`` run
(the manager below): there the required references stay nullable in the schema and are
enforced by the declarations' checks, as every value is.

The rows move in the next migration: Piccolo runs a migration's raw steps before its schema
steps, and the longer spaces need the wider columns first."""


from piccolo.apps.migrations.auto.migration_manager import (
    AlterColumnCollection,
    MigrationManager,
)
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T21:28:17:181501"
VERSION = "1.38.0"
DESCRIPTION = "sync streams: spaces are site x stream"


class StreamsManager(MigrationManager):
    async def run(self, backwards: bool = False) -> None:
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        if engine is not None and engine.engine_type == "sqlite":
            self.alter_columns = AlterColumnCollection(
                [a for a in self.alter_columns.alter_columns if set(a.params) == {"index"}])
        await super().run(backwards=backwards)


async def forwards():
    manager = StreamsManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )

    manager.add_table(
        class_name="BlobUpload",
        tablename="blob_upload",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="BlobRef", tablename="blob_ref", schema=None, columns=None
    )

    manager.add_column(
        table_class_name="BlobUpload",
        tablename="blob_upload",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobUpload",
        tablename="blob_upload",
        column_name="sha256",
        db_column_name="sha256",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobUpload",
        tablename="blob_upload",
        column_name="staff",
        db_column_name="staff",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobUpload",
        tablename="blob_upload",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobRef",
        tablename="blob_ref",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobRef",
        tablename="blob_ref",
        column_name="sha256",
        db_column_name="sha256",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobRef",
        tablename="blob_ref",
        column_name="record_type",
        db_column_name="record_type",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobRef",
        tablename="blob_ref",
        column_name="record_id",
        db_column_name="record_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="BlobRef",
        tablename="blob_ref",
        column_name="space",
        db_column_name="space",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 60,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Rejection",
        tablename="sync_rejection",
        column_name="field",
        db_column_name="field",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 120,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="Site",
        tablename="site",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Building",
        tablename="building",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Unit",
        tablename="unit",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Resident",
        tablename="resident",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyTag",
        tablename="key_tag",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyLoan",
        tablename="key_loan",
        column_name="signature_blob",
        db_column_name="signature_blob",
        params={"index": True},
        old_params={"index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyLoan",
        tablename="key_loan",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="SpaceVersion",
        tablename="space_version",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_entry",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Conflict",
        tablename="sync_conflict",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Rejection",
        tablename="sync_rejection",
        column_name="name",
        db_column_name="name",
        params={},
        old_params={},
        column_class=Text,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Rejection",
        tablename="sync_rejection",
        column_name="space",
        db_column_name="space",
        params={"length": 60},
        old_params={"length": 40},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Building",
        tablename="building",
        column_name="site",
        db_column_name="site",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Unit",
        tablename="unit",
        column_name="site",
        db_column_name="site",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Unit",
        tablename="unit",
        column_name="building",
        db_column_name="building",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Resident",
        tablename="resident",
        column_name="site",
        db_column_name="site",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Resident",
        tablename="resident",
        column_name="unit",
        db_column_name="unit",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyTag",
        tablename="key_tag",
        column_name="site",
        db_column_name="site",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyLoan",
        tablename="key_loan",
        column_name="site",
        db_column_name="site",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="KeyLoan",
        tablename="key_loan",
        column_name="key",
        db_column_name="key",
        params={"null": False},
        old_params={"null": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
