"""What every office query shares: scoping to the person's sites, search, paging, and the
shapes rows are shown in. Every list is scoped: a row of another site does not exist for the
person (lists leave it out, a detail by id is 404)."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from piccolo.columns.base import Column
from piccolo.columns.combination import Where
from piccolo.columns.operators.comparison import ComparisonOperator
from piccolo.query.methods.select import Select

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, Staff
from server.estate.tables import Site
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.paging import PER_PAGE, PageOf
from server.lib.timezone import estate_zone


def now() -> datetime:
    return datetime.now(UTC)


def as_id(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def require_id(value: Any) -> str:
    """An id from a URL or form; anything that is not a UUID is simply not found."""
    found = as_id(value)
    if found is None:
        raise NotFound(_("Not found."))
    return found


def scope(column: Column, user: CurrentUser, site: str = "") -> Any:
    """The where-clause limiting ``column`` (a site id) to the user's sites, narrowed to
    ``site`` when given: ``None`` = no limit (admins), ``False`` = nothing visible."""
    wanted = as_id(site)
    allowed = None if user.is_admin else list(user.site_ids)
    if wanted is not None:
        if allowed is not None and wanted not in allowed:
            return False
        return column == wanted
    if allowed is None:
        return None
    return column.is_in(allowed) if allowed else False


def both(*clauses: Any) -> Any:
    """AND of the clauses, skipping ``None``; ``False`` when any clause is ``False``."""
    out = None
    for c in clauses:
        if c is False:
            return False
        if c is not None:
            out = c if out is None else out & c
    return out


class _ContainsCI(ComparisonOperator):
    """Case-insensitive substring match with ``\\`` escaping ``%`` and ``_``."""

    template = "{name} LIKE {value} ESCAPE '\\'"


class _ContainsCIPostgres(ComparisonOperator):
    template = "{name} ILIKE {value} ESCAPE '\\'"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def contains(column: Column, text: str) -> Where:
    """Rows whose ``column`` contains ``text``, ignoring case: ``%`` and ``_`` typed in a
    search are text, not wildcards (SQLite's LIKE ignores ASCII case; PostgreSQL: ILIKE)."""
    # no stored text holds a control character (the kit refuses them): they are dropped
    # from a search (PostgreSQL would refuse a NUL in the query)
    text = _CONTROL.sub("", text)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    operator = (_ContainsCIPostgres if column._meta.engine_type in ("postgres", "cockroach")
                else _ContainsCI)
    return Where(column=column, value=f"%{escaped}%", operator=operator)


async def paged(select: Select, count: Any, page: int) -> PageOf:
    total = await count
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    rows = await select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    return PageOf(rows=[plain(r) for r in rows], total=total, page=page, pages=pages)


def empty_page() -> PageOf:
    return PageOf(rows=[], total=0, page=1, pages=1)


def plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}


def to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def local_time(value: Any, seconds: bool = False) -> str:
    """A stored moment in the estate's time zone — any stored moment: a date far in the
    past or future shows as written instead of failing the page."""
    dt = to_datetime(value)
    if dt is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    try:
        return dt.astimezone(estate_zone()).strftime(fmt)
    except (OverflowError, ValueError):
        return dt.strftime(fmt + " %z")


def local_day_start(text: str) -> datetime | None:
    """The start of a day typed in a date filter, in UTC; None for no day — or one so far
    out (year 1, year 9999) that it bounds nothing (and has no UTC moment to convert to)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if not FILTER_YEARS[0] <= day.year <= FILTER_YEARS[1]:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=estate_zone()).astimezone(UTC)


FILTER_YEARS = (1900, 2200)


def json_value(value: Any) -> Any:
    """A JSON column as Python (Piccolo returns JSON columns as text)."""
    if isinstance(value, (str, bytes)):
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    return value


async def sites_of(user: CurrentUser) -> list[dict[str, Any]]:
    """The sites the user may choose in filters and forms."""
    where = scope(Site.id, user)
    if where is False:
        return []
    query = Site.select(Site.id, Site.code, Site.name).order_by(Site.code)
    if where is not None:
        query = query.where(where)
    return [plain(r) for r in await query]


async def site_and_sites(user: CurrentUser, site: str) -> tuple[dict[str, Any],
                                                                list[dict[str, Any]]]:
    """The site a page shows (``site``, else the user's first) and the sites it may switch
    to; a site the user may not see is 404."""
    sites = await sites_of(user)
    chosen = next((s for s in sites if s["id"] == as_id(site)), None)
    if chosen is None:
        if site or not sites:
            raise NotFound(_("Not found."))
        chosen = sites[0]
    return chosen, sites


async def staff_names(ids: Iterable[Any]) -> dict[str, str]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = await Staff.select(Staff.id, Staff.display_name).where(Staff.id.is_in(wanted))
    return {str(r["id"]): r["display_name"] for r in rows}


async def device_names(ids: Iterable[Any]) -> dict[str, str]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = await Device.select(Device.id, Device.name, Device.staff.display_name).where(
        Device.id.is_in(wanted))
    return {str(r["id"]): r["name"] or r["staff.display_name"] for r in rows}
