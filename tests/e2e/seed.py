"""Seed the browser tests' database (run in a subprocess: ``python -m tests.e2e.seed URL``).

The demo estate, plus a second front-desk account for 海悅花園 (two phones lending the same
key) and a separate site with 500 keys and its own desk account (the board benchmark).
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from server import db
from server.accounts.tables import Staff, StaffSite
from server.demo.loader import DEMO_PASSWORD, load_demo
from server.estate.tables import Site
from server.keys.tables import KeyTag
from server.lib.security import hash_password
from server.sync.spaces import space_of
from server.sync.tables import SpaceVersion
from sync.streams import site_spaces

PERF_KEYS = 500


async def seed(url: str) -> None:
    engine = db.make_engine(url)
    await db.start(engine)
    try:
        await db.migrate(engine)
        await load_demo()
        hyg = await Site.select(Site.id).where(Site.code == "HYG").first()
        password = hash_password(DEMO_PASSWORD)
        desk2 = Staff(username="desk2", display_name="何詠詩 (前台)", password_hash=password,
                      role="front_desk")
        await desk2.save()
        await StaffSite(staff=desk2.id, site=hyg["id"]).save()

        perf_id = uuid.uuid4()
        await Site.insert(Site(id=perf_id, code="PRF", name="測試花園",
                               space=space_of("site", str(perf_id)), version=1))
        await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                    for s in site_spaces(str(perf_id))])
        await KeyTag.insert(*[
            KeyTag(site=perf_id, code=f"PRF-K{n:03d}", label=f"公共地方 {n}",
                   category="public_area", space=space_of("key", str(perf_id)), version=1)
            for n in range(1, PERF_KEYS + 1)
        ])
        perf = Staff(username="perfdesk", display_name="測試前台", password_hash=password,
                     role="front_desk")
        await perf.save()
        await StaffSite(staff=perf.id, site=perf_id).save()
    finally:
        await db.stop(engine)


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1]))
