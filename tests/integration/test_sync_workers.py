"""No missed changes with several server processes (PostgreSQL): two uvicorn workers take
concurrent pushes from many phones (most on one site) while other phones pull the whole time.
At the end every puller's replica equals the database, no record ever went back to an older
version on a puller, no space was ever reset, and every push was applied.

The page size is large on purpose: a round that ends in one page is the sharpest probe of
cursor correctness (without the push's ``FOR UPDATE`` on the space rows this test fails: two
pushes stamp the same version, or the version goes backwards). Paging itself is tested in
test_sync_pull.py and by the convergence scenario."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest

from server.sync import service
from server.sync.pull_store import SqlPullStore
from server.sync.tables import SyncClient
from sync import ORG_SPACE, SCHEMA_VERSION
from sync.engine import render
from sync.streams import site_spaces
from tests.integration.sync_support import PULL, PUSH, LiveServer, Phone, lend_args, phone

PUSHERS, REQUESTS, PULLERS = 10, 15, 4


@pytest.fixture
async def live(db):
    if db.kind != "postgres":
        pytest.skip("several server processes share one database on PostgreSQL")
    server = LiveServer(db.url, workers=2, page_size=1000)
    await server.start()
    yield server
    server.stop()


async def _pull_once(http: httpx.AsyncClient, p: Phone,
                     seen: dict[tuple[str, str], int]) -> bool:
    r = await http.post(PULL, headers=p.headers, json={
        "client_id": p.client_id, "schema_version": SCHEMA_VERSION, "cookie": p.cookie})
    assert r.status_code == 200, r.text
    page = r.json()
    for op in page["patch"]:
        key = (op["type"], op["id"])
        if op["type"] == "space":
            raise AssertionError(f"space {op['id']} was reset")
        if op["op"] == "put":
            version = op["data"]["version"]
            assert version >= seen.get(key, 0), f"{key} went back to version {version}"
            seen[key] = version
            p.replica[key] = op["data"]
        else:
            p.replica.pop(key, None)
    p.cookie = page["cookie"]
    return bool(page["more"])


async def test_pullers_miss_nothing_while_two_workers_take_pushes(live, factory, settings,
                                                                  db) -> None:
    sites = [await factory.site(), await factory.site()]
    keys = {s: [await factory.key(s) for _ in range(40)] for s in sites}
    site_of = [sites[0] if i % 4 else sites[1] for i in range(PUSHERS)]
    pushers = [await phone(settings, await factory.staff(role="front_desk",
                                                         sites=(site_of[i],)))
               for i in range(PUSHERS)]
    pullers = [await phone(settings, await factory.staff(role="supervisor", sites=tuple(sites)))
               for _ in range(PULLERS)]
    seen: list[dict[tuple[str, str], int]] = [{} for _ in pullers]
    done = asyncio.Event()

    async def push_all(i: int, p: Phone, http: httpx.AsyncClient) -> None:
        rng = random.Random(i)
        pool = keys[site_of[i]]
        lent: list[str] = []
        for _ in range(REQUESTS):
            muts = []
            for _ in range(rng.randint(1, 3)):
                if lent and rng.random() < 0.3:
                    muts.append(p.mutation("key.return", {
                        "loan_id": lent.pop(), "returned_by": "陳大文",
                        "returned_at": "2026-03-02T05:00:00+00:00"}))
                else:
                    loan = str(uuid.uuid4())
                    lent.append(loan)
                    muts.append(p.mutation("key.lend", lend_args(rng.choice(pool), loan)))
            r = await http.post(PUSH, headers=p.headers, json=p.body(muts))
            assert r.status_code == 200, r.text
            assert r.json()["applied"] == len(muts)

    async def pull_all_the_time(j: int, p: Phone, http: httpx.AsyncClient) -> None:
        while not done.is_set():
            await _pull_once(http, p, seen[j])

    limits = httpx.Limits(max_connections=PUSHERS + PULLERS)
    async with httpx.AsyncClient(base_url=live.url, limits=limits, timeout=60) as http:
        readers = [asyncio.create_task(pull_all_the_time(j, p, http))
                   for j, p in enumerate(pullers)]
        await asyncio.gather(*(push_all(i, p, http) for i, p in enumerate(pushers)))
        done.set()
        await asyncio.gather(*readers)
        for j, p in enumerate(pullers):  # the last round
            while await _pull_once(http, p, seen[j]):
                pass

    async with service.pull_snapshot(db.engine) as conn:
        store = SqlPullStore(conn)
        stored = {}
        spaces = [*(sp for site in sites for sp in site_spaces(site)), ORG_SPACE]
        for space, version in (await store.space_versions(spaces)).items():
            for rec in await store.changed(space, 0, version, None, 10**6):
                op = render(rec)
                if op.op == "put":
                    stored[(rec.type, rec.id)] = op.data
    assert len([k for k in stored if k[0] == "key_loan"]) > PUSHERS * REQUESTS
    for p in pullers:
        assert p.replica == stored
    for p in pushers:
        row = await SyncClient.select(SyncClient.last_mutation_id).where(
            SyncClient.client_id == p.client_id).first()
        assert row is not None and row["last_mutation_id"] == p.next_id - 1
