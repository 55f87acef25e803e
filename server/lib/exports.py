"""The one way the office exports a list to a spreadsheet: every row of the list's current
filters (all pages), as CSV or XLSX, without ever holding the rows in memory — a year of
records exports as well as a day.

A list gives its column headers (already translated), an async iterator of row *batches*
(a keyset- or offset-paged query of ~1,000 rows a time, never the whole result) and a file
name; it gets back a streaming response:

- CSV: UTF-8 with a byte-order mark (Excel opens Chinese text), one chunk per batch, sent
  while the next batch is read;
- XLSX: a workbook written row by row into a temporary file (:mod:`server.lib.xlsx`: the
  zip is deflated as rows arrive, nothing held), then sent from the file in chunks; the file
  is removed when the response ends (or the download is cancelled).

Every cell goes through :func:`server.lib.spreadsheets.safe_cell`: text a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@``…) is kept as text.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, Literal

import anyio
import anyio.to_thread
from litestar.background_tasks import BackgroundTask
from litestar.response import Stream

from server.lib.i18n import gettext as _
from server.lib.queries import both, now, plain
from server.lib.spreadsheets import safe_cell
from server.lib.timezone import estate_zone
from server.lib.xlsx import SheetWriter

CSV_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 1000  # rows a query reads at a time
CHUNK = 64 * 1024  # bytes of the XLSX file sent at a time

Format = Literal["csv", "xlsx"]
Row = Sequence[Any]  # one row's cells, in the headers' order
Batches = AsyncIterator[Sequence[Row]]
Columns = Sequence[tuple[str, str]]  # (row key, English label): a list's export columns
Decorate = Callable[[list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]


# --- cells and rows ------------------------------------------------------------------------

def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, ``None`` is empty, anything
    else is text — neutralised when it would run as a formula."""
    if value.__class__ is str:  # most cells: no conversion
        return safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, float)):
        return value
    return safe_cell(str(value))


def labels(columns: Columns) -> list[str]:
    """The columns' headers, translated."""
    return [_(label) for _key, label in columns]


def row_of(columns: Columns, row: Mapping[str, Any]) -> list[Any]:
    """A row (a mapping) as its cells in the columns' order."""
    return [row.get(key) for key, _label in columns]


async def as_rows(columns: Columns, batches: AsyncIterator[list[dict[str, Any]]],
                  shape: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
                  ) -> Batches:
    """Batches of mappings (``shape``d: labels translated, times shown) as batches of
    cells in the columns' order."""
    async for batch in batches:
        yield [row_of(columns, shape(r) if shape else r) for r in batch]


async def offset_batches(fetch: Callable[[int, int], Awaitable[list[dict[str, Any]]]],
                         size: int = 0) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of a query a page at a time: ``fetch(limit, offset)`` reads one page of
    the list's query (its order must be total: end with the id). For lists whose order
    has no index a keyset could walk (a plain keyset is better where there is one)."""
    size = size or BATCH
    offset = 0
    while True:
        found = await fetch(size, offset)
        if found:
            yield found
        if len(found) < size:
            return
        offset += size


async def keyset_batches(select: Callable[[], Any], where: Any, order: Any, tie: Any, *,
                         ascending: bool = False, size: int = 0,
                         decorate: Decorate | None = None
                         ) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of ``where`` a batch at a time, each batch after the last row of the one
    before: ``select()`` makes a fresh query ordered by ``order`` (a column of the table
    that is never null) then ``tie`` (its id) in the direction ``ascending`` says. The
    database walks the index once instead of sorting and skipping again for every page.
    ``where``: a clause, ``None`` (every row) or ``False`` (none); ``decorate`` turns a
    batch into what the sheet shows (names for ids, labels)."""
    if where is False:
        return
    size = size or BATCH
    key, tie_key = order._meta.name, tie._meta.name
    last: dict[str, Any] | None = None
    while True:
        after = None
        if last is not None:
            v, t = last[key], last[tie_key]
            after = ((order >= v) & ((order > v) | ((order == v) & (tie > t)))) if ascending \
                else ((order <= v) & ((order < v) | ((order == v) & (tie < t))))
        found = [plain(r) for r in await select().where(both(where, after)).limit(size)]
        if found:
            last = found[-1]
            yield (await decorate(found)) if decorate else found
        if len(found) < size:
            return


def stamp(kind: str, *parts: str) -> str:
    """A file name (without its extension): ``kind-parts-YYYYmmdd-HHMM``, estate time."""
    when = f"{now().astimezone(estate_zone()):%Y%m%d-%H%M}"
    return "-".join(p for p in (kind, *parts, when) if p)


def _headers(filename: str) -> dict[str, str]:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-"
                   for c in filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"',
            "Cache-Control": "no-store"}


# --- CSV -----------------------------------------------------------------------------------

async def _csv_chunks(headers: Sequence[str], batches: Batches) -> AsyncIterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in headers])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    async for batch in batches:
        out.seek(0)
        out.truncate()
        writer.writerows(map(cell, r) for r in batch)
        yield out.getvalue().encode("utf-8")


def csv_response(headers: Sequence[str], batches: Batches, filename: str) -> Stream:
    """The rows as CSV, streamed a batch at a time."""
    return Stream(_csv_chunks(headers, batches), media_type=CSV_TYPE,
                  headers=_headers(filename))


# --- XLSX ----------------------------------------------------------------------------------

async def _write_xlsx(path: str, title: str, headers: Sequence[str], batches: Batches
                      ) -> None:
    sheet = await anyio.to_thread.run_sync(SheetWriter, path, _sheet_title(title))
    with sheet:  # each batch is written beside the event loop, into the file
        await anyio.to_thread.run_sync(sheet.header, [cell(h) for h in headers])
        async for batch in batches:
            await anyio.to_thread.run_sync(_xlsx_rows, sheet, batch)


def _xlsx_rows(sheet: SheetWriter, batch: Sequence[Row]) -> None:
    sheet.rows([list(map(cell, r)) for r in batch])


def _sheet_title(title: str) -> str:
    """A worksheet's name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return cleaned[:31] or "Sheet"


def _remove(path: str) -> None:
    with suppress(FileNotFoundError):
        os.remove(path)


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    try:
        async with await anyio.open_file(path, "rb") as f:
            while chunk := await f.read(CHUNK):
                yield chunk
    finally:
        _remove(path)


async def xlsx_response(headers: Sequence[str], batches: Batches, filename: str,
                        title: str = "") -> Stream:
    """The rows as an XLSX workbook (one sheet named ``title``), built in a temporary
    file and streamed from it; the file goes when the response ends."""
    fd, path = tempfile.mkstemp(prefix="caretaker-export-", suffix=".xlsx")
    os.close(fd)
    try:
        await _write_xlsx(path, title or filename.rsplit(".", 1)[0], headers, batches)
    except BaseException:
        _remove(path)
        raise
    return Stream(_file_chunks(path), media_type=XLSX_TYPE, headers=_headers(filename),
                  background=BackgroundTask(_remove, path))


# --- either --------------------------------------------------------------------------------

async def response(fmt: Format, headers: Sequence[str], batches: Batches, name: str,
                   title: str = "") -> Stream:
    """The export in ``fmt`` ("csv" or "xlsx"); ``name`` without its extension."""
    if fmt == "xlsx":
        return await xlsx_response(headers, batches, f"{name}.xlsx", title)
    return csv_response(headers, batches, f"{name}.csv")


async def export(fmt: Format, columns: Columns,
                 batches: AsyncIterator[list[dict[str, Any]]], name: str, title: str = "",
                 shape: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None
                 ) -> Stream:
    """A list's export from its columns ((key, English label)) and batches of row
    mappings (``shape`` makes each row what the sheet shows)."""
    return await response(fmt, labels(columns), as_rows(columns, batches, shape), name,
                          _(title) if title else "")
