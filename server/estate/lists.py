"""The estate's reference-data lists — sites, buildings, units, residents — on the generic
lists of :mod:`server.refdata` (fields, limits, labels and checks come from
``sync/domains/estate.py``). What is the estate's own: the pickers (a building, a unit by
the number people write), codes and numbers unique within their parent, a record that never
leaves its site, and the related records on each page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, plain
from server.refdata.common import clean
from server.refdata.options import building_groups, site_options
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from sync.domains.estate import BUILDING, RESIDENT, SITE, UNIT

SITE_FILTER = Filter("site", "Site", everything="All my sites")


async def _same_code(table: Any, column: Any, value: str, parent: Any = None,
                     parent_id: str = "", record_id: str = "") -> bool:
    """Whether another record (of the parent) already uses ``value`` (case ignored)."""
    query = table.select(table.id, column)
    if parent is not None:
        query = query.where(parent == parent_id)
    return any(str(r[column._meta.name]).lower() == value.lower() and str(r["id"]) != record_id
               for r in await query)


async def _visible_building(user: CurrentUser, building_id: str) -> dict[str, Any] | None:
    bid = as_id(building_id)
    if bid is None:
        return None
    row = await Building.select(Building.id, Building.site, Building.code).where(
        Building.id == bid).first()
    if row is None or not user.can_see_site(str(row["site"])):
        return None
    return plain(row)


async def _chosen_building(user: CurrentUser, form: Submission, row: Mapping[str, Any] | None,
                           other_site: str) -> dict[str, Any] | None:
    """The building the form names, if the person may pick it and (when editing) it is of
    the record's site; else None, with the form's error."""
    building = await _visible_building(user, str(form.shown.get("building") or ""))
    if building is None:
        form.error("building", _("Choose one of the listed buildings."))
    elif row is not None and building["site"] != str(row["site"]):
        form.error("building", other_site)
        building = None
    return building


def _import_action(user: CurrentUser, kind: str, params: Mapping[str, str]
                   ) -> list[tuple[str, str]]:
    if not user.is_admin:
        return []
    site = f"&site={params['site']}" if params.get("site") else ""
    return [(_("Import"), f"/office/import?kind={kind}{site}")]


class SiteList(RefList):
    slug = "sites"
    type = SITE
    table = Site
    title, new_title, legend = "Sites", "New site", "Site details"
    columns = (Col("code", show="link"), Col("name"), Col("address"),
               Col("active", "Status", show="status"))
    inputs = (
        Input("code", hint="Short code, e.g. HYG: letters, digits, - and _.",
              attrs={"autocapitalize": "characters"}),
        Input("name"), Input("address"),
    )
    search = ("code", "name", "address")
    search_hint = "Code, name or address"
    order = ("code",)
    site_column = "id"

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        rid = row["id"]
        return [(_("Buildings: {n}", n=row["buildings"]), f"/office/buildings?site={rid}"),
                (_("Units: {n}", n=row["units"]), f"/office/units?site={rid}"),
                (_("Residents"), f"/office/residents?site={rid}"),
                (_("Devices"), f"/office/devices?site={rid}")]

    async def load(self, user: CurrentUser, record_id: str) -> dict[str, Any]:
        row = await super().load(user, record_id)
        row["buildings"] = await Building.count().where(Building.site == row["id"])
        row["units"] = await Unit.count().where(Unit.site == row["id"])
        return row

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        code = form.values.get("code")
        if code and await _same_code(Site, Site.code, code, record_id=(row or {}).get("id", "")):
            form.error("code", _("Another site already uses this code."))

    async def after_write(self, user: CurrentUser, record_id: str) -> None:
        auth_cache.clear()  # administrators see every active site

    def clash(self) -> tuple[str, str]:
        return "code", _("Another site already uses this code.")


class BuildingList(RefList):
    slug = "buildings"
    type = BUILDING
    table = Building
    title, new_title, legend = "Buildings", "New building", "Building details"
    columns = (Col("site_name", "Site"), Col("code", show="link"), Col("name"),
               Col("active", "Status", show="status"))
    joins = (("site_name", "site.name"),)
    inputs = (Input("site", "site_id", widget="select", when="create"), Input("code"),
              Input("name"))
    search = ("code", "name")
    search_hint = "Code or name"
    order = ("site.code", "code")
    filters = (SITE_FILTER,)

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        out = [(row["site_name"], f"/office/sites/{row['site']}"),
               (_("Units: {n}", n=row["units"]), f"/office/units?building={row['id']}")]
        if user.is_admin:
            out.append((_("New unit"), f"/office/units/new?building={row['id']}"))
        return out

    async def load(self, user: CurrentUser, record_id: str) -> dict[str, Any]:
        row = await super().load(user, record_id)
        row["units"] = await Unit.count().where(Unit.building == row["id"])
        return row

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        return {"site": [(s["id"], f"{s['code']} · {s['name']}")
                         for s in await site_options(user)]}

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = str(row["site"]) if row else form.values.get("site_id") or ""
        if row is None and "site" not in form.errors and \
                site not in {s["id"] for s in await site_options(user)}:
            form.error("site", _("Choose one of the listed sites."))
        code = form.values.get("code")
        if code and "site" not in form.errors and await _same_code(
                Building, Building.code, code, Building.site, site, (row or {}).get("id", "")):
            form.error("code", _("Another building of this site already uses this code."))


class UnitList(RefList):
    slug = "units"
    type = UNIT
    table = Unit
    title, new_title, legend = "Units", "New unit", "Unit details"
    columns = (Col("number", show="link"), Col("building_code", "Building"), Col("floor"),
               Col("area", show="number"), Col("use", show="choice"), Col("site_name", "Site"),
               Col("active", "Status", show="status"))
    joins = (("building_code", "building.code"), ("site_name", "site.name"))
    inputs = (
        Input("building", "", "Building", widget="grouped", required=True),
        Input("number", hint="As residents write it, e.g. A-12F or 12/F-03."),
        Input("floor"),
        Input("area", hint="Optional; more than 0.", attrs={"inputmode": "decimal"}),
        Input("use", widget="select", default="residential"),
    )
    search = ("number", "building.code")
    search_hint = "Unit number or building code"
    order = ("site.code", "building.code", "number")
    filters = (SITE_FILTER, Filter("building", hidden=True))
    detail_template = "office/estate/_unit_residents.html"

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        return _import_action(user, "units", params)

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Unit {number}", number=row["number"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(_("Building {code}", code=row["building_code"]),
                 f"/office/buildings/{row['building']}")]

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        residents = await Resident.select(
            Resident.id, Resident.name, Resident.phone, Resident.relation, Resident.active,
        ).where(Resident.unit == row["id"]).order_by(Resident.name)
        return {"residents": [plain(r) for r in residents]}

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["building"] = await building_groups(user, include=row["building"] if row else None)
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        building = await _chosen_building(
            user, form, row, _("A unit stays in its site: choose a building of the same site."))
        if building is None:
            return
        form.values["building_id"] = building["id"]
        if row is None:
            form.values["site_id"] = building["site"]
        number = form.values.get("number")
        if number and await _same_code(Unit, Unit.number, number, Unit.building,
                                       building["id"], (row or {}).get("id", "")):
            form.error("number", _("This building already has a unit with this number."))


class ResidentList(RefList):
    slug = "residents"
    type = RESIDENT
    table = Resident
    title, new_title, legend = "Residents", "New resident", "Resident details"
    columns = (Col("name", "Full name", show="link"),
               Col("unit_label", "Unit", href="/office/units/{unit}"),
               Col("relation", show="choice"), Col("phone"), Col("id_summary", "ID"),
               Col("site_name", "Site"), Col("active", "Status", show="status"))
    joins = (("unit_number", "unit.number"), ("building_code", "unit.building.code"),
             ("building", "unit.building"), ("site_name", "site.name"))
    inputs = (
        Input("building", "", "Building", widget="grouped", required=True),
        Input("unit_number", "", "Unit number", required=True, attrs={"maxlength": 40}),
        Input("name", label="Full name"),
        Input("phone", widget="tel", attrs={"inputmode": "tel"}),
        Input("relation", widget="select", default="owner"),
        Input("id_type", widget="select", default="none"),
        Input("id_last4", label="ID last 4 characters",
              hint="Only the last 4 characters are kept, never the full ID number.",
              attrs={"maxlength": 12, "autocapitalize": "characters"}),
        Input("notes", widget="textarea"),
    )
    search = ("name", "phone", "unit.number")
    search_hint = "Name, phone or unit number"
    order = ("site.code", "unit.number", "name")
    filters = (SITE_FILTER,)

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        return _import_action(user, "residents", params)

    def selected(self) -> list[Any]:
        return [*super().selected(), Resident.unit, Resident.id_type, Resident.id_last4]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        choices = RESIDENT.field("id_type").choices
        for r in rows:
            r["unit_label"] = f"{r['building_code']} · {r['unit_number']}"
            r["id_summary"] = (f"{_(choices.get(r['id_type'], r['id_type']))} ····"
                               f"{r['id_last4']}" if r["id_type"] != "none" else "")

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return row["name"], row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(_("Unit {number}", number=row["unit_number"]), f"/office/units/{row['unit']}")]

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        uid = as_id(query.get("unit", ""))
        if uid:
            u = await Unit.select(Unit.building, Unit.number, Unit.site).where(
                Unit.id == uid).first()
            if u and user.can_see_site(str(u["site"])):
                form.update(building=str(u["building"]), unit_number=u["number"])
        return form

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["building"] = await building_groups(user, include=row["building"] if row else None)
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        number = clean(str(form.shown.get("unit_number") or ""))
        form.shown["unit_number"] = number
        building = await _chosen_building(
            user, form, row,
            _("A resident stays in their site: choose a building of the same site."))
        if building is None:
            return
        if not number:
            form.error("unit_number", _("Required."))
            return
        units = await Unit.select(Unit.id, Unit.number, Unit.site).where(
            Unit.building == building["id"])
        match = [u for u in units if u["number"].lower() == number.lower()]
        if not match:
            form.error("unit_number", _("Building {building} has no unit {unit}.",
                                        building=building["code"], unit=number))
            return
        form.values["unit_id"] = str(match[0]["id"])
        if row is None:
            form.values["site_id"] = str(match[0]["site"])


LISTS: tuple[RefList, ...] = (SiteList(), BuildingList(), UnitList(), ResidentList())
