"""The reference client: optimistic apply and rebase, persistence across an app restart,
retries with backoff, 409/401/426 handling."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync.client import LocalBlob, LocalState, SyncClient
from sync.context import Principal
from sync.errors import Reject
from sync.memory import PUSH_PATH, MemoryServer, Send
from tests.unit.sync_helpers import SIG, keys_space, new_db

pytestmark = pytest.mark.unit

SITE = "11111111-1111-4111-8111-111111111111"
KS = keys_space(SITE)
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def uid() -> str:
    return str(uuid.uuid4())


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def desk() -> Principal:
    return Principal(uid(), "front_desk", frozenset({SITE}), uid())


def make(send: Send, actor: Principal | None = None, state: LocalState | None = None,
         sleeps: Sleeps | None = None, **kw: Any) -> SyncClient:
    if state is None:  # a phone that has pulled its site already
        state = LocalState(client_id=uid())
        site = new_db(SITE).records[("site", SITE)]
        state.records[f"site/{SITE}"] = site
    client = SyncClient(state, actor or desk(), send,
                        now_ms=lambda: NOW_MS, sleep=sleeps or Sleeps(), rng=random.Random(1),
                        **kw)
    client.state.blobs[SIG] = LocalBlob("image/png", b"signature")  # drawn on this phone
    return client


def server() -> MemoryServer:
    return MemoryServer(new_db(SITE), clock=lambda: NOW)


def register(key_id: str, **over: Any) -> dict[str, Any]:
    return {"key_id": key_id, "site_id": SITE, "code": f"A-{key_id[:6]}", "label": "spare",
            "category": "public_area", **over}


def lend(key_id: str, loan_id: str, **over: Any) -> dict[str, Any]:
    return {"loan_id": loan_id, "key_id": key_id, "borrower_name": "陳大文",
            "borrower_kind": "resident", "lent_at": NOW.isoformat(),
            "due_at": (NOW + timedelta(hours=8)).isoformat(), "signature_blob": SIG, **over}


async def test_writes_show_at_once_and_the_server_state_replaces_them_after_sync() -> None:
    srv = server()
    actor = desk()
    phone = make(srv.transport(actor), actor)
    key_id, loan_id = uid(), uid()
    phone.mutate("key.register", register(key_id))
    phone.mutate("key.lend", lend(key_id, loan_id))
    optimistic = phone.replica[("key_loan", loan_id)]
    assert optimistic.data["lent_by"] == actor.staff_id and optimistic.version == 0
    assert [m.id for m in phone.pending] == [1, 2]
    assert await phone.sync() == "synced"
    assert phone.pending == [] and phone.state.confirmed_through == 2
    confirmed = phone.replica[("key_loan", loan_id)]
    assert confirmed.version == 1 and confirmed.space == KS
    assert confirmed.data == srv.db.records[("key_loan", loan_id)].data


async def test_pending_mutations_are_rebased_on_the_pulled_state() -> None:
    srv = server()
    a, b = desk(), desk()
    phone_a, phone_b = make(srv.transport(a), a), make(srv.transport(b), b)
    key_id = uid()
    phone_a.mutate("key.register", register(key_id))
    await phone_a.sync()
    await phone_b.sync()
    first, second = uid(), uid()
    phone_b.mutate("key.lend", lend(key_id, second, borrower_name="B"))  # offline for now
    phone_a.mutate("key.lend", lend(key_id, first, borrower_name="A"))
    await phone_a.sync()
    phone_b.send = _offline
    await phone_b.pull()  # fails: stays optimistic
    phone_b.send = srv.transport(b)
    assert await phone_b.pull()
    # A's loan arrived from the server; B's own loan is still pending and shown on top
    assert phone_b.replica[("key_loan", first)].version == 2
    assert phone_b.replica[("key_loan", second)].version == 0
    assert [m.id for m in phone_b.pending] == [1]
    await phone_b.sync()
    assert phone_b.replica[("key_loan", second)].version == 3
    assert any(r.type == "conflict" for r in phone_b.replica.values())  # a double loan


async def test_a_rejected_mutation_is_dropped_and_its_reason_kept() -> None:
    srv = server()
    phone = make(srv.transport(actor := desk()), actor)
    loan_id = uid()
    phone.mutate("key.lend", lend(uid(), loan_id))  # a key nobody registered
    assert ("key_loan", loan_id) not in phone.replica  # the local rules refuse it too
    await phone.sync()
    assert phone.pending == []
    assert [(r.mutation_id, r.code) for r in phone.state.rejections] == [(1, "unknown_key")]
    with pytest.raises(Reject) as exc:
        phone.mutate("key.lend", {"loan_id": "x"})  # the form would not let it through
    assert exc.value.code == "invalid_args"
    assert phone.state.next_mutation_id == 2


async def _offline(path: str, body: Any) -> tuple[int, Any]:
    raise ConnectionError("no signal")


async def test_the_outbox_survives_an_app_restart_and_ids_continue() -> None:
    srv = server()
    actor = desk()
    sleeps = Sleeps()
    phone = make(_offline, actor, sleeps=sleeps, max_retries=3, base_delay=1.0)
    key_id = uid()
    phone.mutate("key.register", register(key_id))
    assert await phone.sync() == "offline"
    assert len(sleeps.delays) == 3
    assert all(0.5 * 2**i <= d <= 2**i for i, d in enumerate(sleeps.delays))  # backoff
    restarted = make(srv.transport(actor), actor, LocalState.load(phone.state.dump()))
    assert [m.id for m in restarted.pending] == [1]
    assert ("key", key_id) in restarted.replica
    m = restarted.mutate("key.update", {"key_id": key_id, "fields": {"label": "x"}})
    assert m.id == 2 and m.hlc > restarted.pending[0].hlc
    assert await restarted.sync() == "synced"
    assert srv.db.records[("key", key_id)].data["label"] == "x"


async def test_retries_then_success() -> None:
    srv = server()
    actor = desk()
    inner = srv.transport(actor)
    failures = iter([ConnectionError(), (503, {"code": "busy"}), (429, None)])

    async def flaky(path: str, body: Any) -> tuple[int, Any]:
        nxt = next(failures, None)
        if isinstance(nxt, Exception):
            raise nxt
        if nxt is not None:
            return nxt
        return await inner(path, body)

    sleeps = Sleeps()
    phone = make(flaky, actor, sleeps=sleeps)
    phone.mutate("key.register", register(uid()))
    assert await phone.sync() == "synced"
    assert len(sleeps.delays) == 3


async def test_a_gap_resends_from_the_expected_id() -> None:
    srv = server()
    actor = desk()
    phone = make(srv.transport(actor), actor, push_batch=2)
    keys = [uid() for _ in range(3)]
    for k in keys:
        phone.mutate("key.register", register(k))
    phone.state.pushed_through = 2  # believes 1-2 were taken (a server restored from backup)
    assert await phone.sync() == "synced"
    assert all(("key", k) in srv.db.records for k in keys)


async def test_a_lost_push_answer_is_harmless() -> None:
    srv = server()
    actor = desk()
    inner = srv.transport(actor)
    lost = [True]

    async def loses_first_answer(path: str, body: Any) -> tuple[int, Any]:
        answer = await inner(path, body)
        if path == PUSH_PATH and lost.pop() if lost else False:
            raise ConnectionError("answer lost")
        return answer

    phone = make(loses_first_answer, actor)
    phone.mutate("key.register", register(k := uid()))
    assert await phone.sync() == "synced"
    assert srv.db.clients[phone.state.client_id].last_mutation_id == 1
    assert sum(a.record_id == k for a in srv.db.audit) == 1


async def test_update_required_stops_and_keeps_the_outbox() -> None:
    srv = server()
    actor = desk()
    phone = make(srv.transport(actor), actor, schema_version=99)
    phone.mutate("key.register", register(uid()))
    assert await phone.sync() == "update_required"
    assert await phone.sync() == "update_required"  # stays stopped
    assert len(phone.pending) == 1 and not [k for k in srv.db.records if k[0] == "key"]
    phone.update_app()
    assert await phone.sync() == "synced"
    assert phone.pending == []


async def test_sign_in_expiry_pauses_and_the_same_client_resumes() -> None:
    srv = server()
    actor = desk()

    async def expired(path: str, body: Any) -> tuple[int, Any]:
        return 401, {"code": "unauthorized", "message": "sign in again"}

    phone = make(expired, actor)
    phone.mutate("key.register", register(uid()))
    phone.mutate("key.register", register(uid()))
    assert await phone.sync() == "needs_sign_in"
    assert len(phone.pending) == 2
    phone.sign_in(srv.transport(actor))
    assert await phone.sync() == "synced"
    assert srv.db.clients[phone.state.client_id].last_mutation_id == 2


async def test_another_staff_members_client_is_an_error() -> None:
    srv = server()
    a = desk()
    phone = make(srv.transport(a), a)
    phone.mutate("key.register", register(uid()))
    await phone.sync()
    thief = make(srv.transport(desk()), state=LocalState.load(phone.state.dump()))
    thief.mutate("key.register", register(uid()))
    assert await thief.sync() == "error"
    assert thief.error == "403 client_not_yours"
