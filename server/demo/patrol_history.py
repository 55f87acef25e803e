"""Eight weeks of the demo estate's patrol rounds, as the phones and the server would have
left them: each round walked by the guard on duty when its slot began
(:mod:`server.demo.roster`), done, a few missed (about 5 %, marked by the planner a few
minutes after their start window; today's latest at the first site always), late starts and
slow rounds, rounds left incomplete, typed codes (about 10 % of visits), skips (the last
three days' still awaiting a supervisor), anomalies with photos, and incidents. The round
now under way is in progress.

The quiet phone's guard (:func:`server.demo.roster.quiet_phone`) walked on, but what their
phone saw since it last synced never reached the server: their rounds since look missed. One
round is left planned: the car-park round two phones finish
(:mod:`server.demo.console_pieces`), walked through the push path.

Each round has the id the planner gives its slot (:func:`server.patrol.planner.slots`), so
the planner never plans it again. Rows carry their space and version (phones pull them);
written in batches."""

from __future__ import annotations

import hashlib
import random
import struct
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.demo import roster
from server.demo.cards_history import bulk
from server.patrol import planner
from server.patrol.tables import PatrolIncident, PatrolRound, PatrolScan
from server.sync.blobs import UPLOAD_NS
from server.sync.store import BLOB_REF_NS
from server.sync.tables import Blob, BlobRef, BlobUpload


@dataclass
class SitePatrol:
    """One site's patrol set-up, as the history needs it."""

    site_id: str
    space: str
    guards: list[str]
    checklists: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> items, name
    checkpoints: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> row values
    routes: dict[str, tuple[list[str], int]] = field(default_factory=dict)  # id -> cps, min
    route_ids: dict[str, str] = field(default_factory=dict)  # night, car, day -> id
    schedules: list[tuple[planner.Schedule, int, tuple[str, ...]]] = field(default_factory=list)



MISSED, LATE_START, SLOW, INCOMPLETE = 0.05, 0.07, 0.05, 0.04
SKIPPED, TYPED, ANOMALY, SYNCED_LATE = 0.02, 0.10, 0.01, 0.08
REVIEW_AFTER = timedelta(days=3)  # older skips have been reviewed

SKIP_REASONS = ("走火通道維修中，暫停開放", "天台門被維修承辦商鎖上，未能進入",
                "停車場 B2 層清洗地台，暫停進入", "機房保養中，技工在場",
                "住戶報稱有急事，先行處理")
# per checklist (its key in server.demo.patrol.CHECKLISTS): item, the abnormal answer, note
ANOMALIES: dict[str, tuple[tuple[str, Any, str], ...]] = {
    "hose": (("pressure", 1.2, "喉轆水壓只有 1.2 bar，已通知維修"),
             ("valve", False, "喉轆閥門滴水，地面濕滑"),
             ("ext", False, "滅火筒已過期（2025 年 10 月），需更換")),
    "panel": (("normal", False, "控制屏顯示第 3 區故障訊號"),),
    "exit": (("clear", False, "走火通道有住戶雜物（單車、紙箱）阻塞"),
             ("door", False, "防煙門閉門器損壞，門未能自動關上")),
    "roof": (("door", False, "天台門未有關妥"), ("tank", False, "水缸喉管接駁位漏水")),
    "plant": (("temp", 43.5, "機房室溫過高，抽氣扇未有運作"),),
    "refuse": (("clean", False, "垃圾房有強烈異味，需加密清理"),),
    "carpark": (("lamp", False, "B2 層有三支光管不亮"),
                ("suspect", "有（已跟進）", "有可疑人士在車位徘徊，已上前查詢並記錄")),
    "lift": (("run", False, "2 號升降機停用，已通知升降機公司"),),
    "lobby": (("floor", "欠佳", "大堂地面有水漬，已通知清潔員"),),
    "stairs": (("rail", False, "扶手有污漬"),),
}


def _png(width: int, height: int, draw: Any) -> bytes:
    """A real PNG (8-bit RGB) of ``draw(x, y) -> (r, g, b)``."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in draw(x, y))
                   for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def photos() -> list[tuple[str, bytes]]:
    """Three small photo-like images: a pressure gauge, a wet floor, a blocked exit."""
    def gauge(x: int, y: int) -> tuple[int, int, int]:
        d = (x - 80) ** 2 + (y - 60) ** 2
        if d < 45 ** 2 and abs((x - 80) * 0.6 + (y - 60)) < 3 and x < 80:
            return (20, 20, 20)  # the needle, pointing low
        return (235, 235, 225) if d < 45 ** 2 else (200, 30, 30) if d < 50 ** 2 else (
            90 + y // 3, 90 + y // 3, 100)

    def wet(x: int, y: int) -> tuple[int, int, int]:
        puddle = ((x - 90) / 50) ** 2 + ((y - 80) / 22) ** 2 < 1
        return (70, 110, 170) if puddle else (180 - y // 4, 170 - y // 4, 150)

    def blocked(x: int, y: int) -> tuple[int, int, int]:
        box = 40 < x < 110 and 50 < y < 110
        door = 120 < x < 150 and 20 < y < 110
        return (160, 110, 60) if box else (40, 140, 60) if door else (210, 210, 205)

    out = []
    for draw in (gauge, wet, blocked):
        data = _png(160, 120, draw)
        out.append((hashlib.sha256(data).hexdigest(), data))
    return out


def answers(rng: random.Random, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        kind = item["type"]
        if kind == "yesno":
            out[item["id"]] = True
        elif kind == "number":
            lo, hi = float(item["min"]), float(item["max"])
            out[item["id"]] = round(rng.uniform(lo + (hi - lo) * 0.3, lo + (hi - lo) * 0.7), 1)
        elif kind == "choice":
            out[item["id"]] = item["choices"][0]
    return out


@dataclass
class Crew:
    """Who walks the rounds (:mod:`server.demo.roster`) and whose phone went quiet when."""

    zone: ZoneInfo
    ids: dict[str, str]  # username -> staff id
    quiet: str = ""  # a staff id
    since: datetime | None = None


class _History:
    def __init__(self, rng: random.Random, now: datetime, supervisor: str) -> None:
        self.rng, self.now, self.supervisor = rng, now, supervisor
        self.until = now  # what the server heard of the round being written happened by then
        self.rounds: list[dict[str, Any]] = []
        self.scans: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.refs: list[dict[str, Any]] = []
        self.uploads: set[tuple[str, str]] = set()
        self.photos = photos()

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _receipt(self, at: datetime) -> datetime:
        rng = self.rng
        delay = timedelta(minutes=rng.uniform(20, 180)) if rng.random() < SYNCED_LATE else \
            timedelta(seconds=rng.uniform(2, 90))
        return min(self.until, at + delay)

    def _row(self, sp: SitePatrol, slot: planner.Slot) -> dict[str, Any]:
        return {
            "id": uuid.UUID(slot.round_id), "site": sp.site_id, "route": slot.route_id,
            "schedule": slot.schedule_id, "slot_at": slot.slot_at, "start_by": slot.start_by,
            "due_by": slot.due_by, "guard_ids": list(slot.guard_ids), "status": "planned",
            "late": False, "space": sp.space, "version": 1,
            "created_at": slot.slot_at - timedelta(hours=23), "updated_at": slot.slot_at}

    def planned(self, sp: SitePatrol, slot: planner.Slot) -> None:
        """A round as the planner left it (the phones walk it)."""
        self.rounds.append(self._row(sp, slot))

    def round(self, sp: SitePatrol, slot: planner.Slot, guard: str, missed: bool = False,
              until: datetime | None = None) -> None:
        """One round as the server knows it: ``missed`` (nobody started it), or walked by
        ``guard`` — what happened after ``until`` (default now) not yet synced."""
        rng, now = self.rng, self.now
        self.until = until = until or now
        cps, minutes = sp.routes[slot.route_id]
        row = self._row(sp, slot)
        missed_at = slot.start_by + timedelta(minutes=rng.randint(1, 5))
        if rng.random() < MISSED or missed:
            if missed_at <= now:
                row.update(status="missed", missed_at=missed_at, updated_at=missed_at)
            self.rounds.append(row)
            return
        window = (slot.start_by - slot.slot_at).total_seconds() / 60
        started = slot.slot_at + timedelta(minutes=rng.uniform(45, 85) + window) \
            if rng.random() < LATE_START else slot.slot_at + timedelta(
                minutes=rng.uniform(0, window * 0.9))
        if started > until:  # not started as far as the server knows: the planner's miss
            if missed_at <= now:
                row.update(status="missed", missed_at=missed_at, updated_at=missed_at)
            self.rounds.append(row)
            return
        pace = minutes / len(cps) * (1.6 if rng.random() < SLOW else 0.85)
        visit = list(cps)
        if rng.random() < INCOMPLETE:
            for _ in range(rng.randint(1, 2)):
                visit.remove(rng.choice(visit[1:]))
        at = started
        row.update(status="in_progress", started_at=started, started_by=guard,
                   late=started > slot.start_by, updated_at=started)
        for n, cp in enumerate(visit):
            if n:
                at += timedelta(minutes=rng.uniform(0.6, 1.4) * pace)
            if at > until:
                break
            self.scan(sp, slot, row["id"], cp, at, guard)
        finished = at + timedelta(minutes=rng.uniform(1, 3))
        if finished <= until:
            row.update(status="done" if visit == cps else "incomplete", finished_at=finished,
                       finished_by=guard, late=row["late"] or finished > slot.due_by,
                       updated_at=finished)
        self.rounds.append(row)

    def scan(self, sp: SitePatrol, slot: planner.Slot, round_id: uuid.UUID, cp: str,
             at: datetime, guard: str) -> None:
        rng = self.rng
        values = sp.checkpoints[cp]
        checklist = sp.checklists[values["checklist"]]
        scan_id = self._id()
        received = self._receipt(at)
        row: dict[str, Any] = {
            "id": scan_id, "site": sp.site_id, "round": round_id, "checkpoint": cp,
            "method": "qr", "token": values["token"], "scanned_at": at, "answers": {},
            "abnormal": False, "note": "", "severity": "none", "photos": [],
            "skip_reason": "", "review": "", "review_note": "", "reviewed_by": None,
            "scanned_by": guard, "flags": ["late"] if at > slot.due_by else [],
            "space": sp.space, "version": 1, "created_at": received, "updated_at": received}
        roll = rng.random()
        if roll < SKIPPED:
            row.update(method="skip", token="", skip_reason=rng.choice(SKIP_REASONS),
                       review="pending")
            if at < self.now - REVIEW_AFTER:
                ok = rng.random() < 0.85
                row.update(review="confirmed" if ok else "rejected", reviewed_by=self.supervisor,
                           review_note="" if ok else "理由不充分，下次請先致電控制室")
            self.scans.append(row)
            return
        if roll < SKIPPED + TYPED:
            row.update(method="typed", token=values["code"])
        row["answers"] = answers(rng, checklist["items"])
        choices = ANOMALIES.get(values["list_key"], ())
        if choices and rng.random() < ANOMALY:
            item, value, note = rng.choice(choices)
            sha, _data = rng.choice(self.photos)
            severity = rng.choice(("low", "medium", "medium", "high"))
            row["answers"][item] = value
            row.update(abnormal=True, note=note, severity=severity, photos=[sha])
            self._ref("scan", scan_id, sha, sp.space, guard)
            if severity != "low":
                self.incident(sp, round_id, scan_id, cp, at, guard, note, severity, sha)
        self.scans.append(row)

    def incident(self, sp: SitePatrol, round_id: uuid.UUID, scan_id: uuid.UUID, cp: str,
                 at: datetime, guard: str, note: str, severity: str, sha: str) -> None:
        incident_id = self._id()
        reported = at + timedelta(minutes=self.rng.uniform(0.5, 3))
        if reported > self.until:
            return  # still on the phone
        age = self.now - reported
        status = "closed" if age > timedelta(days=7) else "acknowledged" if age > timedelta(
            days=2) else "open"
        received = self._receipt(reported)
        self.incidents.append(dict(
            id=incident_id, site=sp.site_id, checkpoint=cp, round=round_id, scan=scan_id,
            description=note, severity=severity, photos=[sha], reported_at=reported,
            reported_by=guard, status=status, space=sp.space, version=1, created_at=received,
            updated_at=received))
        self._ref("incident", incident_id, sha, sp.space, guard)

    def _ref(self, record_type: str, record_id: uuid.UUID, sha: str, space: str,
             guard: str) -> None:
        self.refs.append({"id": uuid.uuid5(BLOB_REF_NS, f"{record_type}:{record_id}:{sha}"),
                          "sha256": sha, "record_type": record_type, "record_id": record_id,
                          "space": space})
        self.uploads.add((sha, guard))


async def _insert(table: Any, rows: Sequence[Any], chunk: int = 1000) -> None:
    for i in range(0, len(rows), chunk):
        await table.insert(*rows[i:i + chunk])


def _plan(setups: Sequence[SitePatrol], start: datetime, now: datetime, crew: Crew
          ) -> list[tuple[SitePatrol, planner.Slot, str, str]]:
    """Each slot whose start window opened in [start, now): its site, the guard who walks
    it and what the server knows ("" walked, "missed", "planned": the set piece's)."""
    plan: list[tuple[SitePatrol, planner.Slot, str, str]] = []
    for n, sp in enumerate(setups):
        for schedule, minutes, walkers in sp.schedules:
            car = schedule.route_id == sp.route_ids.get("car")
            for slot in planner.slots(schedule, minutes, start, now):
                if slot.slot_at > now:
                    continue  # the planner's
                shift = (slot.base - start).days + (1 if slot.base.hour >= 12 else 0)
                guard = roster.walker(n, slot.slot_at, crew.zone, crew.ids, walkers) or \
                    walkers[shift % len(walkers)]
                reserved = car and n == 0 and roster.is_double_finish(slot.base, now, crew.zone)
                plan.append((sp, slot, guard, "planned" if reserved else ""))
    # today's latest round at the first site whose start window has passed: missed
    midnight = datetime.combine(now.astimezone(crew.zone).date(), time(0), crew.zone)
    passed = [p for p in plan if p[0] is setups[0] and not p[3] and p[1].slot_at >= midnight
              and p[1].start_by + timedelta(minutes=5) <= now]
    if passed:
        latest = max(passed, key=lambda p: p[1].start_by)
        plan[plan.index(latest)] = (*latest[:3], "missed")
    return plan


async def write(rng: random.Random, setups: Sequence[SitePatrol], start: datetime,
                now: datetime, supervisor: str, crew: Crew) -> dict[str, int]:
    """The rounds of ``setups``' schedules whose start window opened in [start, now)."""
    h = _History(rng, now, supervisor)
    for sp, slot, guard, known in _plan(setups, start, now, crew):
        if known == "planned":
            h.planned(sp, slot)
            continue
        quiet = guard == crew.quiet and crew.since is not None
        h.round(sp, slot, guard, missed=known == "missed",
                until=crew.since if quiet else None)
    first_user = {sha: guard for sha, guard in sorted(h.uploads)}
    await _insert(Blob, [Blob(sha256=sha, content_type="image/png", size=len(data), data=data,
                              uploaded_by=first_user[sha])
                         for sha, data in h.photos if sha in first_user])
    await _insert(BlobUpload, [BlobUpload(id=uuid.uuid5(UPLOAD_NS, f"{sha}:{guard}"),
                                          sha256=sha, staff=guard)
                               for sha, guard in sorted(h.uploads)])
    for table, rows in ((PatrolRound, h.rounds), (PatrolScan, h.scans),
                        (PatrolIncident, h.incidents), (BlobRef, h.refs)):
        await bulk(table, rows)
    return {"rounds": len(h.rounds), "scans": len(h.scans), "incidents": len(h.incidents)}
