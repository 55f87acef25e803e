"""Where the code talks to the database drivers directly — the one module that does, through
their public APIs only (asyncpg, aiosqlite, sqlite3): what the hot paths need and Piccolo
does not offer.

- :class:`Connection` (``fetch``, ``execute``, ``run_all``) over the connection of an open
  transaction: asyncpg (PostgreSQL), aiosqlite (a Piccolo SQLite transaction: pulls, office
  writes) and the process's SQLite writer (:class:`SQLiteWriter`: pushes).
- :class:`SQLiteReaders`: a few long-lived ``sqlite3`` connections, each on its own thread,
  for SELECTs outside a transaction (``server.db.CaretakerSQLiteEngine``)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from server.sync.sql import POSTGRES, SQLITE, Dialect

Op = tuple[str, str, Any]
"""One write of a batch: ("exec", sql, params) or ("rows", sql, rows)."""


class Connection(ABC):
    """The open transaction's connection, with the few calls the store needs."""

    dialect: Dialect

    @abstractmethod
    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        ...

    async def execute(self, query: str, params: Sequence[Any] = ()) -> None:
        await self.run_all([("exec", query, params)])

    @abstractmethod
    async def run_all(self, ops: list[Op]) -> None:
        """Statements in order; ``rows`` ops write many rows in one statement (SQLite
        ``executemany``; PostgreSQL one ``INSERT … SELECT FROM unnest(column arrays)``)."""


class PgConnection(Connection):
    dialect = POSTGRES

    def __init__(self, raw: Any) -> None:
        self.raw = raw  # asyncpg

    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.raw.fetch(query, *params)]

    async def run_all(self, ops: list[Op]) -> None:
        for kind, query, params in ops:
            if kind == "rows":
                if params:
                    await self.raw.execute(query,
                                           *[list(c) for c in zip(*params, strict=True)])
            else:
                await self.raw.execute(query, *params)


class AioSqliteConnection(Connection):
    """A Piccolo SQLite transaction's aiosqlite connection (pulls)."""

    dialect = SQLITE

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.raw.row_factory = None  # tuples (Piccolo sets its dict factory per query)
        return list(await self.raw.execute_fetchall(query, tuple(params)))

    async def run_all(self, ops: list[Op]) -> None:
        for kind, query, params in ops:
            if kind == "rows":
                if params:
                    await (await self.raw.executemany(query, params)).close()
            else:
                await (await self.raw.execute(query, tuple(params))).close()


def _run_sqlite(conn: sqlite3.Connection, ops: list[Op]) -> None:
    for kind, query, params in ops:
        if kind == "rows":
            if params:
                conn.executemany(query, params)
        else:
            conn.execute(query, tuple(params))


class SQLiteWriter:
    """The process's one SQLite writer: a long-lived ``sqlite3`` connection used from one
    worker thread, taken by one push at a time.

    SQLite has one writer anyway; queueing pushes here (an ``asyncio.Lock``) instead of in
    SQLite's busy handler (which polls with sleeps of up to 100 ms) keeps latency flat when
    many phones push at once, and one long-lived connection saves opening one per push. A
    batch of writes crosses to the thread once."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="caretaker-sqlite-writer")
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA foreign_keys = 1")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
        return self._conn

    def _begin(self) -> None:
        conn = self._connection()
        if conn.in_transaction:  # left open by a failure: never build on it
            conn.execute("ROLLBACK")
        conn.execute("BEGIN IMMEDIATE")

    def _end(self, commit: bool) -> None:
        conn = self._connection()
        if conn.in_transaction:
            conn.execute("COMMIT" if commit else "ROLLBACK")

    async def call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.lock:
            conn = WriterConnection(self)
            try:
                yield conn
            except BaseException:
                # queued behind any statement still running: the next BEGIN comes after it
                if conn.begun:
                    await self.call(self._end, False)
                raise
            if conn.begun:
                await self.call(self._end, True)

    def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        self._executor.submit(shut)
        self._executor.shutdown(wait=True)


class WriterConnection(Connection):
    """The writer's connection inside one transaction. ``BEGIN IMMEDIATE`` goes with the
    first statement (one crossing to the thread less)."""

    dialect = SQLITE

    def __init__(self, writer: SQLiteWriter) -> None:
        self.writer = writer
        self.begun = False

    def _conn(self) -> sqlite3.Connection:
        if not self.begun:
            self.writer._begin()
            self.begun = True
        return self.writer._connection()

    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            return self._conn().execute(query, tuple(params)).fetchall()
        return await self.writer.call(run)  # type: ignore[no-any-return]

    async def run_all(self, ops: list[Op]) -> None:
        await self.writer.call(lambda: _run_sqlite(self._conn(), ops))


class SQLiteReaders:
    """Long-lived read connections for SELECTs outside a transaction: one ``sqlite3``
    connection per worker thread (at most ``size``), opened on first use.

    Piccolo opens a new connection (and thread) for every query outside a transaction,
    ~1 ms each. In WAL mode every statement of an autocommit connection reads the latest
    committed state and a SELECT never takes the writer lock, so reusing connections changes
    nothing but the cost. Idle worker threads end with the process (no daemon tricks)."""

    def __init__(self, connect_kwargs: dict[str, Any], size: int,
                 row_factory: Any = None) -> None:
        self.connect_kwargs = {**connect_kwargs, "check_same_thread": False}
        self.row_factory = row_factory
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="caretaker-sqlite-read")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(**self.connect_kwargs)
            conn.row_factory = self.row_factory
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _fetch(self, query: str, params: Sequence[Any]) -> list[Any]:
        conn = self._connection()
        try:
            return conn.execute(query, tuple(params)).fetchall()
        except BaseException:
            # in an unknown state: never reuse it
            self._local.conn = None
            with self._lock:
                self._opened.remove(conn)
            conn.close()
            raise

    async def fetch(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._fetch, query, params)

    def close(self) -> None:
        """Wait for running reads, then close every connection."""
        self._executor.shutdown(wait=True)
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
