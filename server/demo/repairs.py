"""The demo estate's repairs (報修 / 入室服務 / 回訪): per site a repair policy (the default
deadlines, 30 % of finished repairs followed up by a seeded sample, HKD) and the repair team
(the demo account ``tech`` and two named technicians at 海悅花園, two at 景華臺; the named
ones have no password: an administrator may give one) — then three months of requests
(:mod:`server.demo.repairs_flow`), the repairs of the guards' patrol anomalies (the request
names the checkpoint visit, with its photo), and the set pieces:

* ``tech``'s day: four jobs with appointments today in four blocks, an emergency among them;
* jobs done with a key the owner deposited or of a vacant unit, lent for the request and
  linked to it, the entry chain complete (key back, visit closed, owner's consent noted) —
  and exactly one broken chain: a visit closed yesterday while its key is still out.

Deterministic for a seed (:func:`build` is pure); the dates follow the clock. Written in
batches, one statement per table."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import Staff, StaffSite
from server.demo import roster
from server.demo.cards_history import bulk
from server.demo.repairs_flow import Flow
from server.demo.repairs_history import Row, SiteRepairs
from server.demo.repairs_texts import (
    APPROVER,
    BLOCK_PLACES,
    CONSENT,
    JOBS,
    KEYED,
    PATROL,
    SITE_PLACES,
    TODAY,
    Job,
)
from server.estate.tables import Building, Resident, Site, Unit
from server.keys.tables import KeyLoan, KeyTag
from server.lib.timezone import estate_zone
from server.patrol.tables import PatrolCheckpoint, PatrolScan
from server.repairs.tables import (
    FollowUp,
    RepairPolicy,
    RepairRequest,
    RepairTechnician,
    RepairVisit,
)
from server.sync.blobs import UPLOAD_NS
from server.sync.spaces import space_of
from server.sync.tables import AuditEntry, Blob, BlobRef, BlobUpload
from sync.domains.repairs.records import DEFAULT_DEADLINES, DEFAULT_SAMPLE_PERCENT, REQUEST_TYPE

HISTORY_DAYS = 90
REQUESTS = (460, 190)  # per site, besides the set pieces
SAMPLE_SEEDS = ("HYG-2026", "JHT-2026")
TEAMS = (
    # per site: username, display name ("" = the account's), trade
    (("tech", "", "水電維修"), ("hyg-plumber", "何俊傑", "水喉"),
     ("hyg-electric", "郭建業", "電工")),
    (("jht-tech1", "麥浩然", "水電維修"), ("jht-tech2", "謝啟明", "雜項維修")),
)
DESKS = (("desk", "office"), ("jht-desk",))  # who logs, assigns and calls back
OFFICE = ("office", "admin")
GUARDS = (("guard", "hyg-night"), ("jht-guard1", "jht-guard2"))
KEY_CATEGORIES = ("owner_deposited", "vacant_unit")
FIRST_KEY = "HYG-K030"  # keys lent here sort after it (the browser tests lend the first ones)
CHAINS = 5  # complete entry chains, besides the broken one


@dataclass
class Estate:
    """What the repairs demo reads of the loaded estate."""

    sites: Sequence[Site]
    buildings: Sequence[Building]
    units: Sequence[Unit]
    residents: Sequence[Resident]
    staff: dict[str, str]  # username -> id
    names: dict[str, str]  # staff id -> display name
    keys: list[Row] = field(default_factory=list)  # lendable unit keys of the first site
    scans: list[Row] = field(default_factory=list)  # patrol anomalies (note, checkpoint name)


@dataclass
class Built:
    flow: Flow
    policies: list[RepairPolicy]
    technicians: list[RepairTechnician]


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def build(seed: int, now: datetime, estate: Estate) -> Built:
    """Every row of the repairs demo (pure: the same seed, estate and clock give the same)."""
    rng = random.Random(seed * 41 + 12)
    people: dict[str, list[Resident]] = {}
    for r in estate.residents:
        people.setdefault(str(r.unit), []).append(r)
    h = Flow(rng, now, estate_zone(), people)
    policies, technicians, setups = [], [], []
    ids = estate.staff
    for n, site in enumerate(estate.sites):
        space = space_of("repair_request", str(site.id))
        policy: dict[str, Any] = {f"{kind}_{u}": m for u, pair in DEFAULT_DEADLINES.items()
                                  for kind, m in zip(("respond", "complete"), pair, strict=True)}
        policy.update(sample_percent=DEFAULT_SAMPLE_PERCENT, sample_seed=SAMPLE_SEEDS[n],
                      currency="HKD")
        policies.append(RepairPolicy(id=_id(rng), site=site.id, space=space, version=1,
                                     **policy))
        team = [ids[u] for u, _d, _t in TEAMS[n]]
        technicians += [RepairTechnician(id=_id(rng), site=site.id, staff=ids[u],
                                         name=estate.names[ids[u]], trade=trade, space=space,
                                         version=1) for u, _d, trade in TEAMS[n]]
        blocks = [b for b in estate.buildings if str(b.site) == str(site.id)]
        areas = [f"{b.name} {p.replace('{n}', str(rng.randint(3, 20)))}" for b in blocks
                 for p in BLOCK_PLACES] + list(SITE_PLACES)
        setups.append(SiteRepairs(
            site_id=site.id, space=space, keys_space=space_of("key_loan", str(site.id)),
            policy=policy, team=team, desks=[ids[u] for u in DESKS[n]], office=ids[OFFICE[n]],
            guards=[ids[u] for u in GUARDS[n]],
            units=[u for u in estate.units if str(u.site) == str(site.id)], areas=areas,
            lifts=[f"{b.name} {k} 號升降機" for b in blocks for k in (1, 2)],
            keep_free=ids["tech"] if n == 0 else "", on_duty=_on_duty(n, now, ids)))
    for sr, count in zip(setups, REQUESTS, strict=True):
        for at in sorted(h.moment(HISTORY_DAYS) for _ in range(count)):
            h.natural(sr, at)
    for scan in estate.scans:
        sr = next(s for s in setups if str(s.site_id) == str(scan["site"]))
        _anomaly(h, sr, scan)
    first = setups[0]
    used = _chains(h, first, estate.keys, estate.names)
    _today(h, first, used)
    for n, sr in enumerate(setups):
        _under_way(h, sr, used, visit=n == 0)
    return Built(h, policies, technicians)


def _on_duty(n: int, now: datetime, ids: dict[str, str]) -> Callable[[datetime], str | None]:
    """The guard on duty at site ``n`` at a moment; None while that is the quiet phone's."""
    zone = estate_zone()
    quiet, since = roster.quiet_phone(now, zone)

    def on_duty(at: datetime) -> str | None:
        guard = roster.guard_at(n, at, zone)
        return None if guard == quiet and at > since else ids.get(guard)

    return on_duty


def _anomaly(h: Flow, sr: SiteRepairs, scan: Row) -> None:
    """A guard's patrol anomaly reported as a repair (the checkpoint's name, the photo)."""
    category, urgency, found, work = PATROL[scan["note"]]
    job = Job(category, scan["note"], found, work)
    at = scan["scanned_at"] + timedelta(minutes=h.rng.uniform(1, 6))
    if at > h.now or (sr.on_duty is not None and sr.on_duty(at) is None):
        return  # not yet, or still on the quiet phone
    req = h.report(sr, at, job, urgency, str(scan["scanned_by"]), "patrol", None,
                   str(scan["checkpoint_name"])[:120], anomaly_visit=scan["id"],
                   photos=list(scan["photos"] or [])[:10])
    h.run(sr, req, job)


def _chains(h: Flow, sr: SiteRepairs, keys: list[Row], names: dict[str, str]) -> set[str]:
    """Jobs done with lent keys (each chain complete) and one visit closed while its key is
    still out past its due time. Returns the units used."""
    units = {str(u.id): u for u in sr.units}
    used: set[str] = set()
    for n, key in enumerate(keys[:CHAINS + 1]):
        broken = n == CHAINS
        tech = sr.team[1] if broken else sr.team[n % len(sr.team)]
        unit = units[str(key["unit"])]
        used.add(str(unit.id))
        job = KEYED[key["category"]]
        day = h.today - timedelta(days=1 if broken else 6 + 11 * n)
        appointment = h.local(day, 10 + n % 5, 0)
        urgency = "urgent" if key["category"] == "vacant_unit" else "normal"
        reported = appointment - timedelta(hours=h.rng.uniform(0.8, 1.5) if urgency == "urgent"
                                           else h.rng.uniform(3, 20))
        req = h.report(sr, reported, job, urgency, sr.desks[0], "desk", unit,
                       contact_pref="message")
        h.assign(sr, req, tech, reported + timedelta(minutes=20), appointment)
        lent = appointment - timedelta(minutes=15)
        loan = _lend(h, sr, key, req, tech, names[tech], lent)
        h._change(REQUEST_TYPE, req, "repair.link_key", sr.desks[0], lent + timedelta(
            minutes=2), key_loan=loan["id"])
        basis = "emergency" if key["category"] == "vacant_unit" else "appointment"
        visit = h.start(sr, req, tech, appointment + timedelta(minutes=5), basis, keyed=True)
        left = appointment + timedelta(minutes=h.rng.uniform(50, 90))
        fu = h.close(sr, req, visit, left, "done", job, keyed=True)
        if not broken:
            back = (left + timedelta(minutes=h.rng.uniform(5, 20))).replace(microsecond=0)
            loan.update(returned_at=back, returned_by=names[tech], updated_at=back,
                        return_recorded_by=sr.desks[0], return_hlc=h.hlc(back, sr.desks[0]))
        if fu is not None:
            h.call(sr, req, fu)
    return used


def _lend(h: Flow, sr: SiteRepairs, key: Row, req: Row, tech: str, name: str,
          lent: datetime) -> Row:
    desk = sr.desks[0]
    lent = lent.replace(microsecond=0)
    row: Row = {
        "id": h._id(), "site": sr.site_id, "key": key["id"], "borrower_name": name,
        "borrower_phone": "", "borrower_kind": "staff", "id_type": "none", "id_last4": "",
        "purpose": f"維修 {req['number']}", "approver": APPROVER,
        "owner_consent": CONSENT[key["category"]], "deposit": "", "lent_at": lent,
        "due_at": lent + timedelta(hours=3), "signature_blob": h._blob("sign4", desk),
        "lent_by": desk, "lent_device": None, "lent_hlc": h.hlc(lent, desk),
        "returned_at": None, "returned_by": "", "return_notes": "", "return_photos": [],
        "return_recorded_by": None, "return_hlc": "", "voided": False, "void_reason": "",
        "voided_by": None, "space": sr.keys_space, "version": 1,
        "created_at": lent + timedelta(seconds=4), "updated_at": lent + timedelta(seconds=4)}
    h.loans.append(row)
    return row


def _today(h: Flow, sr: SiteRepairs, used: set[str]) -> None:
    """``tech``'s jobs today: in four blocks, with the resident's contact, one an emergency
    reported twenty minutes ago."""
    tech, now = sr.keep_free, h.now
    start = h.local(h.today, 0, 0)
    by_block: dict[str, Unit] = {}
    for u in h.rng.sample(list(sr.units), len(sr.units)):
        if str(u.id) not in used and h.people.get(str(u.id)):
            by_block.setdefault(str(u.building), u)
    used.update(str(u.id) for u in by_block.values())
    for n, (job, unit) in enumerate(zip(TODAY, list(by_block.values()), strict=False)):
        if n == 0:
            reported, urgency = now - timedelta(minutes=20), "emergency"
            appointment = min(max(now + timedelta(minutes=10), start),
                              start + timedelta(hours=23, minutes=59))
            assigned = now - timedelta(minutes=15)
        else:
            appointment = h.local(h.today, (10, 14, 16)[n - 1], (0, 30, 30)[n - 1])
            reported = appointment - timedelta(hours=h.rng.uniform(18, 21))
            urgency, assigned = "normal", reported + timedelta(minutes=35)
        req = h.report(sr, reported, job, urgency, h.rng.choice(sr.desks), "desk", unit,
                       contact_pref="call_first")
        h.assign(sr, req, tech, assigned.replace(microsecond=0),
                 appointment.replace(microsecond=0))


def _under_way(h: Flow, sr: SiteRepairs, used: set[str], visit: bool) -> None:
    """What is happening now: a resident's call and a guard's report not yet assigned, and
    (``visit``) a visit under way."""
    now, rng = h.now, h.rng
    units = [u for u in sr.units if str(u.id) not in used and h.people.get(str(u.id))]
    h.report(sr, now - timedelta(minutes=40), JOBS[4], "normal", sr.desks[0], "desk",
             rng.choice(units), contact_pref="call_first")
    at = now - timedelta(minutes=8)
    guard = sr.on_duty(at) if sr.on_duty is not None else sr.guards[0]
    h.report(sr, at, JOBS[26], "normal", guard or sr.desks[0], "patrol" if guard else "desk",
             None, rng.choice(sr.areas))
    if visit:
        appointment = now - timedelta(minutes=40)
        req = h.report(sr, appointment - timedelta(hours=20), JOBS[12], "normal",
                       sr.desks[0], "desk", rng.choice(units), contact_pref="appointment")
        h.assign(sr, req, sr.team[-1], req["reported_at"] + timedelta(minutes=30), appointment)
        h.start(sr, req, sr.team[-1], now - timedelta(minutes=35), "appointment")


async def read_estate(sites: Sequence[Site], buildings: Sequence[Building], units: Sequence[Unit],
                  residents: Sequence[Resident]) -> Estate:
    rows = await Staff.select(Staff.id, Staff.username, Staff.display_name)
    estate = Estate(sites, buildings, units, residents,
                    {str(r["username"]): str(r["id"]) for r in rows},
                    {str(r["id"]): str(r["display_name"]) for r in rows})
    estate.keys = [dict(r) for r in await KeyTag.select(
        KeyTag.id, KeyTag.code, KeyTag.category, KeyTag.unit).where(
        (KeyTag.site == sites[0].id) & KeyTag.category.is_in(list(KEY_CATEGORIES))
        & KeyTag.unit.is_not_null() & KeyTag.retired.eq(False) & (KeyTag.code > FIRST_KEY)
    ).order_by(KeyTag.code, ascending=False)]
    names = {str(r["id"]): r["name"] for r in await PatrolCheckpoint.select(
        PatrolCheckpoint.id, PatrolCheckpoint.name)}
    scans = await PatrolScan.select(
        PatrolScan.id, PatrolScan.site, PatrolScan.checkpoint, PatrolScan.scanned_at,
        PatrolScan.note, PatrolScan.photos, PatrolScan.scanned_by).where(
        PatrolScan.abnormal.eq(True)).order_by(PatrolScan.scanned_at).order_by(PatrolScan.id)
    estate.scans = [{**s, "checkpoint_name": names.get(str(s["checkpoint"]), ""),
                     "photos": _list(s["photos"])} for s in scans if s["note"] in PATROL]
    return estate


def _list(value: Any) -> list[str]:
    return list(json.loads(value)) if isinstance(value, str) else list(value or [])


async def load(seed: int, sites: Sequence[Site], buildings: Sequence[Building],
               units: Sequence[Unit], residents: Sequence[Resident],
               now: datetime | None = None) -> dict[str, int]:
    """The repairs demo for the loaded estate (after the patrol and card demos); returns
    row counts."""
    rng = random.Random(seed * 41 + 11)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    new = [(Staff(id=_id(rng), username=u, display_name=d, password_hash="", role="technician"),
            sites[n]) for n, team in enumerate(TEAMS) for u, d, _t in team if d]
    await Staff.insert(*[s for s, _site in new])
    await StaffSite.insert(*[StaffSite(id=_id(rng), staff=s.id, site=site.id)
                             for s, site in new])
    built = build(seed, now, await read_estate(sites, buildings, units, residents))
    await write(built)
    h = built.flow
    return {"repair_requests": len(h.requests), "repair_visits": len(h.visits),
            "follow_ups": len(h.follow_ups), "repair_key_loans": len(h.loans)}


async def write(built: Built) -> None:
    h = built.flow
    await RepairPolicy.insert(*built.policies)
    await RepairTechnician.insert(*built.technicians)
    for table, rows in ((RepairRequest, h.requests), (RepairVisit, h.visits),
                        (FollowUp, h.follow_ups), (KeyLoan, h.loans), (BlobRef, h.refs),
                        (AuditEntry, h.audit)):
        await bulk(table, rows)
    first = {sha: staff for sha, staff in sorted(h.uploads, reverse=True)}
    await Blob.insert(*[Blob(sha256=sha, content_type="image/png", size=len(data), data=data,
                             uploaded_by=first[sha])
                        for sha, data in h.images.values() if sha in first]).on_conflict(
        action="DO NOTHING")
    await BlobUpload.insert(*[BlobUpload(id=uuid.uuid5(UPLOAD_NS, f"{sha}:{staff}"), sha256=sha,
                                         staff=staff) for sha, staff in sorted(h.uploads)]
                            ).on_conflict(action="DO NOTHING")
