"""The door system's JSON API: the change feed (cursor paging, versions never split, the
state of each card), its refusals (401 unknown, revoked or no token, 403 another site, 400
bad cursor or limit), the acknowledgement of blacklist entries (``card.door_taken`` as the
``system:door`` identity) — and no missed change while phones push concurrently, on
PostgreSQL through two server processes and on SQLite."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.cards.door_service import DOOR_ID
from server.cards.door_tables import DoorControllerToken
from server.cards.door_tokens import revoke
from server.cards.tables import Card
from server.sync.tables import AuditEntry
from tests.integration import door_support as ds
from tests.integration.door_support import ACK, FEED, Desk, bearer, read_feed
from tests.integration.sync_support import PUSH, LiveServer, phone


class Door:
    def __init__(self, **ids: Any) -> None:
        self.__dict__.update(ids)


@pytest.fixture
async def door(factory: Any) -> Door:
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    bboss = await factory.staff("bboss", role="supervisor", sites=(b,))
    for staff in (boss, bboss):
        await ds.can_sign(staff)
    return Door(a=a, b=b, boss=boss, unit=await factory.unit(a, number="A-12C"),
                unit_b=await factory.unit(b), desk=Desk(ds.office_user(boss, a), a),
                desk_b=Desk(ds.office_user(bboss, b), b))


def _items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for p in pages for c in p["cards"]]


async def test_the_feed_pages_every_change_in_version_order(client: Any, door: Door) -> None:
    d, now = door.desk, datetime.now(UTC)
    await ds.zone(door.a, "MAIN")
    single = await d.stock("C001", "C002", "C003")
    batch = await d.stock_batch("C010", "C011", "C012", "C013")  # one version
    await d.issue(single[0], "C001", door.unit, scope=["MAIN"])
    await d.issue(single[1], "C002", door.unit, at=now - timedelta(days=800))  # expired
    await d.issue(batch[0], "C010", door.unit)
    await d.lose(batch[0])
    await door.desk_b.stock("C001")  # another site's card of the same number
    token = await d.controller()

    pages, cursor = await read_feed(client, token, limit=2)
    items = _items(pages)
    versions = [c["version"] for c in items]
    assert versions == sorted(versions)
    assert sorted(c["id"] for c in items) == sorted([*single, *batch])  # each once, no b
    for before, after in itertools.pairwise(pages):  # no version is split
        if before["cards"] and after["cards"]:
            assert before["cards"][-1]["version"] < after["cards"][0]["version"]
    for p in pages:
        assert len(p["cards"]) <= 2 or len({c["version"] for c in p["cards"]}) == 1
    assert any(len(p["cards"]) == 3 for p in pages)  # the import's rest, whole
    assert not pages[-1]["more"] and all(p["more"] for p in pages[:-1])
    assert cursor == pages[-1]["latest"] == await ds.cards_version(door.a)
    by = {c["id"]: c for c in items}
    assert {k: by[k]["state"] for k in [*single, batch[0], batch[1]]} == {
        single[0]: "active", single[1]: "inactive", single[2]: "inactive",
        batch[0]: "blacklisted", batch[1]: "inactive"}
    first = by[single[0]]
    assert (first["number"], first["uid"], first["technology"], first["status"]) == (
        "C001", "UIDC001", "ic", "issued")
    assert first["scope"] == ["MAIN"] and first["valid_until"] > now.isoformat()
    assert by[batch[0]]["blacklisted_at"] and by[batch[0]]["door_taken_at"] is None
    assert by[single[2]]["valid_until"] is None and by[single[2]]["scope"] == []

    # a later change, and only it, from the cursor; then nothing
    await d.lose(single[0])
    pages, cursor2 = await read_feed(client, token, cursor=cursor)
    assert [(c["id"], c["state"]) for c in _items(pages)] == [(single[0], "blacklisted")]
    assert cursor2 == await ds.cards_version(door.a) > cursor
    again, cursor3 = await read_feed(client, token, cursor=cursor2)
    assert again[0]["cards"] == [] and cursor3 == cursor2


async def test_the_feed_refuses_bad_tokens_other_sites_and_bad_cursors(
        client: Any, door: Door, settings: Any) -> None:
    token = await door.desk.controller()
    other = await door.desk_b.controller()
    assert (await client.get(FEED)).status_code == 401
    for headers in (bearer("nope"), bearer(""), {"authorization": f"Basic {token}"},
                    bearer((await phone(settings, door.boss)).token)):
        r = await client.get(FEED, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "invalid_token", r.text
    assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    r = await client.get(FEED, params={"site": door.b}, headers=bearer(token))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert (await client.get(FEED, params={"site": door.a},
                             headers=bearer(token))).status_code == 200
    for params, code in (({"cursor": "x"}, "bad_cursor"), ({"cursor": "-1"}, "bad_cursor"),
                         ({"cursor": "1e3"}, "bad_cursor"), ({"cursor": "9" * 30}, "bad_cursor"),
                         ({"cursor": "1000000"}, "bad_cursor"),  # ahead of the site's changes
                         ({"limit": "0"}, "bad_limit"), ({"limit": "1001"}, "bad_limit"),
                         ({"limit": "ten"}, "bad_limit")):
        r = await client.get(FEED, params=params, headers=bearer(token))
        assert r.status_code == 400 and r.json()["code"] == code, (params, r.text)
        assert r.json()["message"]
    # revoked: refused from the next request on, by the feed and by the acknowledgement
    row = await DoorControllerToken.select(DoorControllerToken.id).where(
        DoorControllerToken.site == door.a).first()
    await revoke(door.desk.user, str(row["id"]))
    assert (await client.get(FEED, headers=bearer(token))).status_code == 401
    r = await client.post(ACK, json={"numbers": ["C001"]}, headers=bearer(token))
    assert r.status_code == 401
    assert (await client.get(FEED, headers=bearer(other))).status_code == 200


async def test_the_acknowledgement_marks_blacklist_entries_taken(client: Any,
                                                                 door: Door) -> None:
    d = door.desk
    c1, c2, c3, c4 = await d.stock("L001", "L002", "L003", "S001")
    for card, number in ((c1, "L001"), (c2, "L002"), (c3, "L003")):
        await d.issue(card, number, door.unit)
        await d.lose(card)
    (b1,) = await door.desk_b.stock("L001")
    await door.desk_b.lose(b1)
    token = await d.controller("門禁 A")
    before = await ds.cards_version(door.a)

    # refusals first: nothing is taken by them
    r = await client.post(ACK, json={"ids": [c1, b1]}, headers=bearer(token))
    assert r.status_code == 403
    r = await client.post(ACK, json={"numbers": ["L001", "NOPE"]}, headers=bearer(token))
    assert r.status_code == 404 and r.json()["detail"]["numbers"] == ["NOPE"]
    for body in ({}, {"ids": ["not-a-uuid"]}, {"numbers": [""]}, {"cards": ["L001"]},
                 {"numbers": "L001"}, {"numbers": ["X"] * 1001}):
        r = await client.post(ACK, json=body, headers=bearer(token))
        assert r.status_code == 400 and r.json()["code"], (body, r.text)
    assert (await client.post(ACK, content=b"{", headers=bearer(token))).status_code == 400
    assert await Card.count().where(Card.door_taken_at.is_not_null()) == 0
    assert await ds.cards_version(door.a) == before

    r = await client.post(ACK, json={"ids": [c1], "numbers": ["l002", "S001"]},
                          headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json() == {"taken": ["L001", "L002"], "already_taken": [],
                        "not_blacklisted": ["S001"]}
    taken = {str(x["id"]) for x in await Card.select(Card.id).where(
        Card.door_taken_at.is_not_null())}
    assert taken == {c1, c2}
    audit = await AuditEntry.select().where(AuditEntry.action == "card.door_taken")
    assert {str(a["record_id"]) for a in audit} == {c1, c2}
    assert {str(a["staff"]) for a in audit} == {DOOR_ID}
    ack = await AuditEntry.select().where(AuditEntry.action == "door.ack")
    assert len(ack) == 1 and str(ack[0]["staff"]) == DOOR_ID
    r = await client.post(ACK, json={"numbers": ["L001", "L003"]}, headers=bearer(token))
    assert r.json() == {"taken": ["L003"], "already_taken": ["L001"], "not_blacklisted": []}
    assert c4 not in taken
    # the feed shows them taken
    pages, _cursor = await read_feed(client, token, cursor=before)
    assert {c["number"]: bool(c["door_taken_at"]) for c in _items(pages)} == {
        "L001": True, "L002": True, "L003": True}
    assert await Card.count().where((Card.site == door.b)
                                    & Card.door_taken_at.is_not_null()) == 0


# --- no missed change while phones push ----------------------------------------------------

PHONES, ROUNDS = 6, 10


@pytest.fixture
async def live(db: Any) -> Any:
    server = LiveServer(db.url, workers=2 if db.kind == "postgres" else 1)
    await server.start()
    yield server
    server.stop()


async def test_no_change_is_missed_while_phones_push(live: Any, factory: Any, settings: Any,
                                                     door: Door) -> None:
    desks = [await factory.staff(role="front_desk", sites=(door.a,)) for _ in range(PHONES)]
    phones = [await phone(settings, s) for s in desks]
    pools = [await door.desk.stock(*(f"P{i}-{n:03d}" for n in range(12)))
             for i in range(PHONES)]
    numbers = {str(r["id"]): r["number"] for r in await Card.select(Card.id, Card.number)}
    token = await door.desk.controller()
    seen: dict[str, dict[str, Any]] = {}
    done = asyncio.Event()

    async def push_all(i: int, http: httpx.AsyncClient) -> None:
        rng, p = random.Random(i), phones[i]
        held: dict[str, str] = {}
        free = list(pools[i])
        for _ in range(ROUNDS):
            muts = []
            for _ in range(rng.randint(1, 3)):
                if held and rng.random() < 0.4:
                    card = rng.choice(sorted(held))
                    muts.append(p.mutation("card.report_lost", ds.lost_args(
                        card, held.pop(card))))
                elif free:
                    card = free.pop()
                    args = ds.issue_args(door.a, card, numbers[card], door.unit)
                    held[card] = args["issue_id"]
                    muts.append(p.mutation("card.issue", args))
            if muts:
                r = await http.post(PUSH, headers=p.headers, json=p.body(muts))
                assert r.status_code == 200, r.text
                assert r.json()["applied"] == len(muts), r.text

    async def poll(http: httpx.AsyncClient, cursor: int) -> tuple[int, bool]:
        r = await http.get(FEED, params={"cursor": cursor, "limit": 3}, headers=bearer(token))
        assert r.status_code == 200, r.text
        page = r.json()
        for c in page["cards"]:
            assert c["version"] >= seen.get(c["id"], {}).get("version", 0), "went back"
            seen[c["id"]] = c
        return page["next_cursor"], page["more"]

    async def poll_all_the_time(http: httpx.AsyncClient) -> int:
        cursor = 0
        while not done.is_set():
            cursor, _more = await poll(http, cursor)
        return cursor

    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        reader = asyncio.create_task(poll_all_the_time(http))
        await asyncio.gather(*(push_all(i, http) for i in range(PHONES)))
        done.set()
        cursor, more = await reader, True
        while more:  # the last round
            cursor, more = await poll(http, cursor)

    stored = {str(r["id"]): r for r in await Card.select(Card.id, Card.version, Card.status)
              .where(Card.site == door.a)}
    assert {k: (v["version"], v["status"]) for k, v in seen.items()} == {
        k: (v["version"], v["status"]) for k, v in stored.items()}
    assert {c["status"] for c in seen.values()} >= {"issued", "lost", "in_stock"}
    assert cursor == await ds.cards_version(door.a)
    assert sum(len(p) for p in pools) == len(stored)
