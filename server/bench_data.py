"""Data and setup shared by the benchmarks (``caretaker bench``): sizes, sites, keys, phones
with tokens, key.lend mutations as the phone makes them."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from server.accounts import service as accounts
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff, StaffSite
from server.estate.tables import Site
from server.keys.tables import KeyTag
from server.settings import Settings
from server.sync.spaces import space_of
from server.sync.sql import uuid7_batch
from server.sync.tables import BlobUpload, SpaceVersion, SyncClient
from sync.hlc import Clock
from sync.protocol import PushRequest
from sync.streams import site_spaces

PG_BASE = os.environ.get("CARETAKER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
push_decoder = msgspec.json.Decoder(PushRequest)
encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class Sizes:
    runs: int  # push and pull measurements
    phone_runs: int
    push_mutations: int
    push_batch: int
    phones: int
    requests_per_phone: int
    phone_seconds: float
    pull_records: int


FULL = Sizes(runs=5, phone_runs=3, push_mutations=10_000, push_batch=1_000, phones=100,
             requests_per_phone=30, phone_seconds=15.0, pull_records=20_000)
QUICK = Sizes(runs=3, phone_runs=1, push_mutations=2_000, push_batch=1_000, phones=20,
              requests_per_phone=5, phone_seconds=5.0, pull_records=4_000)


# --- setup ---------------------------------------------------------------------------------

async def insert_rows(table: Any, rows: list[Any], chunk: int = 1000) -> None:
    for i in range(0, len(rows), chunk):
        await table.insert(*rows[i:i + chunk])


async def new_site(code: str) -> str:
    site_id = uuid.uuid4()
    await Site.insert(Site(id=site_id, code=code, name=f"測試花園 {code}",
                           space=space_of("site", str(site_id)), version=1))
    await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                for s in site_spaces(str(site_id))])
    return str(site_id)


async def new_keys(site: str, n: int, prefix: str) -> list[str]:
    ids = [uuid.uuid4() for _ in range(n)]
    await insert_rows(KeyTag, [
        KeyTag(id=k, site=site, code=f"{prefix}{i:05d}", label=f"鑰匙 {i}",
               category="public_area", space=space_of("key", site), version=1)
        for i, k in enumerate(ids)])
    return [str(k) for k in ids]


async def new_phone(settings: Settings, site: str, n: int) -> tuple[CurrentUser, str]:
    """A front-desk staff member of ``site`` with a registered phone; (user, token)."""
    staff = Staff(username=f"bench{n}-{uuid.uuid4().hex[:6]}", display_name=f"職員{n}",
                  password_hash="!", role="front_desk")  # noqa: S106 - no sign-in
    await staff.save()
    await StaffSite(staff=staff.id, site=site).save()
    client_id = uuid.uuid4()
    row = await Staff.select().where(Staff.id == staff.id).first()
    assert row is not None
    token, device_id = await accounts.register_device(settings, row, client_id, "bench")
    await SyncClient.insert(SyncClient(client_id=client_id, staff=staff.id, device=device_id))
    # the signature its loans name, uploaded before they are pushed
    await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=SIGNATURE, staff=staff.id))
    user = CurrentUser(id=str(staff.id), username=staff.username,
                       display_name=staff.display_name, role="front_desk", site_ids=(site,),
                       device_id=device_id, client_id=str(client_id))
    return user, token


SIGNATURE = "ab" * 32
_loan_ids: list[str] = []


def new_loan_id() -> str:
    """A UUIDv7, as the phone makes them (web/static/app/ids.js)."""
    if not _loan_ids:
        _loan_ids.extend(reversed(uuid7_batch(4096)))
    return _loan_ids.pop()


def lend(key_id: str, clock: Clock, mutation_id: int) -> dict[str, Any]:
    return {"id": mutation_id, "name": "key.lend", "hlc": clock.now().encode(), "args": {
        "loan_id": new_loan_id(), "key_id": key_id, "borrower_name": "陳大文",
        "borrower_phone": "91234567", "borrower_kind": "contractor", "id_type": "hkid",
        "id_last4": "123A", "purpose": "冷氣維修", "approver": "黃主任", "owner_consent": "",
        "deposit": "HK$100", "lent_at": T0.isoformat(),
        "due_at": (T0 + timedelta(hours=8)).isoformat(), "signature_blob": SIGNATURE,
    }}


def clock_for(client_id: str) -> Clock:
    start = int(T0.timestamp() * 1000)
    ticks = iter(range(start, start + 10**9))
    return Clock(client_id, now_ms=lambda: next(ticks))
