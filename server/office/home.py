"""What the office home and an exception's list show (server/office/routes.py renders them).

The home asks each kind once for its counts per site (:func:`server.office.exceptions.totals`:
one ``GROUP BY site`` query a kind) and shows them twice: every kind's total over the
person's sites, linking to the domain's own list; and a table per site, alert kinds first,
each count linking to the kind's items at that site — a kind with nothing at a site is left
out of its table."""

from __future__ import annotations

from typing import Any

from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, sites_of
from server.office.exceptions import NO_SITE, Ask, Kind, totals
from server.office.kinds import kind_of, kinds


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts first, each in its declared order."""
    return sorted(rows, key=lambda r: not r["alert"])


async def home_page(ask: Ask) -> dict[str, Any]:
    counted = await totals(kinds(), ask)
    sites = await sites_of(ask.user)
    groups = [{"id": s["id"], "name": f"{s['code']} · {s['name']}"} for s in sites]
    if any(c["sites"].get("") for c in counted):
        groups.append({"id": NO_SITE, "name": _("Not tied to a site")})
    tables = []
    for group in groups:
        wanted = "" if group["id"] == NO_SITE else group["id"]
        rows = [{"key": c["key"], "label": c["label"], "alert": c["alert"],
                 "count": c["sites"][wanted],
                 "href": c["kind"].list_href(group["id"])}
                for c in counted if c["sites"].get(wanted)]
        tables.append({**group, "rows": _ordered(rows),
                       "alerts": sum(r["count"] for r in rows if r["alert"])})
    return {"counts": _ordered(counted), "sites": tables, "hours": ask.stale_hours}


def kind_or_404(key: str) -> Kind:
    kind = kind_of(key)
    if kind is None:
        raise NotFound(_("Not found."))
    return kind


def site_param(site: str) -> str:
    """A ``site`` from a form as it may go back into a URL."""
    return site if site == NO_SITE else as_id(site) or ""


async def _chosen_site(ask: Ask, site: str) -> tuple[str, list[dict[str, Any]]]:
    """The list's site: "" (all the person's), :data:`NO_SITE`, or one of theirs (else
    404)."""
    sites = await sites_of(ask.user)
    if site in ("", NO_SITE):
        return site, sites
    wanted = as_id(site)
    if wanted is None or all(s["id"] != wanted for s in sites):
        raise NotFound(_("Not found."))
    return wanted, sites


async def list_page(ask: Ask, key: str, site: str = "", page: int = 1) -> dict[str, Any]:
    """A kind's current items (of a site, or all), each with its acknowledge form."""
    kind = kind_or_404(key)
    site, sites = await _chosen_site(ask, site)
    found = await kind.source.items(kind, ask, site, page)
    names = {s["id"]: f"{s['code']} · {s['name']}" for s in sites}
    for r in found.rows:
        r["site_name"] = names.get(str(r["site"]), "") or _("Not tied to a site")
    return {"kind": kind, "page": found, "site": site, "sites": sites, "hours": ask.stale_hours,
            "own_list": kind.own_list(ask.at) if kind.href else "", "no_site": NO_SITE,
            "unsited": site == NO_SITE or getattr(kind.source, "by_space", False),
            "errors": {}, "notes": {}, "failed": ""}
