"""The "many phones" benchmark: ``uvicorn`` in a child process on a free loopback port, and
simulated phones pushing 1–5 key.lend mutations per request over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import msgspec

from server.accounts.schemas import CurrentUser
from server.bench_data import Sizes, clock_for, encoder, lend, new_keys, new_phone
from server.settings import Settings
from sync import SCHEMA_VERSION

PACED_RATE = 1_000  # mutations/s the phones offer together in the paced run (quality.md bar)


# --- push, many phones over HTTP -----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``uvicorn server.asgi:app`` in a child process on a free loopback port."""

    def __init__(self, settings: Settings, workers: int = 1) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": settings.database_url,
               "CARETAKER_SECRET_KEY": settings.secret_key, "CARETAKER_DEMO": "false",
               "CARETAKER_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--no-access-log",
             "--log-level", "warning", "--timeout-keep-alive", "60"],
            env=env, cwd=Path(__file__).resolve().parent.parent)
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, wait_s: float = 30.0) -> None:
        deadline = time.monotonic() + wait_s
        async with httpx.AsyncClient() as c:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("the bench server exited")
                try:
                    if (await c.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("the bench server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Phone:
    """One simulated phone: its own keep-alive HTTP/1.1 connection, a minimal client (the
    load generator shares the 2 cores with the server: it must cost little)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            self.writer.write(f"POST {path} HTTP/1.1\r\n".encode() + self.head
                              + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status = int((await self.reader.readline()).split()[1])
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            return status, await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class PhoneRun(NamedTuple):
    mutations_per_s: float
    p50_ms: float
    p99_ms: float
    mutations: int
    errors: int


async def many_phones(settings: Settings, site: str, sizes: Sizes, run: int, port: int,
                      rate: float | None = None) -> PhoneRun:
    """``sizes.phones`` phones pushing 1–5 mutations per request, at most
    ``requests_per_phone`` requests each and ``phone_seconds`` in all.

    ``rate=None``: each phone sends its next request as soon as the last is answered (the
    server saturated: its throughput). ``rate``: the phones together offer about ``rate``
    mutations/s (each waits a random interval between its requests, as real phones do),
    and latency is measured at that load."""
    rng = random.Random(run)
    interval = sizes.phones * 3 / rate if rate else 0.0  # 3 mutations per request on average
    requests = (sizes.requests_per_phone if not rate
                else int(sizes.phone_seconds / interval) + 1)
    per_phone = requests * 5
    phones = []
    for i in range(sizes.phones):
        user, token = await new_phone(settings, site, 10_000 * (run + 1) + i)
        keys = await new_keys(site, per_phone, f"H{run}-{i}-{rate or 0}-")
        phones.append((user, token, keys))
    latencies: list[float] = []
    counts = {"mutations": 0, "errors": 0}
    deadline = time.monotonic() + sizes.phone_seconds

    async def one_phone(user: CurrentUser, token: str, keys: list[str]) -> None:
        assert user.client_id is not None
        clock = clock_for(user.client_id)
        http = Phone(port, token)
        next_id = 1
        try:
            if interval:
                await asyncio.sleep(rng.uniform(0, interval))
            for _ in range(requests):
                if time.monotonic() > deadline:
                    return
                n = rng.randint(1, 5)
                muts = [lend(keys[next_id - 1 + j], clock, next_id + j) for j in range(n)]
                body = encoder.encode({"client_id": user.client_id,
                                        "schema_version": SCHEMA_VERSION, "mutations": muts})
                start = time.perf_counter()
                try:
                    status, answer = await http.post("/api/v1/sync/push", body)
                except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
                    counts["errors"] += 1
                    return
                took = time.perf_counter() - start
                latencies.append(took)
                if status != 200 or msgspec.json.decode(answer)["applied"] != n:
                    counts["errors"] += 1
                    return
                counts["mutations"] += n
                next_id += n
                if interval:
                    await asyncio.sleep(max(0.0, rng.uniform(0.5, 1.5) * interval - took))
        finally:
            await http.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_phone(u, t, k) for u, t, k in phones))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    return PhoneRun(counts["mutations"] / elapsed, pct(0.5), pct(0.99), counts["mutations"],
                    counts["errors"])


async def warm_up(settings: Settings, site: str, port: int, n: int = 60) -> None:
    """A few pushes first: a fresh server process pays for its first imports and caches."""
    user, token = await new_phone(settings, site, 99_999)
    assert user.client_id is not None
    keys = await new_keys(site, n, "W-")
    clock = clock_for(user.client_id)
    http = Phone(port, token)
    try:
        for i in range(n):
            body = encoder.encode({"client_id": user.client_id,
                                    "schema_version": SCHEMA_VERSION,
                                    "mutations": [lend(keys[i], clock, i + 1)]})
            await http.post("/api/v1/sync/push", body)
    finally:
        await http.close()
