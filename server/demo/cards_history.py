"""Two years of the demo estate's card issues, as the desks and the server would have left
them: cards handed to about 60 % of units (one to three each, within their quota; owners,
household and tenants from the unit's residents, a proxy now and then with the owner's
authorisation letter and phone confirmation), taken from the stock delivered before the day
— some reported lost (the door system took them within the hour) and most replaced, some
damaged and replaced at the desk, returned with the deposit refunded, revoked when the
resident moved out; a few issued almost two years ago, so they expire within 30 days.

Then the demo's set pieces: exactly one card reported lost 25 minutes ago and not yet
taken by the door system, one card issued before the stock knew its number (its
``unregistered_card`` conflict open), and two residents who moved out still holding cards.
Rows carry their space and version; written in one statement per table."""

from __future__ import annotations

import hashlib
import random
import struct
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from piccolo.columns import JSON

from server.db import is_postgres
from server.estate.tables import Resident, Unit
from server.lib.timezone import estate_zone
from server.sync.blobs import UPLOAD_NS
from sync import hlc as hlc_mod

ISSUED_SHARE = 0.6
LOST, DAMAGED, RETURNED, REVOKED = 0.05, 0.02, 0.04, 0.015
REPLACED = 0.8  # of the lost cards, replaced later
PROXY = 0.003  # a proxy or two
EXPIRING = 4  # per site: issued so long ago that they expire within 30 days
PENDING_MINUTES = 25
PROXY_NAMES = ("梁秀英（業主代理人）", "何家俊（業主親友）", "鄭美華（地產代理）")


@dataclass
class SiteCards:
    """One site's card set-up, as the history needs it."""

    site_id: Any
    code: str
    space: str
    quota: int
    validity: int
    fee: float
    deposit: float
    zones: list[str]
    desk_at: Callable[[datetime], str]  # the staff id of the desk on duty at a moment
    units: Sequence[Unit]
    quotas: dict[str, int] = field(default_factory=dict)  # unit id -> its own quota
    cards: list[dict[str, Any]] = field(default_factory=list)
    batches: list[tuple[datetime, list[dict[str, Any]]]] = field(default_factory=list)
    receipts: int = 0


def _png(width: int, height: int, ink: Any) -> bytes:
    """A real PNG (8-bit grey) with ``ink(x, y)`` pixels black on white."""
    raw = b"".join(b"\x00" + bytes(0 if ink(x, y) else 255 for x in range(width))
                   for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def images() -> list[tuple[str, bytes]]:
    """Three signatures (scribbles) and an authorisation letter (lines of "text")."""
    out = []
    for k in (3, 5, 7):
        def scribble(x: int, y: int, k: int = k) -> bool:
            return abs(y - 30 - 14 * ((x * k) % 37 - 18) / 18 * ((x // 20) % 2 * 2 - 1)) < 1.5
        out.append(_png(200, 60, scribble))
    out.append(_png(160, 200, lambda x, y: 15 < x < 145 and y % 14 in (0, 1)
                    and (x * 7 + y) % 23 > 4))
    return [(hashlib.sha256(d).hexdigest(), d) for d in out]


class History:
    def __init__(self, rng: random.Random, now: datetime,
                 people: dict[str, list[Resident]]) -> None:
        self.rng, self.now, self.people = rng, now, people
        self.zone = estate_zone()
        self.issues: list[dict[str, Any]] = []
        self.conflicts: list[dict[str, Any]] = []
        self.images = images()
        self.uploads: dict[str, str] = {}  # sha -> the first uploader
        self.uploaded: set[tuple[str, str]] = set()
        self._cards: list[dict[str, Any]] = []  # the site's cards being written
        self._next: dict[int, int] = {}  # a batch (its list) -> its first card maybe in stock
        self._by_id: dict[Any, dict[str, Any]] = {}

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _blob(self, sha: str, desk: str) -> str:
        self.uploads.setdefault(sha, desk)
        self.uploaded.add((sha, desk))
        return sha

    def upload_rows(self) -> list[tuple[uuid.UUID, str, str]]:
        return [(uuid.uuid5(UPLOAD_NS, f"{sha}:{s}"), sha, s) for sha, s in
                sorted(self.uploaded)]

    def _card(self, sc: SiteCards, at: datetime) -> dict[str, Any] | None:
        """The next card in stock from the latest batch delivered before ``at``."""
        for delivered, cards in reversed(sc.batches):
            if delivered <= at:
                start = self._next.get(id(cards), 0)
                for n in range(start, len(cards)):
                    if cards[n]["status"] == "in_stock":
                        self._next[id(cards)] = n + 1
                        return cards[n]
                self._next[id(cards)] = len(cards)
        return None

    def issue(self, sc: SiteCards, unit: Unit, at: datetime, replaces: dict[str, Any] | None
              = None, reason: str = "", holder: dict[str, Any] | None = None
              ) -> dict[str, Any] | None:
        at = at.replace(microsecond=0)
        card = self._card(sc, at)
        if card is None:
            return None
        rng = self.rng
        desk = sc.desk_at(at)
        if holder is None:
            holder = self._holder(unit, desk)
        sc.receipts += 1
        received = at + (timedelta(minutes=rng.randint(10, 90)) if rng.random() < 0.1
                         else timedelta(seconds=rng.randint(2, 40)))
        row = {
            "id": self._id(), "site": sc.site_id, "card": card["id"], "unit": unit.id,
            **holder, "scope": self._scope(sc, unit),
            "valid_until": at + timedelta(days=sc.validity), "fee": sc.fee,
            "deposit": sc.deposit, "receipt_no": f"{sc.code}-R{at:%y}{sc.receipts:05d}",
            "signature_blob": self._blob(self.rng.choice(self.images[:3])[0], desk),
            "issued_at": at, "replaces_issue": replaces["id"] if replaces else None,
            "issued_by": desk, "issued_device": None,
            "issued_hlc": hlc_mod.encode(hlc_mod.HLC(int(at.timestamp() * 1000), 0,
                                                     hlc_mod.node_id(desk))),
            "ended_at": None, "end_reason": "", "end_notes": "", "deposit_refunded": None,
            "ended_by": None, "space": sc.space, "version": 1, "created_at": received,
            "updated_at": received}
        if replaces is not None and replaces["ended_at"] is None:
            self.end(replaces, at, reason, desk)
        self.issues.append(row)
        self._by_id[card["id"]] = card
        card.update(status="issued", issue=row["id"], unit=unit.id, updated_at=received)
        return row

    def _holder(self, unit: Unit, desk: str) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < PROXY:
            return {"resident": None, "holder_name": rng.choice(PROXY_NAMES),
                    "relation": "proxy", "id_type": "hkid",
                    "id_last4": f"{rng.randrange(0, 9999):04d}",
                    "authorisation_blob": self._blob(self.images[3][0], desk),
                    "owner_confirmation": "業主致電管理處確認授權"}
        r = rng.choice(self.people.get(str(unit.id)) or [None])
        if r is None:
            return {"resident": None, "holder_name": "住戶", "relation": "owner",
                    "id_type": "none", "id_last4": "", "authorisation_blob": "",
                    "owner_confirmation": ""}
        relation = r.relation if r.relation != "proxy" else "household"
        return {"resident": r.id, "holder_name": r.name, "relation": relation,
                "id_type": r.id_type, "id_last4": r.id_last4 if r.id_type != "none" else "",
                "authorisation_blob": "", "owner_confirmation": ""}

    def _scope(self, sc: SiteCards, unit: Unit) -> list[str]:
        mine = [z for z in sc.zones if z.endswith(f"-{str(unit.number).split('-')[0]}")]
        extra = ["CARPARK"] if self.rng.random() < 0.35 else []
        return [*mine, *extra, "CLUB", "PODIUM"]

    def end(self, issue: dict[str, Any], at: datetime, reason: str, desk: str,
            notes: str = "", taken: bool = True) -> None:
        at = at.replace(microsecond=0)
        issue.update(ended_at=at, end_reason=reason, end_notes=notes, ended_by=desk,
                     deposit_refunded=issue["deposit"] if reason == "returned" else None,
                     updated_at=at)
        card = self._by_id.get(issue["card"]) or next(
            c for c in self._cards if c["id"] == issue["card"])
        if reason == "returned":
            card.update(status="returned", issue=None, unit=None, updated_at=at)
            return
        door = at + timedelta(minutes=self.rng.randint(8, 50)) if taken else None
        card.update(status=reason, blacklisted_at=at, door_taken_at=door, updated_at=at)

    def site(self, sc: SiteCards) -> None:
        """Two years of one site's issues, in the order they happened."""
        rng, now = self.rng, self.now
        self._cards = sc.cards
        plans: list[tuple[datetime, Unit]] = []
        for unit in sc.units:
            if rng.random() >= ISSUED_SHARE and str(unit.id) not in sc.quotas:
                continue
            quota = sc.quotas.get(str(unit.id), sc.quota)
            count = quota if str(unit.id) in sc.quotas else min(quota, rng.choice((1, 1, 2, 2,
                                                                                  2, 3)))
            first = now - timedelta(days=rng.uniform(2, 700))
            plans += [(first + timedelta(days=rng.uniform(0, 20) * k), unit)
                      for k in range(count)]
        for unit in rng.sample(list(sc.units), EXPIRING):
            plans.append((now - timedelta(days=sc.validity - rng.uniform(3, 27)), unit))
        for at, unit in sorted(plans, key=lambda p: p[0]):
            at = self.daytime(min(at, now - timedelta(hours=2)))
            issue = self.issue(sc, unit, at)
            if issue is not None and at > now - timedelta(days=sc.validity - 30):
                self._fate(sc, unit, issue)

    def daytime(self, at: datetime) -> datetime:
        """``at`` moved into its day's desk hours (09:00–21:00 local), and not later than
        an hour ago: cards are handed over in the daytime."""
        local = at.astimezone(self.zone)
        if not 9 <= local.hour < 21:
            at = local.replace(hour=9 + local.hour % 12).astimezone(UTC)
        return at - timedelta(days=1) if at > self.now - timedelta(hours=1) else at

    def _fate(self, sc: SiteCards, unit: Unit, issue: dict[str, Any]) -> None:
        rng, now = self.rng, self.now
        roll = rng.random()
        at = issue["issued_at"] + (now - issue["issued_at"]) * rng.uniform(0.2, 0.9)
        desk = sc.desk_at(at)
        holder = {k: issue[k] for k in ("resident", "holder_name", "relation", "id_type",
                                        "id_last4", "authorisation_blob",
                                        "owner_confirmation")}
        if roll < LOST:
            self.end(issue, at, "lost", desk, "住戶報稱遺失")
            again = at + timedelta(hours=rng.uniform(2, 72))
            if rng.random() < REPLACED and again < now - timedelta(hours=1):
                self.issue(sc, unit, again, issue, "lost", holder)
        elif roll < LOST + DAMAGED:
            self.issue(sc, unit, at, issue, "damaged", holder)
        elif roll < LOST + DAMAGED + RETURNED:
            self.end(issue, at, "returned", desk, "住戶交還")
        elif roll < LOST + DAMAGED + RETURNED + REVOKED:
            self.end(issue, at, "revoked", desk, "住戶已遷出")

    def _open(self, sc: SiteCards) -> list[dict[str, Any]]:
        return [i for i in self.issues if i["site"] == sc.site_id and i["ended_at"] is None
                and i["valid_until"] > self.now + timedelta(days=60)]

    def pending_blacklist(self, sc: SiteCards) -> None:
        """Exactly one lost card the door system has not taken yet: reported just now."""
        self._cards = sc.cards
        issue = max(self._open(sc), key=lambda i: i["issued_at"])
        at = self.now - timedelta(minutes=PENDING_MINUTES)
        self.end(issue, at, "lost", sc.desk_at(at), "住戶來電掛失", taken=False)

    def unregistered(self, sc: SiteCards) -> None:
        """A card the desk issued before the stock knew its number: its conflict open."""
        self._cards = sc.cards
        unit = next(u for u in sc.units if str(u.id) not in sc.quotas and not any(
            i["unit"] == u.id for i in self.issues))
        at = self.daytime(self.now - timedelta(days=3, hours=2))
        card = {**sc.cards[0], "id": self._id(), "number": f"{sc.code}-T0001", "uid": "",
                "batch": "", "status": "in_stock", "registered": False,
                "created_at": at, "updated_at": at}
        sc.cards.append(card)
        sc.batches.append((at, [card]))
        issue = self.issue(sc, unit, at)
        assert issue is not None
        self.conflicts.append({
            "id": self._id(), "kind": "unregistered_card", "space": sc.space, "version": 1,
            "record_type": "card", "record_ids": [str(card["id"])],
            "details": {"card_id": str(card["id"]), "number": card["number"],
                        "issue_id": str(issue["id"]), "unit_id": str(unit.id)},
            "staff_ids": [issue["issued_by"]], "status": "open", "resolution": "",
            "resolution_note": "", "resolved_by": None, "resolved_at": None,
            "created_at": issue["created_at"]})

    def moved_out(self, sc: SiteCards) -> list[str]:
        """Two residents (not owners) who moved out but still hold their cards."""
        held = [str(i["resident"]) for i in self._open(sc) if i["resident"] is not None
                and i["relation"] in ("tenant", "household")]
        return list(dict.fromkeys(held))[:2]


async def bulk(table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Many rows in one statement per database (Piccolo's insert builds SQL per row: ten
    times slower). Columns not given take the table's defaults."""
    if not rows:
        return
    template = table(_ignore_missing=True)  # the defaults, evaluated once
    columns = table._meta.columns
    names = [c._meta.db_column_name for c in columns]
    is_json = [isinstance(c, JSON) for c in columns]
    defaults = [getattr(template, c._meta.name) for c in columns]
    values = [tuple(_json(v) if j else v for v, j in zip(
        (r.get(c._meta.name, d) for c, d in zip(columns, defaults, strict=True)), is_json,
        strict=True)) for r in rows]
    engine = table._meta.db
    marks = ", ".join(f"${n + 1}" if is_postgres(engine) else "?" for n in range(len(names)))
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table._meta.tablename}" ({quoted}) VALUES ({marks})'  # noqa: S608
    async with engine.transaction() as tx:
        await tx.connection.executemany(sql, values)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()
