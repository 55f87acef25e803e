"""The IC-card domain's mutations and their rules — the authority. The desk phone runs its
copy (``web/static/app/cards/rules.js``) for its optimistic apply and its form checks;
``tests/parity`` runs generated sequences through both and fails on any difference. The
office's card pages and the stock import write through these same mutations.

A card is put in the site's stock (``card.stock``), handed to a person of a unit
(``card.issue``, :mod:`sync.domains.cards.issue`), reported lost (``card.report_lost``: 掛失,
blacklisted at once), returned (``card.return``: 退卡) or revoked (``card.revoke``); the door
system takes a blacklisted card (``card.door_taken``) and the office may lift a blacklisting
(``card.lift_blacklist``: its decision on an ``issued_while_lost`` conflict).

Rejection codes: already_exists, unknown_site, unknown_unit, unknown_resident, unknown_card,
unknown_issue, number_in_use, unknown_zone, issue_ended, card_not_blacklisted,
reason_required, wrong_unit (and the engine's invalid_args, unknown_blob, forbidden_role,
forbidden_site…). Conflict kinds: issued_while_lost, double_issue, quota_exceeded,
unregistered_card (and field_overwritten from corrections).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync.context import Context
from sync.domains.cards.common import (
    ALREADY_EXISTS,
    CARD_NOT_BLACKLISTED,
    CODES,
    ISSUE_ENDED,
    MESSAGES,
    NUMBER_IN_USE,
    OPEN,
    REASON_REQUIRED,
    SUPERVISORS,
    UNKNOWN_ISSUE,
    UNKNOWN_SITE,
    WRITERS,
    blacklist,
    blacklisted,
    card_of,
    end_issue,
    holder_after,
    open_issues,
    summary,
)
from sync.domains.cards.issue import (
    apply_issue,
    issue_check,
    issue_lookups,
    quota_of,
    quota_state,
)
from sync.domains.cards.records import (
    CARD,
    CARD_TYPE,
    END_REASONS,
    ISSUE,
    ISSUE_TYPE,
    STREAM,
)
from sync.errors import Reject
from sync.kit.args import arg, fields_arg, id_arg, record_args
from sync.kit.fields import Field
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Lookup

# --- card.stock / card.update ---------------------------------------------------------------

STOCK_FIELDS = ("site_id", "number", "uid", "technology", "batch", "notes")


def _stock(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in STOCK_FIELDS}
    existing = ctx.get(CARD, a.card_id)
    if existing is not None:
        if all(existing.data.get(f) == v for f, v in given.items()):
            return  # the same card put in again (a re-sent form, an import run twice)
        raise Reject(ALREADY_EXISTS, f"card {a.card_id} is already in the stock differently")
    site = ctx.get("site", a.site_id)
    if site is None or site.deleted:
        raise Reject(UNKNOWN_SITE, f"no site {a.site_id}", "site_id")
    for other in ctx.find(CARD, "number", a.number):
        if other.id != a.card_id and other.data.get("site_id") == a.site_id:
            raise Reject(NUMBER_IN_USE, f"another card of this site has the number {a.number}",
                         "number")
    ctx.insert(CARD, a.card_id, {
        **given, "status": "in_stock", "registered": True, "issue_id": None, "unit_id": None,
        "blacklisted_at": None, "door_taken_at": None}, lww=CARD_TYPE.lww)


def _update(ctx: Context, a: Any) -> None:
    ctx.correct(card_of(ctx, a.card_id), a.fields)


# --- card.report_lost -----------------------------------------------------------------------

def _report_lost(ctx: Context, a: Any) -> None:
    card = card_of(ctx, a.card_id)
    d = card.data
    if blacklisted(d):
        return  # already blacklisted: the first report stands
    issues = open_issues(ctx, "card_id", card.id)
    unseen = [r for r in issues if r.id != a.issue_id]
    notes = f"{a.reported_by}: {a.notes}" if a.reported_by and a.notes else \
        a.reported_by or a.notes
    for r in issues:
        if r.id == a.issue_id:
            end_issue(ctx, r, a.reported_at, "lost", notes)
    blacklist(ctx, card, "lost", a.reported_at)
    if unseen:
        # issued on another phone the reporting desk did not see: that issue stays open,
        # the card stays blacklisted until the office decides
        actor = ctx.actor
        ctx.conflict("issued_while_lost", record_type=CARD, record_ids=[card.id], details={
            "card_id": card.id, "number": d.get("number"), "status": "lost",
            "blacklisted_at": a.reported_at,
            "issues": [summary(r.id, r.data) for r in unseen],
            "report": {"staff_id": actor.staff_id, "reported_by": a.reported_by,
                       "notes": a.notes}},
            staff_ids=[*(r.data.get("issued_by") for r in unseen), actor.staff_id])


# --- card.return / card.revoke --------------------------------------------------------------

def _issue_of(ctx: Context, card_id: str, issue_id: str) -> Any:
    issue = ctx.get(ISSUE, issue_id)
    if issue is None or issue.data.get("card_id") != card_id:
        raise Reject(UNKNOWN_ISSUE, f"no issue {issue_id} of card {card_id}", "issue_id")
    if issue.data.get("ended_at") is not None:
        raise Reject(ISSUE_ENDED, f"issue {issue_id} has ended", "issue_id")
    return issue


def _return(ctx: Context, a: Any) -> None:
    card = card_of(ctx, a.card_id)
    issue = _issue_of(ctx, card.id, a.issue_id)
    end_issue(ctx, issue, a.returned_at, "returned", a.notes, a.deposit_refunded)
    if blacklisted(card.data):
        return  # a lost card brought back stays blacklisted until the office lifts it
    held = holder_after(card, open_issues(ctx, "card_id", card.id))
    ctx.update(card, {"status": "returned", **held})


def _revoke(ctx: Context, a: Any) -> None:
    card = card_of(ctx, a.card_id)
    if a.issue_id is not None:
        _issue_of(ctx, card.id, a.issue_id)
    if not a.reason:
        raise Reject(REASON_REQUIRED, "revoking a card needs a reason", "reason")
    for issue in open_issues(ctx, "card_id", card.id):
        end_issue(ctx, issue, a.revoked_at, "revoked", a.reason)
    blacklist(ctx, card, "revoked", a.revoked_at)


# --- card.door_taken / card.lift_blacklist --------------------------------------------------

def _door_taken(ctx: Context, a: Any) -> None:
    card = card_of(ctx, a.card_id)
    if not blacklisted(card.data):
        raise Reject(CARD_NOT_BLACKLISTED, f"card {a.card_id} is not blacklisted", "card_id")
    if card.data.get("door_taken_at") is None:
        ctx.update(card, {"door_taken_at": a.taken_at})


def _lift(ctx: Context, a: Any) -> None:
    card = card_of(ctx, a.card_id)
    if not blacklisted(card.data):
        raise Reject(CARD_NOT_BLACKLISTED, f"card {a.card_id} is not blacklisted", "card_id")
    if not a.reason:
        raise Reject(REASON_REQUIRED, "lifting a blacklisting needs a reason", "reason")
    ctx.update(card, {"status": "in_stock", "blacklisted_at": None, "door_taken_at": None,
                      **holder_after(card, open_issues(ctx, "card_id", card.id))})


# --- registration ---------------------------------------------------------------------------

CARD_SPACE = SpaceFrom("card_id", record=CARD)
SITE_SPACE = SpaceFrom("site_id", stream=STREAM)
REPLACE_REASON = Field("replace_reason", label="Why the old card is replaced", choices={
    "": "Not a replacement", "lost": END_REASONS["lost"], "damaged": END_REASONS["damaged"]})
REASON = Field("reason", text="multiline", max_length=500, label="Reason")
NOTES = Field("notes", text="multiline", max_length=1000, label="Notes")
MAYBE_ISSUE = Field("issue_id", "uuid", ref=ISSUE, nullable=True, label="Card issue")


def _at(name: str, label: str) -> Any:
    return arg(name, Field(name, "ts", label=label))


def _card_lookups(a: Any) -> list[Lookup]:
    return [Lookup(ISSUE, "card_id", a.card_id, OPEN)]


MUTATIONS: tuple[MutationSpec, ...] = (
    MutationSpec(
        name="card.stock", label="Card put in stock",
        args=(id_arg("card_id", CARD),
              *record_args(CARD_TYPE, "site_id", "number", uid="", technology="ic", batch="",
                           notes="")),
        space_from=(SITE_SPACE,),
        apply=_stock, roles=WRITERS, creates=((CARD, "card_id"),),
        lookups=lambda a: [Lookup(CARD, "number", a.number)],
        description="Put a card into the site's stock (the office's import too). Refused: "
                    "`already_exists` (the id with other content; identical = no-op), "
                    "`unknown_site`, `number_in_use` (another card of the site has the "
                    "number).",
    ),
    MutationSpec(
        name="card.update", label="Card corrected",
        args=(id_arg("card_id", CARD), fields_arg("fields", CARD_TYPE, CARD_TYPE.lww)),
        space_from=(CARD_SPACE,),
        apply=_update, roles=SUPERVISORS,
        description="Correct a card's chip UID, technology, batch or notes, field by field, "
                    "last writer wins by HLC; the losing value is kept in a "
                    "`field_overwritten` conflict. Refused: `unknown_card`.",
    ),
    MutationSpec(
        name="card.issue", label="Card issued",
        args=(id_arg("issue_id", ISSUE), id_arg("card_id", CARD),
              *record_args(ISSUE_TYPE, "site_id"), arg("number", CARD_TYPE.field("number")),
              arg("technology", CARD_TYPE.field("technology"), "ic"),
              *record_args(ISSUE_TYPE, "unit_id", "holder_name", "relation", "issued_at",
                           "valid_until", "signature_blob", resident_id=None, id_type="none",
                           id_last4="", authorisation_blob="", owner_confirmation="",
                           scope=[], fee=0, deposit=0, receipt_no="", replaces_issue_id=None),
              arg("replace_reason", REPLACE_REASON, "")),
        check=issue_check,
        space_from=(SITE_SPACE,),
        apply=apply_issue, roles=WRITERS,
        creates=((ISSUE, "issue_id"), (CARD, "card_id")),
        lookups=issue_lookups,
        follows=(("replaces_issue_id", "card_id"),),
        description="Hand a card to a person of a unit (the holder signs). Refused: "
                    "`already_exists` (the issue id with other details), `unknown_site`, "
                    "`unknown_unit`, `unknown_resident` (not of the unit), `unknown_zone` (a "
                    "scope code no active zone of the site has), `unknown_issue`/`wrong_unit` "
                    "(the replaced issue), `unknown_card` (the id names another card), "
                    "`invalid_args` (a proxy without letter or confirmation, valid until "
                    "before issued, a replacement without its reason…). A still-held "
                    "replaced issue ends and its card is blacklisted. Flagged, applied: "
                    "`unregistered_card` (a number the stock does not know), "
                    "`issued_while_lost` (the card is blacklisted: it stays so), "
                    "`double_issue` (the card is held), `quota_exceeded` (the unit's quota).",
    ),
    MutationSpec(
        name="card.report_lost", label="Reported lost",
        args=(id_arg("card_id", CARD), arg("issue_id", MAYBE_ISSUE, None),
              _at("reported_at", "Reported at"),
              arg("reported_by", Field("reported_by", max_length=120, label="Reported by",
                                       personal=True), ""),
              arg("notes", NOTES, "")),
        space_from=(CARD_SPACE,),
        apply=_report_lost, roles=WRITERS,
        lookups=_card_lookups,
        description="掛失: the card is blacklisted at once and the issue the phone saw ends "
                    "(lost). Already blacklisted: no-op (the first report stands). An open "
                    "issue the phone did not see stays open with an `issued_while_lost` "
                    "conflict. Refused: `unknown_card`.",
    ),
    MutationSpec(
        name="card.return", label="Card returned",
        args=(id_arg("card_id", CARD), id_arg("issue_id", ISSUE),
              _at("returned_at", "Returned at"),
              arg("deposit_refunded", replace(ISSUE_TYPE.field("deposit_refunded"),
                                              nullable=False, server=False), 0),
              arg("notes", NOTES, "")),
        space_from=(CARD_SPACE,),
        apply=_return, roles=WRITERS,
        lookups=_card_lookups,
        description="退卡: the holder hands the card back (deposit refunded); the card is "
                    "returned unless blacklisted (it stays so). Refused: `unknown_card`, "
                    "`unknown_issue` (not an issue of the card), `issue_ended`.",
    ),
    MutationSpec(
        name="card.revoke", label="Card revoked",
        args=(id_arg("card_id", CARD), arg("issue_id", MAYBE_ISSUE, None),
              arg("reason", REASON, ""), _at("revoked_at", "Revoked at")),
        space_from=(CARD_SPACE,),
        apply=_revoke, roles=WRITERS,
        lookups=_card_lookups,
        description="Withdraw a card (a resident moved out): its open issues end and it is "
                    "blacklisted. Refused: `unknown_card`, `unknown_issue`/`issue_ended` "
                    "(the issue named), `reason_required`.",
    ),
    MutationSpec(
        name="card.door_taken", label="Taken by the door system",
        args=(id_arg("card_id", CARD), _at("taken_at", "Taken at")),
        space_from=(CARD_SPACE,),
        apply=_door_taken, roles=SUPERVISORS,
        description="The door system has taken a blacklisted card (the office marks it, or "
                    "the integration acknowledges it); already taken: no-op. Refused: "
                    "`unknown_card`, `card_not_blacklisted`.",
    ),
    MutationSpec(
        name="card.lift_blacklist", label="Blacklist lifted",
        args=(id_arg("card_id", CARD), arg("reason", REASON, ""),
              _at("lifted_at", "Lifted at")),
        space_from=(CARD_SPACE,),
        apply=_lift, roles=SUPERVISORS,
        lookups=_card_lookups,
        description="The office's decision (on an `issued_while_lost` conflict, or a lost "
                    "card found): the card is issued again if an issue of it is open, else "
                    "in stock. Refused: `unknown_card`, `card_not_blacklisted`, "
                    "`reason_required`.",
    ),
)

__all__ = ["CODES", "MESSAGES", "MUTATIONS", "quota_of", "quota_state"]
