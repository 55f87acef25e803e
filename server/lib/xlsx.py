"""A workbook written row by row to a file: the XLSX of the office's exports
(:mod:`server.lib.exports`).

One sheet of text and numbers (a bold, frozen header row), streamed into the zip archive as
rows arrive — nothing but the batch at hand is ever in memory. openpyxl's write-only mode
keeps memory as low, but builds a cell object and an element tree for every cell: a year of
records (100,000 rows of 15–20 columns) took it ~25 s, and ~5× that with Python's
allocations traced (the export's memory test); this writes the same sheet ~10× faster.
openpyxl still reads it back in the tests (and reads the imports).

Text is written inline (``t="inlineStr"``, no shared-string table to hold), XML-escaped,
without the control characters XML 1.0 cannot carry, and cut at Excel's 32,767 characters
a cell."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

MAX_CELL = 32_767  # characters Excel keeps in a cell
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = HEAD + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>')
ROOT_RELS = HEAD + (
    f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
BOOK_RELS = HEAD + (
    f'<Relationships xmlns="{RELS}">'
    f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC}/styles" Target="styles.xml"/></Relationships>')
STYLES = HEAD + (
    f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
SHEET_TOP = HEAD + (
    f'<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>')
SHEET_END = "</sheetData></worksheet>"


def column_letter(n: int) -> str:
    """The letters of the ``n``-th column (0 = A, 26 = AA)."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _text(value: str) -> str:
    """Text as XML character data (most cells need no change: nothing is copied then)."""
    if len(value) > MAX_CELL:
        value = value[:MAX_CELL]
    if NOT_XML.search(value) is not None:
        value = NOT_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    return value


def _cell(ref: str, value: Any, style: str) -> str:
    if value.__class__ is not str:
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                math.isfinite(value):
            return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
        value = str(value)
    if not value:
        return ""
    return (f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_text(value)}'
            "</t></is></c>")


class SheetWriter:
    """A one-sheet workbook at ``path``: :meth:`header` once, :meth:`rows` for each batch,
    then :meth:`close` (or use it as a context manager)."""

    def __init__(self, path: str, title: str) -> None:
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6)
        for name, text in (("[Content_Types].xml", CONTENT_TYPES),
                           ("_rels/.rels", ROOT_RELS),
                           ("xl/_rels/workbook.xml.rels", BOOK_RELS),
                           ("xl/styles.xml", STYLES),
                           ("xl/workbook.xml", self._workbook(title))):
            self.zip.writestr(name, text)
        self.sheet: IO[bytes] = self.zip.open("xl/worksheets/sheet1.xml", "w")
        self.sheet.write(SHEET_TOP.encode())
        self.letters: list[str] = []
        self.count = 0

    @staticmethod
    def _workbook(title: str) -> str:
        return HEAD + (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name={quoteattr(NOT_XML.sub("", title))} sheetId="1" '
            'r:id="rId1"/></sheets></workbook>')

    def _row(self, values: Sequence[Any], style: str = "") -> str:
        self.count += 1
        if len(values) > len(self.letters):
            self.letters = [column_letter(i) for i in range(len(values))]
        n = self.count
        cells = "".join(_cell(f"{self.letters[i]}{n}", v, style) for i, v in enumerate(values))
        return f'<row r="{n}">{cells}</row>'

    def header(self, values: Sequence[Any]) -> None:
        """The header row (bold)."""
        self.sheet.write(self._row(values, ' s="1"').encode())

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self.sheet.write("".join(self._row(r) for r in rows).encode())

    def close(self) -> None:
        self.sheet.write(SHEET_END.encode())
        self.sheet.close()
        self.zip.close()

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # a failed export: release the file (the caller removes it)
            self.sheet.close()
            self.zip.close()
