"""Sync streams (schema version 2): spaces become ``<site id>:<stream>``.

Schema: ``space`` columns widen to 60 characters; blob uploads and blob references get
tables of their own; a loan's signature column is indexed; a rejection keeps the mutation
name as the phone sent it (text).

Data, every row kept: each record's space gains the stream of its type (frozen here: the
declarations may change after this release, this migration must not); a site's version
row becomes one row per stream; audit rows, conflicts and rejections follow their records;
tag codes are stored normalised (NFKC, upper case) unless two keys of a site would then
share one; blob uploads and the photo references of loans are filled from what is stored.

SQLite cannot alter a column's type; it does not enforce varchar lengths either, so there
only the index changes of ``alter_columns`` run (the manager below)."""

import json
import unicodedata
import uuid

from piccolo.apps.migrations.auto.migration_manager import (
    AlterColumnCollection,
    MigrationManager,
)
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


# the stream of each record type in schema version 2 (frozen)
STREAM_OF = {"site": "estate", "building": "estate", "unit": "estate",
             "resident": "residents", "key": "keys", "key_loan": "keys"}
TABLE_OF = {"site": "site", "building": "building", "unit": "unit", "resident": "resident",
            "key": "key_tag", "key_loan": "key_loan"}
STREAMS = ("estate", "residents", "keys", "patrol", "cards", "visits", "desk")
BLOB_UPLOAD_NS = uuid.UUID("5b7f0e2a-3c4d-5e6f-8a9b-0c1d2e3f4a5b")
BLOB_REF_NS = uuid.UUID("2d0c6c1e-7f2a-5b8e-9c3d-4a5b6c7d8e9f")


class StreamsManager(MigrationManager):
    async def run(self, backwards: bool = False) -> None:
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        if engine is not None and engine.engine_type == "sqlite":
            self.alter_columns = AlterColumnCollection(
                [a for a in self.alter_columns.alter_columns if set(a.params) == {"index"}])
        await super().run(backwards=backwards)


def _text(value) -> str:
    return str(value)


async def _rows(engine, sql: str) -> list:
    return list(await engine.run_ddl(sql) or [])


async def move_to_streams() -> None:
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    pg = engine.engine_type == "postgres"
    cast = "::text" if pg else ""
    # 1. records: the site they belong to, then its stream
    for type_, stream in STREAM_OF.items():
        table = TABLE_OF[type_]
        site = "id" if type_ == "site" else "site"
        await engine.run_ddl(
            f"UPDATE {table} SET space = {site}{cast} || ':{stream}' "  # noqa: S608
            f"WHERE space NOT LIKE '%:%'")
    # 2. one version row per stream of each site (a pull starts every space from 0 anyway)
    for row in await _rows(engine, "SELECT space, version FROM space_version "
                                   "WHERE space <> 'org' AND space NOT LIKE '%:%'"):
        old, version = _text(row["space"]), int(row["version"])
        for stream in STREAMS:
            await engine.run_ddl(
                f"INSERT INTO space_version (space, version) VALUES "  # noqa: S608
                f"('{old}:{stream}', {version}) ON CONFLICT (space) DO NOTHING")
        await engine.run_ddl(f"DELETE FROM space_version WHERE space = '{old}'")  # noqa: S608
    # 3. audit rows, conflicts and rejections follow their records
    for type_, stream in STREAM_OF.items():
        await engine.run_ddl(
            f"UPDATE audit_entry SET space = space || ':{stream}' "  # noqa: S608
            f"WHERE record_type = '{type_}' AND space NOT LIKE '%:%' AND space <> 'org'")
        await engine.run_ddl(
            f"UPDATE sync_conflict SET space = space || ':{stream}' "  # noqa: S608
            f"WHERE record_type = '{type_}' AND space NOT LIKE '%:%' AND space <> 'org'")
    await engine.run_ddl("UPDATE audit_entry SET space = space || ':keys' "
                         "WHERE record_type IN ('conflict', 'rejection') "
                         "AND space NOT LIKE '%:%' AND space NOT IN ('', 'org')")
    await engine.run_ddl("UPDATE sync_rejection SET space = space || ':keys' "
                         "WHERE name LIKE 'key.%' AND space NOT LIKE '%:%' "
                         "AND space NOT IN ('', 'org')")
    # 4. tag codes in their normal form (unless that would give two keys one code)
    keys = await _rows(engine, "SELECT id, site, code FROM key_tag")
    taken = {(_text(k["site"]), k["code"]) for k in keys}
    for k in keys:
        code = " ".join(unicodedata.normalize("NFKC", k["code"]).split()).upper()
        site = _text(k["site"])
        if code != k["code"] and (site, code) not in taken:
            taken.add((site, code))
            await engine.run_ddl(
                "UPDATE key_tag SET code = '" + code.replace("'", "''") + "' "  # noqa: S608
                f"WHERE id = '{_text(k['id'])}'")
    # 5. who uploaded each blob; the photos loans name
    for row in await _rows(engine, "SELECT sha256, uploaded_by FROM blob "
                                   "WHERE uploaded_by IS NOT NULL"):
        sha, staff = _text(row["sha256"]), _text(row["uploaded_by"])
        rid = uuid.uuid5(BLOB_UPLOAD_NS, f"{sha}:{staff}")
        await engine.run_ddl(
            "INSERT INTO blob_upload (id, sha256, staff, created_at) VALUES "  # noqa: S608
            f"('{rid}', '{sha}', '{staff}', CURRENT_TIMESTAMP) ON CONFLICT (id) DO NOTHING")
    for row in await _rows(engine, "SELECT id, space, return_photos FROM key_loan"):
        photos = row["return_photos"]
        photos = json.loads(photos) if isinstance(photos, str) else (photos or [])
        for sha in photos:
            if not (isinstance(sha, str) and len(sha) == 64 and sha.isalnum()):
                continue
            loan = _text(row["id"])
            rid = uuid.uuid5(BLOB_REF_NS, f"key_loan:{loan}:{sha}")
            await engine.run_ddl(
                "INSERT INTO blob_ref (id, sha256, record_type, record_id, space) "  # noqa: S608
                f"VALUES ('{rid}', '{sha}', 'key_loan', '{loan}', '{_text(row['space'])}') "
                "ON CONFLICT (id) DO NOTHING")


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

    manager.add_raw(move_to_streams)
    return manager
