"""Importing a delivery of cards into a site's stock from a spreadsheet (CSV or XLSX), like
the estate's units: the same reader (:func:`server.estate.importer.read_sheet`: encodings,
Chinese or English headers, size limits) and the same field checks
(:func:`server.refdata.forms.check_raw`). Every row is checked first — its fields, a number
twice in the file, a number already in the site's stock — and the errors are listed by row
with nothing stored; when every row is right, the cards go into the stock through
``card.stock`` (the desk's own mutation and rules), all in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.lists import CARD_LIST
from server.cards.tables import Card
from server.estate import importer
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import site_and_sites
from server.refdata.forms import check_raw, message
from server.sync import office
from sync.domains.cards.records import CARD_TYPE, TECHNOLOGIES
from sync.errors import Reject

KIND = "cards"
COLUMNS = (
    ("card_number", lazy("card number"), True),
    ("uid", lazy("chip UID"), False),
    ("technology", lazy("technology"), False),
    ("batch", lazy("batch"), False),
)
HEADERS = {"card_number": ("card no", "card", "number", "卡號", "卡號碼", "IC卡號", "門禁卡號",
                           "編號"),
           "uid": ("uid", "chip", "chip id", "晶片號", "晶片號碼", "芯片號"),
           "technology": ("tech", "card type", "卡類", "卡種", "類型"),
           "batch": ("lot", "批次", "批號", "到貨批次")}
VALUES = {"id卡": "id", "em": "id", "125khz": "id", "ic卡": "ic", "mifare": "ic",
          "cpu卡": "cpu"}
# the estate's reader maps headers by kind: the card columns are registered beside its own
importer.COLUMNS.setdefault(KIND, COLUMNS)
for _field, _names in HEADERS.items():
    importer.EXTRA_HEADERS.setdefault(_field, ())
    importer.EXTRA_HEADERS[_field] = tuple(dict.fromkeys((*importer.EXTRA_HEADERS[_field],
                                                          *_names)))
importer.EXTRA_VALUES.setdefault("technology", VALUES)
MAX_ROWS = 5000  # cards in one file (one transaction through the rules)
SHOWN_ERRORS = 200
NO_FILE = lazy("Choose a CSV or XLSX file.")


async def page(user: CurrentUser, site: str) -> dict[str, Any]:
    CARD_LIST.check_writer(user)
    chosen, sites = await site_and_sites(user, site)
    return {"site": chosen, "sites": sites, "errors": [], "columns": COLUMNS,
            "max_mb": importer.MAX_UPLOAD_BYTES // (1024 * 1024), "max_rows": MAX_ROWS,
            "file_error": "", "batch": ""}


async def check(site: str, rows: list[tuple[int, dict[str, str]]], batch: str = ""
                ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """Every row's card values, or every row's problems (row number, text)."""
    taken = {str(c["number"]) for c in await Card.select(Card.number).where(Card.site == site)}
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        fields = {"number": raw.get("card_number", ""), "uid": raw.get("uid", ""),
                  "batch": raw.get("batch", "") or batch,
                  "technology": importer.code_for("technology", raw.get("technology", ""),
                                                  TECHNOLOGIES) or "ic"}
        values, problems = check_raw(CARD_TYPE, fields)
        bad = [f"{_(CARD_TYPE.field(p.field.split('.')[0]).label)}: {message(p)}"
               for p in problems]
        code = values.get("number", "")
        if code and code in taken:
            bad.append(_("the card {number} is already in this site's stock", number=code))
        if code and code in seen:
            bad.append(_("the card {number} is also on row {row}", number=code,
                         row=seen[code]))
        if code:
            seen.setdefault(code, number)
        if bad:
            errors.append((number, "; ".join(bad)))
            continue
        out.append(values)
    return out, errors


async def run(user: CurrentUser, site: str, file_name: str, data: bytes,
              batch: str = "") -> dict[str, Any]:
    """Check the file and, when every row is right, put its cards into the stock. The
    page's context, with ``count`` (cards stored) or the errors (nothing stored)."""
    context = await page(user, site)
    sid = context["site"]["id"]
    batch_values, batch_problems = check_raw(CARD_TYPE, {"batch": batch})
    context["batch"] = batch_values.get("batch", batch)
    if batch_problems:
        return {**context, "batch_error": message(batch_problems[0])}
    sheet = importer.read_sheet(KIND, file_name, data)
    if sheet.error:
        return {**context, "file_error": sheet.error}
    if len(sheet.rows) > MAX_ROWS:
        return {**context, "file_error": _(
            "The file has more than {n} rows: split it into smaller files.", n=MAX_ROWS)}
    checked, errors = await check(sid, sheet.rows, context["batch"])
    if errors:
        return {**context, "errors": errors[:SHOWN_ERRORS], "error_count": len(errors)}
    mutations = [("card.stock", {"card_id": str(uuid.uuid4()), "site_id": sid,
                                 "number": v["number"], "uid": v.get("uid", ""),
                                 "technology": v.get("technology", "ic"),
                                 "batch": v.get("batch", ""), "notes": ""})
                 for v in checked]
    try:
        await office.apply(user, mutations)
    except Reject as r:  # the stock changed since the rows were checked: say which rows
        _rows, errors = await check(sid, sheet.rows, context["batch"])
        return {**context, "errors": errors[:SHOWN_ERRORS] or [(0, r.reason)],
                "error_count": max(1, len(errors))}
    return {**context, "count": len(checked)}
