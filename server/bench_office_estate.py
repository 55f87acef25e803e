"""``caretaker bench-office``'s estate: five sites with their buildings, units and residents,
the staff of each (guards, the desk, technicians, supervisors) with their phones, and what
the office keeps — the key register, patrol checkpoints, checklists, routes and schedules,
card policies and zones, repair policies and the repair team, the desk phones' keys. The
field records of :mod:`server.bench_office_field` and :mod:`server.bench_office_jobs` refer
to these."""

from __future__ import annotations

import base64
import math
from datetime import timedelta

from server.bench_office_data import (
    SIGNATURE,
    Ctx,
    Item,
    Person,
    SiteData,
    Writer,
    person,
    write_records,
)
from server.demo.loader import KEY_LABELS, RELATIONS
from server.demo.patrol import PER_BUILDING, PER_SITE
from server.lib.security import hash_password
from sync import ORG_SPACE
from sync.streams import site_spaces

SITES = (("HYG", "海悅花園"), ("JHT", "景華臺"), ("TKO", "將軍澳廣場"), ("SKW", "筲箕灣花園"),
         ("LHK", "麗港城"))
BUILDINGS_PER_SITE = 4
UNITS_PER_FLOOR = 8
STAFF_PER_SITE = (("patrol", 8), ("front_desk", 6), ("technician", 4), ("supervisor", 2))
ZONES = (("MAIN", "大堂正門", "door"), ("CARPARK", "停車場", "car_park"),
         ("LIFT", "升降機", "lift"), ("CLUB", "會所", "door"))
CHECKLIST_ITEMS = ([{"id": "ok", "label": "設備正常", "type": "yesno"},
                    {"id": "clean", "label": "地方清潔", "type": "yesno"},
                    {"id": "note", "label": "備註", "type": "text"}],
                   [{"id": "pressure", "label": "水壓", "type": "number", "min": 0, "max": 10,
                     "unit": "bar"}, {"id": "sealed", "label": "封條完好", "type": "yesno"}])
STOPS = 4  # checkpoints a route visits
ROUTES_PER_SITE = 3
BENCH_PASSWORD = "bench-office-only"  # noqa: S105 - sessions are made directly, never typed


def _people(ctx: Ctx, site: SiteData) -> list[Person]:
    out = []
    for role, n in STAFF_PER_SITE:
        site.staff[role] = [person(ctx, ctx.name(), role) for _ in range(n)]
        out += site.staff[role]
    return out


def _units(ctx: Ctx, site: SiteData, per_site: int, residents_per_unit: float
           ) -> tuple[list[Item], list[Item], list[Item]]:
    buildings, units, residents = [], [], []
    per_building = max(1, math.ceil(per_site / BUILDINGS_PER_SITE))
    at = ctx.start - timedelta(days=400)
    for b in range(BUILDINGS_PER_SITE):
        code = "ABCD"[b]
        rec = ctx.record("building", site, {"site_id": site.id, "code": code,
                                            "name": f"{site.name} 第{b + 1}座"})
        buildings.append(Item(rec, at))
        site.buildings.append(rec.id)
        for n in range(per_building):
            floor, flat = divmod(n, UNITS_PER_FLOOR)
            number = f"{code}-{floor + 1:02d}{chr(65 + flat)}"
            unit = ctx.record("unit", site, {
                "site_id": site.id, "building_id": rec.id, "number": number,
                "floor": str(floor + 1), "area": round(ctx.rng.uniform(38, 120), 1),
                "use": "residential"})
            units.append(Item(unit, at))
            site.units.append(unit.id)
            people = []
            for i in range(int(residents_per_unit) + (ctx.rng.random() < residents_per_unit % 1)):
                name = ctx.name()
                resident = ctx.record("resident", site, {
                    "site_id": site.id, "unit_id": unit.id, "name": name, "phone": ctx.phone(),
                    "relation": "owner" if i == 0 else ctx.rng.choice(RELATIONS[1:]),
                    "id_type": "hkid", "id_last4": f"{ctx.rng.randrange(10000):04d}",
                    "notes": ""})
                residents.append(Item(resident, at))
                people.append((resident.id, name))
            site.residents[unit.id] = people
    return buildings, units, residents


def _keys(ctx: Ctx, site: SiteData, n: int) -> list[Item]:
    out = []
    for i in range(n):
        category, label = KEY_LABELS[i % len(KEY_LABELS)]
        unit = site.units[i % len(site.units)] if category in (
            "owner_deposited", "vacant_unit", "show_flat") else None
        code = f"{site.code}-K{i + 1:04d}"
        rec = ctx.record("key", site, {"site_id": site.id, "code": code,
                                       "label": f"{label} {i + 1}", "category": category,
                                       "unit_id": unit, "notes": "", "retired": i % 97 == 96})
        out.append(Item(rec, ctx.start))
        site.keys.append((rec.id, code))
    return out


def _patrol(ctx: Ctx, site: SiteData, guards: list[Person]) -> list[Item]:
    out = []
    lists = []
    for i, items in enumerate(CHECKLIST_ITEMS):
        rec = ctx.record("checklist", site, {
            "site_id": site.id, "name": ("一般巡查", "消防設備")[i], "for_kind": "",
            "frequency": "每日", "items": items})
        lists.append(rec.id)
        out.append(Item(rec, ctx.start))
    places = [(p, b) for b in site.buildings[:2] for p in PER_BUILDING] + \
        [(p, None) for p in PER_SITE]
    for n, ((_key, suffix, name, floor, kind, _list), building) in enumerate(places):
        token = base64.urlsafe_b64encode(ctx.rng.randbytes(18)).decode()
        code = f"{site.code}-{suffix}-{n:02d}"
        rec = ctx.record("checkpoint", site, {
            "site_id": site.id, "code": code, "name": name, "building_id": building,
            "floor": floor, "place": name, "kind": kind, "token": token,
            "checklist_id": lists[kind in ("hose_reel", "fire_panel")]})
        out.append(Item(rec, ctx.start))
        site.checkpoints.append((rec.id, code, token))
    for r in range(ROUTES_PER_SITE):
        stops = [c[0] for c in site.checkpoints[r * STOPS:(r + 1) * STOPS]]
        route = ctx.record("route", site, {
            "site_id": site.id, "name": f"路線 {r + 1}", "checkpoint_ids": stops,
            "ordered": True, "expected_minutes": 40})
        schedule = ctx.record("schedule", site, {
            "site_id": site.id, "name": f"每兩小時 {r + 1}", "route_id": route.id,
            "every_hours": 2, "window_start": "00:00", "window_end": "23:59",
            "fixed_times": [], "random_start": False, "start_minutes": 30,
            "guard_ids": [g.id for g in guards[r * 2:r * 2 + 2]]})
        out += [Item(route, ctx.start), Item(schedule, ctx.start)]
        site.routes.append((route.id, stops, schedule.id))
    return out


def _office_kept(ctx: Ctx, site: SiteData) -> list[Item]:
    out = [Item(ctx.record("card_policy", site, {
        "site_id": site.id, "quota": 4, "validity_days": 730, "fee": 50.0, "deposit": 100.0}),
        ctx.start)]
    for code, name, kind in ZONES:
        out.append(Item(ctx.record("card_zone", site, {"site_id": site.id, "code": code,
                                                       "name": name, "kind": kind}), ctx.start))
        site.zones.append(code)
    for unit in site.units[:10]:
        out.append(Item(ctx.record("card_quota", site, {"site_id": site.id, "unit_id": unit,
                                                        "quota": 6, "notes": "大單位"}),
                        ctx.start))
    out.append(Item(ctx.record("repair_policy", site, {
        "site_id": site.id, "respond_emergency": 30, "complete_emergency": 240,
        "respond_urgent": 120, "complete_urgent": 1440, "respond_normal": 1440,
        "complete_normal": 4320, "sample_percent": 30, "sample_seed": f"{site.code}-2026",
        "currency": "HKD"}), ctx.start))
    for tech in site.people("technician"):
        out.append(Item(ctx.record("repair_technician", site, {
            "site_id": site.id, "staff_id": tech.id, "name": tech.name,
            "trade": ctx.rng.choice(("水喉", "電工", "雜項"))}), ctx.start))
    for who in site.people("front_desk") + site.people("patrol"):
        key = ctx.record("device_key", site, {
            "site_id": site.id, "holder": who.name, "registered_at": ctx.start.isoformat(),
            "public_key": base64.urlsafe_b64encode(ctx.rng.randbytes(65)).decode()[:87],
            "staff_id": who.id, "device_id": who.device})
        out.append(Item(key, ctx.start))
        site.device_keys[who.id] = key.id
    return out


async def _accounts(ctx: Ctx, writer: Writer, people: list[tuple[Person, list[str]]]) -> None:
    """Staff, their sites, their phones (a few revoked ones besides) and sync clients."""
    hashed = hash_password(BENCH_PASSWORD)
    at, ts = ctx.start - timedelta(days=30), ctx.ts
    staff, sites, devices, clients = [], [], [], []
    for n, (p, site_ids) in enumerate(people):
        staff.append((p.id, f"bench-{p.role}-{n:03d}", p.name, hashed, p.role, "", "",
                      True, ts(at), ts(at), None))
        sites += [(ctx.uuid4(), p.id, s, ts(at)) for s in site_ids]
        seen = ctx.now - timedelta(minutes=ctx.rng.randrange(5, 600))
        devices.append((p.device, p.client, p.id, f"{p.name}的手機", ctx.uuid4().replace(
            "-", "") * 2, ts(at), ts(ctx.now + timedelta(days=300)), ts(seen), None, None))
        clients.append((p.client, p.id, p.device, 1000, ts(at), ts(seen), ts(seen)))
        if n % 10 == 0:  # an old phone, revoked
            old = ctx.uuid4()
            devices.append((ctx.uuid4(), old, p.id, "舊手機", ctx.uuid4().replace("-", "") * 2,
                            ts(at), ts(ctx.now + timedelta(days=300)), ts(at), ts(at), None))
    await writer.rows("staff", ("id", "username", "display_name", "password_hash", "role",
                                "phone", "language", "active", "created_at", "updated_at",
                                "last_sign_in_at"), staff)
    await writer.rows("staff_site", ("id", "staff", "site", "created_at"), sites)
    await writer.rows("device", ("id", "client_id", "staff", "name", "token_hash", "created_at",
                                 "expires_at", "last_seen_at", "revoked_at", "revoked_by"),
                      devices)
    await writer.rows("sync_client", ("client_id", "staff", "device", "last_mutation_id",
                                      "created_at", "last_push_at", "last_pull_at"), clients)
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
    await writer.rows("blob", ("sha256", "content_type", "size", "data", "uploaded_by",
                               "created_at", "note"),
                      [(SIGNATURE, "image/png", len(png), png, None, ts(at), "")])


async def build(ctx: Ctx, writer: Writer) -> None:
    """The estate, written; ``ctx.sites`` then holds what the field records refer to."""
    plan = ctx.plan
    n_sites = plan.sites
    units = max(2, plan.count("unit") // n_sites)
    residents = plan.count("resident") / max(1, units * n_sites)
    keys = max(6, plan.count("key_tag") // n_sites)
    estate: dict[str, list[Item]] = {}
    people: list[tuple[Person, list[str]]] = []
    for i in range(n_sites):
        code, name = SITES[i % len(SITES)]
        code = code if i < len(SITES) else f"{code}{i}"
        site = SiteData(i, ctx.uuid4(), code, name)
        ctx.sites.append(site)
        site_rec = ctx.record("site", site, {"code": code, "name": name,
                                             "address": f"香港{name}路{i + 1}號"}, rid=site.id)
        staff = _people(ctx, site)
        people += [(p, [site.id]) for p in staff]
        parts = {"site": [Item(site_rec, ctx.start)]}
        parts["building"], parts["unit"], parts["resident"] = _units(ctx, site, units,
                                                                     residents)
        parts["key"] = _keys(ctx, site, keys)
        parts["patrol"] = _patrol(ctx, site, site.people("patrol"))
        parts["office"] = _office_kept(ctx, site)
        for part, items in parts.items():
            estate.setdefault(part, []).extend(items)
    all_sites = [s.id for s in ctx.sites]
    ctx.admin = person(ctx, "陳志明", "admin")
    people.append((ctx.admin, all_sites))
    for items in estate.values():  # sites first: the others refer to them
        by_type: dict[str, list[Item]] = {}
        for item in items:
            by_type.setdefault(item.record.type, []).append(item)
        for group in by_type.values():
            await write_records(ctx, writer, group)
    await _accounts(ctx, writer, people)


async def space_versions(ctx: Ctx, writer: Writer) -> None:
    """Every space's version row, at the last version its records carry."""
    spaces = {s for site in ctx.sites for s in site_spaces(site.id)} | {ORG_SPACE}
    await writer.rows("space_version", ("space", "version"),
                      [(s, ctx.versions.get(s, 0)) for s in sorted(spaces)])

