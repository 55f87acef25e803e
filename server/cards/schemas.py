"""Payloads of the office's card pages (URL-encoded forms) and the labels of the codes they
show beside the declared ones (sync/domains/cards/records.py), marked for translation.

Every form field is text with a default, so a half-filled form always decodes and the
service answers with a message next to each field instead of a bare 400."""

from __future__ import annotations

from typing import Any

import msgspec

from server.lib.i18n import lazy
from sync.domains.cards.records import STATUSES

EXPIRING_DAYS = 30
MONTHS_SHOWN = 12

STATUS_FILTER_LABELS = {
    **STATUSES,
    "blacklisted": lazy("Blacklisted (lost, damaged or revoked)"),
}
EXPIRY_FILTER_LABELS = {
    "30": lazy("Expiring within 30 days"),
    "expired": lazy("Validity ended, still held"),
}
REGISTERED_FILTER_LABELS = {
    "no": lazy("Not in the stock register"),
    "yes": lazy("In the stock register"),
}
FIGURE_LABELS = (
    ("issued", lazy("Issued")), ("replaced", lazy("Replacements")),
    ("lost", lazy("Reported lost")), ("damaged", lazy("Damaged")),
    ("returned", lazy("Returned")), ("revoked", lazy("Revoked")),
)
STOCK_LABELS = (
    ("total", lazy("Cards")), ("in_stock", lazy("In stock")), ("issued", lazy("Issued")),
    ("blacklisted", lazy("Blacklisted")), ("returned", lazy("Returned")),
)
# a conflict's resolution written by this domain (the review pages show it translated)
BLACKLIST_LIFTED = "blacklist_lifted"
RESOLUTION_LABELS = {BLACKLIST_LIFTED: lazy("blacklist_lifted")}
REVOKE_MOVED_OUT = lazy("The resident has moved out.")


class LostForm(msgspec.Struct, kw_only=True):
    reported_by: str = ""
    notes: str = ""


class ReturnForm(msgspec.Struct, kw_only=True):
    deposit_refunded: str = ""
    notes: str = ""


class ReasonForm(msgspec.Struct, kw_only=True):
    reason: str = ""


class IssueForm(msgspec.Struct, kw_only=True):
    """The office's issue-a-card form (files come beside it, from the multipart body)."""

    once: str = ""  # the issue's id, chosen when the form was made (a re-sent form: one issue)
    site: str = ""
    unit: str = ""  # a unit id (from the unit's page), else site + unit_number
    unit_number: str = ""
    card_number: str = ""
    technology: str = "ic"
    resident: str = ""
    holder_name: str = ""
    relation: str = "owner"
    id_type: str = "none"
    id_last4: str = ""
    owner_confirmation: str = ""
    scope: list[str] = msgspec.field(default_factory=list)
    valid_until: str = ""  # YYYY-MM-DD, the last day the card opens doors
    fee: str = ""
    deposit: str = ""
    receipt_no: str = ""
    replaces: str = ""  # the issue this one replaces
    replace_reason: str = ""


def issue_form(data: dict[str, Any]) -> IssueForm:
    """The issue form from the submitted fields (a repeated name — ticked zones — as a list;
    anything malformed as text falls back to its default)."""
    values: dict[str, Any] = {}
    for name in IssueForm.__struct_fields__:
        raw = data.get(name)
        if raw is None:
            continue
        if name == "scope":
            values[name] = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if v]
        else:
            values[name] = str(raw[-1] if isinstance(raw, list) and raw else raw or "")
    return IssueForm(**values)
