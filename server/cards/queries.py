"""What the office reads about cards: a card's issues (who, when on the desk's clock and on
the server's), a unit's cards and quota ("2 of 4"), one issue with its signature and
receipt, the units to look up, and the cards of residents who have moved out. Scoped to the
user's sites like every office query (a row of another site is 404)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.tables import Card, CardIssue, CardPolicy, CardQuota, CardZone
from server.estate.tables import Resident, Unit
from server.lib import reviewed
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import (
    as_id,
    contains,
    device_names,
    json_value,
    local_time,
    now,
    plain,
    require_id,
    scope,
    site_and_sites,
    staff_names,
    to_datetime,
)
from server.review.queries import SKEW_LIMIT, history
from server.sync.tables import Conflict
from sync.domains.cards import rules
from sync.domains.cards.records import BLACKLISTED, DEFAULT_VALIDITY_DAYS, END_REASONS
from sync.domains.estate import ID_TYPE, RELATIONS

UNITS_SHOWN = 50


def as_moment(value: Any) -> datetime | None:
    return to_datetime(value)


async def conflicts_about(*record_ids: str) -> list[dict[str, Any]]:
    """Conflicts whose records include one of ``record_ids`` (a card and its issues; the
    JSON list searched as text: portable)."""
    ids = sorted({i for i in (as_id(r) for r in record_ids) if i})
    if not ids:
        return []
    where = " OR ".join("CAST(record_ids AS TEXT) LIKE {}" for _ in ids)
    rows = await Conflict.raw(
        "SELECT id, kind, status, created_at FROM sync_conflict "  # noqa: S608 - marks only
        f"WHERE {where} ORDER BY created_at", *(f"%{i}%" for i in ids))
    return [{**plain(r), "created": local_time(r["created_at"])} for r in rows]


async def issues_by_id(ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = await CardIssue.select(
        CardIssue.id, CardIssue.holder_name, CardIssue.valid_until, CardIssue.ended_at,
        CardIssue.relation, CardIssue.unit).where(CardIssue.id.is_in(wanted))
    return {str(r["id"]): plain(r) for r in rows}


async def decorate_issues(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names for the staff and devices, times as people read them (the desk's beside the
    server's receipt, flagged when they differ by more than five minutes), the office's
    review of each issue."""
    names = await staff_names([*(r["issued_by"] for r in rows), *(r["ended_by"] for r in rows)])
    devices = await device_names(r["issued_device"] for r in rows)
    cards = {str(c["id"]): c["number"] for c in await Card.select(Card.id, Card.number).where(
        Card.id.is_in(sorted({str(r["card"]) for r in rows})))} if rows else {}
    at = now()
    for r in rows:
        issued, received = to_datetime(r["issued_at"]), to_datetime(r["created_at"])
        r["card_number"] = cards.get(str(r["card"]), "")
        r["issued_by_name"] = names.get(str(r["issued_by"]), "")
        r["ended_by_name"] = names.get(str(r["ended_by"]), "")
        r["device_name"] = devices.get(str(r["issued_device"]), "")
        r["issued"] = local_time(issued, seconds=True)
        r["received"] = local_time(received, seconds=True)
        r["backdated"] = bool(issued and received and abs(received - issued) > SKEW_LIMIT)
        r["ended"] = local_time(r["ended_at"], seconds=True)
        r["valid"] = local_time(r["valid_until"])[:10]
        until = to_datetime(r["valid_until"])
        r["expired"] = r["ended_at"] is None and until is not None and until < at
        r["end_label"] = END_REASONS.get(str(r["end_reason"]), str(r["end_reason"]))
        r["relation_label"] = RELATIONS.get(str(r["relation"]), str(r["relation"]))
        r["scope"] = [str(z) for z in json_value(r["scope"]) or []]
    await reviewed.add_reviews("card_issue", rows)
    return rows


async def card_issues(card_id: str) -> list[dict[str, Any]]:
    rows = await CardIssue.select(
        *CardIssue.all_columns(), CardIssue.unit.number.as_alias("unit_number")).where(
        CardIssue.card == card_id).order_by(CardIssue.issued_at, ascending=False)
    return await decorate_issues([plain(r) for r in rows])


async def card_detail(user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
    """What a card's page shows under its form: its state, the holder now, every issue,
    the conflicts about it, what may be done and its history."""
    issues = await card_issues(str(row["id"]))
    current = next((i for i in issues if i["id"] == str(row.get("issue") or "")
                    and i["ended_at"] is None), None)
    status = str(row["status"])
    blacklisted = status in BLACKLISTED
    return {
        "issues": issues, "current": current, "blacklisted": blacklisted,
        "blacklisted_at": local_time(row.get("blacklisted_at"), seconds=True),
        "door_taken": local_time(row.get("door_taken_at"), seconds=True),
        "can_issue": status in ("in_stock", "returned"),
        "can_end": current is not None, "can_revoke": not blacklisted or current is not None,
        "can_lift": blacklisted and user.role in ("admin", "supervisor"),
        "conflicts": await conflicts_about(str(row["id"]), *(i["id"] for i in issues)),
        "history": await history("card", str(row["id"])),
        "action": "", "action_form": {}, "action_errors": {},
    }


async def visible_issue(user: CurrentUser, issue_id: str) -> dict[str, Any]:
    row = await CardIssue.select(
        *CardIssue.all_columns(), CardIssue.unit.number.as_alias("unit_number"),
        CardIssue.site.name.as_alias("site_name"), CardIssue.site.code.as_alias("site_code"),
    ).where(CardIssue.id == require_id(issue_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return (await decorate_issues([plain(row)]))[0]


async def issue_page(user: CurrentUser, issue_id: str) -> dict[str, Any]:
    """One issue (IC卡領取登記表): every field, the signature and the authorisation letter,
    the receipt, the issue it replaced and the one that replaced it, its history."""
    issue = await visible_issue(user, issue_id)
    card = await Card.select(Card.id, Card.number, Card.status, Card.issue,
                             Card.technology).where(Card.id == issue["card"]).first()
    zones = {z["code"]: z["name"] for z in await CardZone.select(
        CardZone.code, CardZone.name).where(CardZone.site == issue["site"])}
    later = await CardIssue.select(CardIssue.id).where(
        CardIssue.replaces_issue == issue["id"]).first()
    return {"issue": issue, "card": plain(card) if card else None,
            "zones": [zones.get(code, code) for code in issue["scope"]],
            "replaced_by": str(later["id"]) if later else "",
            "relation_label": RELATIONS.get(issue["relation"], issue["relation"]),
            "id_type_label": ID_TYPE.choices.get(issue["id_type"], issue["id_type"]),
            "conflicts": await conflicts_about(issue["id"]),
            "history": await history("card_issue", issue["id"])}


# --- a unit's cards and quota --------------------------------------------------------------

async def quota_of_unit(site: str, unit: str) -> dict[str, Any]:
    """The unit's quota (its override, else the site's policy, else the default) and how
    many cards it holds now, as the desk's form shows it: quota, held, left, full — and
    where the quota comes from (``unit``, ``site``, ``default``)."""
    policy = await CardPolicy.select(CardPolicy.quota).where(CardPolicy.site == site).first()
    override = await CardQuota.select(CardQuota.id, CardQuota.quota).where(
        CardQuota.unit == unit).first()
    held = await CardIssue.count().where((CardIssue.unit == unit) & CardIssue.ended_at.is_null())
    return {**rules.quota_state(policy, override, int(held)),
            "source": "unit" if override else "site" if policy else "default",
            "override_id": str(override["id"]) if override else ""}


async def visible_unit(user: CurrentUser, unit_id: str) -> dict[str, Any]:
    row = await Unit.select(
        Unit.id, Unit.number, Unit.site, Unit.active, Unit.building.code.as_alias(
            "building_code"), Unit.site.name.as_alias("site_name"),
        Unit.site.code.as_alias("site_code"),
    ).where(Unit.id == require_id(unit_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return plain(row)


async def unit_page(user: CurrentUser, unit_id: str) -> dict[str, Any]:
    unit = await visible_unit(user, unit_id)
    rows = await CardIssue.select(
        *CardIssue.all_columns(), CardIssue.unit.number.as_alias("unit_number")).where(
        CardIssue.unit == unit["id"]).order_by(CardIssue.issued_at, ascending=False)
    issues = await decorate_issues([plain(r) for r in rows])
    residents = {str(r["id"]): r for r in await Resident.select(
        Resident.id, Resident.active).where(Resident.unit == unit["id"])}
    for i in issues:
        resident = residents.get(str(i["resident"])) if i["resident"] else None
        i["moved_out"] = resident is not None and not resident["active"]
    cards = {str(c["id"]): plain(c) for c in await Card.select(
        Card.id, Card.status, Card.door_taken_at).where(
        Card.id.is_in(sorted({i["card"] for i in issues})))} if issues else {}
    for i in issues:
        i["card_status"] = cards.get(str(i["card"]), {}).get("status", "")
    return {"unit": unit, "quota": await quota_of_unit(unit["site"], unit["id"]),
            "held": [i for i in issues if i["ended_at"] is None],
            "past": [i for i in issues if i["ended_at"] is not None]}


async def units_page(user: CurrentUser, site: str, q: str) -> dict[str, Any]:
    """Units of a site matching a typed number, with the cards each holds now."""
    chosen, sites = await site_and_sites(user, site)
    q = " ".join(q.split())[:40]
    units: list[dict[str, Any]] = []
    if q:
        rows = await Unit.select(Unit.id, Unit.number, Unit.building.code.as_alias(
            "building_code")).where((Unit.site == chosen["id"]) & contains(Unit.number, q)
                                    ).order_by(Unit.number).limit(UNITS_SHOWN)
        units = [plain(r) for r in rows]
        held: dict[str, int] = {}
        if units:
            for r in await CardIssue.select(CardIssue.unit).where(
                    CardIssue.unit.is_in([u["id"] for u in units])
                    & CardIssue.ended_at.is_null()):
                held[str(r["unit"])] = held.get(str(r["unit"]), 0) + 1
        for u in units:
            u["held"] = held.get(u["id"], 0)
    return {"site": chosen, "sites": sites, "q": q, "units": units, "limit": UNITS_SHOWN}


# --- residents who moved out ---------------------------------------------------------------

async def to_revoke(user: CurrentUser, site: str = "") -> list[dict[str, Any]]:
    """Cards still held by residents the office has deactivated (moved out), or held for a
    unit that is no longer active: the office revokes them."""
    where = scope(CardIssue.site, user, site)
    if where is False:
        return []
    gone = Resident.select(Resident.id).where(Resident.active.eq(False))
    closed = Unit.select(Unit.id).where(Unit.active.eq(False))
    clause = CardIssue.ended_at.is_null() & (
        CardIssue.resident.is_in(gone) | CardIssue.unit.is_in(closed))
    rows = await CardIssue.select(
        *CardIssue.all_columns(), CardIssue.unit.number.as_alias("unit_number"),
        CardIssue.site.code.as_alias("site_code"),
    ).where(clause if where is None else where & clause).order_by(CardIssue.issued_at)
    return await decorate_issues([plain(r) for r in rows])


# --- the issue form's pickers --------------------------------------------------------------

async def issue_choices(site: str, unit: str | None) -> dict[str, Any]:
    """The unit's active residents, the site's active zones and its policy's defaults."""
    residents = [] if unit is None else [plain(r) for r in await Resident.select(
        Resident.id, Resident.name, Resident.relation, Resident.id_type, Resident.id_last4,
    ).where((Resident.unit == unit) & Resident.active.eq(True)).order_by(Resident.name)]
    zones = [plain(z) for z in await CardZone.select(
        CardZone.code, CardZone.name, CardZone.kind).where(
        (CardZone.site == site) & CardZone.active.eq(True)).order_by(CardZone.code)]
    policy = await CardPolicy.select().where(CardPolicy.site == site).first()
    return {"residents": residents, "zones": zones,
            "validity_days": int(policy["validity_days"]) if policy
            else DEFAULT_VALIDITY_DAYS,
            "fee": float(policy["fee"]) if policy else 0.0,
            "deposit": float(policy["deposit"]) if policy else 0.0}
