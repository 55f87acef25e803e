"""The pickers of the office's forms and filters: sites and buildings a person may choose."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.estate.tables import Building, Site
from server.lib.queries import plain, scope


async def site_options(user: CurrentUser, include: str | None = None) -> list[dict[str, Any]]:
    """The sites ``user`` may pick from (active ones, plus ``include``)."""
    where = scope(Site.id, user)
    if where is False:
        return []
    query = Site.select(Site.id, Site.code, Site.name, Site.active).order_by(Site.code)
    if where is not None:
        query = query.where(where)
    rows = [plain(r) for r in await query]
    return [r for r in rows if r["active"] or r["id"] == include]


async def building_groups(user: CurrentUser, include: str | None = None
                          ) -> list[dict[str, Any]]:
    """Buildings ``user`` may pick, grouped by site: ``[{label, options: [(id, text)]}]``."""
    where = scope(Building.site, user)
    if where is False:
        return []
    query = Building.select(
        Building.id, Building.code, Building.name, Building.active, Building.site,
        Building.site.name.as_alias("site_name"), Building.site.code.as_alias("site_code"),
    ).order_by(Building.site.code).order_by(Building.code)
    if where is not None:
        query = query.where(where)
    groups: dict[str, dict[str, Any]] = {}
    for r in map(plain, await query):
        if not r["active"] and r["id"] != include:
            continue
        group = groups.setdefault(r["site"], {"label": r["site_name"], "options": []})
        group["options"].append((r["id"], f"{r['code']} · {r['name']}"))
    return list(groups.values())
