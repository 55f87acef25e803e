"""Payloads of the review pages (filters, note forms) and the labels of the review core's own
codes, marked for translation."""

from __future__ import annotations

import msgspec

from server.lib.filters import filters_from, query_string
from server.lib.i18n import lazy

CONFLICT_STATUS_LABELS = {"open": lazy("Open"), "resolved": lazy("Resolved")}
RESOLUTION_LABELS = {
    "voided_loan": lazy("voided_loan"),
    "resolved_with_note": lazy("resolved_with_note"),
}
# Audit actions of the office that are not mutations (a mutation's label is declared with it)
OFFICE_ACTION_LABELS = {
    # the office's reference-data lists (server/refdata/store.py)
    "office.create": lazy("Created by the office"),
    "office.update": lazy("Edited by the office"),
    "office.deactivate": lazy("Deactivated by the office"),
    "office.reactivate": lazy("Reactivated by the office"),
    "office.conflict.resolve": lazy("Conflict resolved by the office"),
    "office.rejection.resolve": lazy("Rejection resolved by the office"),
    "office.review.mark": lazy("Reviewed by the office"),
    "office.exception.acknowledge": lazy("Exception acknowledged by the office"),
    # written by releases before the office wrote through the mutations
    "office.key.register": lazy("Key registered by the office"),
    "office.key.update": lazy("Key edited by the office"),
    "office.key.retire": lazy("Key retired by the office"),
    "office.key.unretire": lazy("Key put back in use by the office"),
    "office.loan.void": lazy("Loan voided by the office"),
}


class ConflictFilters(msgspec.Struct, kw_only=True):
    status: str = "open"  # open | resolved | all
    site: str = ""
    kind: str = ""  # a conflict's kind, a rejection's code ("" = every one)
    page: int = 1


class ReviewFilters(msgspec.Struct, kw_only=True):
    """The review list: one record type's records, by site and review state."""

    type: str = ""
    site: str = ""
    state: str = ""  # "" any | unreviewed | approved | has_issues | rejected
    page: int = 1


class NoteForm(msgspec.Struct, kw_only=True):
    note: str = ""


__all__ = ["CONFLICT_STATUS_LABELS", "OFFICE_ACTION_LABELS", "RESOLUTION_LABELS",
           "ConflictFilters", "NoteForm", "ReviewFilters", "filters_from", "query_string"]
