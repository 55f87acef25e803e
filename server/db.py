"""Database engines: SQLite (embedded default, WAL) or PostgreSQL, chosen by DATABASE_URL.

Piccolo finds its engine through ``PICCOLO_CONF`` (``server.piccolo_conf``); the app and the
tests bind every table to an engine explicitly with :func:`bind`, so one process can hold
both (the test suite runs on both databases).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

SQLITE_BUSY_TIMEOUT_S = 30.0

os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")


# Idle read connections kept per event loop (more may be open while busy; the extra ones are
# closed when returned).
SQLITE_READ_POOL_SIZE = 4


def _is_read_only(query: str) -> bool:
    # One statement (sqlite3 refuses several), and a SELECT cannot write.
    return query.lstrip()[:6].upper() == "SELECT"


class CaretakerSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, a busy timeout and NORMAL sync on every connection.

    Piccolo opens a new aiosqlite connection (and thread) for every query outside a
    transaction, ~1 ms each. A SELECT outside a transaction here instead borrows one of a
    few long-lived connections of the current event loop: in WAL mode every statement of an
    autocommit connection reads the latest committed state, and a SELECT never takes the
    writer lock, so this changes nothing but the cost. Writes and transactions keep
    Piccolo's behaviour (a connection of their own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[aiosqlite.Connection]] = weakref.WeakKeyDictionary()

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def _open_reader(self) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # aiosqlite's worker thread is not a daemon: an idle pooled connection must not keep
        # the process from exiting (it holds no write; stop() closes them properly).
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]  # as Piccolo does
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None,
                                     query_type: str = "generic",
                                     table: Any = None) -> Any:
        if not _is_read_only(query) or self.path == ":memory:":
            return await super()._run_in_new_connection(query, args, query_type, table)
        pool = self._read_pools.setdefault(asyncio.get_running_loop(), [])
        connection = pool.pop() if pool else await self._open_reader()
        try:
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
        except BaseException:
            await connection.close()  # in an unknown state: not back in the pool
            raise
        if len(pool) < SQLITE_READ_POOL_SIZE:
            pool.append(connection)
        else:
            await connection.close()
        return rows

    async def close_read_pool(self) -> None:
        pool = self._read_pools.pop(asyncio.get_running_loop(), [])
        for connection in pool:
            await connection.close()


def make_engine(database_url: str) -> Engine:
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": database_url})
    path = Path(database_url.removeprefix("sqlite:///"))
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL is a property of the file: set once, kept across connections.
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode = WAL")
    return CaretakerSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)


def is_postgres(engine: Engine) -> bool:
    return isinstance(engine, PostgresEngine)


def all_tables() -> Sequence[type[Table]]:
    from piccolo.apps.migrations.tables import Migration

    from server.piccolo_app import APP_CONFIG

    return [*APP_CONFIG.table_classes, Migration]


def bind(engine: Engine) -> None:
    """Point every table (and Piccolo's migration table) at ``engine``."""
    import server.piccolo_conf as conf

    conf.DB = engine
    for table in all_tables():
        table._meta._db = engine


async def migrate(engine: Engine) -> None:
    """Apply every pending migration in ``migrations/`` to ``engine``."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    bind(engine)
    result = await run_forwards("caretaker")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


def write_transaction() -> Any:
    """One transaction for an office write (reference data, key register, resolutions).
    On SQLite it takes the write lock at once (``BEGIN IMMEDIATE``), so it never fails
    half-way upgrading a read lock; on PostgreSQL the space-version bump inside it locks."""
    from piccolo.engine.sqlite import TransactionType

    from server.sync.tables import SpaceVersion

    engine = SpaceVersion._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, CaretakerSQLiteEngine):
        await engine.close_read_pool()
