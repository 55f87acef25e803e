"""Row factories for tests: each returns the created row's id (str) with sensible values."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

from server.accounts.tables import Staff, StaffSite
from server.estate.tables import Building, Resident, Site, Unit
from server.keys.tables import KeyTag
from server.sync.tables import SpaceVersion

_seq = itertools.count(1)


class Factory:
    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash

    async def site(self, name: str = "", code: str = "") -> str:
        n = next(_seq)
        site_id = uuid.uuid4()
        await Site.insert(Site(id=site_id, code=code or f"S{n:03d}", name=name or f"測試花園{n}",
                               space=str(site_id), version=1))
        await SpaceVersion.insert(SpaceVersion(space=str(site_id), version=1))
        return str(site_id)

    async def building(self, site: str, code: str = "") -> str:
        n = next(_seq)
        b = Building(site=site, code=code or f"B{n}", name=f"第{n}座", space=site, version=1)
        await b.save()
        return str(b.id)

    async def unit(self, site: str, building: str | None = None, number: str = "") -> str:
        building = building or await self.building(site)
        n = next(_seq)
        u = Unit(site=site, building=building, number=number or f"U-{n:04d}", floor="1",
                 area=60.0, use="residential", space=site, version=1)
        await u.save()
        return str(u.id)

    async def resident(self, site: str, unit: str, name: str = "") -> str:
        r = Resident(site=site, unit=unit, name=name or f"住戶{next(_seq)}", phone="91234567",
                     relation="owner", id_type="hkid", id_last4="1234", space=site, version=1)
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
                   unit=unit, space=site, version=1)
        await k.save()
        return str(k.id)


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
