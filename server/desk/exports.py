"""The visitor register and the goods-out passes as spreadsheets: every row matching the
page's filters (no paging), for the page's site, as CSV (UTF-8 with a BOM, so Excel opens
Chinese text; streamed a batch at a time, so a year of visitors never sits in memory) or
XLSX. Text a spreadsheet would run as a formula is kept as text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from server.accounts.schemas import CurrentUser
from server.desk import passes, visitors
from server.desk.schemas import PassFilters, VisitorFilters
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time, now
from server.lib.spreadsheets import safe_cell
from server.lib.timezone import estate_zone

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Headers = Sequence[tuple[str, str]]

VISITOR_HEADERS: Headers = (
    ("site_code", lazy("Site")), ("name", lazy("Visitor's name")),
    ("id_type", lazy("ID type")), ("id_last4", lazy("ID (last 4)")),
    ("unit_number", lazy("Unit")), ("confirmed_text", lazy("Confirmed by")),
    ("purpose", lazy("Purpose")), ("badge", lazy("Badge number")),
    ("time_in_shown", lazy("Time in")), ("time_out_shown", lazy("Time out")),
    ("late", lazy("Stayed past the cut-off")), ("signed_in_name", lazy("Signed in by")),
    ("signed_out_name", lazy("Signed out by")), ("received", lazy("Received by server")),
)
PASS_HEADERS: Headers = (
    ("site_code", lazy("Site")), ("number", lazy("Pass number")),
    ("unit_number", lazy("Unit")), ("items_text", lazy("Items")),
    ("item_count", lazy("Number of pieces")), ("plate", lazy("Vehicle plate")),
    ("valid_until_shown", lazy("Valid until")), ("basis", lazy("Basis")),
    ("owner_name", lazy("Owner")), ("issuer_name", lazy("Pass issued by")),
    ("device_name", lazy("Device")), ("issued_at_shown", lazy("Issued at (device time)")),
    ("received", lazy("Received by server")), ("state", lazy("At the gate")),
    ("checks_text", lazy("Gate checks")),
)


def _visitor(site: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "site_code": site["code"], "id_type": _(r["id_type_label"]),
            "confirmed_text": visitors.confirmed_text(r),
            "late": _("Yes") if r["late"] else _("No")}


def _check_text(c: dict[str, Any]) -> str:
    return " · ".join(part for part in (
        local_time(c["checked_at"], seconds=True), _(c["outcome_label"]),
        _(c["verdict_label"]), c["guard_name"], c["device_name"],
        _("received {time}", time=c["received"]), c["note"]) if part)


def _pass(site: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    if r.get("orphan"):  # a gate check whose pass has not reached the server
        return {"site_code": site["code"], "number": r["number"],
                "state": _("Pass not yet synced"), "checks_text": _check_text(r)}
    return {**r, "site_code": site["code"], "items_text": "\n".join(r["items"]),
            "basis": _(r["basis_label"]), "state": _(r["state_label"]),
            "checks_text": "\n".join(_check_text(c) for c in r["checks"])}


def _cells(headers: Headers, row: dict[str, Any]) -> list[Any]:
    return [safe_cell("" if row.get(k) is None else str(row.get(k))) for k, _l in headers]


def _stamp(kind: str, site: dict[str, Any]) -> str:
    return f"{kind}-{site['code']}-{now().astimezone(estate_zone()):%Y%m%d-%H%M}"


Shape = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def _csv_body(headers: Headers, site: dict[str, Any], shape: Shape,
              batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([_(label) for _k, label in headers])
        yield ("\ufeff" + out.getvalue()).encode("utf-8")
        async for batch in batches:
            out.seek(0)
            out.truncate()
            for r in batch:
                writer.writerow(_cells(headers, shape(site, r)))
            yield out.getvalue().encode("utf-8")
    return body()


async def _xlsx(title: str, headers: Headers, site: dict[str, Any], shape: Shape,
                batches: AsyncIterator[list[dict[str, Any]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([_(label) for _k, label in headers])
    async for batch in batches:
        for r in batch:
            sheet.append(_cells(headers, shape(site, r)))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def visitors_csv(user: CurrentUser, f: VisitorFilters
                       ) -> tuple[str, AsyncIterator[bytes]]:
    site, batches = await visitors.batches(user, f)
    return f"{_stamp('visitors', site)}.csv", _csv_body(VISITOR_HEADERS, site, _visitor,
                                                          batches)


async def visitors_xlsx(user: CurrentUser, f: VisitorFilters) -> tuple[str, bytes]:
    site, batches = await visitors.batches(user, f)
    return f"{_stamp('visitors', site)}.xlsx", await _xlsx(
        _("Visitor register"), VISITOR_HEADERS, site, _visitor, batches)


async def passes_csv(user: CurrentUser, f: PassFilters) -> tuple[str, AsyncIterator[bytes]]:
    site, batches = await passes.batches(user, f)
    return f"{_stamp('passes', site)}.csv", _csv_body(PASS_HEADERS, site, _pass, batches)


async def passes_xlsx(user: CurrentUser, f: PassFilters) -> tuple[str, bytes]:
    site, batches = await passes.batches(user, f)
    return f"{_stamp('passes', site)}.xlsx", await _xlsx(
        _("Goods-out passes"), PASS_HEADERS, site, _pass, batches)
