"""Shared fixtures. Database tests run on SQLite and on PostgreSQL: every test that uses
``db`` (or ``client``) runs once per database named in ``CARETAKER_TEST_DATABASES``
(default ``sqlite,postgres``). PostgreSQL tests use a fresh database per test session
(``caretaker_test_<pid>``) on ``CARETAKER_TEST_PG`` (default 127.0.0.1:5432, trust auth).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from piccolo.engine.base import Engine

from server import db as dbmod
from server.settings import Settings, load_settings

PG_BASE = os.environ.get("CARETAKER_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
DATABASES = [d.strip() for d in os.environ.get("CARETAKER_TEST_DATABASES",
                                               "sqlite,postgres").split(",") if d.strip()]
TEST_PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.fspath)
        for kind in ("unit", "integration", "e2e"):
            if f"{os.sep}tests{os.sep}{kind}{os.sep}" in path:
                item.add_marker(getattr(pytest.mark, kind))


class Database:
    def __init__(self, kind: str, url: str, engine: Engine) -> None:
        self.kind = kind
        self.url = url
        self.engine = engine

    async def truncate(self) -> None:
        tables = [t for t in dbmod.all_tables() if t._meta.tablename != "migration"]
        names = [t._meta.tablename for t in tables]
        if self.kind == "postgres":
            await self.engine.run_ddl(
                "TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE")
        else:
            async with self.engine.transaction():
                for n in reversed(names):
                    await self.engine.run_ddl(f'DELETE FROM "{n}"')


async def _create_pg_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=DATABASES)
async def database(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    kind = request.param
    if kind == "postgres":
        name = f"caretaker_test_{os.getpid()}"
        await _create_pg_database(name)
        url = f"{PG_BASE}/{name}"
    elif kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        raise ValueError(f"unknown test database {kind!r}")
    engine = dbmod.make_engine(url)
    await dbmod.start(engine)
    await dbmod.migrate(engine)
    yield Database(kind, url, engine)
    await dbmod.stop(engine)
    if kind == "postgres":
        await _drop_pg_database(name)


@pytest.fixture
async def db(database: Database) -> Database:
    """A clean database (every table emptied), bound to every Piccolo table."""
    dbmod.bind(database.engine)
    await database.truncate()
    return database


@pytest.fixture
def settings(tmp_path: Path, database: Database) -> Settings:
    env = {
        "DATABASE_URL": database.url,
        "CARETAKER_SECRET_KEY": "test-secret-key-" + "x" * 40,
        "CARETAKER_DEMO": "false",
    }
    return load_settings(env)


@pytest.fixture
async def app(db: Database, settings: Settings) -> Any:
    from server.app import create_app

    return create_app(settings, engine=db.engine)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling the app in this event loop (the database pool's loop)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local",
                                 follow_redirects=True) as c:
        yield c


@pytest.fixture(scope="session")
def password_hash() -> str:
    from server.lib.security import hash_password

    return hash_password(TEST_PASSWORD)


@pytest.fixture
def factory(db: Database, password_hash: str) -> Any:
    from tests.factories import Factory

    return Factory(password_hash)


def new_id() -> str:
    return str(uuid.uuid4())
