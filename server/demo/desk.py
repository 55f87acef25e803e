"""The demo estate's front-desk logs (來訪登記 / 放行條 / 交接班): four weeks at both sites
(:mod:`server.demo.desk_history`, :mod:`server.demo.desk_flow`), written as the phones wrote
them — each mutation pushed through the sync engine (the same rules, audit with device and
server times, versions, conflicts) by the phone that made it, received a few seconds after its
device time, or later when the phone was offline (a phone's mutations made before it pushed
travel in one push); all the pushes in one transaction, so the demo loads fast.

Each desk person's phone and each gate guard's is a registered device with its sync client.
Each desk phone made a key pair (:func:`sync.domains.desk.passcode.new_key`) for each of its
sites and registered the public key; the private keys sign the demo's passes and are dropped.
The signatures are the demo's scribbles, the written authorisation the cards demo's letter.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import Device, Staff, StaffSite
from server.demo import cards_history, repairs_texts
from server.demo.desk_flow import DeskFlow
from server.demo.desk_history import Event, Phone, SiteDesk
from server.demo.desk_summary import Summaries
from server.demo.desk_texts import DESKS, GUARDS, HISTORY_DAYS, NIGHT_DESKS
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.security import new_token, token_hash
from server.lib.timezone import estate_zone
from server.sync import service
from server.sync.blobs import UPLOAD_NS
from server.sync.store import SqlPushStore
from server.sync.tables import Blob, BlobUpload, Rejection
from sync import SCHEMA_VERSION
from sync import engine as sync_engine
from sync import hlc as hlc_mod
from sync.context import Principal
from sync.domains import default_registry
from sync.domains.desk import passcode
from sync.domains.desk.rules import KEY_HOLDERS
from sync.protocol import Mutation, PushRequest

TOKEN_DAYS = 30
Batch = tuple[datetime, int, str, list[Event]]  # pushed at, order, phone, its mutations


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _images() -> tuple[list[str], str, dict[str, bytes]]:
    """The desk people's signatures (one scribble each), the written authorisation, and
    every image by sha256."""
    cards = cards_history.images()
    repairs = repairs_texts.images()
    scribbles = [*cards[:3], repairs["sign2"], repairs["sign9"]]
    letter = cards[3]
    return [sha for sha, _d in scribbles], letter[0], dict([*scribbles, letter])


async def _phones(rng: random.Random, sites: Sequence[Site], now: datetime,
                  signatures: list[str]) -> dict[str, Phone]:
    desks = [u for d in DESKS for u in d if u]
    names = list(dict.fromkeys([*desks, *(u for g in GUARDS for u in g)]))
    staff = {r["username"]: r for r in await Staff.select(
        Staff.id, Staff.username, Staff.display_name, Staff.role).where(
        Staff.username.is_in(names))}
    demo_sites = {str(s.id) for s in sites}
    sites_of: dict[str, list[str]] = {}
    for a in await StaffSite.select(StaffSite.staff, StaffSite.site).where(
            StaffSite.staff.is_in([s["id"] for s in staff.values()])):
        if str(a["site"]) in demo_sites:
            sites_of.setdefault(str(a["staff"]), []).append(str(a["site"]))
    phones: dict[str, Phone] = {}
    for username in names:
        s = staff[username]
        phone = Phone(username, str(s["id"]), s["display_name"], s["role"],
                      tuple(sorted(sites_of.get(str(s["id"]), []))), str(_id(rng)),
                      str(_id(rng)))
        if username in desks:
            phone.signature = signatures[desks.index(username) % len(signatures)]
            if phone.role in KEY_HOLDERS:
                phone.keys = {site: (str(_id(rng)), passcode.new_key()[0])
                              for site in phone.sites}
        phones[username] = phone
    return phones


async def _setups(sites: Sequence[Site], buildings: Sequence[Building],
                  units: Sequence[Unit]) -> list[SiteDesk]:
    """Each site's units with the residents living there now (a unit nobody lives in has
    no visitors)."""
    people: dict[str, list[dict[str, Any]]] = {}
    for r in await Resident.select(Resident.id, Resident.unit, Resident.name, Resident.phone,
                                   Resident.relation).where(Resident.active.eq(True)):
        people.setdefault(str(r["unit"]), []).append(r)
    return [SiteDesk(
        n, str(site.id),
        {str(u.id): str(u.number) for u in units
         if str(u.site) == str(site.id) and people.get(str(u.id))},
        {str(u.id): people[str(u.id)] for u in units
         if str(u.site) == str(site.id) and people.get(str(u.id))},
        [str(b.name) for b in buildings if str(b.site) == str(site.id)])
        for n, site in enumerate(sites)]


def schedule(events: Sequence[Event], rng: random.Random, now: datetime) -> list[Batch]:
    """When each phone pushed what: a few seconds after a mutation (``offline``: minutes
    after), with whatever else it made in the meantime; in the order the server got them."""
    pending: dict[str, tuple[datetime, list[Event]]] = {}
    batches: list[Batch] = []
    for e in events:
        current = pending.get(e.phone)
        if current is not None and e.at <= current[0]:
            current[1].append(e)
            continue
        if current is not None:
            batches.append((current[0], len(batches), e.phone, current[1]))
        delay = timedelta(minutes=e.offline) if e.offline else timedelta(
            seconds=rng.uniform(2, 40))
        pending[e.phone] = (min(e.at + delay, now).replace(microsecond=0), [e])
    batches += [(at, len(batches) + n, phone, evs)
                for n, (phone, (at, evs)) in enumerate(pending.items())]
    return sorted(batches, key=lambda b: (b[0], b[1]))


async def _devices(phones: dict[str, Phone], batches: list[Batch], since: datetime,
                   now: datetime) -> None:
    seen = {b[2]: b[0] for b in batches}
    await Device.insert(*[Device(
        id=uuid.UUID(p.device_id), client_id=uuid.UUID(p.client_id), staff=p.staff_id,
        name=f"{p.name}的手機", token_hash=token_hash(new_token()), created_at=since,
        expires_at=now + timedelta(days=TOKEN_DAYS), last_seen_at=seen.get(p.username))
        for p in phones.values()])


async def _blobs(events: Sequence[Event], phones: dict[str, Phone],
                 images: dict[str, bytes]) -> None:
    """The images the mutations name, uploaded by the phones that name them."""
    uploads = sorted({(sha, phones[e.phone].staff_id) for e in events for sha in e.blobs})
    first: dict[str, str] = {}
    for sha, staff in uploads:
        first.setdefault(sha, staff)
    await Blob.insert(*[Blob(sha256=sha, content_type="image/png", size=len(images[sha]),
                             data=images[sha], uploaded_by=staff)
                        for sha, staff in first.items()]).on_conflict(action="DO NOTHING")
    await BlobUpload.insert(*[BlobUpload(id=uuid.uuid5(UPLOAD_NS, f"{sha}:{staff}"),
                                         sha256=sha, staff=staff) for sha, staff in uploads]
                            ).on_conflict(action="DO NOTHING")


async def push(batches: list[Batch], phones: dict[str, Phone]) -> tuple[int, int]:
    """Every batch pushed by its phone, at its time, in one transaction. Returns (applied,
    conflicts); a mutation the rules refuse stops the demo."""
    registry = default_registry()
    clocks = {u: hlc_mod.HLC(0, 0, hlc_mod.node_id(p.client_id)) for u, p in phones.items()}
    ids = dict.fromkeys(phones, 0)
    applied = conflicts = rejected = 0
    async with service.push_transaction(service.engine_of()) as conn:
        for at, _n, username, events in batches:
            phone = phones[username]
            actor = Principal(staff_id=phone.staff_id, role=phone.role,
                              sites=frozenset(phone.sites), device_id=phone.device_id)
            mutations = []
            for e in events:
                ids[username] += 1
                clocks[username] = hlc_mod.send(clocks[username], int(e.at.timestamp() * 1000))
                mutations.append(Mutation(id=ids[username], name=e.name, args=e.args,
                                          hlc=clocks[username].encode()))
            response = await sync_engine.push(
                SqlPushStore(conn, actor, at), actor,
                PushRequest(client_id=phone.client_id, schema_version=SCHEMA_VERSION,
                            mutations=mutations), registry=registry, now=at)
            applied += response.applied
            conflicts += response.conflicts
            rejected += response.rejected
    if rejected:
        refused = await Rejection.select(Rejection.name, Rejection.code, Rejection.reason)
        raise RuntimeError(f"the desk demo's mutations were refused: {refused[:5]}")
    return applied, conflicts


async def load(seed: int, sites: Sequence[Site], buildings: Sequence[Building],
               units: Sequence[Unit], now: datetime | None = None) -> dict[str, int]:
    """The front-desk demo for the loaded estate (after the others: the handovers draft from
    their data); returns counts."""
    rng = random.Random(seed * 43 + 13)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    zone = estate_zone()
    new = [(Staff(id=_id(rng), username=u, display_name=d, password_hash="", role="front_desk"),
            sites[i]) for u, d, i in NIGHT_DESKS]
    await Staff.insert(*[s for s, _site in new])
    await StaffSite.insert(*[StaffSite(id=_id(rng), staff=s.id, site=site.id)
                             for s, site in new])
    signatures, letter, images = _images()
    phones = await _phones(rng, sites, now, signatures)
    since = now - timedelta(days=HISTORY_DAYS + 1)
    summaries = await Summaries(zone).read(sites, {str(u.id): str(u.number) for u in units},
                                           since)
    flow = DeskFlow(rng, now, zone, phones, summaries, letter)
    flow.build(await _setups(sites, buildings, units))
    batches = schedule(flow.events, rng, now)
    await _devices(phones, batches, since, now)
    await _blobs(flow.events, phones, images)
    applied, conflicts = await push(batches, phones)
    return {"visitors": sum(e.name == "visitor.sign_in" for e in flow.events),
            "goods_passes": len(flow.passes), "pass_checks": len(flow.checks),
            "handovers": flow.handovers, "desk_mutations": applied,
            "desk_pushes": len(batches), "desk_conflicts": conflicts}
