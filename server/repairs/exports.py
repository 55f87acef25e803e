"""The request board as a spreadsheet: every request matching the board's filters and search
(no paging), as CSV (UTF-8 with a BOM, so Excel opens Chinese text) or XLSX. Scoped to the
user's sites like the board; text a spreadsheet would run as a formula is kept as text."""

from __future__ import annotations

import csv
import io
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time, now
from server.lib.spreadsheets import safe_cell
from server.lib.timezone import estate_zone
from server.repairs import board
from server.repairs.schemas import BoardFilters

HEADERS = (
    ("site_code", lazy("Site")), ("number", lazy("Request number")),
    ("reported", lazy("Reported at")), ("unit_number", lazy("Unit")),
    ("area", lazy("Public area")), ("category", lazy("Category")),
    ("urgency", lazy("Urgency")), ("complaint", lazy("A complaint")),
    ("state", lazy("State")), ("overdue", lazy("Past deadline")),
    ("assignee_name", lazy("Technician")), ("appointment", lazy("Appointment")),
    ("respond", lazy("Respond by")), ("complete", lazy("Complete by")),
    ("started", lazy("Work started")), ("finished", lazy("Work finished")),
    ("description", lazy("Description")),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def rows(user: CurrentUser, f: BoardFilters) -> list[dict[str, Any]]:
    """The board's rows for its filters (every page), as the sheet shows them."""
    found = await board.all_rows(user, f)
    for r in found:
        r["category"] = _(r["category_label"])
        r["urgency"] = _(r["urgency_label"])
        r["state"] = _(r["state_label"])
        r["complaint"] = _("Yes") if r["complaint"] else _("No")
        r["overdue"] = _("Yes") if r["overdue"] else _("No")
        r["started"] = local_time(r["started_at"])
        r["finished"] = local_time(r["finished_at"])
    return found


def table(found: list[dict[str, Any]]) -> list[list[Any]]:
    out: list[list[Any]] = [[_(label) for _k, label in HEADERS]]
    out += [[safe_cell("" if r.get(k) is None else str(r.get(k))) for k, _l in HEADERS]
            for r in found]
    return out


def _stamp() -> str:
    return f"repairs-{now().astimezone(estate_zone()):%Y%m%d-%H%M}"


async def as_csv(user: CurrentUser, f: BoardFilters) -> tuple[str, bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table(await rows(user, f)):
        writer.writerow(row)
    return f"{_stamp()}.csv", ("\ufeff" + out.getvalue()).encode("utf-8")


async def as_xlsx(user: CurrentUser, f: BoardFilters) -> tuple[str, bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Repair requests")[:31])
    for row in table(await rows(user, f)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return f"{_stamp()}.xlsx", out.getvalue()
