"""The request board and the follow-up queue as spreadsheets: every request matching the
board's filters and search, every follow-up of the queue's tab (all pages), as CSV (UTF-8
with a BOM, so Excel opens Chinese text) or XLSX, read and sent a batch at a time through
the office's one export (:mod:`server.lib.exports`, which keeps text a spreadsheet would run
as a formula as text). Scoped to the user's sites like the pages."""

from __future__ import annotations

from typing import Any

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.lib import exports, reviewed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time, plain
from server.repairs import board, followups
from server.repairs.schemas import BoardFilters, FollowUpFilters
from server.repairs.tables import RepairRequest

R = RepairRequest
FOLLOW_UP_HEADERS = (
    ("site_code", lazy("Site")), ("number", lazy("Request number")),
    ("where", lazy("Unit or area")), ("reason", lazy("Why followed up")),
    ("due", lazy("Call due")), ("overdue", lazy("Call overdue")), ("method", lazy("By")),
    ("rating", lazy("Rating")), ("done", lazy("Done at")), ("done_by_name", lazy("Done by")),
    ("notes", lazy("Notes")), *reviewed.COLUMNS,
)
HEADERS = (
    ("site_code", lazy("Site")), ("number", lazy("Request number")),
    ("reported", lazy("Reported at")), ("unit_number", lazy("Unit")),
    ("area", lazy("Public area")), ("category", lazy("Category")),
    ("urgency", lazy("Urgency")), ("complaint", lazy("A complaint")),
    ("state", lazy("State")), ("overdue", lazy("Past deadline")),
    ("assignee_name", lazy("Technician")), ("appointment", lazy("Appointment")),
    ("respond", lazy("Respond by")), ("complete", lazy("Complete by")),
    ("started", lazy("Work started")), ("finished", lazy("Work finished")),
    *reviewed.COLUMNS,
    ("description", lazy("Description")),  # last: the longest text
)


def shape(r: dict[str, Any]) -> dict[str, Any]:
    """A board row as the sheet shows it (a request number stays text, as on the board)."""
    return {**r, "number": str(r["number"]), "category": _(r["category_label"]),
            "urgency": _(r["urgency_label"]), "state": _(r["state_label"]),
            "complaint": _("Yes") if r["complaint"] else _("No"),
            "overdue": _("Yes") if r["overdue"] else _("No"),
            "started": local_time(r["started_at"]), "finished": local_time(r["finished_at"]),
            **reviewed.cells(r)}


def batches(user: CurrentUser, f: BoardFilters) -> Any:
    """Every row of the board's filters, newest first, a batch at a time."""
    return exports.keyset_batches(
        lambda: board.select().order_by(R.id, ascending=False), board.where(user, f),
        R.reported_at, R.id, decorate=board.decorate)


async def export(user: CurrentUser, f: BoardFilters, fmt: exports.Format) -> Stream:
    return await exports.export(fmt, HEADERS, batches(user, f), exports.stamp("repairs"),
                                lazy("Repair requests"), shape)


def follow_up_shape(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "number": str(r["number"]), "reason": _(r["reason_label"]),
            "overdue": _("Yes") if r["overdue"] else _("No"),
            "method": _(r["method_label"]) if r["method"] else "",
            "rating": _(r["rating_label"]) if r["rating"] else "", **reviewed.cells(r)}


async def follow_ups(user: CurrentUser, f: FollowUpFilters, fmt: exports.Format) -> Stream:
    """Every follow-up of the queue's tab and site (all pages, in the queue's order)."""
    clause, show = followups.where(user, f), followups.shown_tab(f)

    async def fetch(limit: int, offset: int) -> list[dict[str, Any]]:
        if clause is False:
            return []
        query = followups.select(show)
        if clause is not None:
            query = query.where(clause)
        return await followups.decorate([plain(r) for r in await query.limit(limit).offset(
            offset)])

    return await exports.export(fmt, FOLLOW_UP_HEADERS, exports.offset_batches(fetch),
                                exports.stamp("follow-ups", show), lazy("Follow-ups"),
                                follow_up_shape)
