"""The demo estate's IC cards: per site a card policy (cards per unit, two years' validity,
fee and deposit), access zones (each block's lobby door and lift floors, the car park, the
clubhouse), two units with a quota of their own, and a stock of cards delivered in batches
over the last two years — then two years of issues (:mod:`server.demo.cards_history`):
cards handed to a realistic share of units (owners, tenants, household, a proxy or two with
the owner's letter), some lost, damaged and replaced, returned, revoked when residents moved
out (two who moved out still hold theirs: the office's "to revoke" list), a few expiring
within 30 days, one card the desk met before the stock knew it, and exactly one lost card
the door system has not taken yet.

Deterministic for a seed; the dates follow the clock. Written in batches (one statement per
table), like the patrol history."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from server.accounts.tables import Staff, StaffSite
from server.cards.tables import Card, CardIssue, CardPolicy, CardQuota, CardZone
from server.demo import cards_history, desk, roster
from server.demo.cards_history import SiteCards, bulk
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.timezone import estate_zone
from server.sync.spaces import space_of
from server.sync.tables import Blob, BlobUpload, Conflict

# per site (by index): cards per unit, validity (days), fee, deposit
POLICIES = ((4, 730, 50.0, 100.0), (3, 730, 80.0, 150.0))
# per site: (technology, cards, days before now the batch was delivered)
BATCHES = ((("ic", 900, 760), ("ic", 500, 480), ("cpu", 300, 200)),
           (("ic", 600, 760), ("ic", 300, 400)))
# the front-desk person of the second site (no password: an administrator may give one); the
# night desks come with them (the desk on duty hands the cards over)
SECOND_DESK = ("jht-desk", "周詠詩")


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _zones(site: Site, blocks: Sequence[Building]) -> list[tuple[str, str, str]]:
    """(code, name, kind): each block's lobby door and lifts, then the site's own."""
    out = []
    for b in blocks:
        out += [(f"LOBBY-{b.code}", f"{b.name} 大堂正門", "door"),
                (f"LIFT-{b.code}", f"{b.name} 升降機（住戶樓層）", "lift")]
    return [*out, ("CARPARK", "停車場車閘", "car_park"), ("CLUB", "會所", "other"),
            ("PODIUM", "平台花園側門", "door")]


def _stock(rng: random.Random, n: int, site: Site, now: datetime, sc: SiteCards) -> None:
    for technology, count, days in BATCHES[n]:
        delivered = now - timedelta(days=days)
        batch = f"{delivered:%Y-%m}"
        prefix = f"{site.code}{delivered:%y%m}"
        cards = []
        for i in range(1, count + 1):
            card = {"id": _id(rng), "site": site.id, "number": f"{prefix}-{i:04d}",
                    "uid": f"{rng.getrandbits(32):08X}", "technology": technology,
                    "batch": batch, "status": "in_stock", "registered": True, "issue": None,
                    "unit": None, "blacklisted_at": None, "door_taken_at": None, "notes": "",
                    "space": sc.space, "version": 1, "created_at": delivered,
                    "updated_at": delivered}
            cards.append(card)
            sc.cards.append(card)
        sc.batches.append((delivered, cards))


async def load(seed: int, sites: Sequence[Site], buildings: Sequence[Building],
               units: Sequence[Unit], residents: Sequence[Resident], staff: Sequence[Staff],
               now: datetime | None = None) -> dict[str, int]:
    """The card demo for the loaded estate; returns row counts."""
    rng = random.Random(seed * 37 + 10)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    by_name = {str(s.username): s for s in staff}
    second = Staff(id=_id(rng), username=SECOND_DESK[0], display_name=SECOND_DESK[1],
                   password_hash="", role="front_desk")
    await Staff.insert(second)
    await StaffSite.insert(StaffSite(id=_id(rng), staff=second.id, site=sites[1].id))
    ids = {**{name: str(s.id) for name, s in by_name.items()}, SECOND_DESK[0]: str(second.id),
           **await desk.night_desks(random.Random(seed * 43 + 14), sites)}
    zone = estate_zone()
    off_day = roster.off_day(now.astimezone(zone).date())

    def on_duty(n: int) -> Callable[[datetime], str]:
        """Who is at site ``n``'s desk at a moment (:mod:`server.demo.roster`)."""
        return lambda at: ids[roster.desk_at(n, at, zone, off_day)]

    policies, zones, quotas = [], [], []
    setups = []
    for n, site in enumerate(sites):
        space = space_of("card", str(site.id))
        quota, validity, fee, deposit = POLICIES[n]
        policies.append(CardPolicy(id=_id(rng), site=site.id, quota=quota,
                                   validity_days=validity, fee=fee, deposit=deposit,
                                   space=space, version=1))
        blocks = [b for b in buildings if str(b.site) == str(site.id)]
        codes = []
        for code, name, kind in _zones(site, blocks):
            codes.append(code)
            zones.append(CardZone(id=_id(rng), site=site.id, code=code, name=name, kind=kind,
                                  space=space, version=1))
        site_units = [u for u in units if str(u.site) == str(site.id)]
        sc = SiteCards(site_id=site.id, code=str(site.code), space=space, quota=quota,
                       validity=validity, fee=fee, deposit=deposit, zones=codes,
                       desk_at=on_duty(n), units=site_units)
        for u in rng.sample(site_units, 2):
            sc.quotas[str(u.id)] = quota + 2
            quotas.append(CardQuota(id=_id(rng), site=site.id, unit=u.id, quota=quota + 2,
                                    notes="大家庭，管理處已批准多發兩張卡", space=space, version=1))
        _stock(rng, n, site, now, sc)
        setups.append(sc)
    people: dict[str, list[Resident]] = {}
    for r in residents:
        people.setdefault(str(r.unit), []).append(r)
    h = cards_history.History(rng, now, people)
    for sc in setups:
        h.site(sc)
    h.pending_blacklist(setups[0])
    h.unregistered(setups[0])
    moved_out = h.moved_out(setups[0])
    await CardPolicy.insert(*policies)
    await CardZone.insert(*zones)
    await CardQuota.insert(*quotas)
    await bulk(Card, [c for sc in setups for c in sc.cards])
    await bulk(CardIssue, h.issues)
    await bulk(Conflict, h.conflicts)
    if moved_out:
        await Resident.update({Resident.active: False}).where(Resident.id.is_in(moved_out))
    await Blob.insert(*[Blob(sha256=sha, content_type="image/png", size=len(data), data=data,
                             uploaded_by=h.uploads.get(sha))
                        for sha, data in h.images if sha in h.uploads]).on_conflict(
        action="DO NOTHING")
    await BlobUpload.insert(*[BlobUpload(id=i, sha256=sha, staff=s)
                              for i, sha, s in h.upload_rows()]).on_conflict(
        action="DO NOTHING")
    return {"cards": sum(len(sc.cards) for sc in setups), "card_issues": len(h.issues),
            "card_zones": len(zones)}
