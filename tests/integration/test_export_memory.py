"""A year of records exports without holding it in memory: 100,000 visitors of the
register exported as CSV and as XLSX through the real route (the app called as a server
calls it, every chunk written to a file as it arrives), with Python's allocations traced
while the response streams. The peak must stay a small fraction of what the 100,000 rows
would take held as a list (measured on a sample of them, read the way the export reads
them). The figures and times are printed. On SQLite and PostgreSQL; the rows are written
with the bare driver."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import asyncpg
import pytest

from server.desk import visitors
from server.lib.queries import plain
from server.lib.xlsx import MAIN
from server.sync.spaces import space_of
from tests.conftest import Database
from tests.integration.desk_office_support import sign_in_en

pytestmark = pytest.mark.slow

ROWS = 100_000
SAMPLE = 2_000  # rows held to measure what a row costs in memory
SHARE = 0.1  # the streaming peak stays under a tenth of holding every row
COLUMNS = ("id", "site", "unit", "name", "id_type", "id_last4", "phone", "confirmed_by",
           "resident", "called_number", "purpose", "badge", "time_in", "signed_in_by",
           "time_out", "signed_out_by", "field_hlc", "space", "version", "created_at",
           "updated_at")


class Seeded:
    def __init__(self, a: str, unit: str, desk: str) -> None:
        self.a, self.unit, self.desk = a, unit, desk


def _visitors(e: Seeded, start: datetime, count: int) -> Iterator[tuple[Any, ...]]:
    """A visitor every five minutes, day and night, for a year and more: most signed out
    an hour later, every seventh with a purpose a spreadsheet would run as a formula."""
    space = space_of("visitor", e.a)
    site, unit, desk = uuid.UUID(e.a), uuid.UUID(e.unit), uuid.UUID(e.desk)
    for n in range(count):
        came = start + timedelta(minutes=5 * n)
        left = came + timedelta(hours=1) if n % 4 else None
        yield (uuid.uuid4(), site, unit, f"訪客{n:06d}", "hkid", "123A", "61234567", "phone",
               None, "91234567", "=1+1" if n % 7 == 0 else "探訪", f"V-{n % 100:02d}", came,
               desk, left, desk if left else None, "{}", space, 1, came, came)


async def _seed(database: Database, e: Seeded, count: int = ROWS) -> float:
    """The visitors written with the bare driver (executemany, COPY)."""
    started = time.perf_counter()
    rows = _visitors(e, datetime.now(UTC) - timedelta(days=400), count)
    if database.kind == "sqlite":
        def write() -> None:
            with sqlite3.connect(database.url.removeprefix("sqlite:///")) as conn:
                conn.executemany(
                    f"INSERT INTO visitor ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        await asyncio.to_thread(write)
    else:
        conn = await asyncpg.connect(database.url)
        try:
            await conn.copy_records_to_table("visitor", records=rows, columns=COLUMNS)
        finally:
            await conn.close()
    return time.perf_counter() - started


async def _held_bytes() -> float:
    """What the 100,000 rows would take held as a list: a sample read and decorated the
    way the export reads them, measured, scaled up."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        sample = await visitors.decorate([plain(r) for r in await visitors.select().limit(
            SAMPLE)])
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(sample) == SAMPLE
    return held * ROWS / SAMPLE


async def _stream(app: Any, path: str, query: str, cookie: str, out: Path
                  ) -> tuple[dict[str, str], int]:
    """GET ``path`` from the app as a server would, each body chunk appended to ``out`` as
    it arrives (nothing kept): the response's headers and its peak traced memory."""
    done = asyncio.Event()
    headers: dict[str, str] = {}
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    with out.open("wb") as f:
        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message
                headers.update({k.decode(): v.decode() for k, v in message["headers"]})
            elif message["type"] == "http.response.body":
                f.write(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": query.encode(), "client": ("127.0.0.1", 40000),
                 "server": ("testserver.local", 80),
                 "headers": [(b"host", b"testserver.local"), (b"cookie", cookie.encode())]}
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            await app(scope, receive, send)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return headers, peak


async def test_a_hundred_thousand_rows_stream_within_the_bound(
        app: Any, client: Any, db: Database, factory: Any) -> None:
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    e = Seeded(a=a, unit=await factory.unit(a, number="A-01A"),
               desk=await factory.staff("desk", role="front_desk", sites=(a,)))
    await factory.staff("boss", role="supervisor", sites=(a, b))
    seeded = await _seed(db, e)
    await _seed(db, Seeded(a=b, unit=await factory.unit(b, number="J-01A"), desk=e.desk), 50)
    held = await _held_bytes()
    await sign_in_en(client, "boss")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    print(f"\n[{db.kind}] seeded {ROWS:,} visitors in {seeded:.1f} s "
          f"({ROWS / seeded:,.0f} rows/s); held as a list they would take "
          f"{held / 2**20:.1f} MiB")
    temporary = await asyncio.to_thread(_exports_left)
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("csv", "xlsx"):
            out = Path(tmp) / f"visitors.{ext}"
            started = time.perf_counter()
            headers, peak = await _stream(
                app, f"/office/desk/visitors/export.{ext}", f"site={a}", cookie, out)
            took = time.perf_counter() - started
            size = out.stat().st_size
            print(f"[{db.kind}] {ext.upper()}: {ROWS:,} rows, {size / 2**20:.1f} MiB in "
                  f"{took:.1f} s, peak traced memory {peak / 2**20:.2f} MiB "
                  f"({100 * peak / held:.1f}% of holding the rows)")
            assert "attachment" in headers["content-disposition"]
            assert peak < held * SHARE, (peak, held)
            await asyncio.to_thread(_check, out, ext)
    # the workbook's temporary file went with the response
    assert await asyncio.to_thread(_exports_left) <= temporary


def _exports_left() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("caretaker-export-*"))


def _check(out: Path, ext: str) -> None:
    """Every row once, newest first, formulas kept as text (the workbook's sheet read as
    it streams: openpyxl reads the exports back in test_office_exports)."""
    if ext == "csv":
        with out.open(encoding="utf-8-sig", newline="") as f:
            rows = [row[1:11] for row in csv.reader(f)]
    else:
        rows = []
        with zipfile.ZipFile(out) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
            for _event, el in ElementTree.iterparse(sheet):
                if el.tag == f"{{{MAIN}}}row":
                    texts = {c.get("r", "").rstrip("0123456789"): "".join(c.itertext())
                             for c in el}
                    rows.append([texts.get(col, "") for col in "BCDEFGHIJK"])
                    el.clear()
    assert len(rows) == ROWS + 1  # the header and every row
    assert [r[0] for r in rows[1:]] == [f"訪客{n:06d}" for n in reversed(range(ROWS))]
    assert sum(1 for r in rows if r[5] == "'=1+1") == len(range(0, ROWS, 7))
