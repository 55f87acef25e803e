"""Database engines: SQLite (embedded default, WAL) or PostgreSQL, chosen by DATABASE_URL.

Piccolo finds its engine through ``PICCOLO_CONF`` (``server.piccolo_conf``); the app and the
tests bind every table to an engine explicitly with :func:`bind`, so one process can hold
both (the test suite runs on both databases).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

from server.sync.connections import SQLiteReaders

SQLITE_BUSY_TIMEOUT_S = 30.0

os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")


# Read connections (threads) per SQLite engine, for SELECTs outside a transaction.
SQLITE_READ_POOL_SIZE = 4


def _is_read_only(query: str) -> bool:
    # One statement (sqlite3 refuses several), and a SELECT cannot write.
    return query.lstrip()[:6].upper() == "SELECT"


class CaretakerSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, a busy timeout and NORMAL sync on every connection; a SELECT outside
    a transaction runs on one of a few long-lived read connections
    (:class:`server.sync.connections.SQLiteReaders`) instead of a new connection per query.
    Writes and transactions keep Piccolo's behaviour (a connection of their own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers: SQLiteReaders | None = None

    @property
    def readers(self) -> SQLiteReaders:
        if self._readers is None:
            self._readers = SQLiteReaders(self.connection_kwargs, SQLITE_READ_POOL_SIZE,
                                          row_factory=dict_factory)
        return self._readers

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def run_querystring(self, querystring: Any, in_pool: bool = False) -> Any:
        if self.current_transaction.get() is None and self.path != ":memory:":
            query, args = querystring.compile_string(engine_type=self.engine_type)
            if _is_read_only(query):
                if self.log_queries:
                    self.print_query(query_id=self.get_query_id(), query=str(querystring))
                return await self.readers.fetch(query, args)
        return await super().run_querystring(querystring, in_pool)

    async def close_read_pool(self) -> None:
        readers, self._readers = self._readers, None
        if readers is not None:
            await asyncio.get_running_loop().run_in_executor(None, readers.close)


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


def is_integrity_error(exc: BaseException) -> bool:
    """A write refused by a constraint (unique, foreign key, not null) on either database."""
    import asyncpg

    return isinstance(exc, sqlite3.IntegrityError | asyncpg.IntegrityConstraintViolationError)


def all_tables() -> Sequence[type[Table]]:
    from piccolo.apps.migrations.tables import Migration

    from server.piccolo_app import APP_CONFIG

    return [*APP_CONFIG.table_classes, Migration]


def bind(engine: Engine) -> None:
    """Point every table (and Piccolo's migration table) at ``engine``."""
    import importlib

    conf: Any = importlib.import_module(os.environ["PICCOLO_CONF"])  # server.piccolo_conf
    conf.DB = engine  # what Piccolo's engine finder returns (migrations, new tables)
    for table in all_tables():
        table._meta.db = engine  # TableMeta.db's setter


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
