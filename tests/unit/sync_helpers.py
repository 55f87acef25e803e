"""Helpers of the engine tests: phones with injectable clocks, push/pull over the in-memory
store, mutation arguments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import SCHEMA_VERSION, engine, hlc
from sync.context import Principal
from sync.domains import default_registry
from sync.memory import MemoryDatabase
from sync.protocol import Mutation, PullRequest, PullResponse, PushRequest, PushResponse
from sync.registry import Registry
from sync.storage import Record
from sync.streams import space

SITE = "11111111-1111-4111-8111-111111111111"
OTHER = "22222222-2222-4222-8222-222222222222"
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
REG = default_registry()
SIG = "5" * 64  # the signature every test loan carries (each phone uploads it first)


def keys_space(site: str = SITE) -> str:
    return space(site, "keys")


def new_db(*sites: str) -> MemoryDatabase:
    """A database with the sites the office created (``SITE`` and ``OTHER`` by default)."""
    db = MemoryDatabase()
    db.office_write(Record("site", s, space(s, "estate"),
                           data={"code": f"S{i}", "name": f"site {i}", "address": ""})
                    for i, s in enumerate(sites or (SITE, OTHER)))
    return db


def uid() -> str:
    return str(uuid.uuid4())


def person(role: str = "front_desk", sites: Sequence[str] = (SITE,)) -> Principal:
    return Principal(staff_id=uid(), role=role, sites=frozenset(sites), device_id=uid())


class Phone:
    def __init__(self, actor: Principal, *, skew_ms: int = -60_000) -> None:
        self.actor = actor
        self.client_id = uid()
        self.next_id = 1
        ticks = iter(range(NOW_MS + skew_ms, NOW_MS + skew_ms + 10**9))
        self.clock = hlc.Clock(self.client_id, now_ms=lambda: next(ticks))

    def m(self, name: str, args: dict[str, Any], *, id_: int | None = None,
          stamp: str | None = None) -> Mutation:
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        return Mutation(id=id_, name=name, args=args, hlc=stamp or self.clock.now().encode())


async def push(db: MemoryDatabase, phone: Phone, muts: list[Mutation], *,
               schema: int = SCHEMA_VERSION, registry: Registry = REG,
               now: datetime = NOW) -> PushResponse:
    request = PushRequest(client_id=phone.client_id, schema_version=schema, mutations=muts)
    db.blobs.setdefault(SIG, set()).add(phone.actor.staff_id)  # uploaded before the push
    async with db.push_transaction() as store:
        return await engine.push(store, phone.actor, request, registry=registry, now=now)


async def pull(db: MemoryDatabase, phone: Phone, cookie: str | None = None, *,
               page_size: int = 1000, schema: int = SCHEMA_VERSION) -> PullResponse:
    request = PullRequest(client_id=phone.client_id, schema_version=schema, cookie=cookie)
    async with db.snapshot() as store:
        return await engine.pull(store, phone.actor, request, page_size=page_size)


async def pull_all(db: MemoryDatabase, phone: Phone, cookie: str | None = None,
                   page_size: int = 1000) -> tuple[list[PullResponse], str]:
    pages = []
    for _ in range(1000):
        page = await pull(db, phone, cookie, page_size=page_size)
        pages.append(page)
        cookie = page.cookie
        if not page.more:
            return pages, cookie
    raise AssertionError("pull never finished")


def register_args(key_id: str | None = None, site: str = SITE, **over: Any) -> dict[str, Any]:
    key_id = key_id or uid()
    args = {"key_id": key_id, "site_id": site, "code": f"A-{key_id[:6].upper()}",
            "label": "spare", "category": "public_area"}
    return {**args, **over}


def lend_args(key_id: str, loan_id: str | None = None, *, at: datetime = NOW,
              **over: Any) -> dict[str, Any]:
    args = {"loan_id": loan_id or uid(), "key_id": key_id, "borrower_name": "陳大文",
            "borrower_phone": "91234567", "borrower_kind": "contractor", "id_type": "hkid",
            "id_last4": "123A", "purpose": "維修水喉", "lent_at": at.isoformat(),
            "due_at": (at + timedelta(hours=8)).isoformat(), "signature_blob": SIG}
    return {**args, **over}


def return_args(loan_id: str, *, at: datetime = NOW + timedelta(hours=1),
                **over: Any) -> dict[str, Any]:
    return {"loan_id": loan_id, "returned_at": at.isoformat(), "returned_by": "陳大文", **over}


async def with_key(db: MemoryDatabase, phone: Phone, **over: Any) -> str:
    args = register_args(**over)
    resp = await push(db, phone, [phone.m("key.register", args)])
    assert resp.applied == 1
    return args["key_id"]


