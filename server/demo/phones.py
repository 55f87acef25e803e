"""The demo estate's phones, and what they pushed: each desk person's, gate guard's and
technician's phone is a registered device with its sync client, and every mutation the demo
makes on a phone (:class:`Event`) goes through the sync engine's push — the same rules,
audit with device and server times, versions, conflicts and rejections — received a few
seconds after its device time, or later when the phone was offline (a phone's mutations made
before it pushed travel in one push). The office's own actions (:attr:`Event.office`) go
through the office's path (:func:`sync.engine.apply_office`: no device) at their time. All
of it in one transaction, in the order the server got it, so the demo loads fast.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.accounts.tables import Device, Staff, StaffSite
from server.estate.tables import Site
from server.lib.security import new_token, token_hash
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


@dataclass
class Phone:
    """A demo phone: its person, device and sync client, and (desk phones) its keys."""

    username: str
    staff_id: str
    name: str
    role: str
    sites: tuple[str, ...]
    device_id: str
    client_id: str
    signature: str = ""  # their scribble (sha256)
    keys: dict[str, tuple[str, Any]] = field(default_factory=dict)  # site -> (id, private)
    last_id: int = 0  # the last mutation id it sent
    clock: hlc_mod.HLC | None = None


@dataclass
class Event:
    """One mutation made on a phone at ``at`` (its device time), or (``office``) by that
    person at the office."""

    at: datetime
    phone: str  # username
    name: str
    args: dict[str, Any]
    offline: float = 0.0  # minutes before the phone could push it (0: at once)
    blobs: tuple[str, ...] = ()
    part: str = "desk"  # which part of the demo made it (for the load's timings)
    refused: str = ""  # the rejection code the rules answer (a set piece's), or ""
    office: bool = False


Batch = tuple[datetime, int, str, list[Event]]  # pushed at, order, phone, its mutations


@dataclass
class Pushed:
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    pushes: int = 0
    seconds: defaultdict[str, float] = field(  # part -> push time
        default_factory=lambda: defaultdict(float))
    last: dict[str, datetime] = field(default_factory=dict)  # username -> its last push


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def make(rng: random.Random, sites: Sequence[Site], usernames: Sequence[str],
               signers: Sequence[str], signatures: Sequence[str]) -> dict[str, Phone]:
    """A phone for each of ``usernames`` (the office's people too: they act at the office
    without one); ``signers`` (desk people) sign with one of ``signatures`` each, and those
    who may issue passes made a key pair per site."""
    staff = {r["username"]: r for r in await Staff.select(
        Staff.id, Staff.username, Staff.display_name, Staff.role).where(
        Staff.username.is_in(list(usernames)))}
    demo_sites = {str(s.id) for s in sites}
    sites_of: dict[str, list[str]] = {}
    for a in await StaffSite.select(StaffSite.staff, StaffSite.site).where(
            StaffSite.staff.is_in([s["id"] for s in staff.values()])):
        if str(a["site"]) in demo_sites:
            sites_of.setdefault(str(a["staff"]), []).append(str(a["site"]))
    phones: dict[str, Phone] = {}
    for username in usernames:
        s = staff[username]
        phone = Phone(username, str(s["id"]), s["display_name"], s["role"],
                      tuple(sorted(sites_of.get(str(s["id"]), []))), str(_id(rng)),
                      str(_id(rng)))
        if username in signers:
            phone.signature = signatures[list(signers).index(username) % len(signatures)]
            if phone.role in KEY_HOLDERS:
                phone.keys = {site: (str(_id(rng)), passcode.new_key()[0])
                              for site in phone.sites}
        phones[username] = phone
    return phones


@dataclass
class _Pending:
    at: datetime  # when the phone pushes it
    events: list[Event]


def schedule(events: Sequence[Event], rng: random.Random, now: datetime,
             quiet: tuple[str, datetime] | None = None) -> list[Batch]:
    """When each phone pushed what: a few seconds after a mutation (``offline``: minutes
    after), with whatever else it made in the meantime; the office's at once; in the order
    the server got them. A push waits for the records it names that another phone made (a
    visitor signed out at the gate after the desk's offline phone has sent the sign-in).
    ``quiet``: a phone that has pushed nothing since (its mutations made later are still on
    it: the demo makes none)."""
    registry = default_registry()
    pending: dict[str, _Pending] = {}
    made: dict[str, _Pending] = {}  # record id -> the push that creates it
    batches: list[tuple[_Pending, int, str]] = []
    second = timedelta(seconds=1)
    for e in sorted(events, key=lambda e: e.at):
        if quiet is not None and e.phone == quiet[0] and not e.office and e.at > quiet[1]:
            raise ValueError(f"{e.name} at {e.at} on the quiet phone of {e.phone}")
        needs = max((made[v].at + second for v in e.args.values()
                     if isinstance(v, str) and v in made), default=None)
        current = pending.get(e.phone)
        if e.office:
            push = _Pending(max(e.at.replace(microsecond=0), needs or e.at), [e])
            batches.append((push, len(batches), e.phone))
        elif current is not None and e.at <= current.at:
            current.events.append(e)
            push = current
        else:
            if current is not None:
                batches.append((current, len(batches), e.phone))
            delay = timedelta(minutes=e.offline) if e.offline else timedelta(
                seconds=rng.uniform(2, 40))
            at = min(e.at + delay, now)
            if quiet is not None and e.phone == quiet[0]:
                at = min(at, quiet[1])
            push = pending[e.phone] = _Pending(at.replace(microsecond=0), [e])
        if needs is not None and push.at < needs:
            push.at = needs
        spec = registry.get(e.name)
        for _type, arg in spec.creates if spec is not None else ():
            if isinstance(e.args.get(arg), str):
                made[e.args[arg]] = push
    batches += [(p, len(batches) + n, phone) for n, (phone, p) in enumerate(pending.items())]
    return [(p.at, n, phone, p.events)
            for p, n, phone in sorted(batches, key=lambda b: (b[0].at, b[1]))]


async def register(phones: dict[str, Phone], since: datetime, now: datetime) -> None:
    """Each phone's device row (its last sync is set once everything is loaded)."""
    await Device.insert(*[Device(
        id=uuid.UUID(p.device_id), client_id=uuid.UUID(p.client_id), staff=p.staff_id,
        name=f"{p.name}的手機", token_hash=token_hash(new_token()), created_at=since,
        expires_at=now + timedelta(days=TOKEN_DAYS)) for p in phones.values()])


async def upload(events: Sequence[Event], phones: dict[str, Phone],
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


def _mutations(phone: Phone, events: Sequence[Event]) -> list[Mutation]:
    out = []
    for e in events:
        phone.last_id += 1
        clock = phone.clock or hlc_mod.HLC(0, 0, hlc_mod.node_id(phone.client_id))
        phone.clock = hlc_mod.send(clock, int(e.at.timestamp() * 1000))
        out.append(Mutation(id=phone.last_id, name=e.name, args=e.args,
                            hlc=phone.clock.encode()))
    return out


async def push(batches: list[Batch], phones: dict[str, Phone]) -> Pushed:
    """Every batch pushed by its phone (or done at the office), at its time, in one
    transaction. A mutation the rules refuse stops the demo, unless it is a set piece's
    refusal with the code it expected; so does a set piece's refusal that did not come."""
    registry = default_registry()
    done = Pushed()
    expected = Counter((e.name, e.refused) for b in batches for e in b[3] if e.refused)
    async with service.push_transaction(service.engine_of()) as conn:
        for at, _n, username, events in batches:
            started = time.perf_counter()
            phone = phones[username]
            actor = Principal(staff_id=phone.staff_id, role=phone.role,
                              sites=frozenset(phone.sites),
                              device_id=None if events[0].office else phone.device_id)
            store = SqlPushStore(conn, actor, at)
            if events[0].office:
                e = events[0]
                result = await sync_engine.apply_office(store, actor, [(e.name, e.args)],
                                                        registry=registry, now=at)
                done.applied += 1
                done.conflicts += len(result.conflicts)
            else:
                response = await sync_engine.push(
                    store, actor, PushRequest(client_id=phone.client_id,
                                              schema_version=SCHEMA_VERSION,
                                              mutations=_mutations(phone, events)),
                    registry=registry, now=at)
                done.applied += response.applied
                done.conflicts += response.conflicts
                done.rejected += response.rejected
                done.pushes += 1
                done.last[username] = at
            took = time.perf_counter() - started
            for part, n in Counter(e.part for e in events).items():
                done.seconds[part] += took * n / len(events)
    refused = Counter((r["name"], r["code"]) for r in await Rejection.select(
        Rejection.name, Rejection.code))
    if refused != expected:
        raise RuntimeError(f"the demo's mutations were refused {dict(refused)}, "
                           f"expected {dict(expected)}")
    return done
