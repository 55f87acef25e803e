"""The office's card figures for a site: stock levels per batch (in stock, issued,
blacklisted, returned) and, month by month over the last twelve months in the estate's time
zone, the cards issued, the replacements, and the issues ended because the card was lost,
damaged, returned or revoked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.schemas import FIGURE_LABELS, MONTHS_SHOWN, STOCK_LABELS
from server.cards.tables import Card, CardIssue
from server.lib.i18n import gettext as _
from server.lib.queries import now, site_and_sites, to_datetime
from server.lib.timezone import estate_zone
from sync.domains.cards.records import BLACKLISTED, TECHNOLOGIES


def _month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def months(at: datetime | None = None, count: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the last ``count`` months (the current one last), local time."""
    today = (at or now()).astimezone(estate_zone()).date()
    return [_month_start(today, back) for back in range(count - 1, -1, -1)]


def _key(value: Any) -> str:
    moment = to_datetime(value)
    return moment.astimezone(estate_zone()).strftime("%Y-%m") if moment else ""


async def monthly(site: str, at: datetime | None = None) -> list[dict[str, Any]]:
    """One line per month: {"month": "2026-03", issued, replaced, lost, damaged, returned,
    revoked}; the current month last."""
    firsts = months(at)
    start = datetime(firsts[0].year, firsts[0].month, 1, tzinfo=estate_zone()).astimezone(UTC)
    rows = await CardIssue.select(
        CardIssue.issued_at, CardIssue.ended_at, CardIssue.end_reason,
        CardIssue.replaces_issue,
    ).where((CardIssue.site == site) & (
        (CardIssue.issued_at >= start) | (CardIssue.ended_at >= start)))
    lines: dict[str, dict[str, Any]] = {
        f"{d:%Y-%m}": {"month": f"{d:%Y-%m}", **{k: 0 for k, _l in FIGURE_LABELS}}
        for d in firsts}
    for r in rows:
        issued = lines.get(_key(r["issued_at"]))
        if issued is not None:
            issued["issued"] += 1
            if r["replaces_issue"] is not None:
                issued["replaced"] += 1
        ended = lines.get(_key(r["ended_at"])) if r["ended_at"] is not None else None
        if ended is not None and r["end_reason"] in ("lost", "damaged", "returned", "revoked"):
            ended[str(r["end_reason"])] += 1
    return list(lines.values())


async def stock(site: str) -> list[dict[str, Any]]:
    """One line per batch (cards the desk met before the stock knew them on a line of their
    own), with a total line last."""
    rows = await Card.select(Card.batch, Card.technology, Card.status, Card.registered).where(
        Card.site == site)
    lines: dict[tuple[bool, str], dict[str, Any]] = {}
    for r in rows:
        key = (bool(r["registered"]), str(r["batch"] or ""))
        line = lines.setdefault(key, {"batch": key[1], "registered": key[0],
                                      "technologies": set(),
                                      **{k: 0 for k, _l in STOCK_LABELS}})
        line["technologies"].add(str(r["technology"]))
        line["total"] += 1
        status = str(r["status"])
        if status in BLACKLISTED:
            line["blacklisted"] += 1
        elif status in line:
            line[status] += 1
    out = [lines[k] for k in sorted(lines, key=lambda k: (not k[0], k[1]))]
    for line in out:
        line["technology"] = " · ".join(_(TECHNOLOGIES.get(t, t))
                                        for t in sorted(line.pop("technologies")))
    total = {"batch": "", "registered": True, "technology": "", "is_total": True,
             **{k: sum(line[k] for line in out) for k, _l in STOCK_LABELS}}
    return [*out, total] if out else []


async def figures_page(user: CurrentUser, site: str) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    lines = await monthly(chosen["id"])
    totals = {k: sum(line[k] for line in lines) for k, _l in FIGURE_LABELS}
    return {"site": chosen, "sites": sites, "lines": lines, "totals": totals,
            "labels": FIGURE_LABELS}


async def stock_page(user: CurrentUser, site: str) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    return {"site": chosen, "sites": sites, "lines": await stock(chosen["id"]),
            "labels": STOCK_LABELS}
