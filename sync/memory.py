"""A reference server in memory: :class:`MemoryDatabase` (the committed state),
:class:`MemoryPushStore` / :class:`MemoryPullStore` (the storage interface of
:mod:`sync.storage`) and :class:`MemoryServer` (the two HTTP endpoints, shaped like the real
ones: ``(status, json)``).

Transactions are copy-on-write: a push only *collects* its :class:`PushWrite`; the commit
applies it in one synchronous step (nothing can interleave) when the transaction ends without
error. A simulated crash (``crash_commits``) or any exception drops the collected write, and
the committed state is exactly as before. One ``asyncio.Lock`` serialises transactions (like
SQLite's single writer); pulls take it too, so each pull reads one snapshot.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec

from sync import buckets, engine
from sync.buckets import Jobs
from sync.context import Key, Principal
from sync.errors import ClientMismatch, InvalidRequest, SyncError, TryAgain
from sync.protocol import ErrorBody, PullRequest, PushRequest
from sync.registry import Registry
from sync.storage import (
    AuditRow,
    ClientState,
    ConflictRow,
    Lookup,
    PushWrite,
    Record,
    Ref,
    RejectionRow,
    conflict_record,
)

PUSH_PATH = "/api/v1/sync/push"
PULL_PATH = "/api/v1/sync/pull"
BLOB_PATH = "/api/v1/blobs/"

Send = Callable[[str, Any], Awaitable[tuple[int, Any]]]
"""A transport: ``await send(path, json_body) -> (status, json)``; raises ``ConnectionError``
(or ``OSError``) when no answer came back."""

LogEntry = tuple[int, str, str]  # (version, type, id)


class SimulatedCrash(ConnectionError):
    """The server died before committing: the client gets no answer."""


class MemoryDatabase:
    """The committed state of a whole server."""

    def __init__(self) -> None:
        self.clients: dict[str, ClientState] = {}
        self.versions: dict[str, int] = {}
        self.records: dict[Key, Record] = {}
        self.logs: dict[str, list[LogEntry]] = {}  # per space, in (version, type, id) order
        self.audit: list[AuditRow] = []
        self.conflicts: dict[str, ConflictRow] = {}
        self.rejections: dict[str, list[RejectionRow]] = {}
        self.blobs: dict[str, set[str]] = {}  # sha256 -> who uploaded it (each uploader)
        self.indexes: dict[tuple[str, str], dict[Any, dict[str, None]]] = {}
        self.lock = asyncio.Lock()
        self.crash_commits = 0  # the next N push commits fail as if the process died
        self.commits = 0

    @asynccontextmanager
    async def push_transaction(self) -> AsyncIterator[MemoryPushStore]:
        async with self.lock:
            store = MemoryPushStore(self)
            yield store
            if store.batch is not None:
                if self.crash_commits > 0:
                    self.crash_commits -= 1
                    raise SimulatedCrash("server crashed before commit")
                self.commit(store.batch)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[MemoryPullStore]:
        async with self.lock:
            yield MemoryPullStore(self)

    # --- writes ---------------------------------------------------------------------------

    def commit(self, w: PushWrite) -> None:
        if w.client is not None:
            self.clients[w.client.client_id] = w.client
        self.versions.update(w.versions)
        conflicts = [conflict_record(c, w.versions[c.space]) for c in w.conflicts]
        self._put(w.puts + conflicts)
        for c in w.conflicts:
            self.conflicts[c.id] = c
        self.audit.extend(w.audit)
        for r in w.rejections:
            self.rejections.setdefault(r.client_id, []).append(r)
        self.commits += 1

    def office_write(self, records: Iterable[Record]) -> dict[str, int]:
        """Write records outside a push (reference data, office edits): each touched space
        gets one new version. Returns the new versions."""
        recs = list(records)
        versions = {r.space: self.versions.get(r.space, 0) + 1 for r in recs}
        stamped = [msgspec.structs.replace(r, version=versions[r.space]) for r in recs]
        self.versions.update(versions)
        self._put(stamped)
        return versions

    def _put(self, recs: Sequence[Record]) -> None:
        entries: dict[str, list[LogEntry]] = {}
        for rec in recs:
            key = (rec.type, rec.id)
            old = self.records.get(key)
            self.records[key] = rec
            entries.setdefault(rec.space, []).append((rec.version, rec.type, rec.id))
            for (t, field), index in self.indexes.items():
                if t == rec.type:
                    if old is not None:
                        index.get(old.data.get(field), {}).pop(rec.id, None)
                    index.setdefault(rec.data.get(field), {})[rec.id] = None
        for space, new in entries.items():
            new.sort()
            log = self.logs.setdefault(space, [])
            if log and new[0] <= log[-1]:  # an office write behind a push: keep the order
                log.extend(new)
                log.sort()
            else:
                log.extend(new)

    # --- reads ----------------------------------------------------------------------------

    def index(self, type_: str, field: str) -> dict[Any, dict[str, None]]:
        index = self.indexes.get((type_, field))
        if index is None:
            index = {}
            for (t, id_), rec in self.records.items():
                if t == type_:
                    index.setdefault(rec.data.get(field), {})[id_] = None
            self.indexes[(type_, field)] = index
        return index

    def live(self, space: str, after_version: int, upto_version: int,
             after: LogEntry | None = None) -> Iterable[Record]:
        log = self.logs.get(space, ())
        start = bisect_right(log, (after_version, "\U0010ffff", ""))
        if after is not None:
            start = max(start, bisect_right(log, after))
        for i in range(start, len(log)):
            version, type_, id_ = log[i]
            if version > upto_version:
                break
            rec = self.records[(type_, id_)]
            if rec.version == version:  # older entries of a rewritten record are stale
                yield rec


def _copy(rec: Record) -> Record:
    # the engine never changes a record it was given, but a copy keeps the committed state
    # safe from a rule that would
    return Record(rec.type, rec.id, rec.space, rec.version, dict(rec.data),
                  dict(rec.field_hlc), rec.deleted)


class MemoryPushStore:
    """One push transaction (implements :class:`sync.storage.PushStore`)."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.batch: PushWrite | None = None

    async def load_client(self, client_id: str) -> ClientState | None:
        return self.db.clients.get(client_id)

    async def spaces_of(self, refs: Sequence[Ref]) -> dict[Ref, str]:
        records = self.db.records
        out = {}
        for ref in refs:
            rec = records.get((ref.type, ref.id))
            if rec is not None:
                out[ref] = rec.space
        return out

    async def lock_spaces(self, spaces: Sequence[str]) -> dict[str, int]:
        return {s: self.db.versions.get(s, 0) for s in spaces}

    async def load(self, refs: Sequence[Ref], lookups: Sequence[Lookup]) -> list[Record]:
        records = self.db.records
        out: dict[Key, Record] = {}
        for ref in refs:
            key = (ref.type, ref.id)
            rec = records.get(key)
            if rec is not None:
                out[key] = rec
        for lk in lookups:
            for id_ in self.db.index(lk.type, lk.field).get(lk.value, ()):
                rec = records[(lk.type, id_)]
                if not lk.where or lk.matches(rec.data):
                    out[(lk.type, id_)] = rec
        return [_copy(rec) for rec in out.values()]

    async def known_blobs(self, shas: Sequence[str], staff_id: str,
                          spaces: frozenset[str]) -> set[str]:
        wanted = set(shas)
        out = {sha for sha in wanted if staff_id in self.db.blobs.get(sha, ())}
        if wanted - out:
            registry = _registry()
            for rec in self.db.records.values():
                t = registry.records.get(rec.type)
                if t is not None and rec.space in spaces:
                    out.update(wanted.intersection(t.blobs_of(rec.data)))
        return out

    async def write(self, batch: PushWrite) -> None:
        if self.batch is not None:
            raise RuntimeError("a push writes once")
        self.batch = batch


class MemoryPullStore:
    """One pull snapshot (implements :class:`sync.storage.PullStore`)."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def last_mutation_id(self, client_id: str) -> int:
        client = self.db.clients.get(client_id)
        return client.last_mutation_id if client is not None else 0

    async def space_versions(self, spaces: Sequence[str]) -> dict[str, int]:
        return {s: self.db.versions.get(s, 0) for s in spaces}

    async def changed(self, space: str, after_version: int, upto_version: int,
                      after: tuple[int, str, str] | None, limit: int,
                      unit: str | None = None, staff: str = "") -> list[Record]:
        out = []
        for rec in self._live(space, after_version, upto_version, after, unit, staff):
            out.append(rec)
            if len(out) >= limit:
                break
        return out

    async def count_changed(self, space: str, after_version: int, upto_version: int,
                            unit: str | None = None, staff: str = "") -> int:
        return sum(1 for _ in self._live(space, after_version, upto_version, None, unit,
                                         staff))

    def _live(self, space: str, after_version: int, upto_version: int,
              after: tuple[int, str, str] | None, unit: str | None,
              staff: str = "") -> Iterable[Record]:
        records = self.db.live(space, after_version, upto_version, after)
        if unit is None:
            return records
        registry = _registry()
        return (r for r in records
                if buckets.matches(unit, registry.has_unit(r.type), r.data, staff))

    async def job_units(self, jobs: Sequence[Jobs], staff_id: str, sites: Sequence[str],
                        now: datetime) -> set[tuple[str, str]]:
        return buckets.job_units(jobs, self.db.records.values(), staff_id, sites, now)

    async def rejections(self, client_id: str, after_mutation_id: int) -> list[RejectionRow]:
        return [r for r in self.db.rejections.get(client_id, ())
                if r.mutation_id > after_mutation_id]


def _registry() -> Registry:
    from sync.domains import default_registry

    return default_registry()


def utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryServer:
    """The sync endpoints over a :class:`MemoryDatabase`, answering ``(status, json)`` like
    the HTTP server. A "restart" is a new ``MemoryServer`` over the same database."""

    def __init__(
        self,
        db: MemoryDatabase,
        *,
        registry: Registry | None = None,
        clock: Callable[[], datetime] = utc_now,
        page_size: int = engine.DEFAULT_PAGE_SIZE,
        max_clock_ahead_ms: int = engine.DEFAULT_MAX_CLOCK_AHEAD_MS,
        retries: int = 3,
    ) -> None:
        if registry is None:
            registry = _registry()
        self.db = db
        self.registry = registry
        self.clock = clock
        self.page_size = page_size
        self.max_clock_ahead_ms = max_clock_ahead_ms
        self.retries = retries

    def transport(self, actor: Principal) -> Send:
        """The transport of one signed-in device (the bearer token stands for ``actor``)."""

        async def send(path: str, body: Any) -> tuple[int, Any]:
            return await self.handle(actor, path, body)

        return send

    async def handle(self, actor: Principal, path: str, body: Any) -> tuple[int, Any]:
        try:
            if path == PUSH_PATH:
                return 200, msgspec.to_builtins(await self._push(actor, body))
            if path == PULL_PATH:
                return 200, msgspec.to_builtins(await self._pull(actor, body))
            if path.startswith(BLOB_PATH):
                # the bytes are not kept here: only who uploaded which hash
                sha = path.removeprefix(BLOB_PATH)
                created = sha not in self.db.blobs
                self.db.blobs.setdefault(sha, set()).add(actor.staff_id)
                return (201 if created else 200), {"sha256": sha, "created": created}
            return 404, msgspec.to_builtins(ErrorBody(code="not_found", message=path))
        except SyncError as exc:
            return exc.status, msgspec.to_builtins(exc.body())

    async def _push(self, actor: Principal, body: Any) -> Any:
        request = _convert(body, PushRequest)
        for attempt in range(self.retries + 1):
            try:
                async with self.db.push_transaction() as store:
                    return await engine.push(
                        store, actor, request, registry=self.registry, now=self.clock(),
                        max_clock_ahead_ms=self.max_clock_ahead_ms,
                    )
            except TryAgain:
                if attempt == self.retries:
                    raise
        raise AssertionError("unreachable")

    async def _pull(self, actor: Principal, body: Any) -> Any:
        request = _convert(body, PullRequest)
        async with self.db.snapshot() as store:
            client = self.db.clients.get(request.client_id)
            if client is not None and client.staff_id != actor.staff_id:
                raise ClientMismatch(request.client_id)
            return await engine.pull(store, actor, request, page_size=self.page_size,
                                     now=self.clock(), registry=self.registry)


def _convert(body: Any, type_: type[Any]) -> Any:
    try:
        return msgspec.convert(body, type_)
    except msgspec.ValidationError as exc:
        raise InvalidRequest(f"invalid request: {exc}") from None
