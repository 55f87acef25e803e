"""Helpers for the sync API tests: phones (device tokens), mutations, pulls, DB snapshots."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server.accounts import service as accounts
from server.accounts.tables import Staff
from server.db import all_tables
from server.settings import Settings
from server.sync.tables import BlobUpload, SyncClient
from sync import SCHEMA_VERSION, buckets
from sync.domains import default_registry
from sync.hlc import Clock

ROOT = Path(__file__).resolve().parents[2]
PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SIG = "5" * 64  # the signature of every test loan


@dataclass
class Phone:
    staff_id: str
    token: str
    device_id: str
    client_id: str
    clock: Clock
    next_id: int = 1
    cookie: str | None = None
    replica: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def mutation(self, name: str, args: dict[str, Any], id_: int | None = None) -> dict:
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        return {"id": id_, "name": name, "args": args, "hlc": self.clock.now().encode()}

    def body(self, mutations: list[dict], schema_version: int = SCHEMA_VERSION) -> dict:
        return {"client_id": self.client_id, "schema_version": schema_version,
                "mutations": mutations}


async def phone(settings: Settings, staff_id: str, client_id: str | None = None) -> Phone:
    """A signed-in phone without the password round (argon2 is slow): token + sync client."""
    staff = await Staff.select().where(Staff.id == staff_id).first()
    cid = client_id or str(uuid.uuid4())
    token, device_id = await accounts.register_device(settings, staff, uuid.UUID(cid), "test")
    if not await SyncClient.exists().where(SyncClient.client_id == cid):
        await SyncClient.insert(SyncClient(client_id=cid, staff=staff_id, device=device_id))
    # the signature its loans carry, as if this phone had uploaded it
    await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=SIG, staff=staff_id))
    start = int(T0.timestamp() * 1000)
    ticks = iter(range(start, start + 10**9))
    return Phone(staff_id, token, device_id, cid, Clock(cid, now_ms=lambda: next(ticks)))


def lend_args(key_id: str, loan_id: str | None = None, *, at: datetime = T0,
              **extra: Any) -> dict[str, Any]:
    args = {
        "loan_id": loan_id or str(uuid.uuid4()), "key_id": key_id,
        "borrower_name": "陳大文", "borrower_kind": "contractor", "id_type": "hkid",
        "id_last4": "123A", "purpose": "維修水喉", "lent_at": at.isoformat(),
        "due_at": (at + timedelta(hours=8)).isoformat(), "signature_blob": SIG,
    }
    args.update(extra)
    return args


async def pull_all(client: Any, p: Phone, *, max_pages: int = 1000) -> list[dict]:
    """Pull until ``more`` is false, applying the patches to ``p.replica``; the pages."""
    pages = []
    for _ in range(max_pages):
        r = await client.post(PULL, headers=p.headers, json={
            "client_id": p.client_id, "schema_version": SCHEMA_VERSION, "cookie": p.cookie})
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        for op in page["patch"]:
            if op["type"] == "space" and op["op"] == "del":
                # a space, or one unit's bucket of it (sync/buckets.py)
                space, unit = buckets.parse(op["id"])
                registry = default_registry()
                for key in [k for k, v in p.replica.items() if v.get("space") == space and (
                        unit is None or buckets.matches(unit, registry.has_unit(k[0]), v))]:
                    del p.replica[key]
            elif op["op"] == "put":
                p.replica[(op["type"], op["id"])] = op["data"]
            else:
                p.replica.pop((op["type"], op["id"]), None)
        p.cookie = page["cookie"]
        if not page["more"]:
            return pages
    raise AssertionError("pull never finished")


async def db_snapshot(engine: Any) -> dict[str, list]:
    """Every row of every table (sorted), to show that a refused request changed nothing."""
    out: dict[str, list] = {}
    for table in all_tables():
        name = table._meta.tablename
        if name in ("migration", "sign_in_failure"):
            continue
        rows = await table.select()
        # the token check stamps device.last_seen_at on every request: not a change of data
        out[name] = sorted(sorted((k, repr(v)) for k, v in r.items() if k != "last_seen_at")
                           for r in rows)
    return out


class LiveServer:
    """``uvicorn server.asgi:app`` in child processes on a free loopback port, on the test's
    database (for the tests that need real processes: several workers, a crash)."""

    def __init__(self, database_url: str, *, workers: int = 1, page_size: int = 10,
                 port: int | None = None) -> None:
        import socket

        if port is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.workers = workers
        self.env = {**os.environ, "DATABASE_URL": database_url, "CARETAKER_DEMO": "false",
                    "CARETAKER_SECRET_KEY": "live-server-test-" + "k" * 40,
                    "CARETAKER_PULL_PAGE_SIZE": str(page_size),
                    "CARETAKER_LOG_LEVEL": "WARNING"}
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), "--no-access-log",
             "--log-level", "warning"],
            env=self.env, cwd=ROOT)

    async def start(self, wait_s: float = 30.0) -> None:
        self.spawn()
        assert self.proc is not None
        deadline = time.monotonic() + wait_s
        async with httpx.AsyncClient() as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("the test server exited")
                try:
                    if (await c.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback; whatever was not committed is lost."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
