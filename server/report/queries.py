"""The monthly report per site for the owners' committee (業委會): one site's figures over one
estate-local calendar month, for the printable page, its PDF and a benchmark.

Sections (server/report/figures.py counts each with aggregate SQL over a (site, time) range):

- ``patrol`` — rounds whose slot began in the month: planned, done, done on time / late,
  incomplete, missed (completion and on-time %), by route; incidents reported.
- ``keys`` — loans made (and voided), returned (and returned late), fallen overdue in the
  month, still out past due at the month's end; by kind of borrower.
- ``cards`` — IC cards issued (of them, replacements), reported lost, damaged, returned,
  revoked.
- ``requests`` — repair requests reported, by category: complaints, response and completion
  by their deadlines or after them, still open.
- ``visits`` — in-home visits begun: how they ended, the residents' 1–5 scores and average.
- ``follow_ups`` — 回訪 done with their A/B/C ratings (share satisfied), due in the month,
  done on time, outstanding.
- ``desk`` — visitors signed in, goods-out passes issued, gate checks by outcome, handovers.

A month with no records has zeros everywhere (each section says ``empty``); a site the
person may not see is 404; a month not written ``YYYY-MM``, or not begun yet, is 400."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, local_time, now, sites_of
from server.report import figures
from server.report.months import Month, current_month, last_full_month, parse_month
from sync.domains.keys.records import BORROWER_KINDS
from sync.domains.repairs.records import CATEGORIES, OUTCOMES

SECTIONS = ("patrol", "keys", "cards", "requests", "visits", "follow_ups", "desk")
# what the report's templates name figures' keys with (message ids)
LABELS = {"borrower_kinds": BORROWER_KINDS, "categories": CATEGORIES,
          "visit_outcomes": OUTCOMES}


async def visible_site(user: CurrentUser, site_id: str) -> tuple[dict[str, Any],
                                                                  list[dict[str, Any]]]:
    """The site (``site_id``, else the person's first) and the sites they may choose; a
    site they may not see, or none at all, is 404."""
    sites = await sites_of(user)
    wanted = as_id(site_id)
    chosen = next((s for s in sites if s["id"] == wanted), None) if site_id else \
        (sites[0] if sites else None)
    if chosen is None:
        raise NotFound(_("Not found."))
    return chosen, sites


async def section(name: str, site: str, month: Month, at: datetime) -> dict[str, Any]:
    """One section's figures (a chart needs only its own)."""
    if name == "patrol":
        return await figures.patrol(site, month, at)
    if name == "keys":
        return await figures.keys(site, month, at)
    if name == "cards":
        return await figures.cards(site, month)
    if name == "requests":
        return await figures.requests(site, month, at)
    if name == "visits":
        return await figures.visits(site, month)
    if name == "follow_ups":
        return await figures.follow_ups(site, month, at)
    if name == "desk":
        return await figures.desk(site, month)
    raise NotFound(_("Not found."))


async def figures_of(site: dict[str, Any], month: Month, at: datetime | None = None
                     ) -> dict[str, Any]:
    at = at or now()
    out: dict[str, Any] = {"site": site, "month": month.key, "generated_at": local_time(at),
                           "running": month.start <= at < month.end}
    for name in SECTIONS:
        out[name] = await section(name, site["id"], month, at)
    out["empty"] = all(out[name]["empty"] for name in SECTIONS)
    return out


async def monthly_report(user: CurrentUser, site_id: str, month: str) -> dict[str, Any]:
    """The figures of every section for ``site_id`` over ``month`` (``YYYY-MM``, the estate's
    calendar): NotFound for a site the user may not see, ValidationFailed for a month that
    is not one."""
    chosen, _sites = await visible_site(user, site_id)
    return await figures_of(chosen, parse_month(month))


async def section_of(user: CurrentUser, site_id: str, month: str, name: str
                     ) -> dict[str, Any]:
    """One section's figures (what its chart draws), counted for it alone."""
    chosen, _sites = await visible_site(user, site_id)
    return await section(name, chosen["id"], parse_month(month), now())


def chart_url(site_id: str, month: str) -> Callable[[str], str]:
    """Where the page's ``<img>`` finds a chart (server/report/routes.py serves it)."""
    return lambda name: f"/office/report/{site_id}/{month}/{name}.svg"


async def report_page(user: CurrentUser, site_id: str, month: str) -> dict[str, Any]:
    """The printable page's context: the pickers and the figures (the last full month when
    none is asked for); a month that is not one shows the pickers with its error."""
    chosen, sites = await visible_site(user, site_id)
    base = {"site": chosen, "sites": sites, "latest": current_month().key, "errors": {},
            **LABELS}
    try:
        wanted = parse_month(month) if month.strip() else last_full_month()
    except ValidationFailed as exc:
        return {**base, "month": month, "errors": exc.detail}
    return {**base, **await figures_of(chosen, wanted),
            "chart_src": chart_url(chosen["id"], wanted.key)}
