"""The review list: the synced records of one type, most recently changed first, filtered by site
and review state, each with its author, receipt time and review — the page the office marks
records from, one at a time or a page at once. Built from the declarations, so every field
domain's records are reviewable without a line here."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.newest import newest_first
from server.lib.queries import both, empty_page, local_time, paged, sites_of, staff_names
from server.review import present
from server.review.marks import (
    FILTER_STATES,
    authors,
    review_clause,
    reviewable,
    reviewable_types,
    reviews_of,
)
from server.review.queries import piccolo_table, space_scope
from server.review.schemas import ReviewFilters, query_string
from server.sync.records import TABLES
from sync import streams
from sync.kit.reviews import STATES


def type_choices() -> list[tuple[str, str]]:
    """The reviewable record types, as people name them, in their domains' order."""
    return [(name, _(present.type_label(name))) for name in reviewable_types()]


def where_of(user: CurrentUser, f: ReviewFilters, *, page: bool = False) -> tuple[Any, Any]:
    """The table of the chosen type and the rows the filters leave (False: none); for the
    page's query (``page``) written so SQLite walks the version index (newest_first)."""
    table = piccolo_table(f.type)
    spaces = space_scope(table.space, user, f.site)
    if page:
        spaces = newest_first(spaces)
    return table, both(spaces, review_clause(table.id, f.type, f.state))


async def records_page(user: CurrentUser, f: ReviewFilters) -> dict[str, Any]:
    types = type_choices()
    if not reviewable(f.type):
        f = ReviewFilters(type=types[0][0], site=f.site, state=f.state, page=f.page)
    table, where = where_of(user, f)
    if where is False:
        page = empty_page()
    else:  # newest change first: every synced table has a version index
        select = table.select(*_columns(table, f.type)).where(
            where_of(user, f, page=True)[1]).order_by(table.version, ascending=False)
        page = await paged(select, table.count().where(where), f.page)
    await _decorate(f.type, page.rows, await sites_of(user))
    return {"filters": f, "page": page, "types": types, "sites": await sites_of(user),
            "states": FILTER_STATES, "type_label": present.type_label(f.type),
            "path": "/office/review", "query": lambda **kw: query_string(f, **kw),
            "mark_states": STATES}


def _columns(table: Any, record_type: str) -> list[Any]:
    """The id, space, receipt time and the fields that name a record."""
    rt = TABLES[record_type]
    names = {"id", "space", "created_at"}
    decl = present.record_type(record_type)
    title = decl.title if decl is not None else ()
    columns = {c.name: c.column for c in rt.fields}
    wanted = [getattr(table, n) for n in sorted(names)]
    wanted += [getattr(table, columns[f]) for f in title if f in columns]
    return wanted


async def _decorate(record_type: str, rows: list[dict[str, Any]],
                    sites: list[dict[str, Any]]) -> None:
    ids = [str(r["id"]) for r in rows]
    by_author = await authors(record_type, ids)
    names = await staff_names(by_author.values())
    reviews = await reviews_of(record_type, ids)
    site_names = {str(s["id"]): s["name"] for s in sites}
    rt = TABLES[record_type]
    columns = {c.name: c.column for c in rt.fields}
    for r in rows:
        rid = str(r["id"])
        r["id"] = rid
        r["title"] = present.title(record_type, {f: r.get(c) for f, c in columns.items()}) or rid
        r["href"] = present.page_of(record_type, rid)
        r["history"] = f"/office/records/{record_type}/{rid}"
        r["site_name"] = site_names.get(streams.site_of(r["space"]) or "", "")
        r["received"] = local_time(r["created_at"])
        r["author"] = names.get(by_author.get(rid, ""), "")
        r["review"] = reviews.get(rid)
