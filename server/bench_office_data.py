"""The data behind ``caretaker bench-office``: an estate of five sites and about N records
(default 1,000,000) spread over the year to now across every domain's tables.

Rows are made the way a push makes them — :class:`sync.storage.Record` values as the phones
send them, turned into table rows by :mod:`server.sync.sql_write`'s builders from the record
declarations (JSON columns, versions, ``<site>:<stream>`` spaces, timestamps as the store
writes them) — and written through the bare driver, one transaction per batch: sqlite3
``executemany``, asyncpg ``COPY`` (Piccolo's insert is far slower).

The shares follow a year of five estates (:data:`PER_MILLION`): patrol visits are most of
it (four checkpoints a round, a round every two hours per route), then the audit trail,
visitors, key loans, repair jobs and cards; each domain's module keeps a realistic share of
exceptions (overdue loans, missed rounds, open incidents, requests past their deadline…).
Seeded: two runs of one size make the same estate (ids and times aside)."""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, NamedTuple

import asyncpg

from server.demo.loader import GIVEN, SURNAMES
from server.sync.records import Column
from server.sync.spaces import space_of
from server.sync.sql import POSTGRES, SQLITE, Dialect, json_encode
from server.sync.sql_write import AUDIT_COLUMNS, upsert_for
from sync.hlc import HLC, node_id
from sync.storage import Record

YEAR = timedelta(days=365)
SIGNATURE = "ab" * 32  # the blob every signature names (one PNG, stored once)
BATCH = 20_000  # rows per transaction

# rows per 1,000,000 records; the derived tables (patrol visits, card issues, repair visits
# and follow-ups, gate checks) follow from their parents: see each domain's module
PER_MILLION = {
    "unit": 10_000, "resident": 20_000, "key_tag": 3_000, "key_loan": 60_000,
    "patrol_round": 82_000,  # + about 3.7 visits a round (patrol_scan: ~300,000)
    "patrol_incident": 3_000,
    "card": 33_000,  # + about one issue a card
    "repair_request": 40_000,  # + about one visit a request, a follow-up for 3 in 10
    "visitor": 120_000,
    "goods_pass": 25_000,  # + about one gate check a pass
    "handover": 5_500, "audit_entry": 180_000, "sync_conflict": 4_000, "sync_rejection": 4_000,
}
# field records that leave an audit entry of their own (each mutation is audited)
AUDITED = ("key_loan", "patrol_round", "patrol_scan", "patrol_incident", "card_issue",
           "repair_request", "repair_visit", "follow_up", "visitor", "goods_pass",
           "pass_check", "handover")
# about how many of each audited table a million records hold (for the audit's share)
EXPECTED = {"patrol_scan": 300_000, "card_issue": 33_000, "repair_visit": 43_000,
            "follow_up": 10_500, "pass_check": 23_600}


@dataclass(frozen=True)
class Plan:
    records: int
    sites: int = 5

    def count(self, table: str) -> int:
        return max(self.sites, round(PER_MILLION[table] * self.records / 1_000_000))

    def audit_share(self) -> float:
        audited = sum(PER_MILLION.get(t, 0) or EXPECTED[t] for t in AUDITED)
        return min(1.0, PER_MILLION["audit_entry"] / audited)


# --- the estate as the generators need it ------------------------------------------------------

class Person(NamedTuple):
    id: str
    name: str
    role: str
    device: str
    client: str
    node: str  # the HLC node of the person's phone


@dataclass
class SiteData:
    index: int
    id: str
    code: str
    name: str
    buildings: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    residents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # unit: (id, name)
    staff: dict[str, list[Person]] = field(default_factory=dict)  # role: people
    keys: list[tuple[str, str]] = field(default_factory=list)  # (id, code)
    checkpoints: list[tuple[str, str, str]] = field(default_factory=list)  # id, code, token
    routes: list[tuple[str, list[str], str]] = field(default_factory=list)  # id, stops, schedule
    device_keys: dict[str, str] = field(default_factory=dict)  # staff id: device key id
    zones: list[str] = field(default_factory=list)

    def people(self, role: str) -> list[Person]:
        return self.staff[role]


class Ctx:
    """What every generator shares: the random source, the clock, the sites, the space
    versions, and a few records of each type kept for the conflicts that name them."""

    def __init__(self, plan: Plan, dialect: Dialect, seed: int = 2026) -> None:
        self.plan = plan
        self.d = dialect
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.start = self.now - YEAR
        self.sites: list[SiteData] = []
        self.versions: dict[str, int] = {}
        self.samples: dict[str, list[Record]] = {}
        self.audit_share = plan.audit_share()
        self.admin: Person | None = None

    # ids, names, moments
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def uuid7(self, at: datetime) -> str:
        """A UUIDv7 of moment ``at``, as the phones make record ids."""
        ms = int(at.timestamp() * 1000) & 0xFFFFFFFFFFFF
        r = self.rng.getrandbits(74)
        h = f"{(ms << 80) | (7 << 76) | ((r >> 62) << 64) | (2 << 62) | (r & (2**62 - 1)):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        return f"{self.rng.choice('5679')}{self.rng.randrange(1000000, 9999999)}"

    def moment(self, i: int, n: int) -> datetime:
        """The ``i``-th of ``n`` moments spread evenly over the year to now (jittered)."""
        return self.start + (i + self.rng.random()) * (self.now - self.start) / n

    def daytime(self, at: datetime, first: int = 8, last: int = 22) -> datetime:
        """``at`` moved to the same estate day's opening hours (Hong Kong, UTC+8)."""
        local = at + timedelta(hours=8)
        hours = first + (last - first) * self.rng.random()
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return min(day + timedelta(hours=hours - 8), self.now)

    def hlc(self, at: datetime, who: Person) -> str:
        return HLC(int(at.timestamp() * 1000), 0, who.node).encode()

    def site(self, i: int) -> SiteData:
        return self.sites[i % len(self.sites)]

    # records
    def record(self, type_: str, site: SiteData, data: dict[str, Any], rid: str = "",
               at: datetime | None = None) -> Record:
        """A record of ``type_`` at ``site`` with the next version of its space."""
        space = space_of(type_, site.id)
        version = self.versions[space] = self.versions.get(space, 0) + 1
        return Record(type_, rid or (self.uuid7(at) if at else self.uuid4()), space, version,
                      data=data)

    def keep(self, rec: Record, every: int = 40) -> None:
        """Keep one record in ``every`` for the conflicts that name records of its type."""
        if self.rng.randrange(every) == 0:
            self.samples.setdefault(rec.type, []).append(rec)

    def ts(self, at: datetime | None) -> Any:
        """A moment as the driver takes it (SQLite: Piccolo's text; PostgreSQL: datetime)."""
        if at is None:
            return None
        return at if self.d is POSTGRES else str(at)


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def person(ctx: Ctx, name: str, role: str) -> Person:
    client = ctx.uuid4()
    return Person(ctx.uuid4(), name, role, ctx.uuid4(), client, node_id(client))


# --- the bare driver ----------------------------------------------------------------------------

class Writer:
    """Rows straight through the driver, one transaction per batch; counts what it wrote."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.dialect: Dialect = POSTGRES if kind == "postgres" else SQLITE
        self.counts: dict[str, int] = {}
        self._pg: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.kind == "postgres":
            self._pg = await asyncpg.connect(self.url)
        else:
            self._sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                           isolation_level=None)

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.execute("VACUUM ANALYZE")  # as autovacuum does after a bulk load
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
                   ) -> None:
        for i in range(0, len(rows), BATCH):
            chunk = rows[i:i + BATCH]
            if self._pg is not None:
                async with self._pg.transaction():
                    await self._pg.copy_records_to_table(table, records=chunk,
                                                         columns=list(columns))
            else:
                assert self._sqlite is not None
                cols = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                self._sqlite.execute("BEGIN IMMEDIATE")
                self._sqlite.executemany(
                    f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', chunk)  # noqa: S608
                self._sqlite.execute("COMMIT")
        self.counts[table] = self.counts.get(table, 0) + len(rows)


def converted(d: Dialect, columns: Iterable[Column], rows: Iterable[Sequence[Any]]
              ) -> list[tuple[Any, ...]]:
    """Rows of plain values converted as the store converts them (JSON text, timestamps)."""
    convert = [d.converter(c) for c in columns]
    return [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows]


# --- records, and the audit trail they leave --------------------------------------------------

class Audit:
    """Each field record's mutation, audited as a push audits it (one entry per record of
    the audited types, a share of them: :meth:`Plan.audit_share`)."""

    ACTIONS: ClassVar[dict[str, str]] = {
        "key_loan": "key.lend", "round": "round.plan", "scan": "scan.record",
        "incident": "incident.report", "card_issue": "card.issue",
        "repair_request": "repair.report", "repair_visit": "repair.start_visit",
        "follow_up": "repair.follow_up", "visitor": "visitor.sign_in", "goods_pass": "pass.issue",
        "pass_check": "pass.check", "handover": "handover.draft"}

    def __init__(self, ctx: Ctx, writer: Writer) -> None:
        self.ctx, self.writer = ctx, writer
        self.rows: list[tuple[Any, ...]] = []
        self.mutation = 0

    async def add(self, rec: Record, received: datetime, who: Person | None) -> None:
        ctx = self.ctx
        action = self.ACTIONS.get(rec.type)
        if action is None or ctx.rng.random() >= ctx.audit_share:
            return
        self.mutation += 1
        phone = who is not None and rec.type != "round"
        self.rows.append((
            ctx.uuid7(received), rec.type, rec.id, rec.space, rec.version, action,
            who.id if who else None, who.device if phone and who else None,
            who.client if phone and who else None, self.mutation if phone else None,
            ctx.hlc(received - timedelta(seconds=20), who) if phone and who else "",
            iso(received - timedelta(seconds=20)) if phone else None, iso(received),
            {k: [None, v] for k, v in rec.data.items()}))
        if len(self.rows) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        rows, self.rows = converted(self.ctx.d, AUDIT_COLUMNS, self.rows), []
        await self.writer.rows("audit_entry", [c.column for c in AUDIT_COLUMNS], rows)


class Item(NamedTuple):
    """A record as a generator makes it: when the server received it, and who sent it."""

    record: Record
    received: datetime
    who: Person | None = None


async def write_records(ctx: Ctx, writer: Writer, items: Sequence[Item],
                        audit: Audit | None = None) -> None:
    """Records of one type as the store writes them, each stamped with its receipt time."""
    if not items:
        return
    upsert = upsert_for(ctx.d, items[0].record.type)
    rows = upsert.rows([i.record for i in items], ctx.now, ctx.d)
    stamps = 2 if upsert.table.has_updated_at else 1  # created_at (, updated_at): last
    out = []
    for row, item in zip(rows, items, strict=True):
        at = ctx.ts(item.received)
        out.append((*row[:len(row) - stamps], *((at,) * stamps)))
    await writer.rows(upsert.table.table, [c.column for c in upsert.columns], out)
    if audit is not None:
        for item in items:
            await audit.add(item.record, item.received, item.who)


def json_text(value: Any) -> str:
    return json_encode(value).decode()
