"""Upgrading a database of the previous release (schema version 1: a space per site) to sync
streams, on SQLite and PostgreSQL: every row is kept, every record lands in its stream's
space, version rows are split per stream, tag codes are normalised (unless that would give
two keys of a site one code), blob uploads and photo references are filled in — and the
server then syncs from the upgraded database."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from piccolo.apps.migrations.commands.forwards import run_forwards

from server import db as dbmod
from server.settings import load_settings
from tests.conftest import DATABASES, PG_BASE, _create_pg_database, _drop_pg_database

PREVIOUS_RELEASE = "2026-11-28T01:53:23:625182"  # the last migration of schema version 1

S1, S2 = str(uuid.uuid4()), str(uuid.uuid4())
B1, U1, R1 = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
K_WIDE, K_TAKEN, K_PLAIN, K2 = (str(uuid.uuid4()) for _ in range(4))
L1, L2 = str(uuid.uuid4()), str(uuid.uuid4())
DESK, SUPER = str(uuid.uuid4()), str(uuid.uuid4())
CLIENT = str(uuid.uuid4())
PHOTO = hashlib.sha256(b"photo").hexdigest()
SIG = hashlib.sha256(b"signature").hexdigest()
T = "2026-03-02T01:00:00+00:00"


@pytest.fixture(params=DATABASES)
async def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A database migrated only to the previous release."""
    kind = request.param
    if kind == "postgres":
        name = f"caretaker_upgrade_{os.getpid()}"
        await _create_pg_database(name)
        url = f"{PG_BASE}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = dbmod.make_engine(url)
    await dbmod.start(engine)
    dbmod.bind(engine)
    result = await run_forwards("caretaker", migration_id=PREVIOUS_RELEASE)
    assert result.success, result.message
    yield kind, url, engine
    await dbmod.stop(engine)
    if kind == "postgres":
        await _drop_pg_database(name)


def _rows(pg: bool) -> list[str]:
    """The previous release's rows, as that release wrote them (spaces = site ids)."""
    true, false = ("TRUE", "FALSE")
    data = "'\\x89504e47'::bytea" if pg else "X'89504E47'"
    stamp = f"'{T}', '{T}'"
    return [
        f"INSERT INTO site (id, code, name, address, active, space, version, created_at, "
        f"updated_at) VALUES ('{S1}', 'HYG', '海悅花園', '', {true}, '{S1}', 5, {stamp}), "
        f"('{S2}', 'JHT', '景華臺', '', {true}, '{S2}', 2, {stamp})",
        f"INSERT INTO building (id, site, code, name, active, space, version, created_at, "
        f"updated_at) VALUES ('{B1}', '{S1}', 'A', '第1座', {true}, '{S1}', 1, {stamp})",
        f"INSERT INTO unit (id, site, building, number, floor, area, use, active, space, "
        f"version, created_at, updated_at) VALUES ('{U1}', '{S1}', '{B1}', 'A-12C', '12', "
        f"50.5, 'residential', {true}, '{S1}', 1, {stamp})",
        f"INSERT INTO resident (id, site, unit, name, phone, relation, id_type, id_last4, "
        f"notes, active, space, version, created_at, updated_at) VALUES ('{R1}', '{S1}', "
        f"'{U1}', '陳大文', '91234567', 'owner', 'hkid', '123A', '', {true}, '{S1}', 2, "
        f"{stamp})",
        "INSERT INTO staff (id, username, display_name, password_hash, role, phone, language, "
        f"active, created_at, updated_at) VALUES ('{DESK}', 'desk', '黃嘉欣', 'x', "
        f"'front_desk', '', 'zh_Hant', {true}, {stamp}), ('{SUPER}', 'office', '李美玲', 'x', "
        f"'supervisor', '', 'zh_Hant', {true}, {stamp})",
        f"INSERT INTO staff_site (id, staff, site, created_at) VALUES ('{uuid.uuid4()}', "
        f"'{DESK}', '{S1}', '{T}'), ('{uuid.uuid4()}', '{SUPER}', '{S1}', '{T}'), "
        f"('{uuid.uuid4()}', '{SUPER}', '{S2}', '{T}')",
        # a full-width code that normalises to a free one; one whose normal form is taken
        "INSERT INTO key_tag (id, site, code, label, category, unit, notes, retired, "
        f"field_hlc, space, version, created_at, updated_at) VALUES "
        f"('{K_WIDE}', '{S1}', 'ｈｙｇ－ｋ１', '業主寄存', 'owner_deposited', '{U1}', '', {false}, "
        f"'{{}}', '{S1}', 3, {stamp}), "
        f"('{K_TAKEN}', '{S1}', 'hyg-k2', '大堂', 'public_area', NULL, '', {false}, '{{}}', "
        f"'{S1}', 3, {stamp}), "
        f"('{K_PLAIN}', '{S1}', 'HYG-K2', '機房', 'equipment_room', NULL, '', {false}, '{{}}', "
        f"'{S1}', 3, {stamp}), "
        f"('{K2}', '{S2}', 'JHT-K1', '機房', 'equipment_room', NULL, '', {false}, '{{}}', "
        f"'{S2}', 1, {stamp})",
        "INSERT INTO key_loan (id, site, key, borrower_name, borrower_phone, borrower_kind, "
        "id_type, id_last4, purpose, approver, owner_consent, deposit, lent_at, due_at, "
        "signature_blob, lent_by, lent_device, lent_hlc, returned_at, returned_by, "
        "return_notes, return_photos, return_recorded_by, return_hlc, voided, void_reason, "
        "voided_by, field_hlc, space, version, created_at, updated_at) VALUES "
        f"('{L1}', '{S1}', '{K_WIDE}', '張三', '', 'contractor', 'hkid', '123A', '維修', '', "
        f"'業主來電同意', '', '{T}', '2026-03-02T09:00:00+00:00', '{SIG}', '{DESK}', NULL, "
        f"'1772413200000-0000-000000000001', '2026-03-02T02:00:00+00:00', '張三', '', "
        f"'[\"{PHOTO}\"]', '{DESK}', '1772416800000-0000-000000000001', {false}, '', NULL, "
        f"'{{}}', '{S1}', 4, {stamp}), "
        f"('{L2}', '{S1}', '{K_PLAIN}', '李四', '', 'staff', 'none', '', '', '', '', '', "
        f"'{T}', '2026-03-02T09:00:00+00:00', '', '{DESK}', NULL, '', NULL, '', '', '[]', "
        f"NULL, '', {false}, '', NULL, '{{}}', '{S1}', 5, {stamp})",
        "INSERT INTO space_version (space, version) VALUES "
        f"('org', 1), ('{S1}', 5), ('{S2}', 2)",
        "INSERT INTO audit_entry (id, record_type, record_id, space, version, action, staff, "
        "device_hlc, server_time, changes) VALUES "
        f"('{uuid.uuid4()}', 'key_loan', '{L1}', '{S1}', 4, 'key.lend', '{DESK}', '', '{T}', "
        f"'{{}}'), ('{uuid.uuid4()}', 'resident', '{R1}', '{S1}', 2, 'office.update', "
        f"'{SUPER}', '', '{T}', '{{}}'), ('{uuid.uuid4()}', 'site', '{S1}', 'org', 1, "
        f"'office.create', '{SUPER}', '', '{T}', '{{}}')",
        "INSERT INTO sync_conflict (id, kind, space, version, record_type, record_ids, "
        "details, staff_ids, status, resolution, resolution_note, created_at) VALUES "
        f"('{uuid.uuid4()}', 'double_loan', '{S1}', 5, 'key_loan', '[\"{L1}\", \"{L2}\"]', "
        f"'{{}}', '[]', 'open', '', '', '{T}')",
        "INSERT INTO sync_rejection (id, client_id, mutation_id, name, code, reason, args, "
        "staff, space, status, resolution_note, created_at) VALUES "
        f"('{uuid.uuid4()}', '{CLIENT}', 3, 'key.lend', 'unknown_key', 'no key', '{{}}', "
        f"'{DESK}', '{S1}', 'open', '', '{T}')",
        "INSERT INTO blob (sha256, content_type, size, data, uploaded_by, created_at, note) "
        f"VALUES ('{PHOTO}', 'image/jpeg', 4, {data}, '{DESK}', '{T}', ''), "
        f"('{SIG}', 'image/png', 4, {data}, '{DESK}', '{T}', '')",
    ]


TABLES = ("site", "building", "unit", "resident", "staff", "staff_site", "key_tag", "key_loan",
          "audit_entry", "sync_conflict", "sync_rejection", "blob")


async def _count(engine: Any, table: str) -> int:
    rows = await engine.run_ddl(f"SELECT COUNT(*) AS n FROM {table}")
    return int(rows[0]["n"])


async def _pairs(engine: Any, sql: str) -> dict[str, Any]:
    return {str(r["k"]): r["v"] for r in await engine.run_ddl(sql)}


async def test_the_previous_release_upgrades_with_every_row_kept(old_db) -> None:
    kind, url, engine = old_db
    for sql in _rows(kind == "postgres"):
        await engine.run_ddl(sql)
    before = {t: await _count(engine, t) for t in TABLES}
    names = await _pairs(engine, "SELECT id AS k, borrower_name AS v FROM key_loan")

    await dbmod.migrate(engine)  # the rest: this release's migrations

    assert {t: await _count(engine, t) for t in TABLES} == before  # nothing lost
    assert await _pairs(engine, "SELECT id AS k, borrower_name AS v FROM key_loan") == names
    spaces = {}
    for table in ("site", "building", "unit", "resident", "key_tag", "key_loan"):
        spaces.update(await _pairs(engine, f"SELECT id AS k, space AS v FROM {table}"))
    assert spaces == {
        S1: f"{S1}:estate", S2: f"{S2}:estate", B1: f"{S1}:estate", U1: f"{S1}:estate",
        R1: f"{S1}:residents", K_WIDE: f"{S1}:keys", K_TAKEN: f"{S1}:keys",
        K_PLAIN: f"{S1}:keys", K2: f"{S2}:keys", L1: f"{S1}:keys", L2: f"{S1}:keys"}
    versions = await _pairs(engine, "SELECT space AS k, version AS v FROM space_version")
    streams = ("estate", "residents", "keys", "patrol", "cards", "visits", "desk")
    assert versions == {"org": 1, **{f"{S1}:{s}": 5 for s in streams},
                        **{f"{S2}:{s}": 2 for s in streams}}
    audit = await _pairs(engine, "SELECT record_type AS k, space AS v FROM audit_entry")
    assert audit == {"key_loan": f"{S1}:keys", "resident": f"{S1}:residents", "site": "org"}
    assert await _pairs(engine, "SELECT kind AS k, space AS v FROM sync_conflict") == {
        "double_loan": f"{S1}:keys"}
    assert await _pairs(engine, "SELECT code AS k, space AS v FROM sync_rejection") == {
        "unknown_key": f"{S1}:keys"}
    codes = await _pairs(engine, "SELECT id AS k, code AS v FROM key_tag")
    assert codes == {K_WIDE: "HYG-K1", K_TAKEN: "hyg-k2", K_PLAIN: "HYG-K2", K2: "JHT-K1"}
    uploads = await engine.run_ddl("SELECT sha256, staff FROM blob_upload")
    assert sorted((r["sha256"], str(r["staff"])) for r in uploads) == sorted(
        [(PHOTO, DESK), (SIG, DESK)])
    refs = await engine.run_ddl("SELECT sha256, record_type, record_id, space FROM blob_ref")
    assert [(r["sha256"], r["record_type"], str(r["record_id"]), r["space"]) for r in refs] \
        == [(PHOTO, "key_loan", L1, f"{S1}:keys")]
    # running the migrations again changes nothing
    await dbmod.migrate(engine)
    assert await _pairs(engine, "SELECT id AS k, code AS v FROM key_tag") == codes

    # and the server syncs from it: the front desk of site one receives its streams
    from server.app import create_app
    from tests.integration.sync_support import phone, pull_all

    settings = load_settings({"DATABASE_URL": url, "CARETAKER_DEMO": "false",
                              "CARETAKER_SECRET_KEY": "test-secret-key-" + "x" * 40})
    app = create_app(settings, engine=engine)
    p = await phone(settings, DESK)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        await pull_all(c, p)
        got = {(t, i) for (t, i) in p.replica}
        assert {("key_loan", L1), ("key_loan", L2), ("resident", R1), ("key", K_WIDE),
                ("site", S1), ("unit", U1)} <= got
        assert not any(i in (S2, K2) for _t, i in got)
        photo = await c.get(f"/api/v1/blobs/{PHOTO}", headers=p.headers)
        assert photo.status_code == 200
