"""The visitor register, the goods-out passes and the shift handovers as spreadsheets: every
row matching the page's filters (no paging), for the page's site, as CSV (UTF-8 with a BOM,
so Excel opens Chinese text) or XLSX, read and streamed a batch at a time (a year of
visitors never sits in memory) through the office's one export (:mod:`server.lib.exports`),
which keeps text a spreadsheet would run as a formula as text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.desk import handovers, passes, visitors
from server.desk.queries import pick_site
from server.desk.schemas import HandoverFilters, PassFilters, VisitorFilters
from server.desk.tables import Handover
from server.lib import exports, reviewed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time

Headers = Sequence[tuple[str, str]]

VISITOR_HEADERS: Headers = (
    ("site_code", lazy("Site")), ("name", lazy("Visitor's name")),
    ("id_type", lazy("ID type")), ("id_last4", lazy("ID (last 4)")),
    ("unit_number", lazy("Unit")), ("confirmed_text", lazy("Confirmed by")),
    ("purpose", lazy("Purpose")), ("badge", lazy("Badge number")),
    ("time_in_shown", lazy("Time in")), ("time_out_shown", lazy("Time out")),
    ("late", lazy("Stayed past the cut-off")), ("signed_in_name", lazy("Signed in by")),
    ("signed_out_name", lazy("Signed out by")), ("received", lazy("Received by server")),
    *reviewed.COLUMNS,
)
PASS_HEADERS: Headers = (
    ("site_code", lazy("Site")), ("number", lazy("Pass number")),
    ("unit_number", lazy("Unit")), ("items_text", lazy("Items")),
    ("item_count", lazy("Number of pieces")), ("plate", lazy("Vehicle plate")),
    ("valid_until_shown", lazy("Valid until")), ("basis", lazy("Basis")),
    ("owner_name", lazy("Owner")), ("issuer_name", lazy("Pass issued by")),
    ("device_name", lazy("Device")), ("issued_at_shown", lazy("Issued at (device time)")),
    ("received", lazy("Received by server")), ("state", lazy("At the gate")),
    ("checks_text", lazy("Gate checks")), *reviewed.COLUMNS,
)


HANDOVER_HEADERS: Headers = (
    ("site_code", lazy("Site")), ("shift_from", lazy("Shift start")),
    ("shift_to", lazy("Shift end")), ("outgoing_name", lazy("Outgoing")),
    ("incoming_name", lazy("Incoming")), ("drafted_at_shown", lazy("Drafted")),
    ("received_text", lazy("Received at")),
    ("unresolved_text", lazy("Handed over unresolved")), ("notes", lazy("Notes")),
    ("received", lazy("Received by server")), *reviewed.COLUMNS,
)


def _visitor(site: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "site_code": site["code"], "id_type": _(r["id_type_label"]),
            "confirmed_text": visitors.confirmed_text(r),
            "late": _("Yes") if r["late"] else _("No"), **reviewed.cells(r)}


def _check_text(c: dict[str, Any]) -> str:
    return " · ".join(part for part in (
        local_time(c["checked_at"], seconds=True), _(c["outcome_label"]),
        _(c["verdict_label"]), c["guard_name"], c["device_name"],
        _("received {time}", time=c["received"]), c["note"]) if part)


def _pass(site: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    if r.get("orphan"):  # a gate check whose pass has not reached the server
        return {"site_code": site["code"], "number": r["number"],
                "state": _("Pass not yet synced"), "checks_text": _check_text(r),
                **reviewed.cells(r)}
    return {**r, "site_code": site["code"], "items_text": "\n".join(r["items"]),
            "basis": _(r["basis_label"]), "state": _(r["state_label"]),
            "checks_text": "\n".join(_check_text(c) for c in r["checks"]), **reviewed.cells(r)}


def _handover(site: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "site_code": site["code"],
            "received_text": _("Waiting to be received") if r["waiting"]
            else r["received_shown"],
            "unresolved_text": "、".join(f"{_(line['label'])} ({line['count']})"
                                        for line in r["unresolved"]) or _("None"),
            **reviewed.cells(r)}


def _cells(headers: Headers, row: dict[str, Any]) -> list[str]:
    """The row's texts (every cell a text, as the page shows it)."""
    out = []
    for k, _l in headers:
        v = row.get(k)
        out.append(v if v.__class__ is str else "" if v is None else str(v))
    return out


def _stamp(kind: str, site: dict[str, Any]) -> str:
    return exports.stamp(kind, site["code"])


Shape = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


async def _rows(headers: Headers, site: dict[str, Any], shape: Shape,
                batches: AsyncIterator[list[dict[str, Any]]]) -> exports.Batches:
    async for batch in batches:
        yield [_cells(headers, shape(site, r)) for r in batch]


async def visitors_export(user: CurrentUser, f: VisitorFilters, fmt: exports.Format
                          ) -> Stream:
    site, batches = await visitors.batches(user, f)
    return await exports.response(fmt, exports.labels(VISITOR_HEADERS),
                                  _rows(VISITOR_HEADERS, site, _visitor, batches),
                                  _stamp("visitors", site), _("Visitor register"))


async def passes_export(user: CurrentUser, f: PassFilters, fmt: exports.Format) -> Stream:
    site, batches = await passes.batches(user, f)
    return await exports.response(fmt, exports.labels(PASS_HEADERS),
                                  _rows(PASS_HEADERS, site, _pass, batches),
                                  _stamp("passes", site), _("Goods-out passes"))


async def handovers_export(user: CurrentUser, f: HandoverFilters, fmt: exports.Format
                           ) -> Stream:
    site, _sites = await pick_site(user, f.site)
    batches = exports.keyset_batches(handovers.select, handovers.where(site["id"], f),
                                     Handover.shift_end, Handover.id,
                                     decorate=handovers.decorate)
    return await exports.response(fmt, exports.labels(HANDOVER_HEADERS),
                                  _rows(HANDOVER_HEADERS, site, _handover, batches),
                                  _stamp("handovers", site), _("Shift handovers"))
