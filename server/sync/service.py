"""Sync protocol v1 on the server: device registration, push and pull.

Each push and each pull is ONE database transaction (Replicache's rule), opened here around
one call of the pure engine (:mod:`sync.engine`) with the SQL store (:mod:`server.sync.store`):

* push — SQLite ``BEGIN IMMEDIATE`` (the one writer lock, taken up front so the transaction
  never has to upgrade); PostgreSQL READ COMMITTED with the client's row and the touched
  spaces' version rows locked (``FOR UPDATE``, spaces in sorted order).
* pull — one snapshot: PostgreSQL ``REPEATABLE READ, READ ONLY``; SQLite one read
  transaction (WAL: a snapshot from its first read, never blocking the writer).

A transaction that fails on a serialization failure, a deadlock, a busy SQLite database or the
engine's :class:`sync.errors.TryAgain` is retried a few times with a short random backoff;
after that the client gets 503 ``try_again`` and retries later (its outbox is untouched).
A push whose write fails for any other reason (an integrity error the rules did not foresee)
never wedges the phone's queue: :func:`sync.engine.push_isolating` splits the batch down to
the mutation that fails, stores it as a ``mutation_failed`` rejection, and applies the rest.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from server import db
from server.accounts import service as accounts
from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.settings import Settings
from server.sync.connections import (
    AioSqliteConnection,
    Connection,
    PgConnection,
    SQLiteWriter,
)
from server.sync.pull_store import SqlPullStore
from server.sync.sql import StoreRefused
from server.sync.store import SqlPushStore
from server.sync.tables import SyncClient
from sync import engine as sync_engine
from sync import streams
from sync.context import Principal
from sync.domains import default_registry
from sync.errors import ClientMismatch, SyncError, TryAgain
from sync.protocol import (
    Actor,
    DeviceRegistered,
    DeviceRegistration,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from sync.registry import Registry

log = logging.getLogger(__name__)

MAX_PUSH_MUTATIONS = 1000
"""Mutations per push request; the phone sends its outbox in chunks of at most this many."""
MAX_PUSH_BYTES = 2 * 1024 * 1024
"""Largest push request body, bytes (413 beyond)."""
MAX_PULL_BYTES = 256 * 1024
MAX_DEVICE_BYTES = 16 * 1024
RETRIES = 4

T = TypeVar("T")


class TooManyMutations(SyncError):
    code = "too_many_mutations"
    status = 413


class InvalidClientId(SyncError):
    code = "invalid_client_id"
    status = 400


def now() -> datetime:
    return datetime.now(UTC)


def engine_of() -> Engine:
    """The engine the app bound every table to (:func:`server.db.bind`)."""
    return SyncClient._meta.db


def principal(user: CurrentUser) -> Principal:
    return Principal(staff_id=user.id, role=user.role, sites=frozenset(user.site_ids),
                     device_id=user.device_id)


def spaces_of(user: CurrentUser) -> list[str]:
    """The spaces a person receives: their sites × their role's streams, and ``org``."""
    return sorted(streams.readable_spaces(user.role, user.site_ids))


def _client_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidClientId(_("client_id must be a UUID.")) from None


def _check_client(user: CurrentUser, client_id: str) -> str:
    """The request's client must be the one the bearer token was issued to."""
    cid = _client_id(client_id)
    if user.client_id is not None and cid != user.client_id:
        raise ClientMismatch(cid)
    if cid != client_id:  # e.g. upper-case: the protocol's ids are canonical
        raise InvalidClientId(_("client_id must be a lowercase UUID with dashes."))
    return cid


# --- transactions --------------------------------------------------------------------------

_writers: dict[tuple[str, int], SQLiteWriter] = {}


def sqlite_writer(engine: Engine) -> SQLiteWriter:
    """The SQLite writer of this database file in this event loop (one per process)."""
    path = str(engine.path)  # type: ignore[attr-defined]
    key = (path, id(asyncio.get_running_loop()))
    writer = _writers.get(key)
    if writer is None:
        writer = _writers[key] = SQLiteWriter(path, db.SQLITE_BUSY_TIMEOUT_S)
    return writer


@asynccontextmanager
async def push_transaction(engine: Engine) -> AsyncIterator[Connection]:
    """One push's write transaction: PostgreSQL READ COMMITTED (the store locks rows);
    SQLite ``BEGIN IMMEDIATE`` on the process's writer connection."""
    if db.is_postgres(engine):
        async with engine.transaction() as tx:
            yield PgConnection(tx.connection)
    else:
        async with sqlite_writer(engine).transaction() as conn:
            yield conn


@asynccontextmanager
async def pull_snapshot(engine: Engine) -> AsyncIterator[Connection]:
    async with engine.transaction() as tx:
        if db.is_postgres(engine):
            await tx.connection.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PgConnection(tx.connection)
        else:
            yield AioSqliteConnection(tx.connection)


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, TryAgain | asyncpg.exceptions.TransactionRollbackError):
        return True  # serialization failure, deadlock, the engine's own "try again"
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    return False


def data_error(exc: BaseException) -> bool:
    """A write refused because of what was written (a constraint, a value the column cannot
    hold) — the one mutation that carried it is isolated — as opposed to the database being
    unreachable or busy (the phone retries the whole push later)."""
    return isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError, StoreRefused,
                            asyncpg.exceptions.IntegrityConstraintViolationError,
                            asyncpg.exceptions.DataError, ValueError, TypeError))


async def with_retries(attempt: Callable[[], Awaitable[T]], what: str) -> T:
    for n in range(RETRIES + 1):
        try:
            return await attempt()
        except Exception as exc:
            if not retryable(exc):
                raise
            if n == RETRIES:
                log.warning("%s: giving up after %d attempts: %s", what, n + 1, exc)
                raise TryAgain(_("The server is busy; the phone will retry.")) from exc
            await asyncio.sleep(random.uniform(0.005, 0.03) * (2**n))
    raise AssertionError("unreachable")


# --- endpoints -----------------------------------------------------------------------------

async def register_device(settings: Settings, body: DeviceRegistration,
                          address: str) -> DeviceRegistered:
    """Sign a phone in: a bearer token for this installation (``client_id``)."""
    client_id = _client_id(body.client_id)
    # a name with control characters (NUL…) is refused and counted before any query by it
    staff = await accounts.authenticate(settings, body.username, body.password, address)
    staff_id = str(staff["id"])
    engine = engine_of()
    kind = TransactionType.immediate if not db.is_postgres(engine) else None
    async with (engine.transaction(transaction_type=kind) if kind else engine.transaction()):
        client = await SyncClient.select(SyncClient.staff).where(
            SyncClient.client_id == client_id).first()
        if client is not None and str(client["staff"]) != staff_id:
            # this installation pushed as someone else: the app must start a new client id
            raise ClientMismatch(client_id)
        token, device_id = await accounts.register_device(
            settings, staff, uuid.UUID(client_id), body.name.replace("\x00", ""))
        if client is None:
            await SyncClient.insert(SyncClient(client_id=client_id, staff=staff_id,
                                               device=device_id))
        else:
            await SyncClient.update({SyncClient.device: device_id}).where(
                SyncClient.client_id == client_id)
    sites = await accounts.site_ids_of(staff_id, staff["role"])
    return DeviceRegistered(
        token=token, device_id=device_id,
        user=Actor(id=staff_id, username=staff["username"],
                   display_name=staff["display_name"], role=staff["role"]),
        spaces=sorted(streams.readable_spaces(staff["role"], sites)),
    )


async def push(settings: Settings, user: CurrentUser, request: PushRequest, *,
               registry: Registry | None = None,
               clock: Callable[[], datetime] = now) -> PushResponse:
    _check_client(user, request.client_id)
    if len(request.mutations) > MAX_PUSH_MUTATIONS:
        raise TooManyMutations(
            _("At most {n} mutations per push; send the rest in the next one.",
              n=MAX_PUSH_MUTATIONS))
    actor = principal(user)
    reg = registry or default_registry()
    engine = engine_of()
    at = clock()

    @asynccontextmanager
    async def transaction() -> AsyncIterator[SqlPushStore]:
        async with push_transaction(engine) as conn:
            yield SqlPushStore(conn, actor, at)

    async def retried(attempt: Callable[[], Awaitable[PushResponse]]) -> PushResponse:
        return await with_retries(attempt, f"push of {request.client_id}")

    return await sync_engine.push_isolating(
        transaction, actor, request, registry=reg, now=clock, run=retried,
        isolate=data_error, max_clock_ahead_ms=settings.max_clock_ahead_seconds * 1000)


async def pull(settings: Settings, user: CurrentUser, request: PullRequest, *,
               clock: Callable[[], datetime] = now) -> PullResponse:
    _check_client(user, request.client_id)
    actor = principal(user)
    engine = engine_of()

    async def attempt() -> PullResponse:
        async with pull_snapshot(engine) as conn:
            store = SqlPullStore(conn)
            staff = await store.client_staff(request.client_id)
            if staff is not None and staff != user.id:
                raise ClientMismatch(request.client_id)
            return await sync_engine.pull(store, actor, request,
                                          page_size=settings.pull_page_size, now=clock(),
                                          registry=default_registry())

    return await with_retries(attempt, f"pull of {request.client_id}")

