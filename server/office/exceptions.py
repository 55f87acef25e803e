"""The office home's exceptions, as data: each domain declares its exception kinds in its
``server/<domain>/domain.py`` (``EXCEPTIONS``), the office core its own
(:mod:`server.office.core_kinds`), all gathered by :mod:`server.office.kinds`; this
module reads any of them the same way.

A :class:`Kind` names what is wrong (a label, whether it is an alert), which record type its
items are, the domain's own list of them, and where its items come from: a :class:`Rows`
source (one table and a where-clause) or a source of its own (stale phones, whose sites come
from who is on shift). A source answers two questions, both scoped to the person's sites:

* ``counts`` — how many items per site: ONE ``GROUP BY site`` count query on the table's
  indexed columns, so the home stays fast at a million records;
* ``items`` — the current items of a site (or of all), paged, each with its record's page.

Each count reads through an index of its kind (migration 2026-12-07T10:10): led by the site
(the sites are named even for an administrator), then the columns the kind's condition
constrains, holding only its candidates — a partial index whose WHERE the kind's clause
repeats as written (:func:`literal_in`): SQLite, never ANALYZEd, otherwise reads a whole
site through the site index. tests/integration/test_office_exceptions.py checks the plans.

Acknowledged items are left out in SQL (``NOT EXISTS`` on the indexed acknowledgement table,
:mod:`server.office.tables`): an acknowledgement hides the item of its (kind, record id)
— unless the kind says when the item's cause began (``since``) and that is after the
acknowledgement (a phone that synced since and went quiet again, a card blacklisted again):
then the item is a new occurrence and counts again. Exceptions are computed from the records
on every read, so an item whose cause is gone (a key returned) is gone without anyone
acknowledging it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from piccolo.columns.base import Column
from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count
from piccolo.table import Table

from server.accounts.schemas import CurrentUser
from server.estate.tables import Site
from server.lib.paging import PageOf
from server.lib.queries import as_id, both, empty_page, local_time, paged
from server.lib.timezone import estate_zone
from server.review import present
from server.review.queries import readable
from sync import streams

NO_SITE = "none"  # the ``site`` of the items tied to no site (an org-wide conflict)
ACKS = "exception_ack"  # the acknowledgements' table (server/office/tables.py)


@dataclass(frozen=True)
class Ask:
    """Who asks and when: every source answers for this person at this moment, at
    ``sites`` — the person's sites (an administrator's: every one), named in each query
    even for an administrator (see :func:`site_clause`); :func:`resolved` fills them in."""

    user: CurrentUser
    at: datetime
    stale_hours: int = 4  # CARETAKER_STALE_SYNC_HOURS
    sites: tuple[str, ...] | None = None


async def resolved(ask: Ask) -> Ask:
    """``ask`` with its sites (one query for an administrator's)."""
    if ask.sites is not None:
        return ask
    if not ask.user.is_admin:
        return replace(ask, sites=tuple(ask.user.site_ids))
    return replace(ask, sites=tuple(str(s["id"]) for s in await Site.select(Site.id)))


def site_clause(column: Column, ask: Ask, site: str = "") -> Any:
    """``column`` (a site) among the asker's sites, or ``site`` if it is one of them;
    ``False`` when none. The sites are named even for an administrator: with the kinds'
    indexes led by the site, SQLite (never ANALYZEd) then reads each kind's candidates at
    each site instead of scanning an index of a whole table."""
    sites = ask.sites if ask.sites is not None else ask.user.site_ids
    if site:
        sites = tuple(s for s in sites if s == as_id(site))
    return column.is_in(list(sites)) if sites else False


class Source(Protocol):
    async def counts(self, kind: Kind, ask: Ask) -> dict[str, int]:
        """Items per site id ("" for the items tied to no site)."""
        ...

    async def items(self, kind: Kind, ask: Ask, site: str = "", page: int = 1,
                    record_id: str = "") -> PageOf:
        """The current items (of ``site``, of :data:`NO_SITE`, or all), oldest first: rows
        with ``id``, ``site``, ``space``, ``title``, ``when_text`` and ``href``."""
        ...


@dataclass(frozen=True)
class Kind:
    """One kind of exception on the office home."""

    key: str  # in URLs and acknowledgements: "<domain>.<what>"
    label: str  # a message id (lazy)
    alert: bool  # alerts are listed first and stand out
    record: str  # the record type of its items
    href: str  # the domain's own list of them (every site; "{today}": the estate's day)
    source: Source
    when_label: str = "When"  # what the items' time is (a message id)
    page: str = ""  # the items' page ("/office/x/{id}") where present.page_of is not it

    def link(self, record_id: str) -> str:
        return self.page.format(id=record_id) if self.page else present.page_of(
            self.record, record_id)

    def list_href(self, site: str = "") -> str:
        return f"/office/exceptions/{self.key}" + (f"?site={site}" if site else "")

    def own_list(self, at: datetime) -> str:
        """Where the home's total of every site links: the domain's list (its ``{today}``
        the estate's day of ``at``), else this kind's."""
        today = at.astimezone(estate_zone()).date().isoformat()
        return self.href.format(today=today) if self.href else self.list_href()


def column_sql(value: Column | str) -> str:
    """A column as SQL (``"table"."column"``), or SQL given as it is."""
    if isinstance(value, str):
        return value
    return f'"{value._meta.table._meta.tablename}"."{value._meta.db_column_name}"'


def not_acknowledged(kind: str, record_id: Column, since: Column | str | None = None
                     ) -> WhereRaw:
    """The items of ``kind`` no acknowledgement hides: none names their record, or each
    that does is older than the start of the item's cause (``since``). The SQL names only
    declared tables and columns; the kind is a parameter."""
    sql = (f"NOT EXISTS (SELECT 1 FROM {ACKS} WHERE {ACKS}.kind = {{}} "  # noqa: S608
           f"AND {ACKS}.record_id = {column_sql(record_id)}")
    if since is not None:
        sql += f" AND {ACKS}.acked_at >= {column_sql(since)}"
    return WhereRaw(sql + ")", kind)


def spaces_clause(column: Column, user: CurrentUser, site: str = "") -> Any:
    """``column`` (a space) among the person's readable spaces, narrowed to a site's, or to
    those of no site (:data:`NO_SITE`); ``False`` when none is left."""
    spaces = readable(user)
    if site == NO_SITE:
        spaces = [s for s in spaces if not streams.site_of(s)]
    elif site:
        spaces = [s for s in spaces if streams.site_of(s) == as_id(site)]
    return column.is_in(spaces) if spaces else False


def literal_in(column: Column, values: Iterable[str]) -> WhereRaw:
    """``column = 'a'`` or ``column IN ('a', 'b')`` with the values written out, not bound:
    the term of a partial index's WHERE (SQLite uses a partial index only for a query that
    holds its terms as written; the migration's index and the kind's clause share the
    values' constant)."""
    codes = list(values)
    for v in codes:
        if not SIMPLE.fullmatch(v):
            raise ValueError(f"not a simple code: {v!r}")
    if len(codes) == 1:
        return WhereRaw(f"{column_sql(column)} = '{codes[0]}'")
    listed = ", ".join(f"'{v}'" for v in codes)
    return WhereRaw(f"{column_sql(column)} IN ({listed})")


SIMPLE = re.compile(r"[A-Za-z_]*")
Scope = Callable[[CurrentUser, str], Awaitable[Any]]
Decorate = Callable[[list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Rows:
    """A kind's items are the rows of ``table`` that ``where`` picks (a clause of the
    moment), at the person's sites: by the table's ``site`` column, or by its ``space``
    (``by_space``: conflicts, rejections), or by a ``scope`` of its own."""

    table: type[Table]
    where: Callable[[Ask], Any]
    title: tuple[Column, ...]  # what names an item (joined columns too), joined by " · "
    when: Column  # the item's moment: shown, and the order (oldest first)
    since: Column | str | None = None  # when the item's cause began (see the module)
    by_space: bool = False
    scope: Scope | None = None  # (user, site) -> clause, for a table that needs its own
    decorate: Decorate | None = None  # adds what the rows cannot join (a route's name)
    newest_first: bool = False

    def group(self) -> Column:
        table: Any = self.table
        return table.space if self.by_space else table.site

    async def _scope(self, ask: Ask, site: str) -> Any:
        if self.scope is not None:
            return await self.scope(ask.user, site)
        if self.by_space:
            return spaces_clause(self.group(), ask.user, site)
        if site == NO_SITE:
            return False
        return site_clause(self.group(), await resolved(ask), site)

    async def _where(self, kind: Kind, ask: Ask, site: str, record_id: str = "") -> Any:
        table: Any = self.table
        return both(await self._scope(ask, site), self.where(ask),
                    not_acknowledged(kind.key, table.id, self.since),
                    (table.id == record_id) if record_id else None)

    def _site(self, value: Any) -> str:
        value = str(value or "")
        return streams.site_of(value) if self.by_space else value

    async def count_query(self, kind: Kind, ask: Ask) -> Any:
        """The one query of :meth:`counts` (None when nothing is visible)."""
        where = await self._where(kind, ask, "")
        if where is False:
            return None
        group = self.group()
        return self.table.select(group.as_alias("site"), Count(alias="n")).where(
            where).group_by(group)

    async def counts(self, kind: Kind, ask: Ask) -> dict[str, int]:
        query = await self.count_query(kind, ask)
        rows = await query if query is not None else []
        out: dict[str, int] = {}
        for r in rows:
            site = self._site(r["site"])
            out[site] = out.get(site, 0) + int(r["n"])
        return out

    async def items(self, kind: Kind, ask: Ask, site: str = "", page: int = 1,
                    record_id: str = "") -> PageOf:
        where = await self._where(kind, ask, site, record_id)
        if where is False:
            return empty_page()
        table: Any = self.table
        columns = [table.id.as_alias("id"), self.group().as_alias("site"),
                   self.when.as_alias("when"),
                   *(c.as_alias(f"title_{i}") for i, c in enumerate(self.title))]
        if not self.by_space and hasattr(table, "space"):
            columns.append(table.space.as_alias("space"))
        select = table.select(*columns).where(where).order_by(
            self.when, ascending=not self.newest_first)
        found = await paged(select, table.count().where(where), page)
        for r in found.rows:
            if self.by_space:
                r["space"] = str(r["site"] or "")
            r["site"] = self._site(r["site"])
            r.setdefault("space", "")
            r["title"] = " · ".join(str(r[f"title_{i}"]) for i in range(len(self.title))
                                    if r[f"title_{i}"] not in (None, ""))
            r["when_text"] = local_time(r["when"])
            r["href"] = kind.link(r["id"])
        if self.decorate is not None:
            await self.decorate(found.rows)
        return found


async def totals(chosen: tuple[Kind, ...], ask: Ask) -> list[dict[str, Any]]:
    """Each kind's count, per site (``sites``) and all sites together (``count``)."""
    ask = await resolved(ask)
    out = []
    for kind in chosen:
        per_site = await kind.source.counts(kind, ask)
        out.append({"kind": kind, "key": kind.key, "label": kind.label, "alert": kind.alert,
                    "href": kind.own_list(ask.at), "sites": per_site,
                    "count": sum(per_site.values())})
    return out
