"""The server killed (SIGKILL) in the middle of a burst of pushes, then started again: the
phones (the reference client, retrying with backoff) finish syncing and every mutation took
effect exactly once."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import httpx

from server.keys.tables import KeyLoan
from server.sync.tables import AuditEntry, Rejection, SyncClient
from sync.client import LocalState
from sync.client import SyncClient as PhoneClient
from sync.context import Principal
from tests.integration.sync_support import T0, LiveServer, lend_args, phone

PHONES, LENDS = 4, 40


def transport(http: httpx.AsyncClient, token: str) -> Any:
    headers = {"authorization": f"Bearer {token}"}

    async def send(path: str, body: Any) -> tuple[int, Any]:
        try:
            r = await http.post(path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise ConnectionError(str(exc)) from exc
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None

    return send


async def test_a_killed_server_loses_nothing_and_applies_nothing_twice(db, factory,
                                                                       settings) -> None:
    site = await factory.site()
    keys = [await factory.key(site) for _ in range(PHONES * LENDS)]
    server = LiveServer(db.url, workers=1, page_size=50)
    await server.start()
    phones: list[PhoneClient] = []
    try:
        limits = httpx.Limits(max_connections=PHONES)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=10) as http:
            for i in range(PHONES):
                staff = await factory.staff(role="front_desk", sites=(site,))
                p = await phone(settings, staff)
                actor = Principal(staff, "front_desk", frozenset({site}), device_id=p.device_id)
                client = PhoneClient(LocalState(client_id=p.client_id), actor,
                                     transport(http, p.token), max_retries=60,
                                     base_delay=0.02, max_delay=0.3, push_batch=3,
                                     rng=random.Random(i))
                for k in keys[i * LENDS:(i + 1) * LENDS]:
                    client.mutate("key.lend", lend_args(k, str(uuid.uuid4()), at=T0))
                phones.append(client)

            burst = [asyncio.create_task(c.sync()) for c in phones]
            # kill the server while the pushes are landing, then bring it back
            deadline = asyncio.get_running_loop().time() + 20
            while await KeyLoan.count() < PHONES * LENDS // 4:
                assert asyncio.get_running_loop().time() < deadline, "no pushes landed"
                await asyncio.sleep(0.01)
            server.kill()
            killed_at = await KeyLoan.count()
            await asyncio.sleep(0.3)
            await server.start()
            statuses = await asyncio.gather(*burst)
            for c in phones:  # anyone who gave up while the server was down syncs again
                if c.status != "synced":
                    await c.sync()
    finally:
        server.stop()

    assert killed_at < PHONES * LENDS, "the kill came too late to test anything"
    assert all(c.status == "synced" and not c.state.outbox for c in phones), statuses
    assert await KeyLoan.count() == PHONES * LENDS
    assert await Rejection.count() == 0
    for c in phones:
        row = await SyncClient.select(SyncClient.last_mutation_id).where(
            SyncClient.client_id == c.state.client_id).first()
        assert row == {"last_mutation_id": LENDS}
    audit = await AuditEntry.select(AuditEntry.client_id, AuditEntry.mutation_id)
    pairs = [(str(a["client_id"]), a["mutation_id"]) for a in audit]
    assert len(pairs) == len(set(pairs)) == PHONES * LENDS
