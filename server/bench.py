"""``caretaker bench --db sqlite|postgres [--json PATH] [--quick]``: the sync bars of
quality.md, measured against a baseline in the same run, each figure the MEDIAN of a few runs.

* push, large batch — 10,000 ``key.lend`` in batches of 1,000 through the real push path
  (JSON decode, authorise, apply, audit, versions, one transaction per batch: the service
  layer, not HTTP), against the bare driver (sqlite3 / asyncpg ``executemany``) inserting
  the same loan rows in one transaction; their ratio.
* push, many phones — 100 simulated phones over real HTTP against a uvicorn server the bench
  starts on a free loopback port; each pushes 1–5 mutations per request (bounded count and
  time): mutations/s, p99 latency, errors.
* pull, first sync — a site of 20,000 records (units, residents, keys, loans) pulled page by
  page by a new phone through the service layer (JSON encoding included): records/s, and the
  gzip size of all pages.

SQLite runs in a temporary directory; PostgreSQL in a fresh temporary database on
127.0.0.1:5432 (``CARETAKER_BENCH_PG`` to change), dropped at the end.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from server import db as dbmod
from server.app import tune_gc
from server.bench_data import (
    FULL,
    PG_BASE,
    QUICK,
    SIGNATURE,
    T0,
    Sizes,
    clock_for,
    encoder,
    insert_rows,
    lend,
    new_keys,
    new_loan_id,
    new_phone,
    new_site,
    push_decoder,
)
from server.bench_phones import PACED_RATE, PhoneRun, Server, many_phones, warm_up
from server.estate.tables import Building, Resident, Unit
from server.keys.tables import KeyLoan
from server.settings import Settings, load_settings
from server.sync import service
from server.sync.spaces import space_of
from server.sync.sql import POSTGRES, SQLITE, Dialect
from server.sync.sql_write import upsert_for
from sync import SCHEMA_VERSION
from sync.protocol import PullRequest
from sync.storage import Record

# --- push, large batch -----------------------------------------------------------------------

async def push_batches(settings: Settings, site: str, sizes: Sizes, run: int) -> float:
    keys = await new_keys(site, sizes.push_mutations, f"P{run}-")
    user, _token = await new_phone(settings, site, run)
    assert user.client_id is not None
    clock = clock_for(user.client_id)
    muts = [lend(k, clock, i + 1) for i, k in enumerate(keys)]
    bodies = [encoder.encode({"client_id": user.client_id, "schema_version": SCHEMA_VERSION,
                               "mutations": muts[i:i + sizes.push_batch]})
              for i in range(0, len(muts), sizes.push_batch)]
    start = time.perf_counter()
    for body in bodies:
        request = push_decoder.decode(body)
        response = await service.push(settings, user, request)
        assert response.applied == len(request.mutations), response
    return sizes.push_mutations / (time.perf_counter() - start)


def loan_records(site: str, keys: list[str], staff: str) -> list[Record]:
    return [Record("key_loan", new_loan_id(), space_of("key_loan", site), 2, data={
        "site_id": site, "key_id": k, "borrower_name": "陳大文", "borrower_phone": "91234567",
        "borrower_kind": "contractor", "id_type": "hkid", "id_last4": "123A",
        "purpose": "冷氣維修", "approver": "黃主任", "owner_consent": "", "deposit": "HK$100",
        "lent_at": T0.isoformat(), "due_at": (T0 + timedelta(hours=8)).isoformat(),
        "signature_blob": SIGNATURE, "lent_by": staff, "lent_device": None,
        "lent_hlc": "", "returned_at": None, "returned_by": "", "return_notes": "",
        "return_photos": [], "return_recorded_by": None, "return_hlc": "", "voided": False,
        "void_reason": "", "voided_by": None}) for k in keys]


async def bare_driver(settings: Settings, engine: Any, site: str, sizes: Sizes,
                      run: int) -> float:
    """The same loan rows, inserted by the bare driver in one transaction."""
    keys = await new_keys(site, sizes.push_mutations, f"B{run}-")
    d: Dialect = POSTGRES if settings.is_postgres else SQLITE
    upsert = upsert_for(d, "key_loan")
    cols = ", ".join(f'"{c.column}"' for c in upsert.columns)
    rows = upsert.rows(loan_records(site, keys, str(uuid.uuid4())), datetime.now(UTC), d)
    if settings.is_postgres:
        marks = ", ".join(f"${i}" for i in range(1, len(upsert.columns) + 1))
        conn = await asyncpg.connect(settings.database_url)
        try:
            start = time.perf_counter()
            async with conn.transaction():
                await conn.executemany(
                    f"INSERT INTO key_loan ({cols}) VALUES ({marks})", rows)  # noqa: S608
            return len(rows) / (time.perf_counter() - start)
        finally:
            await conn.close()
    marks = ", ".join("?" for _ in upsert.columns)
    sconn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    try:
        start = time.perf_counter()
        sconn.execute("BEGIN IMMEDIATE")
        sconn.executemany(f"INSERT INTO key_loan ({cols}) VALUES ({marks})",  # noqa: S608
                          rows)
        sconn.execute("COMMIT")
        return len(rows) / (time.perf_counter() - start)
    finally:
        sconn.close()


# --- pull, first sync --------------------------------------------------------------------------

async def big_site(n: int) -> str:
    """A site of about ``n`` records: units, residents, keys and loans."""
    site = await new_site(f"BIG{n}")
    estate, people, keys_space = (space_of(t, site) for t in ("unit", "resident", "key"))
    buildings = [Building(site=site, code=f"B{i}", name=f"第{i}座", space=estate, version=1)
                 for i in range(max(1, n // 2000))]
    await insert_rows(Building, buildings)
    n_units, n_res, n_keys = n * 30 // 100, n * 45 // 100, n * 10 // 100
    n_loans = n - n_units - n_res - n_keys - len(buildings) - 1
    units = [Unit(site=site, building=buildings[i % len(buildings)].id, number=f"U-{i:05d}",
                  floor=str(i % 40), area=60.5, use="residential", space=estate, version=1)
             for i in range(n_units)]
    await insert_rows(Unit, units)
    await insert_rows(Resident, [
        Resident(site=site, unit=units[i % n_units].id, name=f"住戶{i}", phone="91234567",
                 relation="owner", id_type="hkid", id_last4="1234", space=people, version=1)
        for i in range(n_res)])
    keys = await new_keys(site, n_keys, "K")
    staff = str(uuid.uuid4())
    await insert_rows(KeyLoan, [
        KeyLoan(site=site, key=keys[i % n_keys], borrower_name=f"借用人{i}",
                borrower_kind="contractor", lent_at=T0 + timedelta(minutes=i),
                due_at=T0 + timedelta(minutes=i, hours=8), lent_by=staff,
                returned_at=T0 + timedelta(minutes=i, hours=2) if i % 3 else None,
                returned_by="借用人", space=keys_space, version=1)
        for i in range(n_loans)])
    return site


async def first_sync(settings: Settings, site: str, run: int) -> tuple[float, int, int, int]:
    """(records/s, records, JSON bytes, gzip bytes) of a new phone's first pull."""
    user, _token = await new_phone(settings, site, 1000 + run)
    assert user.client_id is not None
    cookie = None
    records = raw = packed = 0
    elapsed = 0.0
    while True:
        start = time.perf_counter()
        page = await service.pull(settings, user, PullRequest(
            client_id=user.client_id, schema_version=SCHEMA_VERSION, cookie=cookie))
        body = encoder.encode(page)
        elapsed += time.perf_counter() - start
        records += len(page.patch)
        raw += len(body)
        packed += len(gzip.compress(body, 6))
        cookie = page.cookie
        if not page.more:
            return records / elapsed, records, raw, packed



# --- the run -----------------------------------------------------------------------------------

async def _pg_database(action: str, name: str) -> None:
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def bench(kind: str, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    pg_name = f"caretaker_bench_{os.getpid()}"
    if kind == "postgres":
        await _pg_database("create", pg_name)
        url = f"{PG_BASE}/{pg_name}"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    settings = load_settings({"DATABASE_URL": url, "CARETAKER_SECRET_KEY": "b" * 48,
                              "CARETAKER_DEMO": "false"})
    engine = dbmod.make_engine(url)
    await dbmod.start(engine)
    try:
        await dbmod.migrate(engine)
        tune_gc()  # as the server does at startup
        site = await new_site("BENCH")
        out: dict[str, Any] = {"db": kind, "runs": sizes.runs, "phone_runs": sizes.phone_runs,
                               "push_mutations": sizes.push_mutations,
                               "push_batch": sizes.push_batch}

        pushes, bares = [], []
        for run in range(sizes.runs):
            pushes.append(await push_batches(settings, site, sizes, run))
            bares.append(await bare_driver(settings, engine, site, sizes, run))
            print(f"  push run {run + 1}: {pushes[-1]:,.0f}/s, bare {bares[-1]:,.0f}/s",
                  file=sys.stderr, flush=True)
        out["push_batch_mutations_per_s"] = statistics.median(pushes)
        out["bare_driver_rows_per_s"] = statistics.median(bares)
        out["push_to_bare_ratio"] = out["push_batch_mutations_per_s"] / out[
            "bare_driver_rows_per_s"]
        out["push_batch_runs"] = pushes
        out["bare_driver_runs"] = bares

        big = await big_site(sizes.pull_records)
        pulls = []
        for run in range(sizes.runs):
            pulls.append(await first_sync(settings, big, run))
            print(f"  pull run {run + 1}: {pulls[-1][0]:,.0f} records/s",
                  file=sys.stderr, flush=True)
        out["pull_records_per_s"] = statistics.median(p[0] for p in pulls)
        out["pull_records"] = pulls[0][1]
        out["pull_bytes_json"] = pulls[0][2]
        out["pull_bytes_gzip"] = pulls[0][3]
        out["pull_page_size"] = settings.pull_page_size

        saturated: list[PhoneRun] = []
        paced: list[PhoneRun] = []
        server = Server(settings)
        try:
            await server.ready()
            await warm_up(settings, site, server.port)
            for run in range(sizes.phone_runs):
                saturated.append(await many_phones(settings, site, sizes, run, server.port))
                paced.append(await many_phones(settings, site, sizes, run, server.port,
                                               rate=PACED_RATE))
                print(f"  phones run {run + 1}: saturated {saturated[-1]}, paced {paced[-1]}",
                      file=sys.stderr, flush=True)
        finally:
            server.stop()
        out["push_devices"] = sizes.phones
        out["push_devices_mutations_per_s"] = statistics.median(r.mutations_per_s
                                                                for r in saturated)
        out["push_devices_saturated_p50_ms"] = statistics.median(r.p50_ms for r in saturated)
        out["push_devices_saturated_p99_ms"] = statistics.median(r.p99_ms for r in saturated)
        out["push_devices_paced_offered_per_s"] = PACED_RATE
        out["push_devices_paced_mutations_per_s"] = statistics.median(r.mutations_per_s
                                                                      for r in paced)
        out["push_devices_p50_ms"] = statistics.median(r.p50_ms for r in paced)
        out["push_devices_p99_ms"] = statistics.median(r.p99_ms for r in paced)
        out["push_devices_errors"] = sum(r.errors for r in saturated + paced)
        return out
    finally:
        await dbmod.stop(engine)
        if kind == "postgres":
            await _pg_database("drop", pg_name)


BARS = {"sqlite": {"push_batch_mutations_per_s": 20_000},
        "postgres": {"push_batch_mutations_per_s": 10_000}}


def report(out: dict[str, Any]) -> str:
    bar = BARS[out["db"]]["push_batch_mutations_per_s"]
    rows = [
        (f"push, batches of {out['push_batch']} (mutations/s)",
         f"{out['push_batch_mutations_per_s']:,.0f}", f">= {bar:,}"),
        ("bare driver, same rows (rows/s)", f"{out['bare_driver_rows_per_s']:,.0f}", "baseline"),
        ("push / bare driver", f"{out['push_to_bare_ratio']:.2f}", ""),
        (f"push, {out['push_devices']} phones, saturated (mutations/s)",
         f"{out['push_devices_mutations_per_s']:,.0f}", ">= 1,000"),
        ("  saturated p50 / p99 latency (ms)",
         f"{out['push_devices_saturated_p50_ms']:.0f} / "
         f"{out['push_devices_saturated_p99_ms']:.0f}", "(queueing)"),
        (f"  paced at {PACED_RATE:,}/s offered: achieved (mutations/s)",
         f"{out['push_devices_paced_mutations_per_s']:,.0f}", ""),
        ("  paced p50 / p99 latency (ms)",
         f"{out['push_devices_p50_ms']:.0f} / {out['push_devices_p99_ms']:.0f}", "p99 < 250"),
        ("push, phones errors", str(out["push_devices_errors"]), "0"),
        (f"pull, first sync of {out['pull_records']:,} records (records/s)",
         f"{out['pull_records_per_s']:,.0f}", ">= 50,000"),
        ("pull, payload JSON / gzip (bytes)",
         f"{out['pull_bytes_json']:,} / {out['pull_bytes_gzip']:,}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"caretaker bench — {out['db']}, medians of {out['runs']} runs "
             f"({out['phone_runs']} for the phones)"]
    lines += [f"  {name:<{width}}  {value:>16}  {bar_}" for name, value, bar_ in rows]
    return "\n".join(lines)


def main(db: str = "sqlite", json_path: str | None = None, quick: bool = False) -> int:
    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="caretaker-bench-") as tmp:
        out = asyncio.run(bench(db, sizes, Path(tmp)))
    out["quick"] = quick
    print(report(out))
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0
