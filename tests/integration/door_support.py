"""Helpers for the door-system tests: cards made through the card mutations (the office's
write path, :func:`server.sync.office.apply`), controller tokens, and the feed read to the
end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.door_tokens import TokenForm, create
from server.cards.tables import CardZone
from server.sync import office
from server.sync.spaces import space_of
from server.sync.tables import BlobUpload, SpaceVersion
from sync.context import iso

SIG = "5" * 64
FEED = "/api/door/v1/changes"
ACK = "/api/door/v1/ack"


def office_user(staff_id: str, site: str, role: str = "supervisor") -> CurrentUser:
    return CurrentUser(id=staff_id, username=f"u-{staff_id[:8]}", display_name="職員",
                       role=role, site_ids=(site,))


async def can_sign(staff_id: str) -> None:
    """``staff_id`` has uploaded the signature every test issue carries."""
    await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=SIG, staff=staff_id))


async def zone(site: str, code: str) -> None:
    await CardZone.insert(CardZone(id=uuid.uuid4(), site=site, code=code, name=f"門 {code}",
                                   kind="door", active=True, space=space_of("card_zone", site),
                                   version=1))


async def cards_version(site: str) -> int:
    row = await SpaceVersion.select(SpaceVersion.version).where(
        SpaceVersion.space == space_of("card", site)).first()
    return int(row["version"]) if row else 0


def stock_args(site: str, number: str, card_id: str | None = None, **extra: Any
               ) -> dict[str, Any]:
    return {"card_id": card_id or str(uuid.uuid4()), "site_id": site, "number": number,
            "uid": f"UID{number.replace('-', '')}", "technology": "ic", **extra}


def issue_args(site: str, card_id: str, number: str, unit: str, *,
               at: datetime | None = None, valid_days: float = 730,
               scope: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    at = at or datetime.now(UTC) - timedelta(minutes=5)
    return {
        "issue_id": str(uuid.uuid4()), "card_id": card_id, "site_id": site, "number": number,
        "technology": "ic", "unit_id": unit, "holder_name": "陳大文", "relation": "owner",
        "scope": scope or [], "valid_until": iso(at + timedelta(days=valid_days)),
        "deposit": 50, "receipt_no": "R-001", "signature_blob": SIG, "issued_at": iso(at),
        **extra,
    }


def lost_args(card_id: str, issue_id: str | None, at: datetime | None = None
              ) -> dict[str, Any]:
    return {"card_id": card_id, "issue_id": issue_id,
            "reported_at": iso(at or datetime.now(UTC)), "reported_by": "住戶本人"}


@dataclass
class Desk:
    """The office user of one site, writing cards through the mutations."""

    user: CurrentUser
    site: str
    issues: dict[str, str] = field(default_factory=dict)  # card id -> its open issue

    async def stock(self, *numbers: str) -> list[str]:
        """One card per call of the mutation (each its own version)."""
        ids = []
        for n in numbers:
            args = stock_args(self.site, n)
            await office.apply(self.user, [("card.stock", args)])
            ids.append(args["card_id"])
        return ids

    async def stock_batch(self, *numbers: str) -> list[str]:
        """Several cards in one change (one version): an import."""
        batch = [stock_args(self.site, n) for n in numbers]
        await office.apply(self.user, [("card.stock", a) for a in batch])
        return [a["card_id"] for a in batch]

    async def issue(self, card_id: str, number: str, unit: str, **extra: Any) -> str:
        args = issue_args(self.site, card_id, number, unit, **extra)
        await office.apply(self.user, [("card.issue", args)])
        self.issues[card_id] = args["issue_id"]
        return str(args["issue_id"])

    async def lose(self, card_id: str, at: datetime | None = None) -> None:
        await office.apply(self.user, [("card.report_lost", lost_args(
            card_id, self.issues.get(card_id), at))])

    async def controller(self, name: str = "大門控制器") -> str:
        _id, token = await create(self.user, TokenForm(site=self.site, name=name))
        return token


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def read_feed(client: Any, token: str, cursor: int = 0, limit: int = 200,
                    max_pages: int = 10_000) -> tuple[list[dict[str, Any]], int]:
    """Every page from ``cursor`` until ``more`` is false: (the pages, the last cursor)."""
    pages = []
    for _ in range(max_pages):
        r = await client.get(FEED, params={"cursor": cursor, "limit": limit},
                             headers=bearer(token))
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["cursor"] == cursor
        assert page["next_cursor"] >= cursor
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["more"]:
            return pages, cursor
    raise AssertionError("the feed never ended")
