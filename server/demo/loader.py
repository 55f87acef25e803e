"""The demo estate: two sites with Traditional-Chinese names, ~8 buildings, ~1,500 units,
~3,000 residents, one account per role (password ``caretaker-demo``) and a key register —
then eight weeks and more of each domain's history (:mod:`server.demo.patrol`,
:mod:`server.demo.cards`, :mod:`server.demo.repairs`, and the phones' part:
:mod:`server.demo.field`), ending now.

Deterministic (seeded), so screenshots and tests see the same estate every time. The load
prints how long each part took (the reference data and the domains' histories in bulk, the
phones' mutations through the push path): it must stay well under 30 s on SQLite.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.accounts.tables import Staff, StaffSite
from server.demo import cards, field, patrol, repairs
from server.estate.tables import Building, Resident, Site, Unit
from server.keys.tables import KeyTag
from server.lib.security import hash_password
from server.sync.spaces import space_of
from server.sync.tables import SpaceVersion
from sync.streams import ORG_SPACE, site_spaces

DEMO_PASSWORD = "caretaker-demo"  # noqa: S105 - documented demo sign-in, demo mode only

DEMO_ACCOUNTS = (
    # username, display name, role, sites (indexes; admin sees all anyway)
    ("admin", "陳志明", "admin", (0, 1)),
    ("office", "李美玲", "supervisor", (0,)),
    ("desk", "黃嘉欣", "front_desk", (0,)),
    ("guard", "張偉強", "patrol", (0,)),
    ("tech", "吳家豪", "technician", (0,)),
)

SITES = (
    # code, name, address, buildings: (code, name, floors, units per floor)
    ("HYG", "海悅花園", "香港九龍紅磡海悅道8號",
     (("A", "海悅花園 第1座", 33, 8), ("B", "海悅花園 第2座", 33, 8),
      ("C", "海悅花園 第3座", 28, 8), ("D", "海悅花園 第5座", 25, 6))),
    ("JHT", "景華臺", "新界沙田景華路12號",
     (("1", "景華臺 1座", 25, 6), ("2", "景華臺 2座", 25, 6),
      ("3", "景華臺 3座", 22, 6), ("4", "景華臺 4座", 22, 6))),
)

SURNAMES = "陳李黃張梁林劉吳何郭王鄭楊周謝羅麥馮曾蔡".replace("", " ").split()
GIVEN = ("志明", "美玲", "家豪", "嘉欣", "偉強", "淑芬", "俊傑", "詠詩", "國華", "麗珍",
         "子軒", "曉彤", "浩然", "慧敏", "建業", "雅婷", "振邦", "佩儀", "啟明", "婉婷")
RELATIONS = ("owner", "household", "household", "tenant", "proxy")
ID_TYPES = ("hkid", "hkid", "hkid", "mainland_id", "passport")
KEY_LABELS = (("owner_deposited", "業主寄存"), ("vacant_unit", "空置單位"),
              ("show_flat", "樣板房"), ("public_area", "公共地方"),
              ("equipment_room", "機房"), ("master", "總匙"))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def is_empty() -> bool:
    return await Site.count() == 0 and await Staff.count() == 0


Report = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


async def load_demo(seed: int = 2026, report: Report | None = _print,
                    seconds: dict[str, float] | None = None, now: datetime | None = None
                    ) -> dict[str, int]:
    """Load the demo estate into an empty database, its history ending ``now`` (default: the
    clock's). Returns row counts; ``report`` is told the seconds each part took (and
    ``seconds`` filled with them)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    took = {} if seconds is None else seconds
    started = time.perf_counter()
    e = await _estate(seed)
    sites, buildings, units, residents, staff = e.sites, e.buildings, e.units, e.residents, \
        e.staff
    counts = {"sites": len(sites), "buildings": len(buildings), "units": len(units),
              "residents": len(residents), "keys": e.keys, "staff": len(staff)}
    took["estate"] = time.perf_counter() - started
    for part, load in (
            ("patrol", lambda: patrol.load(seed, sites, buildings, staff, now)),
            ("cards", lambda: cards.load(seed, sites, buildings, units, residents, staff, now)),
            ("repairs", lambda: repairs.load(seed, sites, buildings, units, residents, now))):
        started = time.perf_counter()
        counts.update(await load())
        took[part] = time.perf_counter() - started
    phoned, parts = await field.load(seed, sites, buildings, units, now)
    for name, n in phoned.items():  # the phones' requests add to the repairs' history's
        counts[name] = counts.get(name, 0) + n
    took.update(parts)
    if report is not None:
        total = sum(took.values())
        report(f"caretaker: demo estate loaded in {total:.1f} s (" + ", ".join(
            f"{part} {s:.1f} s" for part, s in took.items()) + ")")
    return counts


@dataclass
class Estate:
    sites: list[Site]
    buildings: list[Building]
    units: list[Unit]
    residents: list[Resident]
    staff: list[Staff]
    keys: int


async def _estate(seed: int) -> Estate:
    """The sites, buildings, units, residents, key register and demo accounts."""
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    sites: list[Site] = []
    buildings: list[Building] = []
    units: list[Unit] = []
    residents: list[Resident] = []
    keys: list[KeyTag] = []
    for code, name, address, blocks in SITES:
        site_id = _uuid(rng)
        estate, people, keys_space = (space_of(t, str(site_id))
                                      for t in ("site", "resident", "key"))
        sites.append(Site(id=site_id, code=code, name=name, address=address, space=estate,
                          version=1))
        key_no = 0
        for bcode, bname, floors, per_floor in blocks:
            building_id = _uuid(rng)
            buildings.append(Building(id=building_id, site=site_id, code=bcode, name=bname,
                                      space=estate, version=1))
            for floor in range(1, floors + 1):
                for flat in range(1, per_floor + 1):
                    unit_id = _uuid(rng)
                    number = f"{bcode}-{floor:02d}{chr(64 + flat)}"
                    units.append(Unit(
                        id=unit_id, site=site_id, building=building_id, number=number,
                        floor=str(floor), area=round(rng.uniform(38, 120), 1),
                        use="residential", space=estate, version=1))
                    for i in range(2):
                        relation = "owner" if i == 0 else rng.choice(RELATIONS[1:])
                        id_type = rng.choice(ID_TYPES)
                        residents.append(Resident(
                            id=_uuid(rng), site=site_id, unit=unit_id,
                            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                            phone=f"{rng.choice('5679')}{rng.randrange(1000000, 9999999)}",
                            relation=relation, id_type=id_type,
                            id_last4=f"{rng.randrange(0, 9999):04d}",
                            space=people, version=1))
                    if rng.random() < 0.06:
                        key_no += 1
                        category, label = rng.choice(KEY_LABELS[:3])
                        keys.append(KeyTag(
                            id=_uuid(rng), site=site_id, code=f"{code}-K{key_no:03d}",
                            label=f"{label} {bname[-3:]}", category=category, unit=unit_id,
                            space=keys_space, version=1))
            for category, label in KEY_LABELS[3:]:
                key_no += 1
                keys.append(KeyTag(id=_uuid(rng), site=site_id, code=f"{code}-K{key_no:03d}",
                                   label=f"{label} {bname}", category=category,
                                   space=keys_space, version=1))
    staff: list[Staff] = []
    assignments: list[StaffSite] = []
    for username, display, role, site_idx in DEMO_ACCOUNTS:
        staff_id = _uuid(rng)
        staff.append(Staff(id=staff_id, username=username, display_name=display,
                           password_hash=password_hash, role=role))
        assignments.extend(StaffSite(id=_uuid(rng), staff=staff_id, site=sites[i].id)
                           for i in site_idx)
    await _insert(Site, sites)
    await _insert(Building, buildings)
    await _insert(Unit, units)
    await _insert(Resident, residents)
    await _insert(KeyTag, keys)
    await _insert(Staff, staff)
    await _insert(StaffSite, assignments)
    await _insert(SpaceVersion, [SpaceVersion(space=space, version=1) for s in sites
                                 for space in site_spaces(str(s.id))]
                  + [SpaceVersion(space=ORG_SPACE, version=0)])
    return Estate(sites, buildings, units, residents, staff, len(keys))


async def _insert(table: Any, rows: list[Any], chunk: int = 500) -> None:
    for i in range(0, len(rows), chunk):
        await table.insert(*rows[i:i + chunk])
