"""Shared helpers for the office key page tests (register, loans, conflicts)."""

from __future__ import annotations

import re
from typing import Any

from server.accounts.schemas import CurrentUser
from server.sync.tables import SpaceVersion
from tests.factories import csrf_from


class Estate:
    """Two sites: the supervisor ``boss`` runs A only; ``desk`` is a front-desk user of A."""

    def __init__(self, **ids: Any) -> None:
        self.__dict__.update(ids)


async def space_version(space: str) -> int:
    """The version of a space; a bare site id means that site's keys stream."""
    if ":" not in space:
        space = f"{space}:keys"
    row = await SpaceVersion.select(SpaceVersion.version).where(
        SpaceVersion.space == space).first()
    return int(row["version"]) if row else 0


def boss_user(e: Estate) -> CurrentUser:
    return CurrentUser(id=e.boss, username="boss", display_name="boss", role="supervisor",
                       site_ids=(e.a,))


async def post_form(client: Any, page_url: str, url: str, data: dict[str, str]) -> Any:
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


def texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>([^<]*)<', html)
