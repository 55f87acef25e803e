"""Everything the demo estate's phones pushed, in the one stream the server received it in
(:mod:`server.demo.phones`): eight weeks of key loans (:mod:`server.demo.keys_history`), of
front-desk logs (:mod:`server.demo.desk_flow`) and the set pieces that give the office's
console its conflicts and rejections (:mod:`server.demo.console_pieces`) — then what the
office settled (a few conflicts resolved with a note, a loan voided, a rejection closed) and
when each phone last synced: the people on shift a few minutes ago, the night shift when it
ended, and the quiet phone (:func:`server.demo.roster.quiet_phone`) five hours ago.

Loaded after the other demos: the handovers draft from their data, the set pieces work on
their records."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Max

from server.accounts.tables import Device
from server.db import write_transaction
from server.demo import desk, phones, roster
from server.demo.console_pieces import Pieces
from server.demo.desk_flow import DeskFlow
from server.demo.desk_summary import Summaries
from server.demo.desk_texts import DESKS, GUARDS, HISTORY_DAYS
from server.demo.keys_history import KeyLoans, Settle
from server.demo.repairs import TEAMS
from server.estate.tables import Building, Site, Unit
from server.keys.tables import KeyLoan, KeyTag
from server.lib.queries import to_datetime
from server.lib.timezone import estate_zone
from server.patrol.tables import PatrolScan
from server.sync.spaces import bump
from server.sync.tables import AuditEntry, Conflict, Rejection, SyncClient

OFFICE_ONLY = ("admin",)  # acts at the office, has no phone in the demo
RECENT_HOURS = 3.5  # every phone but the quiet one synced within this (the office: 4 h)
SIGNED_OUT_TWICE_NOTE = "訪客已於前台登記離開，閘口再記一次；以前台時間為準。"
SETTLE_NS = uuid.UUID("5b0c3c52-55b9-4b53-9a44-3a1e6a3d3f10")


async def _keys(sites: Sequence[Site]) -> list[dict[str, Any]]:
    rows = await KeyTag.select(KeyTag.id, KeyTag.site, KeyTag.code, KeyTag.label,
                               KeyTag.category, KeyTag.unit).where(
        KeyTag.site.is_in([s.id for s in sites]) & KeyTag.retired.eq(False))
    return [{k: (str(v) if k in ("id", "site", "unit") and v is not None else v)
             for k, v in r.items()} for r in rows]


async def _busy() -> dict[str, list[tuple[datetime, datetime | None]]]:
    """When the repairs' loans had their keys."""
    out: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for r in await KeyLoan.select(KeyLoan.key, KeyLoan.lent_at, KeyLoan.returned_at):
        lent = to_datetime(r["lent_at"])
        assert lent is not None
        out.setdefault(str(r["key"]), []).append((lent, to_datetime(r["returned_at"])))
    return out


async def load(seed: int, sites: Sequence[Site], buildings: Sequence[Building],
               units: Sequence[Unit], now: datetime | None = None
               ) -> tuple[dict[str, int], dict[str, float]]:
    """The phones' part of the demo; returns counts and the seconds each part took."""
    rng = random.Random(seed * 43 + 13)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    zone = estate_zone()
    seconds: defaultdict[str, float] = defaultdict(float)
    started = time.perf_counter()
    signatures, letter, images = desk.images()
    signers = [u for d in DESKS for u in d if u]
    crew = [*signers, *(g for pair in GUARDS for g in pair), *(u for team in TEAMS
                                                               for u, _d, _t in team)]
    names = list(dict.fromkeys([*crew, *OFFICE_ONLY]))
    mine = await phones.make(rng, sites, names, signers, signatures)
    since = now - timedelta(days=HISTORY_DAYS + 1)
    summaries = await Summaries(zone).read(sites, {str(u.id): str(u.number) for u in units},
                                           since)
    flow = DeskFlow(rng, now, zone, mine, summaries, letter)
    site_desks = await desk.setups(sites, buildings, units)
    seconds["desk"] += time.perf_counter() - started

    started = time.perf_counter()
    loans = KeyLoans(flow, await _keys(sites), await _busy(), signatures)
    loans.build(site_desks)
    summaries.add_loans(loans.loans)
    seconds["keys"] += time.perf_counter() - started
    started = time.perf_counter()
    flow.build(site_desks)
    seconds["desk"] += time.perf_counter() - started
    started = time.perf_counter()
    pieces = Pieces(flow, site_desks)
    await pieces.build()
    seconds["console"] += time.perf_counter() - started

    started = time.perf_counter()
    events = [*loans.events, *flow.events, *pieces.events]
    quiet = roster.quiet_phone(now, zone)
    batches = phones.schedule(events, rng, now, quiet)
    await phones.register({u: p for u, p in mine.items() if u not in OFFICE_ONLY}, since, now)
    await phones.upload(events, mine, images)
    setup = time.perf_counter() - started
    pushed = await phones.push(batches, mine)
    parts = Counter(e.part for e in events)
    for part, n in parts.items():  # the set-up shared by its mutations
        seconds[part] += pushed.seconds[part] + setup * n / len(events)
    started = time.perf_counter()
    settled = [*loans.settle, *pieces.settle, Settle(
        "signed_out_twice", "", "resolved_with_note", SIGNED_OUT_TWICE_NOTE,
        flow.local(flow.today - timedelta(days=3), 9, 15), "office")]
    await settle(settled, {p.username: p.staff_id for p in mine.values()})
    await last_seen(rng, mine, pushed, quiet, now)
    seconds["console"] += time.perf_counter() - started
    return {"key_loans": sum(e.name == "key.lend" and not e.refused for e in events),
            "visitors": sum(e.name == "visitor.sign_in" for e in events),
            "repair_requests": sum(e.name == "repair.report" for e in events),
            "goods_passes": len(flow.passes), "pass_checks": len(flow.checks),
            "handovers": flow.handovers, "phone_mutations": pushed.applied,
            "phone_pushes": pushed.pushes, "phone_conflicts": pushed.conflicts,
            "phone_rejections": pushed.rejected, "settled": len(settled),
            "devices": len(mine) - len(OFFICE_ONLY)}, dict(seconds)


async def settle(items: Sequence[Settle], staff: dict[str, str]) -> None:
    """The office's decisions, at their time: conflicts resolved (their space bumped, so the
    phones hear of it) and a rejection closed, each audited as the review console would."""
    async with write_transaction():
        for s in items:
            by = staff[s.by]
            if s.kind == "rejection":
                found = [r for r in await Rejection.select(
                    Rejection.id, Rejection.space, Rejection.args).where(
                    Rejection.status == "open") if s.record_id in str(r["args"])]
                assert len(found) == 1, s
                row = found[0]
                await Rejection.update({
                    Rejection.status: "resolved", Rejection.resolution_note: s.note,
                    Rejection.resolved_by: by, Rejection.resolved_at: s.at,
                }).where(Rejection.id == row["id"])
                await _audit("rejection", row, 0, "office.rejection.resolve", by, s.at, {
                    "status": ["open", "resolved"], "resolution_note": ["", s.note],
                    "resolved_by": [None, by], "resolved_at": [None, s.at.isoformat()]})
                continue
            found = [c for c in await Conflict.select(
                Conflict.id, Conflict.space, Conflict.record_ids).where(
                (Conflict.kind == s.kind) & (Conflict.status == "open"))
                if s.record_id in str(c["record_ids"])]
            assert len(found) == 1, s
            row = found[0]
            version = await bump(row["space"])
            await Conflict.update({
                Conflict.status: "resolved", Conflict.resolution: s.resolution,
                Conflict.resolution_note: s.note, Conflict.resolved_by: by,
                Conflict.resolved_at: s.at, Conflict.version: version,
            }).where(Conflict.id == row["id"])
            await _audit("conflict", row, version, "office.conflict.resolve", by, s.at, {
                "status": ["open", "resolved"], "resolution": ["", s.resolution],
                "resolution_note": ["", s.note], "resolved_by": [None, by],
                "resolved_at": [None, s.at.isoformat()]})


async def _audit(record_type: str, row: dict[str, Any], version: int, action: str, by: str,
                 at: datetime, changes: dict[str, list[Any]]) -> None:
    await AuditEntry.insert(AuditEntry(
        id=uuid.uuid5(SETTLE_NS, f"{record_type}:{row['id']}"), record_type=record_type,
        record_id=row["id"], space=row["space"], version=version, action=action, staff=by,
        device=None, client_id=None, mutation_id=None, device_hlc="", device_time=None,
        server_time=at, changes=changes))


async def last_seen(rng: random.Random, mine: dict[str, phones.Phone], pushed: phones.Pushed,
                    quiet: tuple[str, datetime], now: datetime) -> None:
    """Each phone's last sync: its last push, or the latest record it sent that the other
    demos wrote (a guard's checkpoint visits, a technician's or desk's repair steps) —
    received by then (the office's own actions are no phone's); and every phone but the
    quiet one has synced in the background within the last few hours."""
    by_staff = {p.staff_id: u for u, p in mine.items() if u not in OFFICE_ONLY}
    seen: dict[str, datetime] = dict(pushed.last)

    def later(staff: Any, value: Any) -> None:
        user, at = by_staff.get(str(staff)), to_datetime(value)
        if user is not None and at is not None and (user not in seen or at > seen[user]):
            seen[user] = at

    for r in await PatrolScan.select(PatrolScan.scanned_by, Max(PatrolScan.created_at,
                                                                alias="last")).group_by(
            PatrolScan.scanned_by):
        later(r["scanned_by"], r["last"])
    for r in await AuditEntry.select(AuditEntry.staff, Max(AuditEntry.server_time,
                                                           alias="last")).where(
            AuditEntry.record_type.is_in(["repair_request", "repair_visit", "follow_up"])
            & AuditEntry.client_id.is_null()).group_by(AuditEntry.staff):
        if by_staff.get(str(r["staff"])) != "office":  # the supervisor's are office work
            later(r["staff"], r["last"])
    for user in by_staff.values():  # the app syncs in the background now and then
        if user != quiet[0]:
            recent = now - timedelta(minutes=rng.uniform(5, 60 * RECENT_HOURS))
            seen[user] = max(seen.get(user, recent), recent)
    clients = {str(c["client_id"]) for c in await SyncClient.select(SyncClient.client_id)}
    for user, p in mine.items():
        if user in OFFICE_ONLY:
            continue
        at = min(seen.get(user, now - timedelta(days=2)), now).replace(microsecond=0)
        if user == quiet[0]:
            assert at <= quiet[1], (user, at, quiet)
        await Device.update({Device.last_seen_at: at}).where(Device.id == p.device_id)
        if p.client_id in clients:
            await SyncClient.update({SyncClient.last_pull_at: at}).where(
                SyncClient.client_id == p.client_id)
        else:
            await SyncClient.insert(SyncClient(client_id=p.client_id, staff=p.staff_id,
                                               device=p.device_id, last_mutation_id=0,
                                               created_at=at, last_pull_at=at))
