"""What the patrol set-up lists share (:mod:`server.patrol.lists`,
:mod:`server.patrol.route_lists`): the site filter and picker, the record's site from the
form, and who may write (supervisors keep their own sites' set-up too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, sites_of
from server.refdata.spec import Filter, RefList, Submission
from server.review.queries import history

SITE_FILTER = Filter("site", "Site", everything="All my sites")
NAV = "office/patrol/_nav.html"


async def site_choices(user: CurrentUser) -> list[tuple[str, str]]:
    return [("", _("Choose a site")),
            *((s["id"], f"{s['code']} · {s['name']}") for s in await sites_of(user))]


def chosen_site(user: CurrentUser, form: Submission, row: Mapping[str, Any] | None
                ) -> str | None:
    """The record's site: its own when editing, else the form's (one of the user's)."""
    if row is not None:
        return str(row["site"])
    site = as_id(form.values.get("site_id"))
    if site is None or not user.can_see_site(site):
        form.error("site", _("Choose one of your sites."))
        return None
    return site


async def one_site_default(user: CurrentUser, form: dict[str, Any]) -> dict[str, Any]:
    sites = await sites_of(user)
    if not form.get("site") and len(sites) == 1:
        form["site"] = sites[0]["id"]
    return form


class PatrolList(RefList):
    """What the patrol lists share: supervisors keep their own sites' set-up too."""

    writers = "office"
    nav_template = NAV
    filters = (SITE_FILTER,)

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        return await one_site_default(user, await super().blank_form(user, query))

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"history": await history(self.type.name, str(row["id"]))}
