"""What the card rules share: who may act, the rejection codes and check messages, and the
reads and writes every rule makes (a card, its open issues, ending an issue, blacklisting).

Times are compared as the stored UTC ISO strings (one format: the order of the text is the
order of the moments), on both sides; lists of issues are sorted by (issued_at, id) so the
server and the phone name them in the same order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.context import Context
from sync.domains.cards.records import BLACKLISTED, CARD, ISSUE, ISSUE_TYPE
from sync.errors import Reject
from sync.storage import Record

WRITERS = frozenset({"admin", "supervisor", "front_desk"})
SUPERVISORS = frozenset({"admin", "supervisor"})

# rejection codes of this domain
ALREADY_EXISTS = "already_exists"
UNKNOWN_SITE = "unknown_site"
UNKNOWN_UNIT = "unknown_unit"
UNKNOWN_RESIDENT = "unknown_resident"
UNKNOWN_CARD = "unknown_card"
UNKNOWN_ISSUE = "unknown_issue"
NUMBER_IN_USE = "number_in_use"
UNKNOWN_ZONE = "unknown_zone"
ISSUE_ENDED = "issue_ended"
CARD_NOT_BLACKLISTED = "card_not_blacklisted"
REASON_REQUIRED = "reason_required"
WRONG_UNIT = "wrong_unit"
CODES = (ALREADY_EXISTS, UNKNOWN_SITE, UNKNOWN_UNIT, UNKNOWN_RESIDENT, UNKNOWN_CARD,
         UNKNOWN_ISSUE, NUMBER_IN_USE, UNKNOWN_ZONE, ISSUE_ENDED, CARD_NOT_BLACKLISTED,
         REASON_REQUIRED, WRONG_UNIT)

# messages of the cross-field checks (English ids of the catalogs); the ID ones are the key
# loan's words (one message id, one translation)
ID_LAST4_WITHOUT_TYPE = "Choose the ID type, or leave the last 4 characters empty."
ID_LAST4_EXACTLY = "Enter exactly the last 4 characters of the ID."
PROXY_NEEDS_LETTER = "A proxy needs a photo of the owner's authorisation letter."
PROXY_NEEDS_CONFIRMATION = "A proxy needs the owner's confirmation by phone."
VALID_AFTER_ISSUE = "The card must be valid after the day it is issued."
REPLACE_NEEDS_REASON = "Say why the old card is replaced: lost or damaged."
MESSAGES = (ID_LAST4_WITHOUT_TYPE, ID_LAST4_EXACTLY, PROXY_NEEDS_LETTER,
            PROXY_NEEDS_CONFIRMATION, VALID_AFTER_ISSUE, REPLACE_NEEDS_REASON)

# an issue still held: what the lookups of open issues load (never a card's whole history)
OPEN = ISSUE_TYPE.open_when


def blacklisted(d: Mapping[str, Any]) -> bool:
    """Whether a card's data says it must not open any door."""
    return d.get("status") in BLACKLISTED


def card_of(ctx: Context, card_id: str) -> Record:
    card = ctx.get(CARD, card_id)
    if card is None:
        raise Reject(UNKNOWN_CARD, f"no card {card_id}", "card_id")
    return card


def _issued_order(rec: Record) -> tuple[str, str]:
    return str(rec.data.get("issued_at") or ""), rec.id


def open_issues(ctx: Context, field: str, value: str) -> list[Record]:
    """The open issues whose ``field`` is ``value`` (a card's, a unit's), oldest first; the
    lookup of the same field and value must be declared by the mutation."""
    found = [r for r in ctx.find(ISSUE, field, value) if ISSUE_TYPE.is_open(r.data)]
    return sorted(found, key=_issued_order)


def summary(issue_id: str, d: Mapping[str, Any]) -> dict[str, Any]:
    """An issue as a conflict's details name it."""
    return {"issue_id": issue_id, "card_id": d.get("card_id"), "unit_id": d.get("unit_id"),
            "holder_name": d.get("holder_name"), "relation": d.get("relation"),
            "issued_at": d.get("issued_at"), "issued_by": d.get("issued_by")}


def end_issue(ctx: Context, issue: Record, at: str, reason: str, notes: str,
              refunded: float | None = None) -> Record:
    """The issue ends now (lost, damaged, returned, revoked) by the acting person."""
    return ctx.update(issue, {"ended_at": at, "end_reason": reason, "end_notes": notes,
                              "deposit_refunded": refunded, "ended_by": ctx.actor.staff_id})


def blacklist(ctx: Context, card: Record, status: str, at: str) -> Record:
    """The card stops opening doors: a blacklisted card keeps its first blacklisting (and
    the door system's taking of it), changing only its status."""
    if blacklisted(card.data):
        return ctx.update(card, {"status": status})
    return ctx.update(card, {"status": status, "blacklisted_at": at, "door_taken_at": None})


def holder_after(card: Record, remaining: list[Record]) -> dict[str, Any]:
    """Who holds a card once an issue of it ended or its blacklisting is lifted: its current
    issue if still open, else the latest open one (status ``issued``), else nobody (the
    caller's status: ``returned`` after a return, ``in_stock`` after a lift)."""
    if not remaining:
        return {"issue_id": None, "unit_id": None}
    current = card.data.get("issue_id")
    held = next((r for r in remaining if r.id == current), remaining[-1])
    return {"status": "issued", "issue_id": held.id, "unit_id": held.data.get("unit_id")}
