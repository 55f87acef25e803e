"""A reference client that behaves like the phone (the service worker's sync module mirrors it).

* A :class:`LocalState` holds everything that must survive an app restart: the client id, the
  next mutation id, the outbox, the confirmed server records, the pull cookie, the rejections
  received and the HLC. A restart is ``SyncClient(state=LocalState.load(old.state.dump()))``.
* Writes are optimistic: :meth:`SyncClient.mutate` queues a mutation and re-runs the *same*
  mutators locally (:class:`sync.context.Context` without audit) over the replica. The server's
  result may differ; after each pull the client rebases: replica = confirmed server records +
  the still-pending mutations re-applied.
* :meth:`SyncClient.sync` pushes the outbox, then pulls until ``more`` is false. Transport
  errors, 5xx and 429 are retried with exponential backoff and jitter (``sleep`` and ``rng``
  are injectable); 409 resends from the expected id; 401 pauses ("needs_sign_in") and 426
  stops ("update_required"), both keeping the outbox.

The transport is ``await send(path, json_body) -> (status, json)``: the memory server, an
httpx client against the real server, or a fault-injecting wrapper.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from sync import SCHEMA_VERSION, buckets, hlc
from sync.context import Context, Key, Principal, View, ViewSpaces
from sync.errors import UNKNOWN_MUTATION, Reject
from sync.memory import BLOB_PATH, PULL_PATH, PUSH_PATH, Send
from sync.protocol import Mutation, PullResponse, RejectionOut
from sync.pull import RESERVED
from sync.registry import Registry
from sync.storage import Record

# statuses that pause syncing until the person (or an app update) acts
NEEDS_SIGN_IN = "needs_sign_in"
UPDATE_REQUIRED = "update_required"
STOPPED = frozenset({NEEDS_SIGN_IN, UPDATE_REQUIRED})


class LocalBlob(msgspec.Struct):
    """A photo or signature kept on the phone until uploaded."""

    content_type: str
    data: bytes
    uploaded: bool = False


class LocalState(msgspec.Struct):
    """What the phone keeps in IndexedDB."""

    client_id: str
    next_mutation_id: int = 1
    outbox: list[Mutation] = msgspec.field(default_factory=list)
    pushed_through: int = 0  # the server acknowledged every id <= this (push answers)
    confirmed_through: int = 0  # last_mutation_id of the last complete pull
    cookie: str | None = None
    records: dict[str, Record] = msgspec.field(default_factory=dict)  # "type/id" -> record
    rejections: list[RejectionOut] = msgspec.field(default_factory=list)
    clock: str = ""
    blobs: dict[str, LocalBlob] = msgspec.field(default_factory=dict)  # by sha256

    def dump(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def load(cls, data: bytes) -> LocalState:
        return msgspec.json.decode(data, type=cls)


class SyncClient:
    def __init__(
        self,
        state: LocalState,
        actor: Principal,
        send: Send,
        *,
        registry: Registry | None = None,
        now_ms: Callable[[], int] = hlc.system_ms,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        schema_version: int = SCHEMA_VERSION,
        max_retries: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 60.0,
        push_batch: int = 100,
        max_pull_pages: int = 1000,
    ) -> None:
        if registry is None:
            from sync.domains import default_registry

            registry = default_registry()
        self.state = state
        self.actor = actor
        self.send = send
        self.registry = registry
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.schema_version = schema_version
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.push_batch = push_batch
        self.max_pull_pages = max_pull_pages
        last = hlc.parse(state.clock) if state.clock else None
        self.clock = hlc.Clock(state.client_id, now_ms=now_ms, last=last)
        self.status = "idle"
        self.error: str | None = None
        self.progress = (0, 0)  # (sent, total) of the current pull round
        self.replica: dict[Key, Record] = {}
        self.rebuild()

    # --- local writes -----------------------------------------------------------------------

    def mutate(self, name: str, args: dict[str, Any], *, validate: bool = True) -> Mutation:
        """Queue a mutation and apply it optimistically. With ``validate`` (the default) a
        mutation the app knows to be invalid raises :class:`Reject` and is not queued."""
        spec = self.registry.get(name)
        if validate:
            if spec is None:
                raise Reject(UNKNOWN_MUTATION, f"unknown mutation {name!r}")
            spec.decode(args)
        state = self.state
        m = Mutation(id=state.next_mutation_id, name=name, args=args,
                     hlc=self.clock.now().encode())
        state.next_mutation_id += 1
        state.outbox.append(m)
        state.clock = self.clock.last.encode()
        self.rebuild()
        return m

    def store_blob(self, data: bytes, content_type: str = "image/png") -> str:
        """A photo or signature taken on this phone: kept until uploaded (before the
        mutations that name it are pushed); its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        self.state.blobs.setdefault(sha, LocalBlob(content_type, data))
        return sha

    @property
    def pending(self) -> list[Mutation]:
        return list(self.state.outbox)

    def rebuild(self) -> None:
        """replica = confirmed server records + pending mutations re-applied (the rebase)."""
        base = {(r.type, r.id): r for r in self.state.records.values()}
        view = View(base)
        ctx = Context(view, self.actor, client_id=self.state.client_id, record_audit=False)
        for m in self.state.outbox:
            self._apply_local(ctx, view, m)
        for key, rec in view.changed.items():
            if rec.deleted:
                base.pop(key, None)
            else:
                base[key] = rec
        self.replica = base

    def _apply_local(self, ctx: Context, view: View, m: Mutation) -> None:
        spec = self.registry.get(m.name)
        if spec is None:
            return
        try:
            args = spec.decode(m.args)
            space = spec.space(args, ViewSpaces(view))
            spec.authorize(self.actor, space)
            ctx.begin(m.id, m.name, space, m.hlc)
            spec.apply(ctx, args)
        except Exception:  # rejected (or not appliable here): the server will say why
            ctx.rollback()
        else:
            ctx.commit()

    # --- sync -------------------------------------------------------------------------------

    async def sync(self) -> str:
        """Push, then pull. Returns the status: ``synced``, ``offline`` (will retry later),
        ``needs_sign_in``, ``update_required`` or ``error``."""
        if self.status in STOPPED:
            return self.status
        self.error = None
        if not await self.upload_blobs() or not await self.push():
            # offline, stopped or failed: the pull can wait
            return self.status
        if await self.pull():
            self.status = "synced"
        return self.status

    def sign_in(self, send: Send) -> None:
        """After a 401: a new transport (new token); the same client resumes, same ids."""
        self.send = send
        if self.status == NEEDS_SIGN_IN:
            self.status = "idle"

    def update_app(self, schema_version: int = SCHEMA_VERSION) -> None:
        self.schema_version = schema_version
        if self.status == UPDATE_REQUIRED:
            self.status = "idle"

    async def upload_blobs(self) -> bool:
        """Every blob this phone holds that is not on the server yet (idempotent)."""
        for sha, blob in list(self.state.blobs.items()):
            if blob.uploaded:
                continue
            answer = await self._call(BLOB_PATH + sha, blob)
            if answer is None:
                return False
            if answer[0] >= 300:
                return self._fail(*answer)
            blob.uploaded = True
        return True

    async def push(self) -> bool:
        state = self.state
        gaps = 0
        while True:
            batch = [m for m in state.outbox if m.id > state.pushed_through][: self.push_batch]
            if not batch:
                return True
            body = {"client_id": state.client_id, "schema_version": self.schema_version,
                    "mutations": msgspec.to_builtins(batch)}
            answer = await self._call(PUSH_PATH, body)
            if answer is None:
                return False
            status, data = answer
            if status == 200:
                last = int(data["last_mutation_id"])
                state.pushed_through = max(state.pushed_through, last)
                if last >= batch[-1].id:
                    continue
                expected = last + 1  # the server took less than we sent: resend from there
            elif status == 409 and isinstance(data, dict) and "expected_mutation_id" in data:
                expected = int(data["expected_mutation_id"])
            else:
                return self._fail(status, data)
            gaps += 1
            oldest = state.outbox[0].id if state.outbox else state.next_mutation_id
            if gaps > 5 or expected < oldest or expected > state.next_mutation_id:
                self.status = "error"
                self.error = f"cannot resume at mutation {expected} (have {oldest}…)"
                return False
            state.pushed_through = expected - 1

    async def pull(self) -> bool:
        state = self.state
        for _ in range(self.max_pull_pages):
            body = {"client_id": state.client_id, "schema_version": self.schema_version,
                    "cookie": state.cookie}
            answer = await self._call(PULL_PATH, body)
            if answer is None:
                return False
            status, data = answer
            if status != 200:
                return self._fail(status, data)
            resp = msgspec.convert(data, PullResponse)
            self._apply_pull(resp)
            if not resp.more:
                return True
        return True

    def _apply_pull(self, resp: PullResponse) -> None:
        # one "transaction": patch, cookie, rejections, confirmed outbox
        state = self.state
        records = state.records
        for op in resp.patch:
            if op.type == "space" and op.op == "del":
                # a space, or a bucket of one (sync/buckets.py: a job's unit left)
                space, unit = buckets.parse(op.id)
                has_unit = self.registry.has_unit
                for k in [k for k, r in records.items() if r.space == space and (
                        unit is None or buckets.matches(unit, has_unit(r.type), r.data))]:
                    del records[k]
                continue
            key = f"{op.type}/{op.id}"
            if op.op == "del" or op.data is None:
                records.pop(key, None)
                continue
            data = dict(op.data)
            space, version, newest, field_hlc = (data.pop(f, None) for f in RESERVED)
            if isinstance(newest, str):
                with contextlib.suppress(ValueError):
                    self.clock.receive(hlc.parse(newest))
            records[key] = Record(op.type, op.id, str(space or ""), int(version or 0), data,
                                  dict(field_hlc) if isinstance(field_hlc, dict) else {})
        seen = {r.mutation_id for r in state.rejections}
        state.rejections.extend(r for r in resp.rejections if r.mutation_id not in seen)
        state.cookie = resp.cookie
        self.progress = (resp.sent, resp.total)
        if not resp.more:
            # complete up to the snapshot that read last_mutation_id: confirmed mutations'
            # effects (or rejections) are in the records now
            last = resp.last_mutation_id
            state.confirmed_through = last
            state.pushed_through = max(state.pushed_through, last)
            state.outbox = [m for m in state.outbox if m.id > last]
        state.clock = self.clock.last.encode()
        self.rebuild()

    async def _call(self, path: str, body: Any) -> tuple[int, Any] | None:
        """Send with retries; ``None`` when it gave up or must stop (status says why)."""
        for attempt in range(self.max_retries + 1):
            try:
                status, data = await self.send(path, body)
            except (ConnectionError, OSError, TimeoutError):
                status, data = 0, None
            if status == 401:
                self.status = NEEDS_SIGN_IN
                return None
            if status == 426 or (isinstance(data, dict) and data.get("code") == UPDATE_REQUIRED):
                self.status = UPDATE_REQUIRED
                return None
            if status != 0 and status < 500 and status != 429:
                return status, data
            if attempt < self.max_retries:
                await self.sleep(self._delay(attempt))
        self.status = "offline"
        return None

    def _delay(self, attempt: int) -> float:
        cap = min(self.max_delay, self.base_delay * 2**attempt)
        return cap / 2 + self.rng.random() * cap / 2  # "equal jitter"

    def _fail(self, status: int, data: Any) -> bool:
        self.status = "error"
        code = data.get("code") if isinstance(data, dict) else None
        self.error = f"{status} {code or ''}".strip()
        return False


__all__ = ["LocalBlob", "LocalState", "SyncClient"]
