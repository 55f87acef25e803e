"""Shared helpers for the office's card page tests: a two-site estate with a card policy,
zones, a stock of cards and residents, and cards issued, lost and returned through the
desk's own mutations (the rules write the rows, as on a phone)."""

from __future__ import annotations

import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.tables import CardPolicy, CardZone
from server.sync import office
from server.sync.spaces import space_of
from server.sync.tables import BlobUpload
from sync.context import iso
from tests.integration.office_keys_support import Estate


def png() -> bytes:
    """A real 1×1 PNG (a signature scan as the office uploads it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def user_of(e: Estate, who: str = "boss") -> CurrentUser:
    if who == "root":
        return CurrentUser(id=e.root, username="root", display_name="root", role="admin",
                           site_ids=(e.a, e.b))
    return CurrentUser(id=e.boss, username="boss", display_name="boss", role="supervisor",
                       site_ids=(e.a,))


def days_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=n)


async def stock(e: Estate, site: str, number: str, batch: str = "2026-01",
                technology: str = "ic") -> str:
    card = str(uuid.uuid4())
    await office.apply(user_of(e, "root"), [("card.stock", {
        "card_id": card, "site_id": site, "number": number, "batch": batch,
        "technology": technology, "uid": ""})])
    return card


async def issue(e: Estate, unit: str, number: str, *, holder: str = "陳大文",
                at: datetime | None = None, valid_days: float = 730, site: str = "",
                resident: str | None = None, replaces: str | None = None,
                reason: str = "") -> str:
    at = at or days_ago(10)
    issue_id = str(uuid.uuid4())
    await office.apply(user_of(e, "root"), [("card.issue", {
        "issue_id": issue_id, "card_id": str(uuid.uuid4()), "site_id": site or e.a,
        "number": number, "unit_id": unit, "resident_id": resident, "holder_name": holder,
        "relation": "owner", "issued_at": iso(at), "valid_until": iso(at + timedelta(
            days=valid_days)), "signature_blob": e.sig, "scope": ["LOBBY-A"],
        "fee": 50, "deposit": 100, "receipt_no": "R001", "replaces_issue_id": replaces,
        "replace_reason": reason})])
    return issue_id


async def cards_estate(factory: Any) -> Estate:
    """Site A (HYG: building A with units A-01A, A-02A; building B with B-01A) and site B
    (JHT); ``boss`` supervises A, ``root`` is an admin, ``desk`` is A's front desk."""
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    root = await factory.staff("root", role="admin")
    desk = await factory.staff("desk", role="front_desk", sites=(a,))
    ba = await factory.building(a, code="A")
    bb = await factory.building(a, code="B")
    u1 = await factory.unit(a, ba, number="A-01A")
    u2 = await factory.unit(a, ba, number="A-02A")
    u3 = await factory.unit(a, bb, number="B-01A")
    ub = await factory.unit(b, number="J-01A")
    r1 = await factory.resident(a, u1, name="陳大文")
    sig = await factory.blob(png())
    await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=sig, staff=root))
    for site in (a, b):
        space = space_of("card", site)
        await CardPolicy.insert(CardPolicy(site=site, quota=2, validity_days=730, fee=50,
                                           deposit=100, space=space, version=1))
        await CardZone.insert(CardZone(site=site, code="LOBBY-A", name="A座大堂", kind="door",
                                       space=space, version=1))
    e = Estate(a=a, b=b, boss=boss, root=root, desk=desk, ba=ba, bb=bb, u1=u1, u2=u2, u3=u3,
               ub=ub, r1=r1, sig=sig)
    return e


async def sign_in_en(client: Any, username: str) -> None:
    from tests.conftest import TEST_PASSWORD
    from tests.factories import sign_in

    await sign_in(client, username, TEST_PASSWORD)
    assert (await client.get("/lang/en")).status_code == 200
