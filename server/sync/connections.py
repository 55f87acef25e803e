"""Connections for the sync store: one small interface (:class:`Connection`: ``fetch``,
``execute``, ``run_all``) over asyncpg (PostgreSQL), aiosqlite (SQLite reads inside a
Piccolo transaction) and the process's SQLite writer (:class:`SQLiteWriter`, pushes)."""

from __future__ import annotations

import asyncio
import sqlite3
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
