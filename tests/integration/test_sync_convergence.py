"""The convergence scenario of :mod:`sync.testing` against the real server over HTTP (httpx
ASGITransport, in this event loop) on SQLite and PostgreSQL: phones working offline, dropped,
duplicated and reordered requests, app restarts and server restarts (a push in flight dies
before its commit) — every phone ends equal to the server and every mutation is applied once
or rejected with its reason.

Hypothesis generates the scenarios (``CARETAKER_HYPOTHESIS_EXAMPLES``, default 4 per
database); it runs in a worker thread and hands each scenario to the test's event loop, where
the database pool lives."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from server.accounts import service as accounts
from server.accounts.tables import Staff, StaffSite
from server.app import create_app
from server.estate.tables import Site
from server.sync import service
from server.sync.pull_store import SqlPullStore
from server.sync.spaces import space_of
from server.sync.store import SqlPushStore
from server.sync.tables import AuditEntry, Conflict, Rejection, SpaceVersion, SyncClient
from sync import ORG_SPACE
from sync.client import LocalBlob
from sync.context import Principal
from sync.faults import FaultPlan
from sync.memory import Send, SimulatedCrash
from sync.storage import AuditRow, ConflictRow, PushWrite, RejectionRow
from sync.streams import site_spaces
from sync.testing import (
    START,
    STEP_KINDS,
    PhoneSpec,
    ServerHandle,
    ServerState,
    Setup,
    Step,
    run_convergence,
    setup_records,
    steps_strategy,
)

EXAMPLES = int(os.environ.get("CARETAKER_HYPOTHESIS_EXAMPLES", "4"))


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value

NIL = "00000000-0000-0000-0000-000000000000"  # the office set it up


class HttpHandle:
    """The real app behind httpx's ASGI transport; a restart is a new app over the same
    database, and the next push after it dies before its commit (no answer reaches the
    phone)."""

    def __init__(self, db: Any, settings: Any, setup: Setup,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.settings = msgspec.structs.replace(settings, pull_page_size=7)
        self.setup = setup
        self.clock = clock
        self.tokens: dict[str, str] = {}
        self.devices: dict[str, str] = {}
        self.crash_next = False
        self.crashed = False
        self._start()

    def _start(self) -> None:
        app = create_app(self.settings, engine=self.db.engine)
        app.state.sync_clock = self.clock
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 40100)),
            base_url="http://phone.local")

    async def prepare(self) -> None:
        await self.db.truncate()
        for i, site in enumerate(self.setup.sites):
            await Site.insert(Site(id=site, code=f"C{i}", name=f"花園{i}",
                                   space=space_of("site", site), version=1))
            await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                        for s in site_spaces(site)])
        # what the office set up (each domain's scenario says what), through the store
        setup = setup_records(self.setup.sites)
        if setup:
            async with service.push_transaction(self.db.engine) as conn:
                store = SqlPushStore(conn, Principal(NIL, "admin", frozenset()), START)
                await store.write(PushWrite(client=None, versions={}, puts=setup, audit=[],
                                            conflicts=[], rejections=[]))
        for s in self.setup.staff:
            await Staff.insert(Staff(id=s.staff_id, username=f"u{s.staff_id[:8]}",
                                     display_name=s.role, password_hash="!", role=s.role))
            for site in s.sites:
                await StaffSite.insert(StaffSite(staff=s.staff_id, site=site))
        for ph in [*self.setup.phones, self.setup.observer]:
            staff = await Staff.select().where(Staff.id == ph.staff_id).first()
            token, device = await accounts.register_device(
                self.settings, staff, uuid.UUID(ph.client_id), "phone")
            await SyncClient.insert(SyncClient(client_id=ph.client_id, staff=ph.staff_id,
                                               device=device))
            self.tokens[ph.client_id], self.devices[ph.client_id] = token, device

    def principal(self, phone: PhoneSpec) -> Principal:
        staff = self.setup.staff_of(phone)
        return Principal(staff.staff_id, staff.role, frozenset(staff.sites),
                         device_id=self.devices[phone.client_id])

    def transport(self, phone: PhoneSpec) -> Send:
        headers = {"authorization": f"Bearer {self.tokens[phone.client_id]}"}

        async def send(path: str, body: Any) -> tuple[int, Any]:
            self.crashed = False
            if isinstance(body, LocalBlob):  # a photo or signature: its bytes
                r = await self.http.put(path, content=body.data, headers={
                    **headers, "content-type": body.content_type})
                return r.status_code, r.json()
            r = await self.http.post(path, json=body, headers=headers)
            if self.crashed:
                raise SimulatedCrash("server killed before the push committed")
            return r.status_code, r.json()

        return send

    async def restart(self) -> None:
        await self.http.aclose()
        self._start()
        self.crash_next = True

    async def inspect(self) -> ServerState:
        records = []
        async with service.pull_snapshot(self.db.engine) as conn:
            store = SqlPullStore(conn)
            spaces = [*(s for site in self.setup.sites for s in site_spaces(site)), ORG_SPACE]
            for space, version in (await store.space_versions(spaces)).items():
                records += await store.changed(space, 0, version, None, 10**6)
        clients = await SyncClient.select(SyncClient.client_id, SyncClient.last_mutation_id)
        rejections = await Rejection.select().output(load_json=True)
        audit = await AuditEntry.select().output(load_json=True)
        conflicts = await Conflict.select().output(load_json=True)
        return ServerState(
            records=records,
            last_mutation_ids={str(c["client_id"]): c["last_mutation_id"] for c in clients},
            rejections=[RejectionRow(
                client_id=str(r["client_id"]), mutation_id=r["mutation_id"], name=r["name"],
                code=r["code"], reason=r["reason"], args=_json(r["args"]),
                staff_id=str(r["staff"]) if r["staff"] else None, space=r["space"],
                created_at=_iso(r["created_at"]) or "") for r in rejections],
            audit=[AuditRow(
                record_type=a["record_type"], record_id=str(a["record_id"]), space=a["space"],
                action=a["action"], changes=_json(a["changes"]),
                staff_id=str(a["staff"]) if a["staff"] else None,
                device_id=str(a["device"]) if a["device"] else None,
                client_id=str(a["client_id"]) if a["client_id"] else None,
                mutation_id=a["mutation_id"], device_hlc=a["device_hlc"],
                device_time=_iso(a["device_time"]),
                server_time=_iso(a["server_time"]) or "") for a in audit],
            conflicts=[ConflictRow(
                id=str(c["id"]), kind=c["kind"], space=c["space"],
                record_type=c["record_type"], record_ids=_json(c["record_ids"]),
                details=_json(c["details"]), staff_ids=_json(c["staff_ids"]),
                created_at=_iso(c["created_at"]) or "") for c in conflicts],
        )


@pytest.fixture
async def server_factory(db, settings, monkeypatch):
    handles: list[HttpHandle] = []
    write = SqlPushStore.write

    async def write_or_crash(store: SqlPushStore, batch: Any) -> None:
        await write(store, batch)
        handle = handles[-1] if handles else None
        if handle is not None and handle.crash_next:
            handle.crash_next = False
            handle.crashed = True
            raise RuntimeError("simulated crash before commit")  # the transaction rolls back

    monkeypatch.setattr(SqlPushStore, "write", write_or_crash)

    async def factory(setup: Setup, clock: Callable[[], datetime]) -> ServerHandle:
        handle = HttpHandle(db, settings, setup, clock)
        handles.append(handle)
        await handle.prepare()
        return handle

    yield factory
    for h in handles:
        await h.http.aclose()


def _random_steps(seed: int, n: int) -> list[Step]:
    rng = random.Random(seed)
    kinds = [k for k in STEP_KINDS if k != "server_restart"]
    return [Step(rng.choice([*kinds, "register", "register", "server_restart"]),
                 rng.randrange(16), rng.randrange(2**16), rng.randrange(2**16))
            for _ in range(n)]


async def test_a_busy_day_converges_over_http(server_factory) -> None:
    report = await run_convergence(server_factory, _random_steps(7, 160), seed=7,
                                   faults=FaultPlan(0.1, 0.1, 0.1, 0.1))
    assert report.mutations > 50
    assert {"forbidden_role", "unknown_mutation", "invalid_args"} <= set(report.rejections)
    assert report.conflicts and all(report.faults.values())


async def test_generated_scenarios_converge_over_http(server_factory) -> None:
    loop = asyncio.get_running_loop()
    faults = st.builds(FaultPlan, *[st.sampled_from([0.0, 0.1, 0.3])] * 4)

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(steps=steps_strategy(max_steps=50), seed=st.integers(0, 2**32), plan=faults)
    def scenario(steps: list[Step], seed: int, plan: FaultPlan) -> None:
        run = run_convergence(server_factory, steps, seed=seed, faults=plan)
        asyncio.run_coroutine_threadsafe(run, loop).result(timeout=120)

    def explore() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario()

    await asyncio.to_thread(explore)


async def test_a_crash_before_commit_loses_nothing(server_factory) -> None:
    steps = [Step("register", 0, 1, 1), Step("lend", 0, 0, 1), Step("server_restart", 0, 0, 0),
             Step("sync", 0, 0, 0), Step("sync", 0, 0, 0), Step("lend", 1, 0, 3),
             Step("sync", 1, 0, 0)]
    report = await run_convergence(server_factory, steps, seed=1, faults=FaultPlan(0, 0, 0, 0))
    assert report.mutations >= 2
