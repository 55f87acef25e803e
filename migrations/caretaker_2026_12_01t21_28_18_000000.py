"""Sync streams (schema version 2), the rows — after the schema of the previous migration.

Every row kept: each record's space gains the stream of its type (frozen here: the
declarations may change after this release, this migration must not); a site's version row
becomes one row per stream; audit rows, conflicts and rejections follow their records; tag
codes are stored normalised (NFKC, upper case) unless two keys of a site would then share
one; blob uploads and the photo references of loans are filled from what is stored.

Each step only touches rows not yet moved, so running it again changes nothing."""

import json
import unicodedata
import uuid

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T21:28:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync streams: move every row to its stream's space"


# the stream of each record type in schema version 2 (frozen)
STREAM_OF = {"site": "estate", "building": "estate", "unit": "estate",
             "resident": "residents", "key": "keys", "key_loan": "keys"}
TABLE_OF = {"site": "site", "building": "building", "unit": "unit", "resident": "resident",
            "key": "key_tag", "key_loan": "key_loan"}
STREAMS = ("estate", "residents", "keys", "patrol", "cards", "visits", "desk")
BLOB_UPLOAD_NS = uuid.UUID("5b7f0e2a-3c4d-5e6f-8a9b-0c1d2e3f4a5b")
BLOB_REF_NS = uuid.UUID("2d0c6c1e-7f2a-5b8e-9c3d-4a5b6c7d8e9f")


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
    manager = MigrationManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )
    manager.add_raw(move_to_streams)
    return manager
