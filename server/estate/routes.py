"""Office pages for sites, buildings, units and residents.

Lists are open to the office (supervisors see their own sites, read-only); every write is for
administrators. Each handler makes one service call."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.estate import service, units_service
from server.estate.import_routes import routes as import_routes
from server.estate.pages import done_redirect, form_page, form_result, listing, me
from server.estate.schemas import ActiveForm, BuildingForm, ResidentForm, SiteForm, UnitForm
from server.lib.pages import admin_only, office_staff

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _toggled(data: ActiveForm) -> tuple[bool, str]:
    active = data.active == "1"
    return active, "reactivated" if active else "deactivated"


# --- sites -----------------------------------------------------------------------------


@get("/office/sites", guards=[office_staff], include_in_schema=False)
async def sites_index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                      page: FromQuery[int] = 1) -> Template:
    return listing(request, "sites", await service.list_sites(me(request), q, page))


@get("/office/sites/new", guards=[admin_only], include_in_schema=False)
async def site_new(request: Request[Any, Any, Any]) -> Template:
    return form_page("sites", await service.site_page(me(request)))


@post("/office/sites", guards=[admin_only], include_in_schema=False)
async def site_create(request: Request[Any, Any, Any],
                      data: Annotated[SiteForm, FORM]) -> Template | Redirect:
    outcome = await service.create_site(me(request), data)
    return form_result(outcome, "sites", "/office/sites/{id}", "created")


@get("/office/sites/{site_id:str}", guards=[office_staff], include_in_schema=False)
async def site_detail(request: Request[Any, Any, Any], site_id: FromPath[str]) -> Template:
    return form_page("sites", await service.site_page(me(request), site_id))


@post("/office/sites/{site_id:str}", guards=[admin_only], include_in_schema=False)
async def site_update(request: Request[Any, Any, Any], site_id: FromPath[str],
                      data: Annotated[SiteForm, FORM]) -> Template | Redirect:
    outcome = await service.update_site(me(request), site_id, data)
    return form_result(outcome, "sites", "/office/sites/{id}")


@post("/office/sites/{site_id:str}/active", guards=[admin_only], include_in_schema=False)
async def site_active(request: Request[Any, Any, Any], site_id: FromPath[str],
                      data: Annotated[ActiveForm, FORM]) -> Redirect:
    active, done = _toggled(data)
    saved = await service.set_site_active(me(request), site_id, active)
    return done_redirect(f"/office/sites/{saved}", done)


# --- buildings -------------------------------------------------------------------------


@get("/office/buildings", guards=[office_staff], include_in_schema=False)
async def buildings_index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                          site: FromQuery[str] = "",
                          page: FromQuery[int] = 1) -> Template:
    return listing(request, "buildings",
                   await service.list_buildings(me(request), q, site, page))


@get("/office/buildings/new", guards=[admin_only], include_in_schema=False)
async def building_new(request: Request[Any, Any, Any], site: FromQuery[str] = "") -> Template:
    return form_page("buildings", await service.building_page(me(request), None, site))


@post("/office/buildings", guards=[admin_only], include_in_schema=False)
async def building_create(request: Request[Any, Any, Any],
                          data: Annotated[BuildingForm, FORM]) -> Template | Redirect:
    outcome = await service.create_building(me(request), data)
    return form_result(outcome, "buildings", "/office/buildings/{id}", "created")


@get("/office/buildings/{building_id:str}", guards=[office_staff], include_in_schema=False)
async def building_detail(request: Request[Any, Any, Any],
                          building_id: FromPath[str]) -> Template:
    return form_page("buildings", await service.building_page(me(request), building_id))


@post("/office/buildings/{building_id:str}", guards=[admin_only], include_in_schema=False)
async def building_update(request: Request[Any, Any, Any], building_id: FromPath[str],
                          data: Annotated[BuildingForm, FORM]) -> Template | Redirect:
    outcome = await service.update_building(me(request), building_id, data)
    return form_result(outcome, "buildings", "/office/buildings/{id}")


@post("/office/buildings/{building_id:str}/active", guards=[admin_only],
      include_in_schema=False)
async def building_active(request: Request[Any, Any, Any], building_id: FromPath[str],
                          data: Annotated[ActiveForm, FORM]) -> Redirect:
    active, done = _toggled(data)
    saved = await service.set_building_active(me(request), building_id, active)
    return done_redirect(f"/office/buildings/{saved}", done)


# --- units -----------------------------------------------------------------------------


@get("/office/units", guards=[office_staff], include_in_schema=False)
async def units_index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                      site: FromQuery[str] = "", building: FromQuery[str] = "",
                      page: FromQuery[int] = 1) -> Template:
    return listing(request, "units",
                   await units_service.list_units(me(request), q, site, building, page))


@get("/office/units/new", guards=[admin_only], include_in_schema=False)
async def unit_new(request: Request[Any, Any, Any], building: FromQuery[str] = "") -> Template:
    return form_page("units", await units_service.unit_page(me(request), None, building))


@post("/office/units", guards=[admin_only], include_in_schema=False)
async def unit_create(request: Request[Any, Any, Any],
                      data: Annotated[UnitForm, FORM]) -> Template | Redirect:
    outcome = await units_service.create_unit(me(request), data)
    return form_result(outcome, "units", "/office/units/{id}", "created")


@get("/office/units/{unit_id:str}", guards=[office_staff], include_in_schema=False)
async def unit_detail(request: Request[Any, Any, Any], unit_id: FromPath[str]) -> Template:
    return form_page("units", await units_service.unit_page(me(request), unit_id))


@post("/office/units/{unit_id:str}", guards=[admin_only], include_in_schema=False)
async def unit_update(request: Request[Any, Any, Any], unit_id: FromPath[str],
                      data: Annotated[UnitForm, FORM]) -> Template | Redirect:
    outcome = await units_service.update_unit(me(request), unit_id, data)
    return form_result(outcome, "units", "/office/units/{id}")


@post("/office/units/{unit_id:str}/active", guards=[admin_only], include_in_schema=False)
async def unit_active(request: Request[Any, Any, Any], unit_id: FromPath[str],
                      data: Annotated[ActiveForm, FORM]) -> Redirect:
    active, done = _toggled(data)
    saved = await units_service.set_unit_active(me(request), unit_id, active)
    return done_redirect(f"/office/units/{saved}", done)


# --- residents -------------------------------------------------------------------------


@get("/office/residents", guards=[office_staff], include_in_schema=False)
async def residents_index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                          site: FromQuery[str] = "",
                          page: FromQuery[int] = 1) -> Template:
    return listing(request, "residents",
                   await units_service.list_residents(me(request), q, site, page))


@get("/office/residents/new", guards=[admin_only], include_in_schema=False)
async def resident_new(request: Request[Any, Any, Any], unit: FromQuery[str] = "") -> Template:
    return form_page("residents", await units_service.resident_page(me(request), None, unit))


@post("/office/residents", guards=[admin_only], include_in_schema=False)
async def resident_create(request: Request[Any, Any, Any],
                          data: Annotated[ResidentForm, FORM]) -> Template | Redirect:
    outcome = await units_service.create_resident(me(request), data)
    return form_result(outcome, "residents", "/office/residents/{id}", "created")


@get("/office/residents/{resident_id:str}", guards=[office_staff], include_in_schema=False)
async def resident_detail(request: Request[Any, Any, Any],
                          resident_id: FromPath[str]) -> Template:
    return form_page("residents", await units_service.resident_page(me(request), resident_id))


@post("/office/residents/{resident_id:str}", guards=[admin_only], include_in_schema=False)
async def resident_update(request: Request[Any, Any, Any], resident_id: FromPath[str],
                          data: Annotated[ResidentForm, FORM]) -> Template | Redirect:
    outcome = await units_service.update_resident(me(request), resident_id, data)
    return form_result(outcome, "residents", "/office/residents/{id}")


@post("/office/residents/{resident_id:str}/active", guards=[admin_only],
      include_in_schema=False)
async def resident_active(request: Request[Any, Any, Any], resident_id: FromPath[str],
                          data: Annotated[ActiveForm, FORM]) -> Redirect:
    active, done = _toggled(data)
    saved = await units_service.set_resident_active(me(request), resident_id, active)
    return done_redirect(f"/office/residents/{saved}", done)


routes = [
    *import_routes,
    sites_index, site_new, site_create, site_detail, site_update, site_active,
    buildings_index, building_new, building_create, building_detail, building_update,
    building_active,
    units_index, unit_new, unit_create, unit_detail, unit_update, unit_active,
    residents_index, resident_new, resident_create, resident_detail, resident_update,
    resident_active,
]
