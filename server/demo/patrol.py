"""The demo estate's patrol: checklists (the typical fire-safety and building checks, and the
manual's cleaning inspection with its frequencies), checkpoints per building with printed
codes and random QR tokens, routes (an ordered night route, an any-order car-park route, a
day inspection), schedules, the night guards — then eight weeks of rounds
(:mod:`server.demo.patrol_history`) and today's rounds planned by the server's planner, plus
one extra round due now for the demo user ``guard`` (and one for the guard on duty at the
first site, whose phone has gone quiet, when that is not ``guard``).

Deterministic for a seed (tokens from a seeded generator); the rounds follow the clock. The
night guards added here have no password (an administrator may give them one)."""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff, StaffSite
from server.demo import patrol_history, roster
from server.demo.patrol_history import SitePatrol
from server.estate.tables import Building, Site
from server.lib.timezone import estate_zone
from server.patrol import planner
from server.patrol.tables import PatrolChecklist, PatrolCheckpoint, PatrolRoute, PatrolSchedule
from server.sync import office
from server.sync.spaces import space_of
from sync.context import iso

HISTORY_DAYS = 56


def _yes(id_: str, label: str, photo: bool = True) -> dict[str, Any]:
    return {"id": id_, "label": label, "type": "yesno", "photo_if_abnormal": photo}


CHECKLISTS: tuple[tuple[str, str, str, str, list[dict[str, Any]]], ...] = (
    # key, name, for kind, how often, items
    ("panel", "消防控制屏檢查", "fire_panel", "每更巡邏", [
        _yes("normal", "控制屏顯示正常，無火警或故障訊號"),
        _yes("power", "電源及後備電池指示燈正常"),
        _yes("log", "已填寫消防控制屏記錄簿", photo=False)]),
    ("hose", "消防喉轆檢查", "hose_reel", "每更巡邏", [
        {"id": "pressure", "label": "喉轆水壓", "type": "number", "min": 2, "max": 8,
         "unit": "bar", "photo_if_abnormal": True},
        _yes("valve", "喉轆閥門無漏水"),
        _yes("ext", "滅火筒齊備，並在有效期內"),
        _yes("glass", "消防櫃門及玻璃完好")]),
    ("exit", "走火通道及防煙門", "fire_exit", "每更巡邏", [
        _yes("clear", "走火通道暢通，無雜物阻塞"),
        _yes("door", "防煙門關妥，門鉸及閉門器無損壞"),
        _yes("sign", "出口指示牌及緊急照明正常")]),
    ("roof", "天台巡查", "roof", "每更巡邏", [
        _yes("door", "天台門關妥（走火時可由內打開）"),
        _yes("tank", "水缸及喉管無漏水"),
        _yes("lamp", "照明正常")]),
    ("plant", "機房巡查", "plant_room", "每更巡邏", [
        _yes("locked", "機房門已上鎖"),
        _yes("noise", "設備運作正常，無異聲異味"),
        {"id": "temp", "label": "室溫", "type": "number", "min": 5, "max": 40, "unit": "°C",
         "photo_if_abnormal": True}]),
    ("refuse", "垃圾房巡查", "refuse_room", "每更巡邏", [
        _yes("clean", "垃圾房清潔，無異味"),
        _yes("door", "垃圾房門關妥")]),
    ("carpark", "停車場巡查", "car_park", "每四小時", [
        _yes("lamp", "照明正常"),
        _yes("water", "地面無積水或油漬"),
        {"id": "suspect", "label": "可疑人物或車輛", "type": "choice",
         "choices": ["沒有", "有（已跟進）"], "photo_if_abnormal": True},
        _yes("ext", "滅火筒齊備，並在有效期內")]),
    ("lift", "升降機大堂", "lift", "每日兩次", [
        _yes("run", "升降機運作正常"),
        _yes("alarm", "警鐘及對講機正常"),
        _yes("lamp", "照明正常")]),
    ("lobby", "大堂入口清潔", "lobby", "每日兩次", [
        {"id": "floor", "label": "地面清潔", "type": "choice",
         "choices": ["良好", "一般", "欠佳"], "photo_if_abnormal": True},
        _yes("glass", "玻璃門及門框無污漬"),
        _yes("bin", "垃圾桶已清理")]),
    ("stairs", "樓梯及扶手清潔", "", "每日一次", [
        _yes("steps", "樓梯已打掃"),
        _yes("rail", "扶手已抹淨")]),
    ("lamps", "燈具及雲石清潔", "", "每星期一次", [
        _yes("lamps", "燈具已抹淨"),
        _yes("marble", "雲石牆身及地台已清潔及打蠟"),
        {"id": "note", "label": "備註", "type": "text"}]),
    ("steps", "樓梯級面清洗", "", "每月兩次", [
        _yes("wash", "樓梯級面已清洗"),
        _yes("edge", "防滑級邊完好")]),
)

# per building (every demo block has 22 floors or more): key, code suffix, name, floor, kind,
# checklist
PER_BUILDING = (
    ("lobby", "LB", "大堂入口", "G", "lobby", "lobby"),
    ("panel", "FP", "消防控制屏", "G", "fire_panel", "panel"),
    ("lift", "LF", "升降機大堂", "G", "lift", "lift"),
    ("stairs", "SG", "地下樓梯", "G", "fire_exit", "stairs"),
    ("hose_lo", "HR08", "8 樓消防喉轆", "8", "hose_reel", "hose"),
    ("exit", "EX12", "12 樓走火通道及防煙門", "12", "fire_exit", "exit"),
    ("hose_hi", "HR18", "18 樓消防喉轆", "18", "hose_reel", "hose"),
    ("roof", "RF", "天台梯間", "R/F", "roof", "roof"),
)
PER_SITE = (
    ("pump", "PUMP", "水泵房", "B1", "plant_room", "plant"),
    ("meter", "METER", "電錶房", "G", "meter_room", "plant"),
    ("refuse", "REFUSE", "垃圾房", "G", "refuse_room", "refuse"),
    ("cp1", "CPB1", "停車場 B1 層", "B1", "car_park", "carpark"),
    ("cp2", "CPB2", "停車場 B2 層", "B2", "car_park", "carpark"),
    ("cphose", "CPHR", "停車場消防喉轆", "B2", "hose_reel", "hose"),
)
NIGHT_GUARDS = (
    # username, display name, site index
    ("hyg-night", "何志強", 0), ("jht-guard1", "梁國華", 1), ("jht-guard2", "麥振邦", 1),
)


def _token(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(18)).decode()  # as secrets.token_urlsafe(18)


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _site_setup(rng: random.Random, site: Site, blocks: Sequence[Building], guards: list[str],
                named: dict[str, list[str]]) -> tuple[SitePatrol, list[Any]]:
    site_id, code = str(site.id), str(site.code)
    space = space_of("checkpoint", site_id)
    sp = SitePatrol(site_id, space, guards)
    rows: list[Any] = []
    lists: dict[str, uuid.UUID] = {}
    for key, name, kind, often, items in CHECKLISTS:
        lists[key] = _id(rng)
        sp.checklists[str(lists[key])] = {"name": name, "items": items}
        rows.append(PatrolChecklist(id=lists[key], site=site_id, name=name, for_kind=kind,
                                    frequency=often, items=items, space=space, version=1))
    by_key: dict[str, list[str]] = {}

    def checkpoint(key: str, cp_code: str, name: str, building: Any, floor: str, kind: str,
                   checklist: str) -> None:
        cp_id = _id(rng)
        values = {"code": cp_code, "name": name, "kind": kind, "checklist": str(lists[checklist]),
                  "list_key": checklist, "token": _token(rng)}
        sp.checkpoints[str(cp_id)] = values
        by_key.setdefault(key, []).append(str(cp_id))
        rows.append(PatrolCheckpoint(id=cp_id, site=site_id, code=cp_code, name=name,
                                     building=building, floor=floor, place=name, kind=kind,
                                     token=values["token"], checklist=lists[checklist],
                                     space=space, version=1))

    for b in blocks:
        for key, suffix, name, floor, kind, checklist in PER_BUILDING:
            checkpoint(key, f"{code}-{b.code}-{suffix}", f"{b.name} {name}", b.id, floor, kind,
                       checklist)
    for key, suffix, name, floor, kind, checklist in PER_SITE:
        checkpoint(key, f"{code}-{suffix}", name, None, floor, kind, checklist)

    inside = {p[0] for p in PER_BUILDING}

    def route(name: str, keys: Sequence[str], ordered: bool, minutes: int) -> str:
        """Building by building (bottom to top), then the site's own places."""
        r_id = _id(rng)
        cps = [by_key[k][i] for i in range(len(blocks)) for k in keys if k in inside] + [
            cp for k in keys if k not in inside for cp in by_key[k]]
        sp.routes[str(r_id)] = (cps, minutes)
        rows.append(PatrolRoute(id=r_id, site=site_id, name=name, checkpoint_ids=cps,
                                ordered=ordered, expected_minutes=minutes, space=space,
                                version=1))
        return str(r_id)

    night = route("夜間巡邏（各座消防設施及天台）",
                  ("panel", "hose_lo", "exit", "hose_hi", "roof", "pump", "meter", "refuse"),
                  True, 100)
    car = route("停車場巡邏（不限次序）", ("cp1", "cp2", "cphose", "pump"), False, 30)
    day = route("日間巡查（大堂、升降機及樓梯清潔）", ("lobby", "lift", "stairs"), True, 60)
    sp.route_ids.update(night=night, car=car, day=day)
    for name, route_id, every, window, fixed, random_start, start, who in (
            ("夜更巡邏（每兩小時，隨機開始）", night, 2, ("22:00", "06:00"), (), True, 30,
             named["night"]),
            ("停車場巡邏（每四小時）", car, 4, ("00:00", "00:00"), (), True, 30, named["car"]),
            ("日間巡查 09:00 / 15:00", day, 0, ("", ""), ("09:00", "15:00"), False, 60,
             named["day"])):
        s_id = _id(rng)
        s = planner.Schedule(str(s_id), site_id, route_id, every, window[0], window[1], fixed,
                             random_start, start, tuple(who))
        sp.schedules.append((s, sp.routes[route_id][1], tuple(who or guards)))
        rows.append(PatrolSchedule(id=s_id, site=site_id, name=name, route=route_id,
                                   every_hours=every, window_start=window[0],
                                   window_end=window[1], fixed_times=list(fixed),
                                   random_start=random_start, start_minutes=start,
                                   guard_ids=list(who), space=space, version=1))
    return sp, rows


async def load(seed: int, sites: Sequence[Site], buildings: Sequence[Building],
               staff: Sequence[Staff], now: datetime | None = None) -> dict[str, int]:
    """The patrol demo for the loaded estate; returns row counts."""
    rng = random.Random(seed * 31 + 9)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    by_name = {str(s.username): s for s in staff}
    extra = [Staff(id=_id(rng), username=u, display_name=d, password_hash="", role="patrol")
             for u, d, _i in NIGHT_GUARDS]
    await Staff.insert(*extra)
    await StaffSite.insert(*[StaffSite(id=_id(rng), staff=s.id, site=sites[i].id)
                             for s, (_u, _d, i) in zip(extra, NIGHT_GUARDS, strict=True)])
    guard, night = str(by_name["guard"].id), str(extra[0].id)
    site_guards = [[guard, night], [str(extra[1].id), str(extra[2].id)]]
    assignments: list[dict[str, list[str]]] = [
        {"night": [guard, night], "car": [guard, night], "day": [guard]},
        {"night": [], "car": [], "day": []}]  # none named: every guard of the site
    setups: list[SitePatrol] = []
    rows: list[Any] = []
    for n, site in enumerate(sites):
        blocks = [b for b in buildings if str(b.site) == str(site.id)]
        sp, site_rows = _site_setup(rng, site, blocks, site_guards[n], assignments[n])
        setups.append(sp)
        rows += site_rows
    tables: tuple[Any, ...] = (PatrolChecklist, PatrolCheckpoint, PatrolRoute, PatrolSchedule)
    for table in tables:
        await table.insert(*[r for r in rows if isinstance(r, table)])
    supervisor = str(by_name["office"].id)
    zone = estate_zone()
    ids = {str(s.username): str(s.id) for s in [*staff, *extra]}
    quiet, since = roster.quiet_phone(now, zone)
    crew = patrol_history.Crew(zone, ids, ids[quiet], since)
    counts = await patrol_history.write(rng, setups, now - timedelta(days=HISTORY_DAYS), now,
                                        supervisor, crew)
    counts["rounds_planned"] = await planner.plan(now)
    # an extra round on the car-park route, due now, for ``guard`` (an administrator's), and
    # for the guard on duty whose phone is quiet
    admin = by_name["admin"]
    car_route = setups[0].route_ids["car"]
    slot = now - timedelta(minutes=now.minute % 5, seconds=now.second)
    await office.apply(CurrentUser(id=str(admin.id), username="admin", display_name="",
                                   role="admin", site_ids=tuple(str(s.id) for s in sites)),
                       [("round.plan", {
                           "round_id": str(_id(rng)), "route_id": car_route,
                           "slot_at": iso(slot), "start_by": iso(slot + timedelta(hours=1)),
                           "due_by": iso(slot + timedelta(minutes=90)), "guard_ids": [who]})
                        for who in dict.fromkeys((guard, ids[quiet]))])
    counts.update(checkpoints=sum(len(s.checkpoints) for s in setups),
                  routes=sum(len(s.routes) for s in setups),
                  schedules=sum(len(s.schedules) for s in setups))
    return counts
