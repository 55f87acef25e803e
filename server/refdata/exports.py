"""Any reference-data list as a spreadsheet: every row of the list's search and filters (all
its pages, in its order), as CSV or XLSX through the office's one export
(:mod:`server.lib.exports`). The columns and their texts are the list's own (its
:meth:`~server.refdata.spec.RefList.export_columns` and
:meth:`~server.refdata.spec.RefList.export_rows`: the table's, unless a list says more);
rows are read a batch at a time, so a long list never sits in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.lib import exports
from server.lib.queries import plain
from server.refdata.common import clean
from server.refdata.spec import RefList


def params_of(lst: RefList, query: Mapping[str, str]) -> dict[str, str]:
    """The list's search and filters as the page reads them (a filter's default when the
    query names none)."""
    return {"q": clean(str(query.get("q", "") or "")),
            **{f.name: str(query.get(f.name, "") or f.default) for f in lst.filters}}


def export_query(params: Mapping[str, str]) -> str:
    """The query string an export link carries: the page's search and filters."""
    return urlencode({k: v for k, v in params.items() if v and k != "page"})


async def batches(lst: RefList, user: CurrentUser, params: Mapping[str, str]
                  ) -> AsyncIterator[list[dict[str, Any]]]:
    """Every row of the list's search and filters, as the export shows them, a batch at a
    time (offset pages of the list's own order, the id last so no row comes twice)."""
    where = lst.where(user, params.get("q", ""), params)
    if where is False:
        return

    async def fetch(limit: int, offset: int) -> list[dict[str, Any]]:
        select = lst.table.select(*lst.export_selected())
        for path in lst.order:
            select = select.order_by(lst.column(path))
        select = select.order_by(lst.table._meta.primary_key)
        if where is not None:
            select = select.where(where)
        return [plain(r) for r in await select.limit(limit).offset(offset)]

    async for batch in exports.offset_batches(fetch):
        yield await lst.export_rows(batch)


async def export(lst: RefList, user: CurrentUser, query: Mapping[str, str],
                 fmt: exports.Format) -> Stream:
    lst.check_reader(user)
    params = params_of(lst, query)
    name = exports.stamp(lst.slug.replace("/", "-"))
    return await exports.export(fmt, lst.export_columns(), batches(lst, user, params), name,
                                lst.title)
