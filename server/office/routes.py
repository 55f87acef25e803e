"""The office console: its home page (exceptions first, per site), each exception's list
with its acknowledge form, and the acknowledgements made. Handlers make one service call
each; a form with errors comes back with them (400), else post/redirect/get."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.lib.pages import office_staff
from server.lib.queries import now
from server.office import acks, home
from server.office.exceptions import Ask
from server.refdata.pages import me
from server.settings import Settings

Form = RequestEncodingType.URL_ENCODED
OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}


class AckForm(msgspec.Struct, kw_only=True):
    record_id: str = ""
    note: str = ""
    site: str = ""  # the list it came from (to return to)
    page: int = 1


Settings_ = NamedDependency[Settings]


def ask_of(request: Request[Any, Any, Any], settings: Settings) -> Ask:
    return Ask(me(request), now(), settings.stale_sync_hours)


@get("/office", name="office_home", **OFFICE)
async def office_home(request: Request[Any, Any, Any], settings: Settings_) -> Template:
    return Template("office/home.html",
                    context=await home.home_page(ask_of(request, settings)))


@get("/office/exceptions/acknowledged", **OFFICE)
async def acknowledged(request: Request[Any, Any, Any], settings: Settings_,
                       site: FromQuery[str] = "", page: FromQuery[int] = 1) -> Template:
    return Template("office/exceptions/acknowledged.html", context=await acks.acknowledged_page(
        ask_of(request, settings), site, page))


@get("/office/exceptions/{kind:str}", **OFFICE)
async def exception_list(request: Request[Any, Any, Any], settings: Settings_,
                         kind: FromPath[str], site: FromQuery[str] = "",
                         page: FromQuery[int] = 1) -> Template:
    return Template("office/exceptions/list.html", context=await home.list_page(
        ask_of(request, settings), kind, site, page))


@post("/office/exceptions/{kind:str}/acknowledge", **OFFICE)
async def acknowledge(request: Request[Any, Any, Any], settings: Settings_,
                      kind: FromPath[str], data: Annotated[AckForm, Body(media_type=Form)]
                      ) -> Template | Redirect:
    outcome = await acks.submit(ask_of(request, settings), kind, data.record_id, data.note,
                                data.site, data.page)
    if outcome.errors:
        return Template("office/exceptions/list.html", status_code=400,
                        context={**outcome.context, "errors": outcome.errors})
    site = home.site_param(data.site)
    return Redirect(f"/office/exceptions/{kind}?done=acknowledged"
                    + (f"&site={site}" if site else ""), status_code=303)


routes = [office_home, acknowledged, exception_list, acknowledge]
