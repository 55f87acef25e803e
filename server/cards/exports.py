"""The card register as a spreadsheet: every card matching the list's search and filters (no
paging), as CSV (UTF-8 with a BOM, so Excel opens Chinese text) or XLSX. Scoped to the
user's sites like the list; text a spreadsheet would run as a formula is kept as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards import queries
from server.cards.lists import CARD_LIST
from server.cards.tables import Card
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time, now, plain
from server.lib.spreadsheets import safe_cell
from server.lib.timezone import estate_zone
from server.refdata.common import clean
from sync.domains.cards.records import STATUSES, TECHNOLOGIES
from sync.domains.estate import RELATIONS

HEADERS = (
    ("site_code", lazy("Site")), ("number", lazy("Card number")), ("uid", lazy("Chip UID")),
    ("technology", lazy("Technology")), ("batch", lazy("Batch")), ("status", lazy("Status")),
    ("registered", lazy("In the stock register")), ("unit_number", lazy("Unit")),
    ("holder", lazy("Holder")), ("relation", lazy("Relation to the unit")),
    ("valid", lazy("Valid until")), ("blacklisted", lazy("Blacklisted at")),
    ("taken", lazy("Taken by the door system")), ("notes", lazy("Notes")),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def rows(user: CurrentUser, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """The register's rows for the list's search and filters (as the page reads them)."""
    lst = CARD_LIST
    lst.check_reader(user)
    q = clean(params.get("q", ""))
    filters = {f.name: str(params.get(f.name, "") or f.default) for f in lst.filters}
    where = lst.where(user, q, filters)
    if where is False:
        return []
    select = Card.select(*lst.selected(), Card.uid, Card.notes)
    for path in lst.order:
        select = select.order_by(lst.column(path))
    found = [plain(r) for r in await (select.where(where) if where is not None else select)]
    issues = await queries.issues_by_id(r["issue"] for r in found)
    for r in found:
        issue = issues.get(str(r["issue"])) if r.get("issue") else None
        held = issue if issue is not None and issue["ended_at"] is None else None
        r["holder"] = held["holder_name"] if held else ""
        r["relation"] = _(RELATIONS.get(held["relation"], held["relation"])) if held else ""
        r["valid"] = local_time(held["valid_until"])[:10] if held else ""
        r["status"] = _(STATUSES.get(r["status"], r["status"]))
        r["technology"] = _(TECHNOLOGIES.get(r["technology"], r["technology"]))
        r["registered"] = _("Yes") if r["registered"] else _("No")
        r["blacklisted"] = local_time(r["blacklisted_at"])
        r["taken"] = local_time(r["door_taken_at"])
    return found


def table(found: list[dict[str, Any]]) -> list[list[Any]]:
    out: list[list[Any]] = [[_(label) for _k, label in HEADERS]]
    out += [[safe_cell("" if r.get(k) is None else str(r.get(k))) for k, _l in HEADERS]
            for r in found]
    return out


def _stamp() -> str:
    return f"ic-cards-{now().astimezone(estate_zone()):%Y%m%d-%H%M}"


async def as_csv(user: CurrentUser, params: Mapping[str, str]) -> tuple[str, bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table(await rows(user, params)):
        writer.writerow(row)
    return f"{_stamp()}.csv", ("\ufeff" + out.getvalue()).encode("utf-8")


async def as_xlsx(user: CurrentUser, params: Mapping[str, str]) -> tuple[str, bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("IC cards")[:31])
    for row in table(await rows(user, params)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return f"{_stamp()}.xlsx", out.getvalue()
