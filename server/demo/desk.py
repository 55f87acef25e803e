"""The demo estate's front-desk logs (來訪登記 / 放行條 / 交接班): eight weeks at both sites
(:mod:`server.demo.desk_history`, :mod:`server.demo.desk_flow`), written as the phones wrote
them (:mod:`server.demo.phones`, loaded with the keys' loans and the console's set pieces by
:mod:`server.demo.field`). This module makes the night desks (the cards demo calls it: the
desk on duty hands cards over), and says what the desk's phones start from: the units with
people living there now, and the images they name.

Each desk phone made a key pair (:func:`sync.domains.desk.passcode.new_key`) for each of its
sites and registered the public key; the private keys sign the demo's passes and are dropped.
The signatures are the demo's scribbles, the written authorisation the cards demo's letter.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import Any

from server.accounts.tables import Staff, StaffSite
from server.demo import cards_history, repairs_texts
from server.demo.desk_history import SiteDesk
from server.demo.desk_texts import NIGHT_DESKS
from server.estate.tables import Building, Resident, Site, Unit


def _id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def night_desks(rng: random.Random, sites: Sequence[Site]) -> dict[str, str]:
    """The desk's night shift at each site (no password: an administrator may give one):
    username -> staff id."""
    new = [(Staff(id=_id(rng), username=u, display_name=d, password_hash="", role="front_desk"),
            sites[i]) for u, d, i in NIGHT_DESKS]
    await Staff.insert(*[s for s, _site in new])
    await StaffSite.insert(*[StaffSite(id=_id(rng), staff=s.id, site=site.id)
                             for s, site in new])
    return {str(s.username): str(s.id) for s, _site in new}


def images() -> tuple[list[str], str, dict[str, bytes]]:
    """The desk people's signatures (one scribble each), the written authorisation, and
    every image a phone may name (the repairs' too) by sha256."""
    cards = cards_history.images()
    repairs = repairs_texts.images()
    scribbles = [*cards[:3], repairs["sign2"], repairs["sign9"]]
    letter = cards[3]
    return [sha for sha, _d in scribbles], letter[0], dict([*cards, *repairs.values()])


async def setups(sites: Sequence[Site], buildings: Sequence[Building],
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
