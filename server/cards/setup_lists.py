"""The IC-card set-up the office keeps, on the generic lists (:mod:`server.refdata`): each
site's access zones (doors, lift floors, car park: a card's scope), its card policy (cards
per unit, validity, fee and deposit) and per-unit quota overrides. Fields, limits, labels and
checks come from ``sync/domains/cards/records.py``. The desks only read these records, so
writes go through :mod:`server.refdata.store`, which bumps the site's cards space (the
phones receive the change) and audits each field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.tables import CardPolicy, CardQuota, CardZone
from server.estate.tables import Unit
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, sites_of
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from server.review.queries import history
from sync.domains.cards.records import (
    DEFAULT_QUOTA,
    DEFAULT_VALIDITY_DAYS,
    POLICY_TYPE,
    QUOTA_TYPE,
    ZONE_TYPE,
)
from sync.kit import text

NAV = "office/cards/_nav.html"
SITE_FILTER = Filter("site", "Site", everything="All my sites")


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


class SetupList(RefList):
    """What the card set-up lists share: supervisors keep their own sites' set-up too."""

    writers = "office"
    nav_template = NAV
    filters = (SITE_FILTER,)

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        sites = await sites_of(user)
        if not form.get("site") and len(sites) == 1:
            form["site"] = sites[0]["id"]
        return form

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["site"] = await site_choices(user)
        return out

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"history": await history(self.type.name, str(row["id"]))}


class ZoneList(SetupList):
    slug = "cards/zones"
    type = ZONE_TYPE
    table = CardZone
    title, new_title, legend = "Access zones", "New access zone", "Zone details"
    columns = (Col("code", show="link"), Col("name"), Col("kind", show="choice"),
               Col("site_code", "Site"), Col("active", "Status", show="status"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("code", attrs={"autocapitalize": "characters"},
              hint="Short, as the door system names it, e.g. LOBBY-A or LIFT-12."),
        Input("name"),
        Input("kind", widget="select", default="door"),
    )
    search = ("code", "name")
    search_hint = "Code or name"
    order = ("site.code", "code")
    detail_template = "office/cards/_setup_extras.html"

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Zone {code}", code=row["code"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/cards/zones?site={row['site']}")]

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        code = form.values.get("code")
        if site and code:
            same = await CardZone.select(CardZone.id).where(
                (CardZone.site == site) & (CardZone.code == code))
            if any(str(r["id"]) != str((row or {}).get("id", "")) for r in same):
                form.error("code", _("Another zone of this site already has this code."))

    def clash(self) -> tuple[str, str]:
        return "code", _("Another zone of this site already has this code.")


class PolicyList(SetupList):
    slug = "cards/policies"
    type = POLICY_TYPE
    table = CardPolicy
    title, new_title, legend = "Card policies", "New card policy", "Card policy"
    columns = (Col("site_name", "Site", show="link"), Col("quota", show="number"),
               Col("validity_days", show="number"), Col("fee", show="number"),
               Col("deposit", show="number"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("quota", required=True, hint="A unit may have its own number (quota overrides).",
              attrs={"inputmode": "numeric"}),
        Input("validity_days", required=True, hint="Two years is 730 days.",
              attrs={"inputmode": "numeric"}),
        Input("fee", required=True, attrs={"inputmode": "decimal"}),
        Input("deposit", required=True, attrs={"inputmode": "decimal"}),
    )
    search = ("site.name", "site.code")
    search_hint = "Site"
    order = ("site.code",)

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Card policy of {site}", site=row["site_name"]), ""

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        defaults = {"quota": DEFAULT_QUOTA, "validity_days": DEFAULT_VALIDITY_DAYS,
                    "fee": 0, "deposit": 0}
        return {**form, **{k: str(v) for k, v in defaults.items() if not form.get(k)}}

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        for name in ("quota", "validity_days", "fee", "deposit"):
            if form.values.get(name) is None and name not in form.errors:
                form.error(name, _("Required."))
        if row is None and site and await CardPolicy.exists().where(CardPolicy.site == site):
            form.error("site", _("This site already has a card policy: edit it instead."))


class QuotaList(SetupList):
    slug = "cards/quotas"
    type = QUOTA_TYPE
    table = CardQuota
    title, new_title, legend = "Unit quotas", "New unit quota", "Unit's card quota"
    columns = (Col("unit_number", "Unit", show="link"), Col("quota", show="number"),
               Col("notes"), Col("site_code", "Site"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"),
             ("unit_number", "unit.number"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("unit_number", "", "Unit number", when="create", required=True,
              attrs={"maxlength": 40}),
        Input("quota", required=True, attrs={"inputmode": "numeric"},
              hint="Instead of the site's number of cards per unit."),
        Input("notes", widget="textarea"),
    )
    search = ("unit.number", "notes")
    search_hint = "Unit or notes"
    order = ("site.code", "unit.number")

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Card quota of unit {number}", number=row["unit_number"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(_("Unit {number}", number=row["unit_number"]),
                 f"/office/cards/units/{row['unit']}")]

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        if form.values.get("quota") is None and "quota" not in form.errors:
            form.error("quota", _("Required."))
        if row is not None:
            return
        number = text.normalize(str(form.shown.get("unit_number") or ""), "line")
        form.shown["unit_number"] = number
        if not number:
            form.error("unit_number", _("Required."))
            return
        if site is None:
            return
        unit = await Unit.select(Unit.id).where(
            (Unit.site == site) & (Unit.number == number)).first()
        if unit is None:
            form.error("unit_number", _("No unit {number} at this site.", number=number))
            return
        form.values["unit_id"] = str(unit["id"])
        if await CardQuota.exists().where(CardQuota.unit == unit["id"]):
            form.error("unit_number",
                       _("Unit {number} already has its own quota: edit it instead.",
                         number=number))


ZONE_LIST = ZoneList()
POLICY_LIST = PolicyList()
QUOTA_LIST = QuotaList()
