"""Blacklist entries taken by the door system: the office marks one by hand, or a controller
acknowledges them through the feed — both through ``card.door_taken``, the same mutation,
rule, versions and audit as every other write (:func:`server.sync.office.apply`).

**Who.** A controller's acknowledgement acts as a fixed system identity: the staff row
:data:`DOOR_ID` (user name ``system:door``, which no sign-in form accepts; inactive, no
password), created the first time it is needed, an administrator of the controller's one
site only. The audit shows its name; the controller token that acknowledged is audited
beside it (``door.ack`` on the token) in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.accounts.staff_list import SYSTEM_PREFIX
from server.accounts.tables import Staff
from server.cards.door_state import blacklisted
from server.cards.door_tokens import RECORD_TYPE, Controller
from server.cards.tables import Card
from server.db import is_integrity_error
from server.lib.errors import Forbidden, NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, now, require_id
from server.review import queries as review_queries
from server.review.service import audit
from server.sync import office
from sync.context import iso
from sync.domains.cards.common import CARD_NOT_BLACKLISTED
from sync.domains.cards.records import STREAM
from sync.engine import OfficeResult
from sync.errors import Reject
from sync.kit import text
from sync.streams import space

DOOR_TAKEN = "card.door_taken"
NOT_BLACKLISTED = CARD_NOT_BLACKLISTED
DOOR_ID = "0267e969-9bc5-55cf-b6bd-62a4d0e27fd2"  # uuid5(URL, "caretaker:system:door")
DOOR_USERNAME = f"{SYSTEM_PREFIX}door"
DOOR_NAME = "門禁系統 (door system)"
MAX_ACK = 1000
ACK = "door.ack"


async def door_user(site_id: str) -> CurrentUser:
    """The door system as an office user of one site; its staff row made on first use."""
    if not await Staff.exists().where(Staff.id == DOOR_ID):
        try:
            await Staff.insert(Staff(id=uuid.UUID(DOOR_ID), username=DOOR_USERNAME,
                                     display_name=DOOR_NAME, password_hash="",
                                     role="admin", active=False))
        except Exception as exc:  # another worker made it first
            if not is_integrity_error(exc):
                raise
    return CurrentUser(id=DOOR_ID, username=DOOR_USERNAME, display_name=DOOR_NAME,
                       role="admin", site_ids=(site_id,))


def _taken(card_id: str, at: datetime) -> tuple[str, dict[str, Any]]:
    return DOOR_TAKEN, {"card_id": card_id, "taken_at": iso(at)}


# --- the office ----------------------------------------------------------------------------

async def mark_taken(user: CurrentUser, card_id: str) -> str:
    """The office marks a blacklisted card as taken by the door system; the card's site."""
    row = await Card.select(Card.id, Card.site, Card.space).where(
        Card.id == require_id(card_id)).first()
    if row is None or row["space"] not in review_queries.readable(user):
        raise NotFound(_("Not found."))
    try:
        await office.apply(user, [_taken(str(row["id"]), now())])
    except Reject as r:
        message = (_("This card is no longer blacklisted.") if r.code == NOT_BLACKLISTED
                   else r.reason)
        raise ValidationFailed(message, detail={"form": message}) from None
    return str(row["site"])


# --- the controllers' acknowledgement ------------------------------------------------------

class AckRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Blacklist entries the door system has taken: card ids and/or card numbers."""

    ids: list[str] = msgspec.field(default_factory=list)
    numbers: list[str] = msgspec.field(default_factory=list)


def _wanted(body: AckRequest) -> tuple[list[str], list[str]]:
    if not body.ids and not body.numbers:
        raise ValidationFailed(_("Name at least one card: ids or numbers."), code="no_cards")
    if len(body.ids) + len(body.numbers) > MAX_ACK:
        raise ValidationFailed(_("At most {n} cards per acknowledgement.", n=MAX_ACK),
                               code="too_many_cards")
    ids = []
    for raw in body.ids:
        found = as_id(raw)
        if found is None or found != raw:
            raise ValidationFailed(_("A card id must be a lowercase UUID with dashes."),
                                   code="bad_id", detail={"id": raw[:40]})
        ids.append(found)
    numbers = []
    for raw in body.numbers:
        if not raw or len(raw) > 40 or text.forbidden(raw, "code"):
            raise ValidationFailed(_("Not a card number."), code="bad_number",
                                   detail={"number": raw[:40]})
        numbers.append(text.normalize(raw, "code"))
    return sorted(set(ids)), sorted(set(numbers))


async def _cards(site_id: str, ids: Sequence[str], numbers: Sequence[str]
                 ) -> list[dict[str, Any]]:
    """The cards named, all of the controller's site (403 for any other's, 404 for none)."""
    columns = (Card.id, Card.site, Card.number, Card.status, Card.door_taken_at)
    by_id = list(await Card.select(*columns).where(Card.id.is_in(list(ids)))) if ids else []
    if any(str(r["site"]) != site_id for r in by_id):
        raise Forbidden(_("This token may only acknowledge cards of its own site."))
    by_number = list(await Card.select(*columns).where(
        (Card.site == site_id) & Card.number.is_in(list(numbers)))) if numbers else []
    unknown_ids = sorted(set(ids) - {str(r["id"]) for r in by_id})
    unknown_numbers = sorted(set(numbers) - {r["number"] for r in by_number})
    if unknown_ids or unknown_numbers:
        raise NotFound(_("No such card at this site."), code="unknown_card",
                       detail={"ids": unknown_ids, "numbers": unknown_numbers})
    return list({str(r["id"]): r for r in [*by_id, *by_number]}.values())


async def _apply(controller: Controller, user: CurrentUser, card_ids: list[str],
                 at: datetime, numbers: dict[str, str]) -> tuple[list[str], list[str]]:
    """Apply ``card.door_taken`` to ``card_ids``: (taken, no longer blacklisted)."""

    def audited(done: list[str]) -> Callable[[OfficeResult], Awaitable[None]]:
        async def then(result: OfficeResult) -> None:
            cards_space = space(controller.site_id, STREAM)
            await audit(user, RECORD_TYPE, controller.id, cards_space,
                        result.versions.get(cards_space, 0), ACK,
                        {"cards": (None, sorted(numbers[c] for c in done))})
        return then

    try:
        await office.apply(user, [_taken(c, at) for c in card_ids], then=audited(card_ids))
        return card_ids, []
    except Reject as r:
        if r.code != NOT_BLACKLISTED:
            raise
    taken, lifted = [], []  # one of them was lifted meanwhile: one by one
    for c in card_ids:
        try:
            await office.apply(user, [_taken(c, at)], then=audited([c]))
            taken.append(c)
        except Reject as r:
            if r.code != NOT_BLACKLISTED:
                raise
            lifted.append(c)
    return taken, lifted


async def ack(controller: Controller, body: AckRequest) -> dict[str, list[str]]:
    """The door system has taken these blacklist entries. Per card number: ``taken`` now,
    ``already_taken`` before, or ``not_blacklisted`` (never blacklisted, or lifted since)."""
    ids, numbers = _wanted(body)
    rows = await _cards(controller.site_id, ids, numbers)
    at = now()
    number_of = {str(r["id"]): r["number"] for r in rows}
    pending, already, not_blacklisted = [], [], []
    for r in rows:
        if not blacklisted(r["status"]):
            not_blacklisted.append(str(r["id"]))
        elif r["door_taken_at"] is not None:
            already.append(str(r["id"]))
        else:
            pending.append(str(r["id"]))
    taken: list[str] = []
    if pending:
        user = await door_user(controller.site_id)
        taken, lifted = await _apply(controller, user, sorted(pending), at, number_of)
        not_blacklisted += lifted
    return {"taken": sorted(number_of[c] for c in taken),
            "already_taken": sorted(number_of[c] for c in already),
            "not_blacklisted": sorted(number_of[c] for c in not_blacklisted)}
