"""The exports' workbook writer (server/lib/xlsx.py): what it writes, openpyxl reads back as
written — text (escaped, control characters dropped, cut at Excel's limit), numbers as
numbers, empty cells empty, a bold frozen header, the sheet's name; columns past Z."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.lib.xlsx import MAX_CELL, SheetWriter, column_letter


def test_column_letters() -> None:
    assert [column_letter(n) for n in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_what_is_written_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with SheetWriter(str(path), 'Visits & "tags" <1>') as sheet:
        sheet.header(["Name", "Count", "Note"])
        sheet.rows([["陳大文", 3, "A<&>B"], ["'=1+1", 2.5, ""], ["bell\x07", None, "  x\ny "]])
        sheet.rows([["長" * (MAX_CELL + 10), 0, float("inf")]])
        sheet.rows([[str(n) for n in range(30)]])
    book = load_workbook(path)
    assert book.sheetnames == ['Visits & "tags" <1>']
    ws = book.active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][:3] == ["Name", "Count", "Note"]
    assert values[1][:3] == ["陳大文", 3, "A<&>B"]
    assert values[2][:3] == ["'=1+1", 2.5, None]
    assert values[3][:3] == ["bell", None, "  x\ny "]
    assert values[4][0] == "長" * MAX_CELL and values[4][1] == 0 and values[4][2] == "inf"
    assert values[5] == [str(n) for n in range(30)]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws.freeze_panes == "A2"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def _fail(sheet: SheetWriter) -> None:
    with sheet:
        sheet.header(["a"])
        raise RuntimeError("the database went away")


def test_a_failed_export_closes_the_file(tmp_path: Path) -> None:
    sheet = SheetWriter(str(tmp_path / "out.xlsx"), "x")
    with pytest.raises(RuntimeError, match="went away"):
        _fail(sheet)
    assert sheet.sheet.closed and sheet.zip.fp is None  # released: the caller removes it
