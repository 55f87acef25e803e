"""Push (protocol v1) on the real server: exactly-once, gaps, audit, conflicts, rejections,
and rows that Piccolo reads back as it would have written them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.keys.tables import KeyLoan
from server.sync.spaces import space_of
from server.sync.tables import AuditEntry, Conflict, Rejection, SpaceVersion, SyncClient
from tests.integration.sync_support import (
    PUSH,
    T0,
    db_snapshot,
    lend_args,
    phone,
    pull_all,
)


async def _desk(factory, settings, role="front_desk"):
    site = await factory.site()
    staff = await factory.staff(role=role, sites=(site,))
    return site, staff, await phone(settings, staff)


async def test_a_retried_push_applies_nothing_twice(client, factory, settings, db) -> None:
    site, _staff, p = await _desk(factory, settings)
    keys = [await factory.key(site) for _ in range(3)]
    body = p.body([p.mutation("key.lend", lend_args(k)) for k in keys])
    r = await client.post(PUSH, headers=p.headers, json=body)
    assert r.status_code == 200
    assert r.json() == {"last_mutation_id": 3, "applied": 3, "rejected": 0, "conflicts": 0}
    before = await db_snapshot(db.engine)
    # the answer was lost: the phone sends the same push again, and again with one more
    again = await client.post(PUSH, headers=p.headers, json=body)
    assert again.json() == {"last_mutation_id": 3, "applied": 0, "rejected": 0, "conflicts": 0}
    assert await db_snapshot(db.engine) == before
    extra = p.mutation("key.lend", lend_args(await factory.key(site)))
    body["mutations"].append(extra)
    r = await client.post(PUSH, headers=p.headers, json=body)
    assert r.json()["applied"] == 1 and r.json()["last_mutation_id"] == 4
    assert await KeyLoan.count() == 4
    assert await AuditEntry.count().where(AuditEntry.action == "key.lend") == 4


async def test_a_gap_is_409_with_the_expected_id_and_writes_nothing(client, factory, settings,
                                                                     db) -> None:
    site, _staff, p = await _desk(factory, settings)
    key = await factory.key(site)
    ok = await client.post(PUSH, headers=p.headers,
                           json=p.body([p.mutation("key.lend", lend_args(key))]))
    assert ok.status_code == 200
    before = await db_snapshot(db.engine)
    r = await client.post(PUSH, headers=p.headers,
                          json=p.body([p.mutation("key.lend", lend_args(key), id_=5)]))
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "mutation_gap" and body["expected_mutation_id"] == 2
    assert body["message"]
    assert await db_snapshot(db.engine) == before


async def test_every_applied_mutation_is_audited(client, factory, settings, db) -> None:
    site, staff, p = await _desk(factory, settings)
    key = await factory.key(site)
    loan = str(uuid.uuid4())
    m1 = p.mutation("key.lend", lend_args(key, loan))
    returned = (T0 + timedelta(hours=2)).isoformat()
    m2 = p.mutation("key.return", {"loan_id": loan, "returned_at": returned,
                                   "returned_by": "陳大文"})
    r = await client.post(PUSH, headers=p.headers, json=p.body([m1, m2]))
    assert r.json()["applied"] == 2
    rows = await AuditEntry.select().where(AuditEntry.record_id == loan).order_by(
        AuditEntry.mutation_id).output(load_json=True)
    assert [a["action"] for a in rows] == ["key.lend", "key.return"]
    lend_row, return_row = rows
    assert str(lend_row["staff"]) == staff and str(lend_row["device"]) == p.device_id
    assert str(lend_row["client_id"]) == p.client_id and lend_row["mutation_id"] == 1
    assert lend_row["device_hlc"] == m1["hlc"]
    assert lend_row["device_time"] == T0  # from the HLC's physical part
    assert lend_row["server_time"].tzinfo is not None
    assert lend_row["changes"]["borrower_name"] == [None, "陳大文"]
    assert return_row["changes"]["returned_at"] == [None, returned]
    version = await SpaceVersion.select().where(
        SpaceVersion.space == space_of("key_loan", site)).first()
    assert lend_row["version"] == return_row["version"] == version["version"]


async def test_rows_read_back_through_piccolo(client, factory, settings, db) -> None:
    site, staff, p = await _desk(factory, settings)
    key = await factory.key(site)
    loan = str(uuid.uuid4())
    at = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
    args = lend_args(key, loan, at=at, deposit="HK$100")
    await client.post(PUSH, headers=p.headers, json=p.body([p.mutation("key.lend", args)]))
    row = await KeyLoan.select().where(KeyLoan.id == loan).output(load_json=True).first()
    assert row["lent_at"] == at and row["due_at"] == at + timedelta(hours=8)
    assert str(row["key"]) == key and str(row["site"]) == site and str(row["lent_by"]) == staff
    assert str(row["lent_device"]) == p.device_id
    assert row["returned_at"] is None and row["voided"] is False
    assert row["return_photos"] == [] and row["deposit"] == "HK$100"
    assert row["space"] == f"{site}:keys" and row["version"] == 2
    client_row = await SyncClient.select().where(SyncClient.client_id == p.client_id).first()
    assert client_row["last_mutation_id"] == 1 and client_row["last_push_at"] is not None
    # and the pull sends the same instant back, in UTC
    await pull_all(client, p)
    data = p.replica[("key_loan", loan)]
    assert data["lent_at"] == "2026-03-02T09:30:15.123456+00:00"
    assert data["return_photos"] == [] and data["voided"] is False


async def test_writes_beyond_role_or_site_become_rejections(client, factory, settings,
                                                             db) -> None:
    site = await factory.site()
    other_site = await factory.site()
    guard = await factory.staff(role="patrol", sites=(site,))
    desk = await factory.staff(role="front_desk", sites=(site,))
    key = await factory.key(site)
    foreign_key = await factory.key(other_site)
    g = await phone(settings, guard)
    d = await phone(settings, desk)
    r = await client.post(PUSH, headers=g.headers,
                          json=g.body([g.mutation("key.lend", lend_args(key))]))
    assert r.json() == {"last_mutation_id": 1, "applied": 0, "rejected": 1, "conflicts": 0}
    r = await client.post(PUSH, headers=d.headers, json=d.body([
        d.mutation("key.lend", lend_args(foreign_key)),
        d.mutation("key.register", {"key_id": str(uuid.uuid4()), "site_id": other_site,
                                    "code": "X1", "label": "x", "category": "master"}),
        d.mutation("key.void_loan", {"loan_id": str(uuid.uuid4()), "reason": "oops"}),
        d.mutation("no.such.thing", {"x": 1}),
    ]))
    assert r.json()["rejected"] == 4
    codes = {row["mutation_id"]: row["code"] for row in await Rejection.select().where(
        Rejection.client_id == d.client_id)}
    assert codes == {1: "forbidden_site", 2: "forbidden_site", 3: "forbidden_role",
                     4: "unknown_mutation"}
    assert await KeyLoan.count() == 0
    # the phone learns why, with readable reasons, on its next pull
    pages = await pull_all(client, d)
    got = {x["mutation_id"]: x for x in pages[0]["rejections"]}
    assert set(got) == {1, 2, 3, 4} and all(x["reason"] for x in got.values())
    guard_pages = await pull_all(client, g)
    assert [x["code"] for x in guard_pages[0]["rejections"]] == ["forbidden_role"]
    assert not (await pull_all(client, d))[0]["rejections"]  # delivered once


async def test_double_loan_is_applied_flagged_and_reaches_both_desks(client, factory,
                                                                      settings, db) -> None:
    site = await factory.site()
    desk1 = await factory.staff(role="front_desk", sites=(site,))
    desk2 = await factory.staff(role="front_desk", sites=(site,))
    key = await factory.key(site)
    p1, p2 = await phone(settings, desk1), await phone(settings, desk2)
    for p in (p1, p2):
        r = await client.post(PUSH, headers=p.headers,
                              json=p.body([p.mutation("key.lend", lend_args(key))]))
        assert r.status_code == 200
    assert r.json()["conflicts"] == 1
    assert await KeyLoan.count() == 2  # both facts stand
    conflict = await Conflict.select().output(load_json=True).first()
    assert conflict["kind"] == "double_loan" and conflict["status"] == "open"
    assert set(conflict["staff_ids"]) == {desk1, desk2}
    assert conflict["space"] == f"{site}:keys"  # in the stream of its records
    for p in (p1, p2):
        await pull_all(client, p)
        seen = p.replica[("conflict", str(conflict["id"]))]
        assert seen["kind"] == "double_loan" and set(seen["staff_ids"]) == {desk1, desk2}
        assert seen["status"] == "open" and seen["space"] == f"{site}:keys"


async def test_voided_loan_travels_as_a_tombstone(client, factory, settings, db) -> None:
    site = await factory.site()
    boss = await factory.staff(role="supervisor", sites=(site,))
    key = await factory.key(site)
    p = await phone(settings, boss)
    loan = str(uuid.uuid4())
    await client.post(PUSH, headers=p.headers,
                      json=p.body([p.mutation("key.lend", lend_args(key, loan))]))
    await pull_all(client, p)
    assert ("key_loan", loan) in p.replica
    r = await client.post(PUSH, headers=p.headers, json=p.body([
        p.mutation("key.void_loan", {"loan_id": loan, "reason": "登記錯誤"})]))
    assert r.json()["applied"] == 1
    pages = await pull_all(client, p)
    ops = [op for page in pages for op in page["patch"] if op["id"] == loan]
    assert ops == [{"op": "del", "type": "key_loan", "id": loan,
                    "data": {"reason": "登記錯誤"}}]
    assert ("key_loan", loan) not in p.replica
    row = await KeyLoan.select().where(KeyLoan.id == loan).first()
    assert row["voided"] is True and row["void_reason"] == "登記錯誤"  # never deleted


async def test_a_lend_loads_only_the_keys_open_loans(client, factory, settings, db) -> None:
    """key.lend's lookup asks the store for open loans only (not returned, not voided): a
    history of closed loans raises no double_loan, and an open one still does."""
    site, _staff, p = await _desk(factory, settings, role="supervisor")
    key = await factory.key(site)
    returned, voided, still_out = (str(uuid.uuid4()) for _ in range(3))
    at = (T0 + timedelta(hours=2)).isoformat()
    for body in (
        [p.mutation("key.lend", lend_args(key, returned)),
         p.mutation("key.return", {"loan_id": returned, "returned_at": at,
                                   "returned_by": "陳大文"})],
        [p.mutation("key.lend", lend_args(key, voided)),
         p.mutation("key.void_loan", {"loan_id": voided, "reason": "登記錯誤"})],
        [p.mutation("key.lend", lend_args(key, still_out))],
    ):
        r = await client.post(PUSH, headers=p.headers, json=p.body(body))
        assert r.status_code == 200 and r.json()["conflicts"] == 0, r.json()
    r = await client.post(PUSH, headers=p.headers,
                          json=p.body([p.mutation("key.lend", lend_args(key))]))
    assert r.json()["conflicts"] == 1
    conflict = await Conflict.select().output(load_json=True).first()
    assert conflict["kind"] == "double_loan" and still_out in conflict["record_ids"]
    assert returned not in conflict["record_ids"] and voided not in conflict["record_ids"]
