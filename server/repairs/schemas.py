"""Payloads of the office's repair pages (query strings and URL-encoded forms) and the labels
of the codes they show beside the declared ones (``sync/domains/repairs/records.py``),
marked for translation.

Every form field is text with a default, so a half-filled form always decodes and the
service answers with a message next to each field instead of a bare 400."""

from __future__ import annotations

import msgspec

from server.lib.i18n import lazy
from sync.domains.repairs.records import STATES

MONTHS_SHOWN = 12
# a key lent for a request and no visit recorded this long after: an exception
KEY_WITHOUT_VISIT_HOURS = 2
DEFAULT_CURRENCY = "HKD"

# the board's tabs: every state, the open ones together and the overdue ones
STATE_TABS = {
    "open": lazy("Still open"),
    "overdue": lazy("Past deadline"),
    **STATES,
}


class BoardFilters(msgspec.Struct, kw_only=True):
    """The request board's filters (also the export's)."""

    site: str = ""
    state: str = ""
    category: str = ""
    urgency: str = ""
    technician: str = ""
    building: str = ""
    unit: str = ""
    q: str = ""
    review: str = ""  # a review state or "unreviewed" (server/lib/reviewed.py)
    page: int = 1


class FollowUpFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    show: str = "due"  # due | overdue | done
    review: str = ""  # as the board's


class AssignForm(msgspec.Struct, kw_only=True):
    assignee: str = ""
    appointment: str = ""  # YYYY-MM-DDTHH:MM, the estate's time


class CloseForm(msgspec.Struct, kw_only=True):
    reason: str = ""


class ReportForm(msgspec.Struct, kw_only=True):
    """A request logged at the office (a resident called the management office)."""

    once: str = ""
    site: str = ""
    unit_number: str = ""
    area: str = ""
    category: str = "other"
    urgency: str = "normal"
    complaint: str = ""
    description: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_pref: str = "call_first"
    source: str = "office"


FOLLOW_UP_TABS = {
    "due": lazy("To call"),
    "overdue": lazy("Call overdue"),
    "done": lazy("Done"),
    # rated C (不滿意): the request reopened and not yet done again, an exception
    "unsatisfied": lazy("Rated C, still reopened"),
}
CHAIN_KINDS = {
    "no_visit": lazy("Key lent, no visit recorded"),
    "key_still_out": lazy("Visit closed, key still out past its due time"),
    "no_owner_consent": lazy("Owner-deposited key lent without the owner's consent"),
}
