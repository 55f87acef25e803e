"""The repair set-up the office keeps, on the generic lists (:mod:`server.refdata`): each
site's repair policy — response and completion deadlines per urgency (minutes), the share of
finished repairs followed up, the sampling seed (shown: the office can check which requests
the sample picks) and the currency of charges — and the site's repair team as the phones know
it (a technician's name and trade; the desk assigns from it offline). Fields, limits, labels
and checks come from ``sync/domains/repairs/records.py``. The phones only read these
records, so writes go through :mod:`server.refdata.store`, which bumps the site's visits
space and audits each field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, sites_of
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from server.repairs.board import technicians
from server.repairs.schemas import DEFAULT_CURRENCY
from server.repairs.tables import RepairPolicy, RepairTechnician
from server.review.queries import history
from sync.domains.repairs.common import DEFAULT_SEED
from sync.domains.repairs.records import (
    DEFAULT_DEADLINES,
    DEFAULT_SAMPLE_PERCENT,
    POLICY_TYPE,
    TECHNICIAN_TYPE,
)

NAV = "office/repairs/_nav.html"
DEADLINES = tuple(f"{kind}_{urgency}" for urgency in DEFAULT_DEADLINES
                  for kind in ("respond", "complete"))


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
    """What the repair set-up lists share: supervisors keep their own sites' set-up too."""

    writers = "office"
    nav_template = NAV
    filters = (Filter("site", "Site", everything="All my sites"),)
    joins = (("site_code", "site.code"), ("site_name", "site.name"))

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


class PolicyList(SetupList):
    slug = "repairs/policies"
    type = POLICY_TYPE
    table = RepairPolicy
    title, new_title, legend = "Repair policies", "New repair policy", "Repair policy"
    columns = (Col("site_name", "Site", show="link"), Col("respond_emergency", show="number"),
               Col("complete_emergency", show="number"), Col("respond_urgent", show="number"),
               Col("complete_urgent", show="number"), Col("respond_normal", show="number"),
               Col("complete_normal", show="number"), Col("sample_percent", show="number"),
               Col("sample_seed"), Col("currency"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        *(Input(name, required=True, attrs={"inputmode": "numeric"}) for name in DEADLINES),
        Input("sample_percent", required=True, attrs={"inputmode": "numeric"},
              hint="Complaints and low ratings are always followed up; this share of the rest."),
        Input("sample_seed",
              hint="Decides which requests the sample picks; the same on every phone."),
        Input("currency", required=True, attrs={"autocapitalize": "characters"}),
    )
    search = ("site.name", "site.code")
    search_hint = "Site"
    order = ("site.code",)
    detail_template = "office/repairs/_setup_extras.html"

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Repair policy of {site}", site=row["site_name"]), ""

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        defaults: dict[str, Any] = {"sample_percent": DEFAULT_SAMPLE_PERCENT,
                                    "sample_seed": DEFAULT_SEED, "currency": DEFAULT_CURRENCY}
        for urgency, (respond, complete) in DEFAULT_DEADLINES.items():
            defaults[f"respond_{urgency}"], defaults[f"complete_{urgency}"] = respond, complete
        return {**form, **{k: str(v) for k, v in defaults.items() if not form.get(k)}}

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        for name in (*DEADLINES, "sample_percent"):
            if form.values.get(name) is None and name not in form.errors:
                form.error(name, _("Required."))
        if row is None and site and await RepairPolicy.exists().where(
                RepairPolicy.site == site):
            form.error("site", _("This site already has a repair policy: edit it instead."))


class TechnicianList(SetupList):
    slug = "repairs/technicians"
    type = TECHNICIAN_TYPE
    table = RepairTechnician
    title, new_title, legend = "Repair team", "Add a technician", "Technician"
    columns = (Col("name", show="link"), Col("trade"), Col("site_code", "Site"),
               Col("active", "Status", show="status"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("staff", "staff_id", widget="select", when="create",
              hint="A staff member with the technician role at this site."),
        Input("name", hint="As the desk and residents know them."),
        Input("trade", hint="e.g. plumber, electrician."),
    )
    search = ("name", "trade")
    search_hint = "Name or trade"
    order = ("site.code", "name")
    detail_template = "office/repairs/_setup_extras.html"

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return str(row["name"]), str(row["site_name"])

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        sites = {s["id"]: s["code"] for s in await sites_of(user)}
        out["staff"] = [("", _("Choose"))] + [
            (t["id"], f"{t['name']} ({' · '.join(sorted(sites[s] for s in t['sites']))})")
            for t in await technicians(sorted(sites))]
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        if row is not None or site is None:
            return
        staff = as_id(form.values.get("staff_id"))
        team = {t["id"] for t in await technicians([site])}
        if staff is None or staff not in team:
            form.error("staff", _("Choose a technician of this site."))
            return
        if await RepairTechnician.exists().where(
                (RepairTechnician.site == site) & (RepairTechnician.staff == staff)):
            form.error("staff", _("This technician is already in the site's repair team."))


POLICY_LIST = PolicyList()
TECHNICIAN_LIST = TechnicianList()
LISTS = (POLICY_LIST, TECHNICIAN_LIST)
