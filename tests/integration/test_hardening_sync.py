"""Hardening, queue and data safety (issue 8, defects 1–6), on SQLite and PostgreSQL: what a
phone sends can never wedge its queue or slip past the rules, and what is stored never makes
a page fail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from server.keys.tables import KeyLoan, KeyTag
from server.sync import store as store_module
from server.sync.tables import Rejection
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.sync_support import PULL, PUSH, db_snapshot, lend_args, phone


async def _push(client: Any, p: Any, *mutations: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    r = await client.post(PUSH, headers=p.headers,
                          json=p.body([p.mutation(name, args) for name, args in mutations]))
    assert r.status_code == 200, r.text
    return r.json()


async def _rejections(client: Any, p: Any) -> list[dict[str, Any]]:
    r = await client.post(PULL, headers=p.headers, json={
        "client_id": p.client_id, "schema_version": 2})
    assert r.status_code == 200, r.text
    return r.json()["rejections"]


def _register(site: str, **extra: Any) -> dict[str, Any]:
    return {"key_id": str(uuid.uuid4()), "site_id": site, "code": f"K-{uuid.uuid4().hex[:6]}",
            "label": "大堂", "category": "public_area", **extra}


@pytest.fixture
async def desk(factory: Any, settings: Any) -> dict[str, Any]:
    site, other = await factory.site(code="HYG"), await factory.site(code="JHT")
    staff = await factory.staff("desk", role="front_desk", sites=(site,))
    unit = await factory.unit(site, number="A-12C")
    return {"site": site, "other": other, "staff": staff, "unit": unit,
            "other_unit": await factory.unit(other, number="B-1"),
            "key": await factory.key(site, code="HYG-K001"),
            "phone": await phone(settings, staff)}


# --- 1. a unit that does not exist; a write that fails on one mutation -----------------

async def test_1_an_unknown_unit_is_a_rejection_and_the_queue_moves_on(client, desk) -> None:
    p = desk["phone"]
    answer = await _push(client, p, ("key.register", _register(desk["site"],
                                                               unit_id=str(uuid.uuid4()))),
                         ("key.lend", lend_args(desk["key"])))
    assert answer == {"last_mutation_id": 2, "applied": 1, "rejected": 1, "conflicts": 0}
    (rejection,) = await _rejections(client, p)
    assert (rejection["code"], rejection["mutation_id"]) == ("unknown_unit", 1)


async def test_1_a_write_failing_on_one_mutation_is_isolated(client, desk, monkeypatch) -> None:
    """Fault injection: the store's write raises an integrity error whenever its batch holds
    one particular loan. The push answers 200, the other loans apply, that one comes back
    as a ``mutation_failed`` rejection with a readable reason, and the next push works."""
    p = desk["phone"]
    bad = str(uuid.uuid4())
    real_write = store_module.SqlPushStore.write

    async def failing_write(self: Any, batch: Any) -> None:
        if any(rec.id == bad for rec in batch.puts):
            import sqlite3

            raise sqlite3.IntegrityError("FOREIGN KEY constraint failed (injected)")
        await real_write(self, batch)

    monkeypatch.setattr(store_module.SqlPushStore, "write", failing_write)
    keys = [desk["key"], *[str(uuid.uuid4()) for _ in range(3)]]
    mutations = [("key.register", _register(desk["site"], key_id=k)) for k in keys[1:]]
    loans = [str(uuid.uuid4()) for _ in keys]
    loans[2] = bad
    mutations += [("key.lend", lend_args(k, loan)) for k, loan in zip(keys, loans, strict=True)]
    answer = await _push(client, p, *mutations)
    assert answer["last_mutation_id"] == 7
    assert (answer["applied"], answer["rejected"]) == (6, 1)
    (rejection,) = await _rejections(client, p)
    assert rejection["code"] == "mutation_failed" and rejection["mutation_id"] == 6
    assert "IntegrityError" in rejection["reason"]
    stored = {str(r["id"]) for r in await KeyLoan.select(KeyLoan.id)}
    assert stored == set(loans) - {bad}
    monkeypatch.setattr(store_module.SqlPushStore, "write", real_write)
    answer = await _push(client, p, ("key.lend", lend_args(keys[1])))
    assert answer["applied"] == 1 and answer["last_mutation_id"] == 8


# --- 2. dates -----------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("due_at", "9999-01-01T00:00:00+00:00"),
    ("lent_at", "0001-01-01T00:00:00+14:00"),
    ("due_at", "1999-12-31T23:00:00-05:00"),
])
async def test_2_a_date_out_of_range_is_invalid_args(client, desk, db, field: str,
                                                     value: str) -> None:
    p = desk["phone"]
    answer = await _push(client, p, ("key.lend", lend_args(desk["key"], **{field: value})))
    assert answer["rejected"] == 1
    (rejection,) = await _rejections(client, p)
    assert (rejection["code"], rejection["field"]) == ("invalid_args", field)
    assert await KeyLoan.count() == 0


async def test_2_office_pages_show_any_stored_date(client, factory, desk) -> None:
    """A loan stored before the check (year 9999, year 1) still renders everywhere."""
    boss = await factory.staff("boss", role="supervisor", sites=(desk["site"],))
    far = await factory.key_loan(desk["key"], boss, hours_ago=1)
    await KeyLoan.update({KeyLoan.due_at: datetime(9999, 12, 31, 23, 0, tzinfo=UTC)}).where(
        KeyLoan.id == far)
    old = await factory.key_loan(desk["key"], boss, hours_ago=2)
    await KeyLoan.update({KeyLoan.lent_at: datetime(1, 1, 2, tzinfo=UTC)}).where(
        KeyLoan.id == old)
    await sign_in(client, "boss", TEST_PASSWORD)
    for url in ("/office/keys/loans", "/office/keys/loans?status=overdue",
                "/office/keys/loans?status=out&date_from=0001-01-01&date_to=9999-12-31",
                "/office/keys/loans/export", f"/office/keys/loans/{far}",
                f"/office/keys/loans/{old}", f"/office/records/key_loan/{far}",
                "/office", f"/office/keys/{desk['key']}"):
        r = await client.get(url)
        assert r.status_code == 200, (url, r.status_code)


# --- 3. text longer than its column -------------------------------------------------------

async def test_3_text_longer_than_declared_is_refused_never_cut(client, desk, db) -> None:
    p = desk["phone"]
    before = await db_snapshot(db.engine)
    answer = await _push(client, p, ("key.lend", lend_args(desk["key"], purpose="維" * 256)))
    assert answer["rejected"] == 1
    (rejection,) = await _rejections(client, p)
    assert (rejection["code"], rejection["field"]) == ("invalid_args", "purpose")
    assert "255" in rejection["reason"]
    after = await db_snapshot(db.engine)
    assert {k: v for k, v in after.items() if k not in ("sync_client", "sync_rejection")} == \
        {k: v for k, v in before.items() if k not in ("sync_client", "sync_rejection")}


# --- 4. deeply nested JSON ----------------------------------------------------------------

async def test_4_deeply_nested_json_is_400_invalid_json(client, desk) -> None:
    p = desk["phone"]
    nested = "[" * 1000 + "]" * 1000
    headers = {**p.headers, "content-type": "application/json"}
    push = ('{"client_id": "' + p.client_id + '", "schema_version": 2, "mutations": '
            '[{"id": 1, "name": "key.lend", "hlc": "1", "args": {"x": ' + nested + '}}]}')
    pull = ('{"client_id": "' + p.client_id + '", "schema_version": 2, "cookie": ' + nested
            + '}')
    r = await client.post(PUSH, headers=headers, content=push.encode())
    assert r.status_code == 400 and r.json()["code"] == "invalid_json", r.text[:200]
    # where the protocol wants a string, the nesting is a wrong type first
    r = await client.post(PULL, headers=headers, content=pull.encode())
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text[:200]


# --- 5. references across sites, codes in use ---------------------------------------------

async def test_5_a_key_never_points_at_a_unit_of_another_site(client, desk) -> None:
    p = desk["phone"]
    answer = await _push(
        client, p,
        ("key.register", _register(desk["site"], unit_id=desk["other_unit"])),
        ("key.update", {"key_id": desk["key"], "fields": {"unit_id": desk["other_unit"]}}),
        ("key.register", _register(desk["site"], code="hyg-k001")),  # the code in use
        ("key.update", {"key_id": desk["key"], "fields": {"unit_id": desk["unit"]}}))
    assert (answer["applied"], answer["rejected"]) == (1, 3)
    codes = [r["code"] for r in await _rejections(client, p)]
    assert codes == ["unknown_unit", "unknown_unit", "code_in_use"]
    key = await KeyTag.select(KeyTag.unit).where(KeyTag.id == desk["key"]).first()
    assert str(key["unit"]) == desk["unit"]


# --- 6. blobs -----------------------------------------------------------------------------

async def test_6_a_blob_never_uploaded_is_refused_and_never_readable(client, factory,
                                                                     settings, desk) -> None:
    p = desk["phone"]
    stranger = "d" * 64
    answer = await _push(client, p, ("key.lend", lend_args(desk["key"],
                                                           signature_blob=stranger)))
    assert answer["rejected"] == 1
    (rejection,) = await _rejections(client, p)
    assert rejection["code"] == "unknown_blob"
    assert await KeyLoan.count() == 0
    colleague = await phone(settings, await factory.staff("desk2", role="front_desk",
                                                          sites=(desk["site"],)))
    r = await client.get(f"/api/v1/blobs/{stranger}", headers=colleague.headers)
    assert r.status_code == 404
    assert await Rejection.count() == 1
