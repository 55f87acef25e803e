"""What simulated desks do with IC cards in the convergence scenario (:mod:`sync.testing`)
and the parity cases (``tests/parity``), the records they start from, and how the end check
knows each card event a phone recorded was kept.

Two desks of one site share its stock: offline, both hand out the same card
(``double_issue``), one reports lost a card the other issues (``issued_while_lost``, in
either order), both fill a unit of a site that allows one card a unit (``quota_exceeded``),
and a number the stock does not know is met at the desk (``unregistered_card``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import streams
from sync.domains.cards.records import (
    BLACKLISTED,
    CARD,
    CARD_TYPE,
    ISSUE,
    POLICY,
    QUOTA,
    STREAM,
    ZONE,
)
from sync.storage import Record

KINDS = ("card_issue", "card_issue", "card_lost", "card_return", "card_office")
_NS = uuid.UUID("5d0c9b52-6e1f-4c3a-9a27-1b8e4f6d0c33")
RELATIONS = ("owner", "tenant", "household", "proxy")
ZONES = (("LOBBY", "大堂", "door"), ("CARPARK", "停車場", "car_park"))
STOCK = 5  # cards in each site's stock at the start


def scenario_id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


Row = tuple[str, str, str, dict[str, Any], bool]  # (type, id, stream, data, deleted)


def card_data(site: str, number: str, **over: Any) -> dict[str, Any]:
    return {"site_id": site, "number": number, "uid": "", "technology": "ic", "batch": "B1",
            "status": "in_stock", "registered": True, "issue_id": None, "unit_id": None,
            "blacklisted_at": None, "door_taken_at": None, "notes": "", **over}


def _set(site: str, quota: int) -> list[Row]:
    """One site's card set-up: a building of three units, the policy (``quota`` cards a
    unit), two zones and a stock of cards. (No unit's own quota: the server writes a
    set-up's tables in name order, a quota before the unit it names.)"""
    code = f"S{site[:3].upper()}"
    building = scenario_id(f"{site}:building")
    units = [scenario_id(f"{site}:unit{i}") for i in range(3)]
    out: list[Row] = [("building", building, "estate",
                       {"site_id": site, "code": "A", "name": "A座"}, False)]
    out += [("unit", u, "estate", {"site_id": site, "building_id": building,
                                   "number": f"A-{i + 1}", "floor": str(i + 1), "area": None,
                                   "use": "residential"}, False) for i, u in enumerate(units)]
    out += [
        (POLICY, scenario_id(f"{site}:policy"), STREAM, {
            "site_id": site, "quota": quota, "validity_days": 730, "fee": 50, "deposit": 100},
         False),
        *((ZONE, scenario_id(f"{site}:zone:{c}"), STREAM,
           {"site_id": site, "code": c, "name": name, "kind": kind}, False)
          for c, name, kind in ZONES),
        *((CARD, scenario_id(f"{site}:card{i}"), STREAM, card_data(site, f"{code}-{i:04d}"),
           False) for i in range(STOCK)),
    ]
    return out


def setup_records(sites: list[str], start: datetime) -> list[Record]:
    """What the office has set up before the desks start (the convergence scenario): the
    first site allows one card a unit, the others two."""
    early = f"{int(start.timestamp() * 1000) - 3_600_000:013d}-0000-000000000001"
    return [Record(t, i, streams.space(site, stream), 1, data, deleted=deleted,
                   field_hlc=dict.fromkeys(CARD_TYPE.lww, early) if t == CARD else {})
            for n, site in enumerate(sites)
            for t, i, stream, data, deleted in _set(site, 1 if n == 0 else 2)]


def parity_records(seed: Any) -> list[dict[str, Any]]:
    """The card set-up every parity case starts from (tests/parity/cases.py): site 1's
    policy (two cards a unit), a unit allowed one card, zones (one closed), a resident of each
    unit, and cards in every state — in stock, held, lost, returned, revoked and taken
    by the doors, lost while another desk's issue of it is still open — with their issues;
    site 2 without a policy (the default quota)."""
    s1, s2 = seed.sites
    u11, u12 = seed.units[s1]
    (u13,) = seed.units[s2]
    uid, rec = seed.uid, seed.rec
    desk = seed.actors[0].staff_id
    early = seed.early
    t = [(seed.t0 - timedelta(days=d)).isoformat() for d in range(5)]
    until = (seed.t0 + timedelta(days=700)).isoformat()

    def card(n: int, site: str, number: str, **over: Any) -> dict[str, Any]:
        return rec(CARD, uid(n), site, card_data(site, number, **over),
                   field_hlc=dict.fromkeys(CARD_TYPE.lww, early))

    def issue(n: int, site: str, card_n: int, unit: str, **over: Any) -> dict[str, Any]:
        return rec(ISSUE, uid(n), site, {
            "site_id": site, "card_id": uid(card_n), "unit_id": unit, "resident_id": None,
            "holder_name": "陳大文", "relation": "owner", "id_type": "hkid", "id_last4": "123A",
            "authorisation_blob": "", "owner_confirmation": "", "scope": ["LOBBY"],
            "valid_until": until, "fee": 50, "deposit": 100, "receipt_no": f"R{n}",
            "signature_blob": seed.blobs[0], "issued_at": t[4], "replaces_issue_id": None,
            "issued_by": desk, "issued_device": seed.actors[0].device_id, "issued_hlc": early,
            "ended_at": None, "end_reason": "", "end_notes": "", "deposit_refunded": None,
            "ended_by": None, **over})

    def zone(n: int, site: str, code: str, deleted: bool = False) -> dict[str, Any]:
        return rec(ZONE, uid(n), site, {"site_id": site, "code": code, "name": code.title(),
                                        "kind": "door"}, deleted=deleted)

    def resident(n: int, site: str, unit: str, deleted: bool = False) -> dict[str, Any]:
        return rec("resident", uid(n), site, {
            "site_id": site, "unit_id": unit, "name": "李小姐", "phone": "", "relation": "tenant",
            "id_type": "none", "id_last4": "", "notes": ""}, deleted=deleted)

    lost = {"ended_at": t[2], "end_reason": "lost", "ended_by": desk}
    return [
        rec(POLICY, uid(301), s1, {"site_id": s1, "quota": 2, "validity_days": 730,
                                   "fee": 50, "deposit": 100}),
        rec(QUOTA, uid(302), s1, {"site_id": s1, "unit_id": u11, "quota": 1, "notes": ""}),
        zone(303, s1, "LOBBY"), zone(304, s1, "CARPARK"), zone(305, s1, "OLDGATE", True),
        zone(306, s2, "GATE"),
        resident(307, s1, u11), resident(300, s1, u12), resident(309, s2, u13),
        card(311, s1, "HYG-0001"),
        card(312, s1, "HYG-0002", status="issued", issue_id=uid(321), unit_id=u11),
        card(313, s1, "HYG-0003", status="lost", issue_id=uid(322), unit_id=u12,
             blacklisted_at=t[2]),
        card(314, s1, "HYG-0004", status="issued", issue_id=uid(323), unit_id=u12),
        card(315, s1, "HYG-0005", status="returned", batch="B2"),
        card(316, s1, "HYG-0006", status="revoked", blacklisted_at=t[3], door_taken_at=t[2]),
        card(317, s1, "HYG-0007", status="lost", issue_id=uid(325), unit_id=u12,
             blacklisted_at=t[1]),
        card(320, s1, "HYG-0008", status="issued", issue_id=uid(327), unit_id=u12),
        card(310, s1, "HYG-0009", status="issued", issue_id=uid(328), unit_id=u11),
        card(308, s1, "HYG-0010", status="issued", issue_id=uid(329), unit_id=u12),
        card(318, s2, "JHT-0001"),
        card(319, s2, "JHT-0002", status="issued", issue_id=uid(326), unit_id=u13),
        issue(321, s1, 312, u11),
        issue(322, s1, 313, u12, **lost),
        issue(323, s1, 314, u12, relation="proxy", authorisation_blob=seed.named_blob,
              owner_confirmation="業主電話確認"),
        issue(324, s1, 315, u11, ended_at=t[3], end_reason="returned", ended_by=desk,
              deposit_refunded=100),
        issue(325, s1, 317, u12, issued_at=t[1]),  # issued while another desk reported it
        issue(326, s2, 319, u13),
        issue(327, s1, 320, u12, resident_id=uid(300)),
        issue(328, s1, 310, u11, resident_id=uid(307), relation="tenant"),
        issue(329, s1, 308, u12, relation="household"),
    ]


# --- the convergence scenario ---------------------------------------------------------------

def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _issue(ph: Any, a: int, b: int) -> None:
    site = ph.sites[a % len(ph.sites)]
    units = [u for u in ph.records("unit") if u.data.get("site_id") == site]
    if not units:
        return  # nothing pulled yet
    unit = units[b % len(units)]
    cards = [c for c in ph.records(CARD) if c.data.get("site_id") == site]
    free = [c for c in cards if c.data.get("status") in ("in_stock", "returned")]
    pool = free if free and b % 4 else cards
    if pool and b % 9:
        card_id, number = pool[a % len(pool)].id, pool[a % len(pool)].data["number"]
    else:  # a number the stock does not know (yet)
        card_id, number = ph.new_id(), f"N{b % 40:03d}"
    relation = RELATIONS[b % len(RELATIONS)]
    proxy = relation == "proxy"
    zones = sorted(z.data["code"] for z in ph.records(ZONE) if z.data.get("site_id") == site)
    scope = ["NOPE"] if b % 13 == 0 else zones[: b % 3]
    held = [i for i in ph.records(ISSUE)
            if i.data.get("unit_id") == unit.id and i.data.get("ended_at") is None]
    replace: dict[str, Any] = {}
    if held and b % 7 == 0:
        replace = {"replaces_issue_id": held[0].id,
                   "replace_reason": ("lost", "damaged")[a % 2]}
    now = ph.now()
    ph.mutate("card.issue", {
        "issue_id": ph.new_id(), "card_id": card_id, "site_id": site, "number": number,
        "unit_id": unit.id, "holder_name": f"住戶 {b % 30}", "relation": relation,
        "id_type": "hkid", "id_last4": f"{b % 10000:04d}",
        "authorisation_blob": ph.new_blob() if proxy else "",
        "owner_confirmation": "業主電話確認" if proxy else "", "scope": scope,
        "valid_until": _iso(now + timedelta(days=730)), "fee": 50, "deposit": 100,
        "receipt_no": f"R{b}", "signature_blob": ph.new_blob(), "issued_at": _iso(now),
        **replace})


def _office(ph: Any, cards: list[Record], a: int, b: int) -> None:
    card = cards[a % len(cards)] if cards else None
    at = _iso(ph.now())
    what = b % 5
    if what == 0 or card is None:
        site = ph.sites[a % len(ph.sites)]
        ph.mutate("card.stock", {"card_id": ph.new_id(), "site_id": site,
                                 "number": f"N{a % 40:03d}", "batch": "B2"})
    elif what == 1:
        fields: dict[str, Any] = ({"notes": f"note {a % 5}"}, {"batch": f"B{a % 3}"},
                                  {"uid": f"{a % 97:08X}"})[a % 3]
        ph.mutate("card.update", {"card_id": card.id, "fields": fields})
    elif what == 2:
        ph.mutate("card.revoke", {"card_id": card.id, "reason": "" if a % 4 == 0 else "已搬走",
                                  "revoked_at": at, "issue_id": card.data.get("issue_id")})
    elif what == 3:
        ph.mutate("card.door_taken", {"card_id": card.id, "taken_at": at})
    else:
        ph.mutate("card.lift_blacklist", {"card_id": card.id, "reason": "卡已尋回",
                                          "lifted_at": at})


def act(ph: Any, kind: str, a: int, b: int) -> None:
    """One step of a phone (``ph``: :class:`sync.testing.ScenarioPhone`)."""
    cards = ph.records(CARD)
    at = _iso(ph.now())
    if kind == "card_issue":
        _issue(ph, a, b)
    elif kind == "card_lost" and cards:
        card = cards[a % len(cards)]
        seen = card.data.get("issue_id") if card.data.get("status") == "issued" else None
        ph.mutate("card.report_lost", {"card_id": card.id, "issue_id": seen, "reported_at": at,
                                       "reported_by": "住戶來電", "notes": f"遺失 {b % 9}"})
    elif kind == "card_return":
        issues = ph.records(ISSUE)
        held = [i for i in issues if i.data.get("ended_at") is None]
        pool = held if held and b % 5 else issues
        if pool:
            issue = pool[a % len(pool)]
            ph.mutate("card.return", {"card_id": issue.data["card_id"], "issue_id": issue.id,
                                      "returned_at": at, "deposit_refunded": 100})
    elif kind == "card_office":
        _office(ph, cards, a, b)


def bad(ph: Any, a: int, b: int) -> None:
    """What an old or buggy app might send."""
    ph.mutate("card.issue", {"issue_id": ph.new_id(), "card_id": "not-a-uuid"}, validate=False)


def _blacklisted(status: Any) -> bool:
    return status in BLACKLISTED


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _ever(state: Any, card_id: str, field: str, test: Any) -> bool:
    """Whether some change of the card ever set ``field`` to a value ``test`` accepts."""
    return any(r.record_id == card_id and field in r.changes and test(r.changes[field][1])
               for r in state.audit)


def kept(name: str, a: dict[str, Any], where: str, records: dict[tuple[str, str], Record],
         state: Any, cid: str, mutation_id: int) -> list[str] | None:
    """Problems if a card event a phone recorded (and the server did not reject) is not
    stored; None for mutations of other domains."""
    if not name.startswith("card."):
        return None
    if name == "card.issue":
        issue = records.get((ISSUE, a["issue_id"]))
        if issue is None:
            return [f"{where}: issue missing"]
        same = issue.data["holder_name"] == a["holder_name"] and \
            _instant(issue.data["issued_at"]) == _instant(a["issued_at"])
        return [] if same else [f"{where}: issue differs"]
    if name == "card.return":
        issue = records.get((ISSUE, a["issue_id"]))
        ended = issue is not None and issue.data.get("ended_at") is not None
        return [] if ended else [f"{where}: return lost"]
    card = records.get((CARD, a["card_id"]))
    if card is None:
        return [f"{where}: card missing"]
    d = card.data
    if name == "card.report_lost" and not (
            d["status"] in BLACKLISTED or _ever(state, card.id, "status", _blacklisted)):
        return [f"{where}: report lost"]
    if name == "card.revoke" and not (
            d["status"] == "revoked" or _ever(state, card.id, "status", "revoked".__eq__)):
        return [f"{where}: revocation lost"]
    if name == "card.door_taken" and not (
            d["door_taken_at"] or _ever(state, card.id, "door_taken_at", bool)):
        return [f"{where}: door system's taking lost"]
    if name == "card.update":
        return _corrected(a, where, card, state, cid, mutation_id)
    return []


def _corrected(a: dict[str, Any], where: str, card: Record, state: Any, cid: str,
               mutation_id: int) -> list[str]:
    out = []
    for field, value in a["fields"].items():
        if card.data.get(field) == value:
            continue
        lost = any(c.kind == "field_overwritten" and c.details.get("client_id") == cid
                   and c.details.get("mutation_id") == mutation_id
                   and c.details["fields"].get(field, {}).get("lost") == value
                   for c in state.conflicts)
        before = any(r.record_id == card.id and field in r.changes
                     and r.changes[field][0] == value for r in state.audit)
        if not (lost or before):
            out.append(f"{where}: {field}={value!r} silently lost")
    return out
