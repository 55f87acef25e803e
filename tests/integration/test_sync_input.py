"""Bad input to the sync API: each case is a 4xx with a JSON {code, message} and nothing
stored changes; a mutation that can never apply is a rejection, never an HTTP error."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from server.keys.tables import KeyLoan
from server.sync.tables import Rejection
from sync import SCHEMA_VERSION
from tests.integration.sync_support import PULL, PUSH, db_snapshot, lend_args, phone


@pytest.fixture
async def desk(factory, settings):
    site = await factory.site()
    staff = await factory.staff(role="front_desk", sites=(site,))
    key = await factory.key(site)
    p = await phone(settings, staff)
    return p, key


def _bad_bodies(p, key) -> dict[str, tuple[int, str, object]]:
    good = p.mutation("key.lend", lend_args(key), id_=1)
    cid = p.client_id
    many = [dict(good, id=i) for i in range(1, 1002)]
    big = {"client_id": cid, "schema_version": 1,
           "mutations": [dict(good, args=dict(good["args"], purpose="x" * 250))] * 9000}
    return {
        "malformed json": (400, "raw", b'{"client_id": "' + cid.encode() + b'", '),
        "not an object": (400, "json", [1, 2, 3]),
        "wrong type": (400, "json", {"client_id": cid, "schema_version": "one",
                                     "mutations": []}),
        "mutation id not int": (400, "json", {"client_id": cid, "schema_version": 1,
                                              "mutations": [dict(good, id="1")]}),
        "unknown field": (400, "json", {"client_id": cid, "schema_version": 1,
                                        "mutations": [], "extra": True}),
        "unknown mutation field": (400, "json", {"client_id": cid, "schema_version": 1,
                                                 "mutations": [dict(good, when="now")]}),
        "missing field": (400, "json", {"client_id": cid, "mutations": [good]}),
        "client id not a uuid": (400, "json", {"client_id": "phone-1", "schema_version": 1,
                                               "mutations": [good]}),
        "old schema": (426, "json", {"client_id": cid, "schema_version": 0,
                                     "mutations": [good]}),
        "future schema": (426, "json", {"client_id": cid, "schema_version": 99,
                                        "mutations": [good]}),
        "too many mutations": (413, "json", {"client_id": cid, "schema_version": 1,
                                             "mutations": many}),
        "body over 2 MB": (413, "json", big),
        "huge id": (409, "json", {"client_id": cid, "schema_version": 1,
                                  "mutations": [dict(good, id=2**63)]}),
    }


CASES = ["malformed json", "not an object", "wrong type", "mutation id not int",
         "unknown field", "unknown mutation field", "missing field", "client id not a uuid",
         "old schema", "future schema", "too many mutations", "body over 2 MB", "huge id"]


@pytest.mark.parametrize("case", CASES)
async def test_bad_push_is_4xx_json_and_changes_nothing(client, db, desk, case) -> None:
    p, key = desk
    status, kind, body = _bad_bodies(p, key)[case]
    before = await db_snapshot(db.engine)
    if kind == "raw":
        r = await client.post(PUSH, headers={**p.headers, "content-type": "application/json"},
                              content=body)
    else:
        r = await client.post(PUSH, headers=p.headers, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    answer = r.json()
    assert isinstance(answer["code"], str) and answer["code"]
    assert isinstance(answer["message"], str) and answer["message"]
    if status == 426:
        assert answer["code"] == "update_required"
        assert answer["detail"]["accepted"] == [SCHEMA_VERSION - 1, SCHEMA_VERSION]
    assert await db_snapshot(db.engine) == before


async def test_a_mutation_that_can_never_apply_is_a_rejection_not_an_error(client, db,
                                                                            desk) -> None:
    p, key = desk
    r = await client.post(PUSH, headers=p.headers, json=p.body([
        p.mutation("key.teleport", {"key_id": key}),
        p.mutation("key.lend", {"loan_id": "not-a-uuid", "key_id": key}),
        {**p.mutation("key.lend", lend_args(key)), "hlc": "yesterday"},
        p.mutation("key.lend", lend_args(key, borrower_name="陳\x00大文")),
    ]))
    assert r.status_code == 200, r.text
    assert r.json() == {"last_mutation_id": 4, "applied": 0, "rejected": 4, "conflicts": 0}
    rows = await Rejection.select(Rejection.mutation_id, Rejection.code,
                                  Rejection.reason).order_by(Rejection.mutation_id)
    assert [x["code"] for x in rows] == ["unknown_mutation", "invalid_args", "invalid_hlc",
                                         "invalid_args"]
    # a NUL (any control character) is refused alike on both databases, the field named
    assert "borrower_name: Remove control characters" in rows[3]["reason"]
    assert await KeyLoan.count() == 0
    # the queue moves on
    r = await client.post(PUSH, headers=p.headers, json=p.body([]))
    assert r.status_code == 200 and r.json()["last_mutation_id"] == 4


async def test_a_very_long_unknown_name_and_odd_args_are_stored_safely(client, db,
                                                                      desk) -> None:
    p, _key = desk
    r = await client.post(PUSH, headers=p.headers, json=p.body([
        p.mutation("x" * 500, {"deep": [[[{"a": None}]]], "n": 1.5e300, "s": "\x00"})]))
    assert r.status_code == 200 and r.json()["rejected"] == 1
    row = await Rejection.select(Rejection.name, Rejection.code).first()
    assert row["code"] == "unknown_mutation" and row["name"] == "x" * 500  # as sent


@pytest.mark.parametrize("cookie", [
    "garbage", "", "eyJ9", base64.urlsafe_b64encode(b'{"schema": 1, "spaces": {"s": '
                                                    b'[0, 5, [3, "key", "not-a-uuid"]]}, '
                                                    b'"rejections": 99999999999999999999}')
    .decode(),
    base64.urlsafe_b64encode(json.dumps({
        "schema": 1, "spaces": {"x": [9223372036854775807, 9223372036854775807, None]},
        "rejections": 9223372036854775807}).encode()).decode(),
])
async def test_a_bad_cookie_starts_from_nothing(client, db, desk, cookie) -> None:
    p, _key = desk
    r = await client.post(PULL, headers=p.headers,
                          json={"client_id": p.client_id, "schema_version": 1,
                                "cookie": cookie})
    assert r.status_code == 200, r.text
    assert r.json()["patch"]


@pytest.mark.parametrize(("body", "status"), [
    ({"schema_version": 1}, 400),
    ({"client_id": None, "schema_version": 1}, 400),
    ({"client_id": "c", "schema_version": 1, "cookie": 5}, 400),
    ({"client_id": "c", "schema_version": 1, "since": 5}, 400),
    ({"client_id": "c", "schema_version": SCHEMA_VERSION + 1}, 426),
])
async def test_bad_pull_is_4xx_json(client, db, desk, body, status) -> None:
    p, _key = desk
    before = await db_snapshot(db.engine)
    if body.get("client_id") == "c":
        body = {**body, "client_id": p.client_id}
    r = await client.post(PULL, headers=p.headers, json=body)
    assert r.status_code == status, r.text
    assert r.json()["code"] and r.json()["message"]
    assert await db_snapshot(db.engine) == before


async def test_unknown_client_id_format_in_pull(client, db, desk) -> None:
    p, _key = desk
    r = await client.post(PULL, headers=p.headers,
                          json={"client_id": p.client_id.upper(), "schema_version": 1})
    assert r.status_code == 400 and r.json()["code"] == "invalid_client_id"
    r = await client.post(PULL, headers=p.headers,
                          json={"client_id": str(uuid.uuid4())[:-1], "schema_version": 1})
    assert r.status_code == 400
