"""Row factories for tests: each returns the created row's id (str) with sensible values."""

from __future__ import annotations

import hashlib
import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import Staff, StaffSite
from server.estate.tables import Building, Resident, Site, Unit
from server.keys.tables import KeyLoan, KeyTag
from server.sync.spaces import space_of
from server.sync.tables import (
    AuditEntry,
    Blob,
    BlobRef,
    Conflict,
    Rejection,
    SpaceVersion,
)
from sync.streams import site_spaces

_seq = itertools.count(1)


def _space(record_type: str, space: str) -> str:
    """A site id given where a space is meant: the space of ``record_type`` there."""
    if ":" in space or space in ("", "org"):
        return space
    stream_type = record_type if record_type in ("key", "key_loan", "site", "building",
                                                 "unit", "resident") else "key"
    return space_of(stream_type, space)


class Factory:
    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash

    async def site(self, name: str = "", code: str = "") -> str:
        n = next(_seq)
        site_id = uuid.uuid4()
        await Site.insert(Site(id=site_id, code=code or f"S{n:03d}", name=name or f"測試花園{n}",
                               space=space_of("site", str(site_id)), version=1))
        await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                    for s in site_spaces(str(site_id))])
        return str(site_id)

    async def building(self, site: str, code: str = "") -> str:
        n = next(_seq)
        b = Building(site=site, code=code or f"B{n}", name=f"第{n}座",
                     space=space_of("building", site), version=1)
        await b.save()
        return str(b.id)

    async def unit(self, site: str, building: str | None = None, number: str = "") -> str:
        building = building or await self.building(site)
        n = next(_seq)
        u = Unit(site=site, building=building, number=number or f"U-{n:04d}", floor="1",
                 area=60.0, use="residential", space=space_of("unit", site), version=1)
        await u.save()
        return str(u.id)

    async def resident(self, site: str, unit: str, name: str = "") -> str:
        r = Resident(site=site, unit=unit, name=name or f"住戶{next(_seq)}", phone="91234567",
                     relation="owner", id_type="hkid", id_last4="1234",
                     space=space_of("resident", site), version=1)
        await r.save()
        return str(r.id)

    async def staff(self, username: str = "", role: str = "front_desk",
                    sites: tuple[str, ...] = (), active: bool = True) -> str:
        n = next(_seq)
        s = Staff(username=username or f"user{n}", display_name=f"職員{n}",
                  password_hash=self.password_hash, role=role, active=active)
        await s.save()
        for site in sites:
            await StaffSite(staff=s.id, site=site).save()
        return str(s.id)

    async def key(self, site: str, code: str = "", category: str = "public_area",
                  unit: str | None = None) -> str:
        n = next(_seq)
        k = KeyTag(site=site, code=code or f"K{n:04d}", label=f"鑰匙{n}", category=category,
                   unit=unit, space=space_of("key", site), version=1)
        await k.save()
        return str(k.id)

    async def key_loan(self, key: str, lent_by: str, *, borrower: str = "", hours_ago: float = 1,
                       due_in_hours: float = 4, returned: bool = False, voided: bool = False,
                       **fields: Any) -> str:
        """A loan of ``key`` (in the key's site), lent ``hours_ago`` and due
        ``due_in_hours`` after that (negative due = already overdue when not returned)."""
        row = await KeyTag.select(KeyTag.site).where(KeyTag.id == key).first()
        site = str(row["site"])
        lent_at = datetime.now(UTC) - timedelta(hours=hours_ago)
        loan = KeyLoan(
            id=uuid.uuid4(), site=site, key=key, borrower_name=borrower or f"借用人{next(_seq)}",
            borrower_kind="contractor", id_type="hkid", id_last4="123A", purpose="維修",
            lent_at=lent_at, due_at=lent_at + timedelta(hours=due_in_hours), lent_by=lent_by,
            returned_at=lent_at + timedelta(minutes=30) if returned else None,
            returned_by="歸還人" if returned else "", voided=voided,
            space=space_of("key_loan", site), version=1, signature_blob="5" * 64,
            created_at=lent_at + timedelta(seconds=5),
        )
        for name, value in fields.items():
            setattr(loan, name, value)
        await loan.save()
        for sha in fields.get("return_photos") or []:  # as the sync store records them
            await BlobRef.insert(BlobRef(id=uuid.uuid4(), sha256=sha, record_type="key_loan",
                                         record_id=loan.id, space=loan.space))
        return str(loan.id)

    async def audit(self, record_type: str, record_id: str, space: str, action: str,
                    changes: dict[str, list[Any]], *, staff: str | None = None,
                    device_time: datetime | None = None,
                    server_time: datetime | None = None) -> str:
        entry = AuditEntry(
            id=uuid.uuid4(), record_type=record_type, record_id=record_id,
            space=_space(record_type, space),
            version=1, action=action, staff=staff, device_hlc="", device_time=device_time,
            server_time=server_time or datetime.now(UTC), changes=changes)
        await entry.save()
        return str(entry.id)

    async def conflict(self, space: str, record_ids: list[str], *, kind: str = "double_loan",
                       record_type: str = "key_loan", details: dict[str, Any] | None = None,
                       staff_ids: list[str] | None = None, status: str = "open") -> str:
        c = Conflict(id=uuid.uuid4(), kind=kind, space=_space(record_type, space), version=1,
                     record_type=record_type, record_ids=record_ids, details=details or {},
                     staff_ids=staff_ids or [], status=status)
        await c.save()
        return str(c.id)

    async def rejection(self, space: str, *, staff: str | None = None, code: str = "unknown_key",
                        reason: str = "no such key", status: str = "open") -> str:
        r = Rejection(id=uuid.uuid4(), client_id=uuid.uuid4(), mutation_id=next(_seq),
                      name="key.lend", code=code, reason=reason, args={"key_id": "x"},
                      staff=staff, space=_space("key", space) if space else "",
                      status=status)
        await r.save()
        return str(r.id)

    async def blob(self, data: bytes = b"\x89PNG fake", content_type: str = "image/png") -> str:
        sha = hashlib.sha256(data).hexdigest()
        await Blob.insert(Blob(sha256=sha, content_type=content_type, size=len(data), data=data))
        return sha


def csrf_from(html: str) -> str:
    m = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in page"
    return m.group(1)


async def sign_in(client: Any, username: str, password: str) -> Any:
    """Sign in through the real form (with its CSRF token). Returns the response."""
    page = await client.get("/login")
    token = csrf_from(page.text)
    return await client.post("/login", data={"username": username, "password": password,
                                             "_csrf_token": token})
