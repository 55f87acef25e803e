"""The office's actions on a card — report it lost (掛失), take it back (退卡), revoke it,
lift its blacklist — through the desk's own mutations and rules (:mod:`server.sync.office`:
``card.report_lost``, ``card.return``, ``card.revoke``, ``card.lift_blacklist``), so the
office and the phones obey the same rules. From an ``issued_while_lost`` conflict, lifting
the blacklist resolves that conflict in the same transaction.

Each action raises :class:`ValidationFailed` (``detail`` = field -> message) or
:class:`NotFound`; the ``submit_*`` wrappers turn that into the card's page again with the
messages beside the form that was sent (nothing stored then)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.lists import CARD_LIST, load_card
from server.cards.schemas import BLACKLIST_LIFTED
from server.cards.tables import CardIssue
from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, json_value, now
from server.refdata import service as ref_service
from server.refdata.forms import parse
from server.review import queries as review_queries
from server.review.service import Outcome, mark_resolved, open_conflict
from server.sync import office
from sync.context import iso
from sync.domains.cards.records import ISSUE_TYPE
from sync.engine import OfficeResult
from sync.errors import Reject


def refusal(r: Reject) -> dict[str, str]:
    """A rule's refusal in the office's words: field -> message."""
    messages = {
        "reason_required": ("reason", _("Required.")),
        "card_not_blacklisted": ("form", _("This card is not blacklisted.")),
        "issue_ended": ("form", _("This card's issue has already ended.")),
        "unknown_issue": ("form", _("This card is not issued to anyone now.")),
        "unknown_card": ("form", _("Not found.")),
    }
    field, text = messages.get(r.code, (r.field or "form", r.reason))
    return {field: text}


async def run(user: CurrentUser, name: str, args: Mapping[str, Any],
              fields: Mapping[str, str] | None = None, then: office.Then | None = None) -> None:
    """Check a mutation's arguments (every problem at once), then apply it."""
    _decoded, problems = office.check(name, args)
    if problems:
        errors = office.translated(problems, fields)
        raise ValidationFailed(next(iter(errors.values())), detail=errors)
    try:
        await office.apply(user, [(name, args)], then=then)
    except Reject as r:
        errors = refusal(r)
        raise ValidationFailed(next(iter(errors.values())), detail=errors) from None


async def _current(card: Mapping[str, Any]) -> str | None:
    """The card's current issue when it is still held (what the office sees)."""
    issue = as_id(card.get("issue"))
    if issue is None:
        return None
    held = await CardIssue.exists().where((CardIssue.id == issue)
                                          & CardIssue.ended_at.is_null())
    return issue if held else None


async def report_lost(user: CurrentUser, card_id: str, reported_by: str, notes: str) -> str:
    """掛失: the card is blacklisted at once; its current issue ends ("lost")."""
    card = await load_card(user, card_id)
    await run(user, "card.report_lost", {
        "card_id": card["id"], "issue_id": await _current(card), "reported_at": iso(now()),
        "reported_by": reported_by, "notes": notes})
    return str(card["id"])


async def return_card(user: CurrentUser, card_id: str, deposit_refunded: str,
                      notes: str) -> str:
    """退卡: the holder hands the card back; the deposit refunded is recorded."""
    card = await load_card(user, card_id)
    issue = await _current(card)
    if issue is None:
        message = _("This card is not issued to anyone now.")
        raise ValidationFailed(message, detail={"form": message})
    amount, problem = parse(ISSUE_TYPE.field("deposit_refunded"), deposit_refunded)
    if problem is not None:
        message = _(problem.message, **problem.params)
        raise ValidationFailed(message, detail={"deposit_refunded": message})
    await run(user, "card.return", {
        "card_id": card["id"], "issue_id": issue, "returned_at": iso(now()),
        "deposit_refunded": amount or 0, "notes": notes})
    return str(card["id"])


async def revoke(user: CurrentUser, card_id: str, reason: str) -> str:
    """The office withdraws the card (a resident moved out): blacklisted, its issue ends."""
    card = await load_card(user, card_id)
    await run(user, "card.revoke", {
        "card_id": card["id"], "issue_id": await _current(card), "reason": reason,
        "revoked_at": iso(now())})
    return str(card["id"])


async def lift_blacklist(user: CurrentUser, card_id: str, reason: str, *,
                         conflict_id: str | None = None) -> str:
    """The office's decision that a blacklisted card may open doors again (a supervisor's,
    with a reason). Given a ``conflict_id`` about this card, that conflict is resolved as
    ``blacklist_lifted`` with the reason as its note, in the same transaction."""
    card = await load_card(user, card_id)
    conflict = await open_conflict(user, conflict_id) if conflict_id else None
    if conflict is not None and not _concerns(conflict, card):
        message = _("This conflict is not about this card.")
        raise ValidationFailed(message, detail={"form": message})

    async def resolve(result: OfficeResult) -> None:
        if conflict is not None:
            # under the space's lock: the conflict is still open, and takes the same version
            still = await open_conflict(user, str(conflict["id"]))
            await mark_resolved(user, still, BLACKLIST_LIFTED, reason,
                                result.versions[still["space"]])

    await run(user, "card.lift_blacklist", {"card_id": card["id"], "reason": reason,
                                             "lifted_at": iso(now())}, then=resolve)
    return str(card["id"])


def _concerns(conflict: Mapping[str, Any], card: Mapping[str, Any]) -> bool:
    ids = {str(i) for i in json_value(conflict["record_ids"]) or []}
    details = json_value(conflict["details"]) or {}
    named = {str(details.get(k)) for k in ("card_id", "card") if isinstance(details, dict)}
    return str(card["id"]) in ids | named or (
        card.get("issue") is not None and str(card["issue"]) in ids)


# --- form wrappers (field errors re-render the page they came from) -------------------------

async def card_page(user: CurrentUser, card_id: str, action: str = "",
                    form: Mapping[str, Any] | None = None,
                    errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The card's page (the register's detail page), with a sent action form and its
    errors when there are some."""
    context = await ref_service.detail_page(CARD_LIST, user, card_id)
    context.update(action=action, action_form=dict(form or {}),
                   action_errors=dict(errors or {}))
    return context


async def attempt(user: CurrentUser, card_id: str, action: str, form: Mapping[str, Any],
                  work: Awaitable[str]) -> Outcome:
    try:
        done = await work
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        return Outcome(errors=errors, context=await card_page(user, card_id, action, form,
                                                              errors))
    return Outcome(id=done)


async def submit_conflict_lift(user: CurrentUser, conflict_id: str, card_id: str,
                               reason: str) -> Outcome:
    """Lift the blacklist of a card from its conflict's page (the page again on errors)."""
    try:
        if as_id(card_id) is None:
            message = _("Choose the card of this conflict.")
            raise ValidationFailed(message, detail={"card": message})
        await lift_blacklist(user, card_id, reason, conflict_id=conflict_id)
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        context = await review_queries.conflict_page(user, conflict_id)
        return Outcome(errors=errors, context={**context, "lift_form": {"reason": reason}})
    return Outcome(id=conflict_id)
