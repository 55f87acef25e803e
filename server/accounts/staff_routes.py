"""Office pages for staff accounts (administrators only: the list, forms and deactivation
are :mod:`server.accounts.staff_list` on :mod:`server.refdata`; the password reset is here)
and phones (devices: administrators, and supervisors for the staff of their own sites; the
list exports as CSV or XLSX with its filters)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from server.accounts import staff_service
from server.accounts.staff_list import LISTS, STAFF_LIST, set_password
from server.accounts.staff_service import PasswordForm
from server.lib.pages import admin_only, office_staff
from server.refdata import service as refdata
from server.refdata.pages import done_redirect, listing, me
from server.refdata.routes import routes_for

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@post("/office/staff/{staff_id:str}/password", guards=[admin_only], include_in_schema=False)
async def staff_password(request: Request[Any, Any, Any], staff_id: FromPath[str],
                         data: Annotated[PasswordForm, FORM]) -> Template | Redirect:
    user = me(request)
    problem = await set_password(user, staff_id, data.password)
    if problem:
        context = await refdata.detail_page(STAFF_LIST, user, staff_id)
        context["password_errors"] = {"password": problem}
        return Template("office/ref/form.html", context=context, status_code=400)
    return done_redirect(f"/office/staff/{staff_id}", "password")


@get("/office/devices", guards=[office_staff], include_in_schema=False)
async def devices_index(request: Request[Any, Any, Any], site: FromQuery[str] = "",
                        staff: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
    return listing(request, "devices",
                   await staff_service.list_devices(me(request), site, staff, page))


@get("/office/devices/export.csv", guards=[office_staff], include_in_schema=False)
async def devices_csv(request: Request[Any, Any, Any], site: FromQuery[str] = "",
                      staff: FromQuery[str] = "") -> Stream:
    return await staff_service.export_devices(me(request), site, staff, "csv")


@get("/office/devices/export.xlsx", guards=[office_staff], include_in_schema=False)
async def devices_xlsx(request: Request[Any, Any, Any], site: FromQuery[str] = "",
                       staff: FromQuery[str] = "") -> Stream:
    return await staff_service.export_devices(me(request), site, staff, "xlsx")


@post("/office/devices/{device_id:str}/revoke", guards=[office_staff],
      include_in_schema=False)
async def device_revoke(request: Request[Any, Any, Any],
                        device_id: FromPath[str]) -> Redirect:
    staff_id = await staff_service.revoke_device(me(request), device_id)
    return done_redirect(f"/office/devices?staff={staff_id}", "revoked")


routes = [*(handler for lst in LISTS for handler in routes_for(lst)), staff_password,
          devices_index, devices_csv, devices_xlsx, device_revoke]
