"""Pull (protocol v1) on the real server: paging with progress, nothing missed while pushes
land between pages, scoping to the user's sites (gained from version 0, lost as a delete),
tombstones for deactivated records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec

from server.accounts import auth_cache
from server.accounts.tables import StaffSite
from server.app import create_app
from server.estate.tables import Unit
from server.sync.spaces import bump
from sync.streams import streams_of
from tests.integration.sync_support import PULL, PUSH, lend_args, phone, pull_all


@asynccontextmanager
async def paged_client(db, settings, page_size: int) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(msgspec.structs.replace(settings, pull_page_size=page_size),
                     engine=db.engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://test.local") as c:
        yield c


async def _estate(factory, site: str, units: int) -> None:
    building = await factory.building(site)
    for _ in range(units):
        unit = await factory.unit(site, building)
        await factory.resident(site, unit)


async def test_a_big_site_arrives_over_several_pages(db, settings, factory) -> None:
    site = await factory.site()
    await _estate(factory, site, 20)
    keys = [await factory.key(site) for _ in range(5)]
    staff = await factory.staff(role="front_desk", sites=(site,))
    p = await phone(settings, staff)
    async with paged_client(db, settings, 10) as client:
        await client.post(PUSH, headers=p.headers,
                          json=p.body([p.mutation("key.lend", lend_args(k)) for k in keys]))
        pages = await pull_all(client, p)
    # site + building + 20 units + 20 residents + 5 keys + 5 loans
    total = 1 + 1 + 20 + 20 + 5 + 5
    assert len(pages) == 6
    assert [len(page["patch"]) for page in pages] == [10, 10, 10, 10, 10, 2]
    assert [page["more"] for page in pages] == [True] * 5 + [False]
    assert {page["total"] for page in pages} == {total}
    assert [page["sent"] for page in pages] == [10, 20, 30, 40, 50, 52]
    ids = [op["id"] for page in pages for op in page["patch"]]
    assert len(ids) == len(set(ids)) == total == len(p.replica)
    assert all(page["last_mutation_id"] == 5 for page in pages)


async def test_pushes_between_pages_are_not_missed(db, settings, factory) -> None:
    site = await factory.site()
    await _estate(factory, site, 15)
    desk = await factory.staff(role="front_desk", sites=(site,))
    other = await factory.staff(role="front_desk", sites=(site,))
    reader, writer = await phone(settings, desk), await phone(settings, other)
    keys = [await factory.key(site) for _ in range(12)]
    async with paged_client(db, settings, 10) as client:
        seen: set[tuple[str, str]] = set()
        for key in keys:
            r = await client.post(PULL, headers=reader.headers, json={
                "client_id": reader.client_id, "schema_version": 1, "cookie": reader.cookie})
            page = r.json()
            reader.cookie = page["cookie"]
            seen |= {(op["type"], op["id"]) for op in page["patch"]}
            # another desk lends a key while this phone is in the middle of its first sync
            await client.post(PUSH, headers=writer.headers, json=writer.body(
                [writer.mutation("key.lend", lend_args(key))]))
        await pull_all(client, reader)
        seen |= set(reader.replica)
        await pull_all(client, writer)
    assert set(writer.replica) <= seen
    assert len([k for k in seen if k[0] == "key_loan"]) == len(keys)


async def test_a_newly_assigned_site_arrives_from_zero_and_a_lost_one_is_deleted(
        client, settings, factory, db) -> None:
    a, b = await factory.site(), await factory.site()
    await _estate(factory, a, 2)
    await _estate(factory, b, 3)
    staff = await factory.staff(role="front_desk", sites=(a,))
    p = await phone(settings, staff)
    await pull_all(client, p)
    assert {d["space"] for d in p.replica.values()} == {f"{a}:estate", f"{a}:residents"}
    # site b has been busy for a long time (its version is far ahead of anything sent)
    for _ in range(5):
        await bump(f"{b}:estate")
    await StaffSite(staff=staff, site=b).save()
    # A direct write: the office's own paths (update_staff) drop the cached identity.
    auth_cache.clear()
    pages = await pull_all(client, p)
    assert {d["space"].split(":")[0] for d in p.replica.values()} == {a, b}
    assert len([k for k, d in p.replica.items() if d["space"].startswith(b)]) == 1 + 1 + 3 + 3
    assert pages[-1]["total"] == 8
    # unassigned from a: the phone deletes the whole space
    await StaffSite.delete().where((StaffSite.staff == staff) & (StaffSite.site == a))
    auth_cache.clear()
    pages = await pull_all(client, p)
    for stream in streams_of("front_desk"):
        assert {"op": "del", "type": "space", "id": f"{a}:{stream}"} in pages[0]["patch"]
    assert {d["space"].split(":")[0] for d in p.replica.values()} == {b}


async def test_a_deactivated_unit_is_a_tombstone(client, settings, factory, db) -> None:
    site = await factory.site()
    unit = await factory.unit(site)
    staff = await factory.staff(role="front_desk", sites=(site,))
    p = await phone(settings, staff)
    await pull_all(client, p)
    assert ("unit", unit) in p.replica
    version = await bump(f"{site}:estate")
    await Unit.update({Unit.active: False, Unit.version: version}).where(Unit.id == unit)
    pages = await pull_all(client, p)
    assert pages[0]["patch"] == [{"op": "del", "type": "unit", "id": unit}]
    assert ("unit", unit) not in p.replica
    # nothing new: an empty page, the same cookie
    again = await pull_all(client, p)
    assert again[0]["patch"] == [] and again[0]["more"] is False
