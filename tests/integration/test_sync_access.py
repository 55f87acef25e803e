"""Who may sync what: device sign-in, bearer tokens (missing, wrong, revoked, expired), client
ids that are not yours, and site scoping of pulls and writes."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.tables import Device, Staff
from server.keys.tables import KeyLoan
from server.sync.tables import SyncClient
from sync import ORG_SPACE
from tests.conftest import TEST_PASSWORD
from tests.integration.sync_support import PULL, PUSH, lend_args, phone, pull_all

DEVICES = "/api/v1/devices"


def _registration(username: str, client_id: str | None = None, password: str = TEST_PASSWORD):
    return {"username": username, "password": password,
            "client_id": client_id or str(uuid.uuid4()), "name": "前台手機"}


async def test_a_phone_signs_in_and_syncs_with_its_token(client, factory, db) -> None:
    site = await factory.site()
    staff = await factory.staff("desk9", role="front_desk", sites=(site,))
    cid = str(uuid.uuid4())
    r = await client.post(DEVICES, json=_registration("Desk9", cid))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"] == {"id": staff, "username": "desk9", "display_name": body["user"][
        "display_name"], "role": "front_desk"}
    assert body["spaces"] == sorted([ORG_SPACE, *(f"{site}:{s}" for s in
                                                   ("estate", "residents", "keys", "cards",
                                                    "visits", "desk"))])
    device = await Device.select().where(Device.id == body["device_id"]).first()
    assert device["token_hash"] == hashlib.sha256(body["token"].encode()).hexdigest()
    assert str(device["client_id"]) == cid and str(device["staff"]) == staff
    assert await SyncClient.exists().where((SyncClient.client_id == cid)
                                           & (SyncClient.staff == staff))
    r = await client.post(PULL, headers={"authorization": f"Bearer {body['token']}"},
                          json={"client_id": cid, "schema_version": 1})
    assert r.status_code == 200 and {op["id"] for op in r.json()["patch"]} == {site}
    # signing in again on the same phone replaces the token
    again = await client.post(DEVICES, json=_registration("desk9", cid))
    assert again.status_code == 201 and again.json()["device_id"] == body["device_id"]
    r = await client.post(PULL, headers={"authorization": f"Bearer {body['token']}"},
                          json={"client_id": cid, "schema_version": 1})
    assert r.status_code == 401


async def test_wrong_credentials_are_401_json_and_rate_limited(client, factory, db) -> None:
    await factory.staff("desk8")
    for name in ("desk8", "nobody"):
        r = await client.post(DEVICES, json=_registration(name, password="wrong password"))
        assert r.status_code == 401
        assert r.json()["code"] == "bad_credentials" and r.json()["message"]
    for _ in range(3):
        await client.post(DEVICES, json=_registration("desk8", password="wrong password"))
    r = await client.post(DEVICES, json=_registration("desk8"))  # even the right password
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
    assert await Device.count() == 0


async def test_another_staff_members_client_id_is_refused(client, factory, settings,
                                                          db) -> None:
    await factory.staff("desk7")
    other = await factory.staff("desk6")
    p = await phone(settings, other)
    r = await client.post(DEVICES, json=_registration("desk7", p.client_id))
    assert r.status_code == 403 and r.json()["code"] == "client_not_yours"
    bad = await client.post(DEVICES, json=_registration("desk7", "not-a-uuid"))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_client_id"


@pytest.mark.parametrize("case", ["none", "wrong", "revoked", "expired", "inactive_staff",
                                  "not_bearer"])
async def test_bad_tokens_are_401_everywhere(client, factory, settings, db, case) -> None:
    site = await factory.site()
    staff = await factory.staff(role="front_desk", sites=(site,))
    p = await phone(settings, staff)
    headers = dict(p.headers)
    if case == "none":
        headers = {}
    elif case == "wrong":
        headers = {"authorization": "Bearer " + "x" * 43}
    elif case == "not_bearer":
        headers = {"authorization": f"Basic {p.token}"}
    elif case == "revoked":
        await Device.update({Device.revoked_at: datetime.now(UTC)}).where(
            Device.id == p.device_id)
    elif case == "expired":
        await Device.update({Device.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
            Device.id == p.device_id)
    elif case == "inactive_staff":
        await Staff.update({Staff.active: False}).where(Staff.id == staff)
    blob = "0" * 64
    answers = [
        await client.post(PUSH, headers=headers,
                          json=p.body([p.mutation("key.lend", lend_args(str(uuid.uuid4())))])),
        await client.post(PULL, headers=headers,
                          json={"client_id": p.client_id, "schema_version": 1}),
        await client.get(f"/api/v1/blobs/{blob}", headers=headers),
        await client.put(f"/api/v1/blobs/{blob}", headers={**headers,
                                                           "content-type": "image/png"},
                         content=b"\x89PNG\r\n\x1a\n"),
    ]
    for r in answers:
        assert r.status_code == 401, (r.request.url, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["code"] == "not_authenticated" and r.json()["message"]
        assert "set-cookie" not in r.headers
    assert await SyncClient.select(SyncClient.last_mutation_id).where(
        SyncClient.client_id == p.client_id).first() == {"last_mutation_id": 0}


async def test_a_client_id_that_is_not_the_tokens_is_403(client, factory, settings,
                                                          db) -> None:
    site = await factory.site()
    a = await factory.staff(role="front_desk", sites=(site,))
    b = await factory.staff(role="front_desk", sites=(site,))
    pa, pb = await phone(settings, a), await phone(settings, b)
    key = await factory.key(site)
    body = pb.body([pb.mutation("key.lend", lend_args(key))])  # b's client id, a's token
    r = await client.post(PUSH, headers=pa.headers, json=body)
    assert r.status_code == 403 and r.json()["code"] == "client_not_yours"
    r = await client.post(PULL, headers=pa.headers,
                          json={"client_id": pb.client_id, "schema_version": 1})
    assert r.status_code == 403 and r.json()["code"] == "client_not_yours"
    # a fresh client id of someone's own token is refused too (one installation, one id)
    r = await client.post(PULL, headers=pa.headers,
                          json={"client_id": str(uuid.uuid4()), "schema_version": 1})
    assert r.status_code == 403
    assert await KeyLoan.count() == 0


async def test_another_sites_data_never_appears_in_a_pull(client, factory, settings,
                                                          db) -> None:
    mine, theirs = await factory.site(), await factory.site()
    desk = await factory.staff(role="front_desk", sites=(mine,))
    other = await factory.staff(role="front_desk", sites=(theirs,))
    admin = await factory.staff(role="admin")
    for site in (mine, theirs):
        unit = await factory.unit(site)
        await factory.resident(site, unit)
        await factory.key(site, unit=unit)
    theirs_phone = await phone(settings, other)
    their_key = await factory.key(theirs)
    await client.post(PUSH, headers=theirs_phone.headers, json=theirs_phone.body(
        [theirs_phone.mutation("key.lend", lend_args(their_key))]))
    p = await phone(settings, desk)
    await pull_all(client, p)
    assert p.replica and {d["space"].split(":")[0] for d in p.replica.values()} == {mine}
    assert {t for t, _ in p.replica} == {"site", "building", "unit", "resident", "key"}
    boss = await phone(settings, admin)
    await pull_all(client, boss)
    assert {d["space"].split(":")[0] for d in boss.replica.values()} == {mine, theirs}
    assert any(t == "key_loan" for t, _ in boss.replica)
