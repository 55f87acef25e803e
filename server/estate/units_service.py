"""Units (房號) and their residents (業主/住戶/租戶): lists, forms, deactivation.

A unit or resident never moves to another site (its sync space); within the site it may
move to another building or unit. Each write bumps the site's space version."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.estate.common import (
    Outcome,
    clean,
    combine,
    contains,
    empty_page,
    optional_id,
    paginate,
    parse_id,
    require_admin,
    site_scope,
    stringify,
)
from server.estate.rules import resident_fields, unit_fields
from server.estate.schemas import ResidentForm, UnitForm
from server.estate.service import now, site_options
from server.estate.tables import Building, Resident, Unit
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.sync.spaces import bump, bump_for


async def building_options(user: CurrentUser, include: str | None = None
                           ) -> list[dict[str, Any]]:
    """Buildings ``user`` may pick, grouped by site: ``[{site, buildings: [...]}]``."""
    scope = site_scope(Building.site, user)
    if scope is False:
        return []
    query = Building.select(
        Building.id, Building.code, Building.name, Building.active, Building.site,
        Building.site.name.as_alias("site_name"), Building.site.code.as_alias("site_code"),
    ).order_by(Building.site.code).order_by(Building.code)
    if scope is not None:
        query = query.where(scope)
    groups: dict[str, dict[str, Any]] = {}
    for r in map(stringify, await query):
        if not r["active"] and r["id"] != include:
            continue
        group = groups.setdefault(r["site"], {"site_id": r["site"], "site_name": r["site_name"],
                                              "buildings": []})
        group["buildings"].append(r)
    return list(groups.values())


async def _building_for(user: CurrentUser, building_id: str) -> dict[str, Any] | None:
    bid = optional_id(building_id)
    if bid is None:
        return None
    row = await Building.select(Building.id, Building.site, Building.code).where(
        Building.id == bid).first()
    if row is None or not user.can_see_site(str(row["site"])):
        return None
    return stringify(row)


# --- units -----------------------------------------------------------------------------


async def list_units(user: CurrentUser, q: str = "", site: str = "", building: str = "",
                     page: int = 1) -> dict[str, Any]:
    q = clean(q)
    context: dict[str, Any] = {"q": q, "site": site, "building": building,
                               "sites": await site_options(user, include=site or None)}
    scope = site_scope(Unit.site, user, site)
    if scope is False:
        return {**context, "page": empty_page()}
    bid = optional_id(building)
    where = combine(
        scope,
        (Unit.building == bid) if bid else None,
        (contains(Unit.number, q) | contains(Unit.building.code, q)) if q else None,
    )
    select = Unit.select(
        Unit.id, Unit.number, Unit.floor, Unit.area, Unit.use, Unit.active,
        Unit.building.code.as_alias("building_code"), Unit.site.name.as_alias("site_name"),
    ).order_by(Unit.site.code).order_by(Unit.building.code).order_by(Unit.number)
    count = Unit.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    return {**context, "page": await paginate(select, count, page)}


async def _unit_row(user: CurrentUser, unit_id: str) -> dict[str, Any]:
    unit_id = parse_id(unit_id)
    row = await Unit.select(
        *Unit.all_columns(), Unit.building.code.as_alias("building_code"),
        Unit.site.name.as_alias("site_name"),
    ).where(Unit.id == unit_id).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return stringify(row)


def _unit_form(row: dict[str, Any]) -> UnitForm:
    area = "" if row["area"] is None else f"{row['area']:g}"
    return UnitForm(building=row["building"], number=row["number"], floor=row["floor"],
                    area=area, use=row["use"])


async def unit_page(user: CurrentUser, unit_id: str | None = None,
                    building: str = "") -> dict[str, Any]:
    if unit_id is None:
        require_admin(user)
        return {"form": UnitForm(building=building), "errors": {}, "row": None,
                "readonly": False, "buildings": await building_options(user)}
    row = await _unit_row(user, unit_id)
    residents = await Resident.select(
        Resident.id, Resident.name, Resident.phone, Resident.relation, Resident.active,
    ).where(Resident.unit == row["id"]).order_by(Resident.name)
    return {"form": _unit_form(row), "errors": {}, "row": row, "readonly": not user.is_admin,
            "buildings": await building_options(user, include=row["building"]),
            "residents": [stringify(r) for r in residents]}


async def _check_unit(user: CurrentUser, form: UnitForm, row: dict[str, Any] | None
                      ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    values, errors = unit_fields(form.number, form.floor, form.area, form.use)
    building = await _building_for(user, form.building)
    if building is None:
        errors["building"] = _("Choose one of the listed buildings.")
    elif row is not None and building["site"] != row["site"]:
        errors["building"] = _("A unit stays in its site: choose a building of the same site.")
    elif "number" not in errors:
        same = await Unit.select(Unit.id, Unit.number).where(
            Unit.building == building["id"])
        if any(u["number"].lower() == values["number"].lower()
               and str(u["id"]) != (row or {}).get("id") for u in same):
            errors["number"] = _("This building already has a unit with this number.")
    return values, errors, building


def _redo_unit(form: UnitForm, values: dict[str, Any]) -> UnitForm:
    return UnitForm(building=form.building, number=values["number"], floor=values["floor"],
                    area=clean(form.area), use=values["use"])


async def create_unit(user: CurrentUser, form: UnitForm) -> Outcome:
    require_admin(user)
    values, errors, building = await _check_unit(user, form, None)
    if errors or building is None:
        return Outcome(errors=errors, context={
            "form": _redo_unit(form, values), "errors": errors, "row": None,
            "readonly": False, "buildings": await building_options(user)})
    site = building["site"]
    unit = Unit(site=site, building=building["id"], **values)
    async with write_transaction():
        unit.space, unit.version = await bump_for("unit", site)
        await Unit.insert(unit)
    return Outcome(id=str(unit.id))


async def update_unit(user: CurrentUser, unit_id: str, form: UnitForm) -> Outcome:
    require_admin(user)
    row = await _unit_row(user, unit_id)
    values, errors, building = await _check_unit(user, form, row)
    if errors or building is None:
        return Outcome(errors=errors, context={
            "form": _redo_unit(form, values), "errors": errors, "row": row, "readonly": False,
            "buildings": await building_options(user, include=row["building"])})
    async with write_transaction():
        version = await bump(row["space"])
        await Unit.update({
            Unit.building: building["id"], Unit.number: values["number"],
            Unit.floor: values["floor"], Unit.area: values["area"], Unit.use: values["use"],
            Unit.version: version, Unit.updated_at: now(),
        }).where(Unit.id == row["id"])
    return Outcome(id=row["id"])


async def set_unit_active(user: CurrentUser, unit_id: str, active: bool) -> str:
    require_admin(user)
    row = await _unit_row(user, unit_id)
    async with write_transaction():
        version = await bump(row["space"])
        await Unit.update({Unit.active: active, Unit.version: version,
                           Unit.updated_at: now()}).where(Unit.id == row["id"])
    return str(row["id"])


# --- residents -------------------------------------------------------------------------


async def list_residents(user: CurrentUser, q: str = "", site: str = "",
                         page: int = 1) -> dict[str, Any]:
    q = clean(q)
    context: dict[str, Any] = {"q": q, "site": site,
                               "sites": await site_options(user, include=site or None)}
    scope = site_scope(Resident.site, user, site)
    if scope is False:
        return {**context, "page": empty_page()}
    search = None
    if q:
        search = (contains(Resident.name, q) | contains(Resident.phone, q)
                  | contains(Resident.unit.number, q))
    where = combine(scope, search)
    select = Resident.select(
        Resident.id, Resident.name, Resident.phone, Resident.relation, Resident.id_type,
        Resident.id_last4, Resident.active, Resident.unit,
        Resident.unit.number.as_alias("unit_number"),
        Resident.unit._.building._.code.as_alias("building_code"),
        Resident.site.name.as_alias("site_name"),
    ).order_by(Resident.site.code).order_by(Resident.unit.number).order_by(Resident.name)
    count = Resident.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    return {**context, "page": await paginate(select, count, page)}


async def _resident_row(user: CurrentUser, resident_id: str) -> dict[str, Any]:
    resident_id = parse_id(resident_id)
    row = await Resident.select(
        *Resident.all_columns(), Resident.unit.number.as_alias("unit_number"),
        Resident.unit._.building.as_alias("building"),
        Resident.unit._.building._.code.as_alias("building_code"),
        Resident.site.name.as_alias("site_name"),
    ).where(Resident.id == resident_id).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return stringify(row)


async def resident_page(user: CurrentUser, resident_id: str | None = None,
                        unit: str = "") -> dict[str, Any]:
    if resident_id is None:
        require_admin(user)
        form = ResidentForm()
        uid = optional_id(unit)
        if uid:
            u = await Unit.select(Unit.building, Unit.number, Unit.site).where(
                Unit.id == uid).first()
            if u and user.can_see_site(str(u["site"])):
                form = ResidentForm(building=str(u["building"]), unit_number=u["number"])
        return {"form": form, "errors": {}, "row": None, "readonly": False,
                "buildings": await building_options(user)}
    row = await _resident_row(user, resident_id)
    form = ResidentForm(building=row["building"], unit_number=row["unit_number"],
                        name=row["name"], phone=row["phone"], relation=row["relation"],
                        id_type=row["id_type"], id_last4=row["id_last4"], notes=row["notes"])
    return {"form": form, "errors": {}, "row": row, "readonly": not user.is_admin,
            "buildings": await building_options(user, include=row["building"])}


async def _check_resident(user: CurrentUser, form: ResidentForm, row: dict[str, Any] | None
                          ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    values, errors = resident_fields(form.name, form.phone, form.relation, form.id_type,
                                     form.id_last4, form.notes)
    building = await _building_for(user, form.building)
    unit = None
    number = clean(form.unit_number)
    if building is None:
        errors["building"] = _("Choose one of the listed buildings.")
    elif row is not None and building["site"] != row["site"]:
        errors["building"] = _(
            "A resident stays in their site: choose a building of the same site.")
    elif not number:
        errors["unit_number"] = _("Required.")
    else:
        units = await Unit.select(Unit.id, Unit.number, Unit.site).where(
            Unit.building == building["id"])
        match = [u for u in units if u["number"].lower() == number.lower()]
        if not match:
            errors["unit_number"] = _("Building {building} has no unit {unit}.",
                                      building=building["code"], unit=number)
        else:
            unit = stringify(match[0])
    return values, errors, unit


def _redo_resident(form: ResidentForm, values: dict[str, Any]) -> ResidentForm:
    # A refused ID value is not echoed back into the page (it may be a full ID number).
    return ResidentForm(building=form.building, unit_number=clean(form.unit_number),
                        name=values["name"], phone=values["phone"],
                        relation=values["relation"], id_type=values["id_type"],
                        id_last4=values["id_last4"], notes=values["notes"])


async def create_resident(user: CurrentUser, form: ResidentForm) -> Outcome:
    require_admin(user)
    values, errors, unit = await _check_resident(user, form, None)
    if errors or unit is None:
        return Outcome(errors=errors, context={
            "form": _redo_resident(form, values), "errors": errors, "row": None,
            "readonly": False, "buildings": await building_options(user)})
    site = unit["site"]
    resident = Resident(site=site, unit=unit["id"], **values)
    async with write_transaction():
        resident.space, resident.version = await bump_for("resident", site)
        await Resident.insert(resident)
    return Outcome(id=str(resident.id))


async def update_resident(user: CurrentUser, resident_id: str, form: ResidentForm) -> Outcome:
    require_admin(user)
    row = await _resident_row(user, resident_id)
    values, errors, unit = await _check_resident(user, form, row)
    if errors or unit is None:
        return Outcome(errors=errors, context={
            "form": _redo_resident(form, values), "errors": errors, "row": row,
            "readonly": False, "buildings": await building_options(user, include=row["building"])})
    async with write_transaction():
        version = await bump(row["space"])
        await Resident.update({
            Resident.unit: unit["id"], Resident.name: values["name"],
            Resident.phone: values["phone"], Resident.relation: values["relation"],
            Resident.id_type: values["id_type"], Resident.id_last4: values["id_last4"],
            Resident.notes: values["notes"], Resident.version: version,
            Resident.updated_at: now(),
        }).where(Resident.id == row["id"])
    return Outcome(id=row["id"])


async def set_resident_active(user: CurrentUser, resident_id: str, active: bool) -> str:
    require_admin(user)
    row = await _resident_row(user, resident_id)
    async with write_transaction():
        version = await bump(row["space"])
        await Resident.update({Resident.active: active, Resident.version: version,
                               Resident.updated_at: now()}).where(Resident.id == row["id"])
    return str(row["id"])
