"""Role-scoped sync streams (sync/streams.py), proven on SQLite and PostgreSQL: what each role
receives, what a change of role or sites takes away, and that blobs follow the same spaces."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

import pytest

from server.accounts import auth_cache
from server.accounts.tables import Staff, StaffSite
from server.sync.tables import BlobUpload
from sync import ORG_SPACE, streams
from sync.streams import readable_spaces, streams_of
from tests.integration.sync_support import PULL, PUSH, lend_args, phone, pull_all

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(120))
PHOTO = hashlib.sha256(PNG).hexdigest()
BLOBS = "/api/v1/blobs/"


@pytest.fixture
async def estate(factory: Any) -> dict[str, Any]:
    s1, s2 = await factory.site(code="ONE"), await factory.site(code="TWO")
    unit1 = await factory.unit(s1)
    unit2 = await factory.unit(s2)
    people = {
        "guard": await factory.staff("guard1", role="patrol", sites=(s1,)),
        "tech": await factory.staff("tech1", role="technician", sites=(s1,)),
        "desk": await factory.staff("desk1", role="front_desk", sites=(s1,)),
        "desk2": await factory.staff("desk2", role="front_desk", sites=(s1,)),
        "far_desk": await factory.staff("desk3", role="front_desk", sites=(s2,)),
        "super": await factory.staff("super1", role="supervisor", sites=(s1, s2)),
        "admin": await factory.staff("admin1", role="admin"),
    }
    key1 = await factory.key(s1, code="ONE-K1")
    key2 = await factory.key(s2, code="TWO-K1")
    return {
        "s1": s1, "s2": s2, "people": people, "key1": key1, "key2": key2,
        "checkpoint1": await _checkpoint(s1), "checkpoint2": await _checkpoint(s2),
        "resident1": await factory.resident(s1, unit1),
        "resident2": await factory.resident(s2, unit2),
        "loan1": await factory.key_loan(key1, people["desk"], return_photos=[PHOTO]),
        "loan2": await factory.key_loan(key2, people["far_desk"]),
        "card1": await _card(s1, unit1, people["desk"]),
        "card2": await _card(s2, unit2, people["far_desk"]),
    }


async def _card(site: str, unit: str, desk: str) -> tuple[str, str]:
    """An IC card of ``site`` issued to a holder of ``unit`` (the ``cards`` stream): the card's
    id and its issue's."""
    from datetime import UTC, datetime, timedelta

    from server.cards.tables import Card, CardIssue

    space = streams.space(site, "cards")
    issue_id, card_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    await Card(id=card_id, site=site, number=f"C{site[:6].upper()}", status="issued",
               issue=issue_id, unit=unit, space=space, version=1).save()
    await CardIssue(id=issue_id, site=site, card=card_id, unit=unit, holder_name="陳大文",
                    relation="owner", valid_until=now + timedelta(days=730), issued_at=now,
                    issued_by=desk, signature_blob="a" * 64, space=space, version=1).save()
    return str(card_id), str(issue_id)


async def _checkpoint(site: str) -> str:
    """A patrol checkpoint of ``site`` (the ``patrol`` stream)."""
    from server.patrol.tables import PatrolCheckpoint

    row = PatrolCheckpoint(site=site, code=f"CP{site[:4].upper()}", name="消防喉轆",
                           kind="hose_reel", token=secrets.token_urlsafe(18),
                           space=streams.space(site, "patrol"), version=1)
    await row.save()
    return str(row.id)


def _received(p: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for (type_, id_), _data in p.replica.items():
        out.setdefault(type_, set()).add(id_)
    return out


SITE_TYPES = {"site", "building", "unit"}
CARD_TYPES = {"card", "card_issue"}
EVERY_TYPE = SITE_TYPES | {"resident", "key", "key_loan", "checkpoint"} | CARD_TYPES
DESK_TYPES = EVERY_TYPE - {"checkpoint"}


@pytest.mark.parametrize(("who", "types", "sites"), [
    ("guard", SITE_TYPES | {"checkpoint"}, ("s1",)),
    ("tech", SITE_TYPES, ("s1",)),
    ("desk", DESK_TYPES, ("s1",)),
    ("super", EVERY_TYPE, ("s1", "s2")),
    ("admin", EVERY_TYPE, ("s1", "s2")),
])
async def test_each_role_receives_its_streams_of_its_sites(
        client, settings, estate, who: str, types: set[str], sites: tuple[str, ...]) -> None:
    staff = estate["people"][who]
    p = await phone(settings, staff)
    await pull_all(client, p)
    got = _received(p)
    assert set(got) == types, f"{who} received {sorted(got)}"
    site_ids = {estate[s] for s in sites}
    assert got["site"] == site_ids
    role = (await Staff.select(Staff.role).where(Staff.id == staff).first())["role"]
    allowed = readable_spaces(role, site_ids)
    assert {data["space"] for data in p.replica.values()} <= allowed
    # the explicit facts behind the declarations
    if who in ("guard", "tech"):
        assert "resident" not in got and "key_loan" not in got and "key" not in got
    if who == "desk":
        assert got["resident"] == {estate["resident1"]}
        assert got["key_loan"] == {estate["loan1"]}
    if who in ("super", "admin"):
        assert got["key_loan"] == {estate["loan1"], estate["loan2"]}
        assert got["checkpoint"] == {estate["checkpoint1"], estate["checkpoint2"]}
    # patrol reaches the guards and the supervisors, never the front desk
    if who == "guard":
        assert got["checkpoint"] == {estate["checkpoint1"]}
    if who == "desk":
        assert "checkpoint" not in got
    # IC cards reach the front desk, supervisors and admins of the site; never guards or
    # technicians
    if who in ("guard", "tech"):
        assert not CARD_TYPES & set(got)
    if who == "desk":
        assert got["card"] == {estate["card1"][0]} and got["card_issue"] == {estate["card1"][1]}
    if who in ("super", "admin"):
        assert got["card_issue"] == {estate["card1"][1], estate["card2"][1]}


async def test_the_sign_in_names_the_spaces(client, settings, estate) -> None:
    from tests.conftest import TEST_PASSWORD

    r = await client.post("/api/v1/devices", json={
        "username": "guard1", "password": TEST_PASSWORD, "client_id": str(uuid.uuid4()),
        "name": "巡邏手機"})
    assert r.status_code == 201, r.text
    s1 = estate["s1"]
    assert r.json()["spaces"] == sorted([ORG_SPACE, f"{s1}:estate", f"{s1}:patrol",
                                         f"{s1}:desk"])


async def _set_role(staff_id: str, role: str) -> None:
    await Staff.update({Staff.role: role}).where(Staff.id == staff_id)
    auth_cache.forget(staff_id=staff_id)


async def test_a_role_change_takes_the_streams_away(client, settings, estate) -> None:
    desk = estate["people"]["desk"]
    p = await phone(settings, desk)
    await pull_all(client, p)
    assert {"resident", "key", "key_loan"} <= set(_received(p))
    await _set_role(desk, "patrol")
    pages = await pull_all(client, p)
    dropped = {op["id"] for page in pages for op in page["patch"]
               if op["type"] == "space" and op["op"] == "del"}
    s1 = estate["s1"]
    assert dropped == {f"{s1}:{name}" for name in streams_of("front_desk")
                       if name not in streams_of("patrol")}
    assert {f"{s1}:keys", f"{s1}:residents", f"{s1}:cards", f"{s1}:visits"} <= dropped
    assert set(_received(p)) == SITE_TYPES | {"checkpoint"}  # a guard now: patrol arrives
    # and back: the streams return from nothing
    await _set_role(desk, "front_desk")
    await pull_all(client, p)
    assert _received(p)["key_loan"] == {estate["loan1"]}


async def test_an_unassigned_site_is_dropped_whole(client, settings, estate) -> None:
    sup = estate["people"]["super"]
    p = await phone(settings, sup)
    await pull_all(client, p)
    assert _received(p)["site"] == {estate["s1"], estate["s2"]}
    await StaffSite.delete().where((StaffSite.staff == sup) & (StaffSite.site == estate["s2"]))
    auth_cache.forget(staff_id=sup)
    pages = await pull_all(client, p)
    dropped = {op["id"] for page in pages for op in page["patch"]
               if op["type"] == "space" and op["op"] == "del"}
    assert {d.split(":")[0] for d in dropped} == {estate["s2"]}
    assert len(dropped) == 7  # every stream of the site
    assert _received(p)["site"] == {estate["s1"]}
    assert _received(p)["key_loan"] == {estate["loan1"]}


async def test_blobs_follow_the_streams(client, settings, estate) -> None:
    people = estate["people"]
    uploader = await phone(settings, people["desk"])
    r = await client.put(BLOBS + PHOTO, content=PNG,
                         headers={**uploader.headers, "content-type": "image/png"})
    assert r.status_code == 201, r.text
    expect = {"desk": 200, "desk2": 200, "super": 200, "admin": 200,
              "guard": 404, "tech": 404, "far_desk": 404}
    for who, status in expect.items():
        p = await phone(settings, people[who])
        got = await client.get(BLOBS + PHOTO, headers=p.headers)
        assert got.status_code == status, f"{who}: {got.status_code}"
        if status == 404:
            assert got.json()["code"] == "not_found"


async def test_naming_a_blob_one_may_not_see_is_refused(client, settings, estate) -> None:
    """The loan of site one names PHOTO: a desk of site two (who neither uploaded it nor reads
    that loan) cannot attach it to a loan of theirs — the name alone grants nothing."""
    people = estate["people"]
    far = await phone(settings, people["far_desk"])
    near = await phone(settings, people["desk2"])

    def _lend(p: Any, key: str) -> dict[str, Any]:
        return p.body([p.mutation("key.lend", lend_args(key, signature_blob=PHOTO))])

    r = await client.post(PUSH, headers=far.headers, json=_lend(far, estate["key2"]))
    assert r.status_code == 200 and r.json()["rejected"] == 1, r.text
    r = await client.post(PULL, headers=far.headers, json={
        "client_id": far.client_id, "schema_version": 2})
    (rejection,) = r.json()["rejections"]
    assert rejection["code"] == "unknown_blob"
    # a desk of site one reads the loan that names it: they may
    r = await client.post(PUSH, headers=near.headers, json=_lend(near, estate["key1"]))
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    # and so may the one who uploaded it, anywhere they work
    await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=PHOTO, staff=people["far_desk"]))
    r = await client.post(PUSH, headers=far.headers, json=_lend(far, estate["key2"]))
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
