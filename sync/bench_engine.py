"""Engine micro-benchmark: ``python -m sync.bench_engine [--mutations N] [--batch B]``.

Pushes N ``key.lend`` mutations (each on its own key, registered beforehand) through
:func:`sync.engine.push` over the in-memory store in batches of B, and prints mutations/s
(the median of a few runs). It measures the engine's own per-mutation cost: decoding,
authorising, HLC, rules, audit, versions — no database.

Two figures: as is, and with ``gc.freeze()`` after each commit. The memory store keeps every
committed record and audit row on the Python heap, so the cyclic GC rescans a growing heap
(which a server whose data lives in SQLite/PostgreSQL does not have); the second figure takes
that artefact out and is the engine's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from sync import SCHEMA_VERSION, hlc
from sync.context import Principal
from sync.domains import default_registry
from sync.engine import push
from sync.memory import MemoryDatabase
from sync.protocol import Mutation, PushRequest
from sync.storage import Record
from sync.streams import space

SITE = "5b0e0e4e-0000-4000-8000-000000000001"


SIGNATURE = "ab" * 32


def _setup(n: int) -> tuple[MemoryDatabase, list[str]]:
    db = MemoryDatabase()
    keys = [str(uuid.uuid4()) for _ in range(n)]
    db.office_write(
        Record("key", k, space(SITE, "keys"), data={
            "site_id": SITE, "code": f"K{i:05d}", "label": "", "category": "public_area",
            "unit_id": None, "notes": "", "retired": False,
        })
        for i, k in enumerate(keys)
    )
    return db, keys


def _requests(keys: list[str], batch: int, client_id: str) -> list[PushRequest]:
    now = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    clock = hlc.Clock(client_id, now_ms=lambda: int(now.timestamp() * 1000))
    lent = now.isoformat()
    due = (now + timedelta(hours=8)).isoformat()
    muts = [
        Mutation(id=i + 1, name="key.lend", hlc=clock.now().encode(), args={
            "loan_id": str(uuid.uuid4()), "key_id": k, "borrower_name": "陳大文",
            "borrower_phone": "91234567", "borrower_kind": "contractor", "id_type": "hkid",
            "id_last4": "123A", "purpose": "aircon repair", "approver": "Supervisor Wong",
            "owner_consent": "", "deposit": "HK$100", "lent_at": lent, "due_at": due,
            "signature_blob": SIGNATURE,
        })
        for i, k in enumerate(keys)
    ]
    return [PushRequest(client_id=client_id, schema_version=SCHEMA_VERSION,
                        mutations=muts[i:i + batch]) for i in range(0, len(muts), batch)]


async def run_once(n: int, batch: int, *, freeze: bool = False) -> float:
    db, keys = _setup(n)
    client_id = str(uuid.uuid4())
    requests = _requests(keys, batch, client_id)
    actor = Principal(staff_id=str(uuid.uuid4()), role="front_desk", sites=frozenset({SITE}),
                      device_id=str(uuid.uuid4()))
    registry = default_registry()
    db.blobs[SIGNATURE] = {actor.staff_id}  # uploaded before the push
    now = datetime(2025, 1, 6, 9, 0, 1, tzinfo=UTC)
    gc.collect()
    start = time.perf_counter()
    for request in requests:
        async with db.push_transaction() as store:
            resp = await push(store, actor, request, registry=registry, now=now)
        assert resp.applied == len(request.mutations), resp
        if freeze:
            gc.freeze()
    elapsed = time.perf_counter() - start
    gc.unfreeze()
    assert len(db.records) == 2 * n
    return n / elapsed


def baseline_once(n: int, batch: int) -> float:
    """The floor, same run: per mutation only msgspec-decode the args and build the loan's
    data and its audit changes as plain dicts — what any implementation must do."""
    _, keys = _setup(n)
    requests = _requests(keys, batch, str(uuid.uuid4()))
    spec = default_registry().get("key.lend")
    assert spec is not None
    args_type = spec.decoder.struct
    gc.collect()
    start = time.perf_counter()
    for request in requests:
        out: list[tuple[dict, dict]] = []
        for m in request.mutations:
            data = msgspec.structs.asdict(msgspec.convert(m.args, args_type))
            out.append((data, {f: [None, v] for f, v in data.items()}))
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    print(f"engine push: {opts.mutations:,} key.lend in batches of {opts.batch:,}, memory store, "
          f"median of {opts.runs} runs")
    for freeze, label in ((False, "as is"),
                          (True, "committed state frozen out of the GC (as in a database)")):
        rates = [asyncio.run(run_once(opts.mutations, opts.batch, freeze=freeze))
                 for _ in range(opts.runs)]
        print(f"  {label}: {statistics.median(rates):,.0f} mutations/s "
              f"(runs: {', '.join(f'{r:,.0f}' for r in rates)})")
    floor = statistics.median(baseline_once(opts.mutations, opts.batch)
                              for _ in range(opts.runs))
    print(f"  baseline (decode args + build record and audit dicts only): {floor:,.0f}/s")


if __name__ == "__main__":
    main()
