"""Reading a spreadsheet of units or residents (CSV or XLSX) into numbered rows of text.

Pure (no database): :mod:`server.estate.import_service` checks the rows against the site and
stores them. Row numbers are the ones the spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import Any

import msgspec

from server.lib.errors import NotFound
from server.lib.i18n import catalog, lazy
from server.lib.i18n import gettext as _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_XLSX_UNPACKED_BYTES = 80 * 1024 * 1024  # refuses "zip bombs" before openpyxl opens them

KINDS = ("units", "residents")

# Each column: its field name, its label (the template's header, translated), required?
COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "units": (
        ("building", lazy("building code"), True),
        ("number", lazy("unit number"), True),
        ("floor", lazy("floor"), False),
        ("area", lazy("area (m²)"), False),
        ("use", lazy("use"), False),
    ),
    "residents": (
        ("building", lazy("building code"), True),
        ("number", lazy("unit number"), True),
        ("name", lazy("name"), True),
        ("phone", lazy("phone"), False),
        ("relation", lazy("relation"), False),
        ("id_type", lazy("ID type"), False),
        ("id_last4", lazy("ID last 4"), False),
    ),
}

# Headers seen in estate offices' own sheets, besides the template's labels (both languages).
EXTRA_HEADERS = {
    "building": ("building", "block", "bldg", "tower", "座", "座號", "座數", "座別", "棟",
                 "大廈", "樓座", "樓宇"),
    "number": ("unit", "unit no", "flat", "room", "房號", "單位", "單位號碼", "室", "房間"),
    "floor": ("level", "樓層", "層", "樓"),
    "area": ("area", "area m2", "size", "面積", "實用面積", "面積平方米"),
    "use": ("usage", "用途", "類別"),
    "name": ("resident", "resident name", "姓名", "名稱", "住戶姓名", "住戶"),
    "phone": ("tel", "telephone", "mobile", "電話", "聯絡電話", "手機"),
    "relation": ("relationship", "type", "關係", "身份"),
    "id_type": ("id", "證件類型", "證件種類", "證件"),
    "id_last4": ("id last4", "id last four", "證件後4位", "證件號碼後4位", "證件末4位",
                 "證件號後4位", "證件號碼後四位", "證件後四位"),
}

# Values seen in sheets for each code, besides the code and its label (both languages).
EXTRA_VALUES = {
    "use": {"住宅": "residential", "商業": "commercial", "商鋪": "commercial",
            "商舖": "commercial", "車位": "parking", "停車位": "parking", "儲物": "storage",
            "儲物室": "storage", "其他": "other"},
    "relation": {"業主": "owner", "家屬": "household", "同住": "household",
                 "家庭成員": "household", "租客": "tenant", "租戶": "tenant",
                 "代理": "proxy", "代理人": "proxy", "授權人": "proxy"},
    "id_type": {"身份證": "hkid", "香港身份證": "hkid", "內地身份證": "mainland_id",
                "居民身份證": "mainland_id", "護照": "passport", "其他": "other", "無": "none",
                "": "none"},
}


class Sheet(msgspec.Struct, kw_only=True):
    """A file's rows as text, keyed by field, with the spreadsheet's row numbers."""

    rows: list[tuple[int, dict[str, str]]] = msgspec.field(default_factory=list)
    error: str = ""  # a problem with the whole file (nothing else is then shown)
    ignored: list[str] = msgspec.field(default_factory=list)  # headers not understood


def normalize(text: Any) -> str:
    """A header or code as compared: full-width folded, lower case, no spaces or marks."""
    value = unicodedata.normalize("NFKC", str(text or "")).lower()
    return "".join(ch for ch in value if ch.isalnum())


def _header_map(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, label, _required in COLUMNS[kind]:
        names = [field, label, catalog("zh_Hant").get(label, ""), catalog("en").get(label, ""),
                 *EXTRA_HEADERS.get(field, ())]
        for name in names:
            if normalize(name):
                out.setdefault(normalize(name), field)
    return out


def code_for(field: str, value: str, choices: Mapping[str, str]) -> str:
    """The stored code of a value written as a code or its declared label in either
    language; "" for an empty cell; the value unchanged when it is none of them (the field
    check then explains)."""
    wanted = normalize(value)
    if not wanted:
        return EXTRA_VALUES.get(field, {}).get("", "")
    for code, label in choices.items():
        names = [code, label, catalog("zh_Hant").get(label, ""), catalog("en").get(label, ""),
                 catalog("zh_Hant").get(code, "")]
        if wanted in {normalize(n) for n in names if n}:
            return code
    extra = {normalize(k): v for k, v in EXTRA_VALUES.get(field, {}).items()}
    return extra.get(wanted, value)


def _decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Big5
    (HKSCS, a superset of Big5 used in Hong Kong). None when it is none of these."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("big5hkscs")
    except UnicodeDecodeError:
        return None


def _csv_rows(data: bytes) -> tuple[list[list[str]], str]:
    text = _decode(data)
    if text is None:
        return [], _("The file is not readable text: save it as CSV (UTF-8) or as .xlsx.")
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for cells in reader:
            rows.append(cells)
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error:
        return [], _("Row {row}: this line cannot be read as CSV.", row=len(rows) + 1)
    return rows, ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> tuple[list[list[str]], str]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                return [], _("The workbook is too large once unpacked.")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any malformed workbook: openpyxl raises many kinds
        return [], _("The file is not a readable .xlsx workbook.")
    try:
        sheet = book.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows, ""
    finally:
        book.close()


def read_sheet(kind: str, file_name: str, data: bytes) -> Sheet:
    """The rows of an uploaded file (CSV or XLSX), with its header mapped to fields."""
    if len(data) > MAX_UPLOAD_BYTES:
        return Sheet(error=_("The file is larger than {n} MB.",
                             n=MAX_UPLOAD_BYTES // (1024 * 1024)))
    if not data.strip():
        return Sheet(error=_("The file is empty."))
    lower = file_name.lower()
    if data.startswith(b"PK\x03\x04"):
        table, error = _xlsx_rows(data)
    elif lower.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return Sheet(error=_("Old .xls workbooks cannot be read: save it as .xlsx or CSV."))
    else:
        table, error = _csv_rows(data)
    if error:
        return Sheet(error=error)
    if not table:
        return Sheet(error=_("The file is empty."))
    if len(table) > MAX_ROWS + 1:
        return Sheet(error=_("The file has more than {n} rows: split it into smaller files.",
                             n=MAX_ROWS))
    known = _header_map(kind)
    fields: list[str | None] = []
    ignored: list[str] = []
    for title in table[0]:
        field = known.get(normalize(title))
        if field in fields:
            field = None  # a repeated column: the first one counts
        fields.append(field)
        if field is None and str(title).strip():
            ignored.append(str(title).strip())
    missing = [label for field, label, required in COLUMNS[kind]
               if required and field not in fields]
    if missing:
        return Sheet(error=_(
            "Row 1 (the header) lacks the column(s): {columns}. Start from the template.",
            columns=", ".join(_(m) for m in missing)))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue  # blank lines are skipped, but keep their row numbers
        values = {f: str(cells[i]).strip() for i, f in enumerate(fields)
                  if f is not None and i < len(cells)}
        rows.append((number, values))
    if not rows:
        return Sheet(error=_("The file has a header but no rows."))
    return Sheet(rows=rows, ignored=ignored)


def template_csv(kind: str) -> bytes:
    """The header row of the import template, in the current language, as UTF-8 with a BOM
    (so Excel opens Chinese headers correctly)."""
    out = io.StringIO()
    csv.writer(out).writerow([_(label) for _f, label, _r in COLUMNS[kind]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_download(name: str) -> tuple[str, bytes]:
    """``units.csv`` or ``residents.csv``: the file name and the template's bytes."""
    kind = name.removesuffix(".csv")
    if kind not in KINDS:
        raise NotFound(_("Not found."))
    return f"caretaker-{kind}-template.csv", template_csv(kind)
