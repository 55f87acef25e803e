"""The conflict inbox and the rejection list as spreadsheets: every row of the list's
filters (status, site, kind — and a domain's stream for a domain's own conflict page), all
pages, newest first, read a batch at a time and sent through the office's one export
(:mod:`server.lib.exports`)."""

from __future__ import annotations

from typing import Any

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.lib import exports
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time, sites_of
from server.review import kinds, present, queries
from server.review.schemas import CONFLICT_STATUS_LABELS, ConflictFilters
from server.sync.tables import Conflict, Rejection
from sync import streams

CONFLICT_COLUMNS = (
    ("created", lazy("Received")), ("site", lazy("Site")), ("kind", lazy("Kind")),
    ("status", lazy("Status")), ("type", lazy("Record type")), ("records", lazy("Records")),
    ("resolution", lazy("Resolution")), ("resolution_note", lazy("Note")),
    ("resolved", lazy("Resolved at")),
)
REJECTION_COLUMNS = (
    ("created", lazy("Received")), ("name", lazy("Change")), ("mutation_id", lazy("Number")),
    ("code_label", lazy("Reason")), ("code", lazy("Code")), ("reason", lazy("Message")),
    ("field", lazy("Field")), ("staff_name", lazy("Staff")), ("status", lazy("Status")),
    ("resolved_by_name", lazy("Resolved by")), ("resolved", lazy("Resolved at")),
    ("resolution_note", lazy("Note")),
)


def _status(code: str) -> str:
    return _(CONFLICT_STATUS_LABELS.get(code, code))


async def conflicts(user: CurrentUser, f: ConflictFilters, stream: str,
                    fmt: exports.Format) -> Stream:
    codes = {s["id"]: s["code"] for s in await sites_of(user)}

    def shape(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "site": codes.get(streams.site_of(r["space"]), ""),
                "kind": kinds.conflict_label(r["kind"]), "status": _status(r["status"]),
                "type": _(present.type_label(r["record_type"])),
                "records": "\n".join(x["title"] or x["id"] for x in r["records"]),
                "resolution": _(r["resolution"]) if r["resolution"] else "",
                "resolved": local_time(r["resolved_at"])}

    batches = exports.keyset_batches(
        lambda: Conflict.select().order_by(Conflict.created_at, ascending=False)
        .order_by(Conflict.id, ascending=False),
        queries.conflict_where(user, f, stream), Conflict.created_at, Conflict.id,
        decorate=queries.decorate_conflicts)
    return await exports.export(fmt, CONFLICT_COLUMNS, batches,
                                exports.stamp("conflicts", stream), lazy("Conflicts"), shape)


async def rejections(user: CurrentUser, f: ConflictFilters, fmt: exports.Format) -> Stream:
    def shape(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "status": _status(r["status"]), "resolved": local_time(r["resolved_at"])}

    batches = exports.keyset_batches(
        lambda: Rejection.select().order_by(Rejection.created_at, ascending=False)
        .order_by(Rejection.id, ascending=False),
        await queries.rejection_where(user, f), Rejection.created_at, Rejection.id,
        decorate=queries.decorate_rejections)
    return await exports.export(fmt, REJECTION_COLUMNS, batches, exports.stamp("rejections"),
                                lazy("Rejections"), shape)
