"""card.issue (IC卡領取登記表): a card handed to a person of a unit, at the desk, offline.

The card is the site's card with the printed number if there is one, else the card the
phone named (a new, unregistered one when the stock does not know the number yet: applied
with an ``unregistered_card`` conflict). What offline desks cannot see is applied and
flagged, never dropped: a card issued while another desk reported it lost stays blacklisted
(``issued_while_lost``), a card already held is held twice (``double_issue``), a unit past
its quota keeps the cards it was handed (``quota_exceeded``).

Conflict details (the office's review console and the phone show them):

* ``unregistered_card`` (card): ``card_id``, ``number``, ``issue_id``, ``unit_id``;
* ``issued_while_lost`` (card): ``card_id``, ``number``, ``status``, ``blacklisted_at``,
  ``issues`` (the open issues the blacklisting did not see), ``report`` (None here: the
  report came first; from card.report_lost: who recorded it, the reporter's words, notes);
* ``double_issue`` (issue): ``card_id``, ``number``, ``issues`` (the card's open issues, the
  new one last; an issue known only from the card's ``issue_id`` — a card the phone did not
  know by this id — has its id and unit alone);
* ``quota_exceeded`` (issue): ``unit_id``, ``quota``, ``issues`` (the unit's open issues).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from sync.context import Context
from sync.domains.cards.common import (
    ALREADY_EXISTS,
    ID_LAST4_EXACTLY,
    ID_LAST4_WITHOUT_TYPE,
    OPEN,
    PROXY_NEEDS_CONFIRMATION,
    PROXY_NEEDS_LETTER,
    REPLACE_NEEDS_REASON,
    UNKNOWN_CARD,
    UNKNOWN_ISSUE,
    UNKNOWN_RESIDENT,
    UNKNOWN_SITE,
    UNKNOWN_UNIT,
    UNKNOWN_ZONE,
    VALID_AFTER_ISSUE,
    WRONG_UNIT,
    blacklist,
    blacklisted,
    end_issue,
    open_issues,
    summary,
)
from sync.domains.cards.records import (
    CARD,
    CARD_TYPE,
    DEFAULT_QUOTA,
    ISSUE,
    POLICY,
    QUOTA,
    ZONE,
)
from sync.errors import Reject
from sync.kit.fields import Problem
from sync.storage import Lookup, Record

# the arguments an issue keeps as they were given
ISSUE_ARGS = ("site_id", "unit_id", "resident_id", "holder_name", "relation", "id_type",
              "id_last4", "authorisation_blob", "owner_confirmation", "scope", "valid_until",
              "fee", "deposit", "receipt_no", "signature_blob", "issued_at",
              "replaces_issue_id")


# --- the quota ------------------------------------------------------------------------------

def quota_of(policy: Mapping[str, Any] | None, override: Mapping[str, Any] | None) -> int:
    """The unit's card quota: its own override, else the site's policy, else the default."""
    if override is not None:
        return int(override.get("quota") or 0)
    if policy is not None:
        return int(policy.get("quota") or 0)
    return DEFAULT_QUOTA


class QuotaState(TypedDict):
    quota: int
    held: int  # open issues of the unit
    left: int
    full: bool


def quota_state(policy: Mapping[str, Any] | None, override: Mapping[str, Any] | None,
                held: int) -> QuotaState:
    """What the issue form shows before issuing ("2 of 4 cards")."""
    quota = quota_of(policy, override)
    return {"quota": quota, "held": held, "left": max(quota - held, 0), "full": held >= quota}


def _first(records: list[Record]) -> Record | None:
    """One record of several (the office keeps one; the lowest id if it kept more)."""
    return min(records, key=lambda r: r.id) if records else None


def unit_quota(ctx: Context, site_id: str, unit_id: str) -> int:
    policy = _first(ctx.find(POLICY, "site_id", site_id))
    override = _first(ctx.find(QUOTA, "unit_id", unit_id))
    return quota_of(policy.data if policy else None, override.data if override else None)


# --- the checks -----------------------------------------------------------------------------

def issue_check(a: Any) -> list[Problem]:
    problems = []
    if a.id_type == "none" and a.id_last4:
        problems.append(Problem("id_last4", ID_LAST4_WITHOUT_TYPE))
    elif a.id_type != "none" and len(a.id_last4) != 4:
        problems.append(Problem("id_last4", ID_LAST4_EXACTLY))
    if a.relation == "proxy":
        if not a.authorisation_blob:
            problems.append(Problem("authorisation_blob", PROXY_NEEDS_LETTER))
        if not a.owner_confirmation:
            problems.append(Problem("owner_confirmation", PROXY_NEEDS_CONFIRMATION))
    if a.valid_until <= a.issued_at:
        problems.append(Problem("valid_until", VALID_AFTER_ISSUE))
    if a.replaces_issue_id is not None and not a.replace_reason:
        problems.append(Problem("replace_reason", REPLACE_NEEDS_REASON))
    return problems


def issue_lookups(a: Any) -> list[Lookup]:
    out = [Lookup(CARD, "number", a.number), Lookup(ISSUE, "card_id", a.card_id, OPEN),
           Lookup(ISSUE, "unit_id", a.unit_id, OPEN), Lookup(POLICY, "site_id", a.site_id),
           Lookup(QUOTA, "unit_id", a.unit_id)]
    if a.scope:
        out.append(Lookup(ZONE, "site_id", a.site_id))
    return out


# --- the rule -------------------------------------------------------------------------------

def _site_card(ctx: Context, a: Any) -> Record | None:
    found = [c for c in ctx.find(CARD, "number", a.number) if c.data.get("site_id") == a.site_id]
    return _first(found)


def _same_issue(ctx: Context, existing: Record, a: Any) -> bool:
    d = existing.data
    if any(d.get(f) != getattr(a, f) for f in ISSUE_ARGS):
        return False
    card = _site_card(ctx, a)
    return d.get("card_id") in (a.card_id, card.id if card else None)


def _check_people(ctx: Context, a: Any) -> None:
    site = ctx.get("site", a.site_id)
    if site is None or site.deleted:
        raise Reject(UNKNOWN_SITE, f"no site {a.site_id}", "site_id")
    unit = ctx.get("unit", a.unit_id)
    if unit is None or unit.deleted or unit.data.get("site_id") != a.site_id:
        raise Reject(UNKNOWN_UNIT, f"no unit {a.unit_id} at this site", "unit_id")
    if a.resident_id is not None:
        resident = ctx.get("resident", a.resident_id)
        if resident is None or resident.deleted or resident.data.get("unit_id") != a.unit_id:
            raise Reject(UNKNOWN_RESIDENT, f"no resident {a.resident_id} of this unit",
                         "resident_id")


def _check_scope(ctx: Context, a: Any) -> None:
    if not a.scope:
        return
    zones = {z.data.get("code") for z in ctx.find(ZONE, "site_id", a.site_id)
             if not z.deleted and z.data.get("site_id") == a.site_id}
    for code in a.scope:
        if code not in zones:
            raise Reject(UNKNOWN_ZONE, f"no zone {code} at this site", "scope")


def _replace(ctx: Context, a: Any) -> None:
    """The issue this one replaces: of the same unit; still held, it ends now and its card
    is blacklisted."""
    if a.replaces_issue_id is None:
        return
    old = ctx.get(ISSUE, a.replaces_issue_id)
    if old is None:
        raise Reject(UNKNOWN_ISSUE, f"no issue {a.replaces_issue_id}", "replaces_issue_id")
    if old.data.get("unit_id") != a.unit_id:
        raise Reject(WRONG_UNIT, f"issue {a.replaces_issue_id} is another unit's",
                     "replaces_issue_id")
    if old.data.get("ended_at") is not None:
        return
    end_issue(ctx, old, a.issued_at, a.replace_reason, "")
    old_card = ctx.get(CARD, str(old.data.get("card_id")))
    if old_card is not None:
        blacklist(ctx, old_card, a.replace_reason, a.issued_at)


def _card(ctx: Context, a: Any) -> tuple[Record, bool]:
    """The card handed over, and whether the desk met it first (a new, unregistered card)."""
    card = _site_card(ctx, a)
    if card is not None:
        return card, False
    if ctx.get(CARD, a.card_id) is not None:
        raise Reject(UNKNOWN_CARD, f"card {a.card_id} is not number {a.number} of this site",
                     "card_id")
    return ctx.insert(CARD, a.card_id, {
        "site_id": a.site_id, "number": a.number, "uid": "", "technology": a.technology,
        "batch": "", "status": "issued", "registered": False, "issue_id": a.issue_id,
        "unit_id": a.unit_id, "blacklisted_at": None, "door_taken_at": None, "notes": "",
    }, lww=CARD_TYPE.lww), True


def _holders(ctx: Context, card: Record, a: Any) -> list[dict[str, Any]]:
    """The card's open issues before this one (not the one it replaces)."""
    if card.id == a.card_id:
        return [summary(r.id, r.data) for r in open_issues(ctx, "card_id", card.id)
                if r.id != a.replaces_issue_id]
    d = card.data  # known by its number only: its current issue is all the phone could say
    current = d.get("issue_id")
    if d.get("status") == "issued" and current and current != a.replaces_issue_id:
        return [{"issue_id": current, "card_id": card.id, "unit_id": d.get("unit_id"),
                 "holder_name": None, "relation": None, "issued_at": None, "issued_by": None}]
    return []


def apply_issue(ctx: Context, a: Any) -> None:
    existing = ctx.get(ISSUE, a.issue_id)
    if existing is not None:
        if _same_issue(ctx, existing, a):
            return  # the same form sent again
        raise Reject(ALREADY_EXISTS, f"issue {a.issue_id} already exists with other details")
    _check_people(ctx, a)
    _check_scope(ctx, a)
    _replace(ctx, a)
    card, new = _card(ctx, a)
    actor = ctx.actor
    data = {"card_id": card.id, **{f: getattr(a, f) for f in ISSUE_ARGS},
            "scope": list(a.scope), "issued_by": actor.staff_id,
            "issued_device": actor.device_id, "issued_hlc": ctx.hlc, "ended_at": None,
            "end_reason": "", "end_notes": "", "deposit_refunded": None, "ended_by": None}
    mine = summary(a.issue_id, data)
    d = card.data
    if new:
        ctx.insert(ISSUE, a.issue_id, data)
        ctx.conflict("unregistered_card", record_type=CARD, record_ids=[card.id], details={
            "card_id": card.id, "number": a.number, "issue_id": a.issue_id,
            "unit_id": a.unit_id}, staff_ids=[actor.staff_id])
    elif blacklisted(d):
        # another desk reported it lost (or it was revoked, damaged): it stays blacklisted
        # until the office decides
        ctx.insert(ISSUE, a.issue_id, data)
        ctx.update(card, {"issue_id": a.issue_id, "unit_id": a.unit_id})
        ctx.conflict("issued_while_lost", record_type=CARD, record_ids=[card.id], details={
            "card_id": card.id, "number": d.get("number"), "status": d.get("status"),
            "blacklisted_at": d.get("blacklisted_at"), "issues": [mine], "report": None},
            staff_ids=[actor.staff_id])
    else:
        held = _holders(ctx, card, a)
        ctx.insert(ISSUE, a.issue_id, data)
        ctx.update(card, {"status": "issued", "issue_id": a.issue_id, "unit_id": a.unit_id})
        if held:
            ctx.conflict("double_issue", record_type=ISSUE,
                         record_ids=[h["issue_id"] for h in held] + [a.issue_id],
                         details={"card_id": card.id, "number": d.get("number"),
                                  "issues": [*held, mine]},
                         staff_ids=[*(h["issued_by"] for h in held), actor.staff_id])
    _check_quota(ctx, a)


def _check_quota(ctx: Context, a: Any) -> None:
    quota = unit_quota(ctx, a.site_id, a.unit_id)
    issues = open_issues(ctx, "unit_id", a.unit_id)
    if len(issues) > quota:
        # two desks issued offline: the cards were handed over, the office decides
        ctx.conflict("quota_exceeded", record_type=ISSUE, record_ids=[r.id for r in issues],
                     details={"unit_id": a.unit_id, "quota": quota,
                              "issues": [summary(r.id, r.data) for r in issues]},
                     staff_ids=[r.data.get("issued_by") for r in issues])
