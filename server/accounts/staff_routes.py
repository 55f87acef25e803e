"""Office pages for staff accounts (administrators only) and phones (devices: administrators,
and supervisors for the staff of their own sites)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts import staff_service
from server.accounts.staff_service import PasswordForm, StaffForm
from server.estate.pages import done_redirect, form_page, form_result, listing, me
from server.estate.schemas import ActiveForm
from server.lib.pages import admin_only, office_staff

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/office/staff", guards=[admin_only], include_in_schema=False)
async def staff_index(request: Request[Any, Any, Any], q: FromQuery[str] = "",
                      site: FromQuery[str] = "", role: FromQuery[str] = "",
                      page: FromQuery[int] = 1) -> Template:
    return listing(request, "staff",
                   await staff_service.list_staff(me(request), q, site, role, page))


@get("/office/staff/new", guards=[admin_only], include_in_schema=False)
async def staff_new(request: Request[Any, Any, Any]) -> Template:
    return form_page("staff", await staff_service.staff_page(me(request)))


@post("/office/staff", guards=[admin_only], include_in_schema=False)
async def staff_create(request: Request[Any, Any, Any],
                       data: Annotated[StaffForm, FORM]) -> Template | Redirect:
    outcome = await staff_service.create_staff(me(request), data)
    return form_result(outcome, "staff", "/office/staff/{id}", "created")


@get("/office/staff/{staff_id:str}", guards=[admin_only], include_in_schema=False)
async def staff_detail(request: Request[Any, Any, Any], staff_id: FromPath[str]) -> Template:
    return form_page("staff", await staff_service.staff_page(me(request), staff_id))


@post("/office/staff/{staff_id:str}", guards=[admin_only], include_in_schema=False)
async def staff_update(request: Request[Any, Any, Any], staff_id: FromPath[str],
                       data: Annotated[StaffForm, FORM]) -> Template | Redirect:
    outcome = await staff_service.update_staff(me(request), staff_id, data)
    return form_result(outcome, "staff", "/office/staff/{id}")


@post("/office/staff/{staff_id:str}/active", guards=[admin_only], include_in_schema=False)
async def staff_active(request: Request[Any, Any, Any], staff_id: FromPath[str],
                       data: Annotated[ActiveForm, FORM]) -> Template | Redirect:
    active = data.active == "1"
    outcome = await staff_service.set_staff_active(me(request), staff_id, active)
    return form_result(outcome, "staff", "/office/staff/{id}",
                       "reactivated" if active else "deactivated")


@post("/office/staff/{staff_id:str}/password", guards=[admin_only], include_in_schema=False)
async def staff_password(request: Request[Any, Any, Any], staff_id: FromPath[str],
                         data: Annotated[PasswordForm, FORM]) -> Template | Redirect:
    outcome = await staff_service.set_password(me(request), staff_id, data)
    return form_result(outcome, "staff", "/office/staff/{id}", "password")


@get("/office/devices", guards=[office_staff], include_in_schema=False)
async def devices_index(request: Request[Any, Any, Any], site: FromQuery[str] = "",
                        staff: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
    return listing(request, "devices",
                   await staff_service.list_devices(me(request), site, staff, page))


@post("/office/devices/{device_id:str}/revoke", guards=[office_staff],
      include_in_schema=False)
async def device_revoke(request: Request[Any, Any, Any],
                        device_id: FromPath[str]) -> Redirect:
    staff_id = await staff_service.revoke_device(me(request), device_id)
    return done_redirect(f"/office/devices?staff={staff_id}", "revoked")


routes = [staff_index, staff_new, staff_create, staff_detail, staff_update, staff_active,
          staff_password, devices_index, device_revoke]
