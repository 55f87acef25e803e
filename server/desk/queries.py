"""What the office's front-desk pages share: the site a page shows (one of the person's, else
404), a date range of the estate's days as a where-clause, paging a filtered query, the
device time beside the server's receipt time, and the conflicts about a record. Every page
is scoped to the person's sites like every office query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from piccolo.columns.base import Column

from server.accounts.schemas import CurrentUser
from server.cards.queries import conflicts_about
from server.lib.paging import PageOf
from server.lib.queries import (
    both,
    empty_page,
    local_day_start,
    local_time,
    paged,
    plain,
    site_and_sites,
    to_datetime,
)
from server.review.queries import SKEW_LIMIT

__all__ = ["conflicts_about", "day_range", "page_of", "pick_site", "received", "skewed",
           "whole_page"]


async def pick_site(user: CurrentUser, site: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The site a page shows (``site``, else the person's first) and the sites it may switch
    to; a site the person may not see is 404."""
    return await site_and_sites(user, site)


def day_range(column: Column, date_from: str, date_to: str) -> Any:
    """``column`` within the estate's days ``date_from``..``date_to`` (either may be blank:
    no bound; a malformed day bounds nothing)."""
    start, end = local_day_start(date_from), local_day_start(date_to)
    return both(column >= start if start is not None else None,
                column < end + timedelta(days=1) if end is not None else None)


async def page_of(query: Any, count: Any, where: Any, page: int) -> PageOf:
    """A page of ``query`` for ``where`` (``False``: nothing, ``None``: everything)."""
    if where is False:
        return empty_page()
    if where is not None:
        query, count = query.where(where), count.where(where)
    return await paged(query, count, page)


async def whole_page(query: Any, where: Any) -> list[dict[str, Any]]:
    """Every row of ``query`` for ``where`` (the exports)."""
    if where is False:
        return []
    return [plain(r) for r in await (query.where(where) if where is not None else query)]


def skewed(device: Any, receipt: Any) -> bool:
    """The device's time and the server's receipt more than five minutes apart."""
    a, b = to_datetime(device), to_datetime(receipt)
    try:
        return bool(a and b and abs(b - a) > SKEW_LIMIT)
    except OverflowError:
        return True


def received(rows: Iterable[dict[str, Any]], device: str) -> None:
    """Each row's ``device`` time and receipt time as people read them, and whether they
    are far apart (``<device>_shown``, ``received``, ``skewed``)."""
    for r in rows:
        r[f"{device}_shown"] = local_time(r.get(device), seconds=True)
        r["received"] = local_time(r.get("created_at"), seconds=True)
        r["skewed"] = skewed(r.get(device), r.get("created_at"))
