"""The convergence scenario, reusable against any server.

Simulated phones (reference :class:`sync.client.SyncClient`) do random work of every domain
(each domain's ``scenario`` module says what) offline and sync in random order through
:class:`sync.faults.FaultyTransport`; the server is restarted (a push in flight crashes before
its commit) and apps are restarted. At the end, after a final
fault-free sync, :func:`sync.convergence.check` asserts that

* every phone's replica equals the server's state for its spaces (read through a fresh
  observer client with every site, and through ``ServerHandle.inspect``);
* every mutation was processed once (server ``last_mutation_id`` = the phone's last id, no
  (client, mutation, record) twice in the audit, none both applied and rejected) and every
  rejection reached its phone;
* every real-world event a phone recorded is stored (each domain's ``scenario.kept`` says
  how: a lend is a loan, a return is on its loan or in a ``double_return`` conflict, a
  corrected value is current, in a ``field_overwritten`` conflict, or the "before" of a
  later audit row…).

A server implements :class:`ServerHandle` through a :data:`ServerFactory`;
:func:`memory_server_factory` is the in-memory one. The HTTP server's tests pass their own
factory (creating the setup's sites and staff, signing each phone in) to
:func:`run_convergence`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

import msgspec

from sync import buckets, streams
from sync.client import LocalState, SyncClient
from sync.context import Principal
from sync.convergence import PhoneOutcome, ServerState, check
from sync.domains import scenarios
from sync.faults import FaultPlan, FaultyTransport
from sync.memory import MemoryDatabase, MemoryServer, Send
from sync.protocol import Mutation
from sync.storage import Record
from sync.streams import space

SITE_A = "a0000000-0000-4000-8000-00000000000a"
SITE_B = "b0000000-0000-4000-8000-00000000000b"
START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
_NS = uuid.UUID("3b5e8f7a-1c2d-4e6f-8a9b-0c1d2e3f4a5b")


class StaffSpec(msgspec.Struct, frozen=True):
    staff_id: str
    role: str
    sites: tuple[str, ...]


class PhoneSpec(msgspec.Struct, frozen=True):
    client_id: str
    staff_id: str
    clock_skew_ms: int = 0  # the phone's clock runs this far ahead (negative: behind)


class Setup(msgspec.Struct):
    sites: list[str]
    staff: list[StaffSpec]
    phones: list[PhoneSpec]
    observer: PhoneSpec  # an admin's fresh phone with every site, only pulls

    def staff_of(self, phone: PhoneSpec) -> StaffSpec:
        return next(s for s in self.staff if s.staff_id == phone.staff_id)


class ServerHandle(Protocol):
    def principal(self, phone: PhoneSpec) -> Principal:
        """The phone's user as the server sees it (role, sites, the device id it issued)."""
        ...

    def transport(self, phone: PhoneSpec) -> Send:
        """The phone's signed-in transport (always to the current server process)."""
        ...

    async def restart(self) -> None:
        """Kill the server (a push in flight loses its uncommitted work) and start it again."""
        ...

    async def inspect(self) -> ServerState: ...


ServerFactory = Callable[[Setup, Callable[[], datetime]], Awaitable[ServerHandle]]


def default_setup() -> Setup:
    def staff(n: int, role: str, *sites: str) -> StaffSpec:
        return StaffSpec(str(uuid.uuid5(_NS, f"staff{n}")), role, sites)

    def phone(n: int, s: StaffSpec, skew_ms: int = 0) -> PhoneSpec:
        return PhoneSpec(str(uuid.uuid5(_NS, f"phone{n}")), s.staff_id, skew_ms)

    desk_a1 = staff(1, "front_desk", SITE_A)
    desk_a2 = staff(2, "front_desk", SITE_A)
    supervisor = staff(3, "supervisor", SITE_A, SITE_B)
    desk_b = staff(4, "front_desk", SITE_B)
    guard = staff(5, "patrol", SITE_A)
    admin = staff(6, "admin", SITE_A, SITE_B)
    tech = staff(7, "technician", SITE_A)  # receives only their jobs' units (sync.buckets)
    return Setup(
        sites=[SITE_A, SITE_B],
        staff=[desk_a1, desk_a2, supervisor, desk_b, guard, admin, tech],
        phones=[
            phone(1, desk_a1),
            phone(2, desk_a2, skew_ms=-90_000),  # a slow clock
            phone(3, supervisor, skew_ms=20 * 60_000),  # runs ahead: clamped by the server
            phone(4, desk_b),
            phone(5, guard),  # may not lend: forbidden_role
            phone(6, tech),
        ],
        observer=phone(9, admin),
    )


class Step(NamedTuple):
    kind: str
    phone: int
    a: int
    b: int


def _domain_kinds() -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for scenario in scenarios():
        for kind in scenario.KINDS:
            kinds.setdefault(kind, scenario)
    return kinds


DOMAIN_KINDS = tuple(k for scenario in scenarios() for k in scenario.KINDS)
STEP_KINDS = (*DOMAIN_KINDS, "bad", "sync", "sync", "sync", "app_restart", "server_restart",
              "tick")


def steps_strategy(max_steps: int = 60) -> Any:
    """A hypothesis strategy of scenario steps (hypothesis is imported only here)."""
    from hypothesis import strategies as st

    step = st.builds(Step, st.sampled_from(STEP_KINDS), st.integers(0, 15),
                     st.integers(0, 2**16), st.integers(0, 2**16))
    return st.lists(step, min_size=min(10, max_steps), max_size=max_steps)


class Report(NamedTuple):
    mutations: int
    rejections: dict[str, int]
    conflicts: dict[str, int]
    faults: dict[str, int]


async def _no_sleep(_seconds: float) -> None:
    return None


class ScenarioPhone:
    """A simulated phone, as a domain's ``scenario.act`` sees it."""

    def __init__(self, spec: PhoneSpec, staff: StaffSpec, world: _World,
                 server: ServerHandle, all_sites: Sequence[str]) -> None:
        self.spec = spec
        self.staff = staff
        self.sites = staff.sites
        self.all_sites = all_sites
        self.world = world
        self.principal = server.principal(spec)
        self.transport = FaultyTransport(server.transport(spec),
                                         random.Random(world.rng.random()), world.faults)
        self.made: list[Mutation] = []
        self.client = self._client(LocalState(client_id=spec.client_id))

    def _client(self, state: LocalState) -> SyncClient:
        return SyncClient(state, self.principal, self.transport, now_ms=self.now_ms,
                          sleep=_no_sleep, rng=random.Random(0), max_retries=2,
                          push_batch=7)

    def now_ms(self) -> int:
        return self.world.now_ms() + self.spec.clock_skew_ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC)

    def restart_app(self) -> None:
        self.client = self._client(LocalState.load(self.client.state.dump()))

    def mutate(self, name: str, args: dict[str, Any], validate: bool = True) -> None:
        self.made.append(self.client.mutate(name, args, validate=validate))

    def records(self, type_: str) -> list[Record]:
        return sorted((r for (t, _), r in self.client.replica.items() if t == type_),
                      key=lambda r: r.id)

    def new_id(self) -> str:
        return self.world.new_id()

    def new_blob(self) -> str:
        """A signature drawn now (a PNG's bytes): its hash, kept until uploaded."""
        data = b"\x89PNG\r\n\x1a\n" + self.world.rng.getrandbits(128).to_bytes(16, "big")
        return self.client.store_blob(data, "image/png")

    @property
    def spaces(self) -> frozenset[str]:
        return streams.readable_spaces(self.staff.role, self.staff.sites)

    def buckets(self, observer: SyncClient) -> frozenset[str]:
        """The buckets this phone's person reads, by the jobs the observer's replica holds
        (all phones synced: the server's state)."""
        staff = self.staff
        units = buckets.job_units(self.client.registry.jobs, observer.replica.values(),
                                  staff.staff_id, staff.sites, self.now())
        return frozenset(buckets.buckets_of(staff.role, staff.sites, units))


class _World:
    def __init__(self, seed: int, faults: FaultPlan) -> None:
        self.rng = random.Random(seed)
        self.faults = faults
        self.elapsed_ms = 0

    def now_ms(self) -> int:
        return int(START.timestamp() * 1000) + self.elapsed_ms

    def now(self) -> datetime:
        return START + timedelta(milliseconds=self.elapsed_ms)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _act(kinds: dict[str, Any], ph: ScenarioPhone, kind: str, a: int, b: int) -> None:
    if kind == "bad":  # what an old or buggy app might send
        if b % 2:
            ph.mutate("key.fly", {"x": 1}, validate=False)
        else:
            bad = [sc for sc in scenarios() if hasattr(sc, "bad")]
            if bad:
                bad[a % len(bad)].bad(ph, a, b)
        return
    scenario = kinds.get(kind)
    if scenario is not None:
        scenario.act(ph, kind, a, b)


async def run_convergence(
    factory: ServerFactory,
    steps: Sequence[Step],
    *,
    seed: int = 0,
    faults: FaultPlan = FaultPlan(),
    setup: Setup | None = None,
) -> Report:
    setup = setup or default_setup()
    world = _World(seed, faults)
    server = await factory(setup, world.now)
    phones = [ScenarioPhone(p, setup.staff_of(p), world, server, setup.sites)
              for p in setup.phones]
    kinds = _domain_kinds()
    for step in steps:
        world.elapsed_ms += 1000 + (step.a % 30) * 1000
        ph = phones[step.phone % len(phones)]
        if step.kind == "sync":
            await ph.client.sync()
        elif step.kind == "app_restart":
            ph.restart_app()
        elif step.kind == "server_restart":
            await server.restart()
        elif step.kind == "tick":
            world.elapsed_ms += (step.a % 7200) * 1000
        else:
            _act(kinds, ph, step.kind, step.a, step.b)

    # the network heals: held-back pushes land, then everyone syncs until quiet
    for ph in phones:
        ph.transport.enabled = False
        await ph.transport.flush()
    for _ in range(3):
        for ph in phones:
            await ph.client.sync()
    observer = ScenarioPhone(setup.observer, setup.staff_of(setup.observer), world, server,
                             setup.sites)
    observer.transport.enabled = False
    await observer.client.sync()
    state = await server.inspect()
    check([PhoneOutcome(ph.client, ph.spaces, ph.made, ph.buckets(observer.client))
           for ph in phones], observer.client, state)

    faults_seen: dict[str, int] = {}
    for ph in phones:
        for k, v in ph.transport.counts.items():
            faults_seen[k] = faults_seen.get(k, 0) + v
    return Report(
        mutations=sum(len(ph.made) for ph in phones),
        rejections=_count(r.code for r in state.rejections),
        conflicts=_count(c.kind for c in state.conflicts),
        faults=faults_seen,
    )


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


# --- the in-memory server ------------------------------------------------------------------

def setup_records(sites: Sequence[str]) -> list[Record]:
    """What the office has set up before the phones start, from each domain's scenario
    (``setup_records(sites, start)``, where it has one: patrol's checkpoints and routes)."""
    out: list[Record] = []
    for scenario in scenarios():
        make = getattr(scenario, "setup_records", None)
        if make is not None:
            out += make(list(sites), START)
    return out


def site_record(site_id: str) -> Record:
    """A site as the office keeps it (the setup's sites exist before the phones start)."""
    return Record("site", site_id, space(site_id, "estate"),
                  data={"code": f"S{site_id[:4].upper()}", "name": f"site {site_id[:4]}",
                        "address": ""})


class MemoryHandle:
    def __init__(self, setup: Setup, clock: Callable[[], datetime], **server_options: Any):
        self.setup = setup
        self.clock = clock
        self.options = server_options
        self.db = MemoryDatabase()
        self.db.office_write(site_record(site) for site in setup.sites)
        self.db.office_write(setup_records(setup.sites))
        self.server = MemoryServer(self.db, clock=clock, **server_options)

    def principal(self, phone: PhoneSpec) -> Principal:
        staff = self.setup.staff_of(phone)
        return Principal(staff.staff_id, staff.role, frozenset(staff.sites),
                         device_id=str(uuid.uuid5(_NS, f"device:{phone.client_id}")))

    def transport(self, phone: PhoneSpec) -> Send:
        actor = self.principal(phone)

        async def send(path: str, body: Any) -> tuple[int, Any]:
            return await self.server.handle(actor, path, body)

        return send

    async def restart(self) -> None:
        self.db.crash_commits = 1  # the next push dies before its commit
        self.server = MemoryServer(self.db, clock=self.clock, **self.options)

    async def inspect(self) -> ServerState:
        db = self.db
        return ServerState(
            records=list(db.records.values()),
            last_mutation_ids={c: s.last_mutation_id for c, s in db.clients.items()},
            rejections=[r for rows in db.rejections.values() for r in rows],
            audit=list(db.audit),
            conflicts=list(db.conflicts.values()),
        )


def memory_server_factory(**server_options: Any) -> ServerFactory:
    """A factory of in-memory servers (options go to :class:`MemoryServer`, e.g. a small
    ``page_size`` to exercise paging)."""

    async def factory(setup: Setup, clock: Callable[[], datetime]) -> ServerHandle:
        return MemoryHandle(setup, clock, **server_options)

    return factory


__all__ = [
    "START",
    "STEP_KINDS",
    "MemoryHandle",
    "PhoneSpec",
    "Report",
    "ScenarioPhone",
    "ServerFactory",
    "ServerHandle",
    "ServerState",
    "Setup",
    "StaffSpec",
    "Step",
    "default_setup",
    "memory_server_factory",
    "run_convergence",
    "setup_records",
    "steps_strategy",
]
