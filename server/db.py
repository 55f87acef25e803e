"""Database engines: SQLite (embedded default, WAL) or PostgreSQL, chosen by DATABASE_URL.

Piccolo finds its engine through ``PICCOLO_CONF`` (``server.piccolo_conf``); the app and the
tests bind every table to an engine explicitly with :func:`bind`, so one process can hold
both (the test suite runs on both databases).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

SQLITE_BUSY_TIMEOUT_S = 30.0

os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")


class CaretakerSQLiteEngine(SQLiteEngine):
    """SQLite with WAL, a busy timeout and NORMAL sync on every connection."""

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection


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


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
