"""Payloads of the office's key pages (URL-encoded forms and query filters) and the labels of
stored codes (categories, borrower kinds, loan statuses), marked for translation.

Every form field is text with a default, so a half-filled form always decodes and the service
answers with a message next to each field instead of a bare 400."""

from __future__ import annotations

import msgspec

from server.lib.i18n import lazy
from sync.domains.keys.records import KEY_TYPE, LOAN_TYPE

PER_PAGE = 50

# the declared choices and their labels (sync/domains/keys/records.py)
KEY_CATEGORY_LABELS = dict(KEY_TYPE.field("category").choices)
BORROWER_KIND_LABELS = dict(LOAN_TYPE.field("borrower_kind").choices)
LOAN_STATUS_LABELS = {
    "out": lazy("Out"),
    "overdue": lazy("Overdue"),
    "returned": lazy("Returned"),
    "voided": lazy("Voided"),
}
RETIRED_FILTER_LABELS = {
    "active": lazy("In use"),
    "retired": lazy("Retired"),
    "all": lazy("All"),
}


# --- forms --------------------------------------------------------------------------------

class VoidForm(msgspec.Struct, kw_only=True):
    loan: str = ""  # the loan to void (a conflict may involve several)
    reason: str = ""


# --- filters (query strings) --------------------------------------------------------------

class LoanFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    status: str = ""  # "" | out | overdue | returned | voided
    date_from: str = ""  # YYYY-MM-DD, on lent_at, local time
    date_to: str = ""
    lent_by: str = ""
    q: str = ""  # key code / borrower
    review: str = ""  # a review state or "unreviewed" (server/lib/reviewed.py)
    page: int = 1
