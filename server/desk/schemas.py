"""Filters of the office's front-desk pages (query strings, also the exports') and the labels
of the tabs they show beside the declared ones (``sync/domains/desk/records.py``), marked for
translation. Every filter is text with a default: a hand-edited URL shows the first page."""

from __future__ import annotations

import msgspec

from server.lib.i18n import lazy


class VisitorFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    show: str = ""  # "" | inside | late_inside | late | out
    date_from: str = ""  # YYYY-MM-DD, the estate's days (time in)
    date_to: str = ""
    unit: str = ""  # a unit number, or part of one
    q: str = ""  # the visitor's name or badge
    review: str = ""  # a review state or "unreviewed" (server/lib/reviewed.py)
    page: int = 1


class PassFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    outcome: str = ""  # "" | waiting | passed | mismatch | refused | twice
    date_from: str = ""  # issued (a pass) or checked (a gate check without its pass)
    date_to: str = ""
    q: str = ""  # pass number, unit or plate
    review: str = ""  # a review state or "unreviewed" (server/lib/reviewed.py)
    page: int = 1
    orphans: str = ""  # the page of the gate checks whose pass has not reached the server


class HandoverFilters(msgspec.Struct, kw_only=True):
    site: str = ""
    show: str = ""  # "" | waiting | received | unresolved
    date_from: str = ""  # the shift's end
    date_to: str = ""
    review: str = ""  # a review state or "unreviewed" (server/lib/reviewed.py)
    page: int = 1


VISITOR_TABS = {
    "inside": lazy("Still inside"),
    "late_inside": lazy("Still inside past the cut-off"),
    "late": lazy("Stayed past the cut-off"),
    "out": lazy("Signed out"),
}
PASS_TABS = {
    "waiting": lazy("Not yet out"),
    "passed": lazy("Let out"),
    "mismatch": lazy("Goods did not match"),
    "refused": lazy("Refused"),
    "twice": lazy("Used twice"),
}
HANDOVER_TABS = {
    "waiting": lazy("Waiting to be received"),
    "received": lazy("Taken over"),
    "unresolved": lazy("With unresolved exceptions"),
}
