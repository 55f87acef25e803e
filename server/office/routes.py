"""The office console: its home page (exceptions first) and navigation."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.lib.pages import office_staff


@get("/office", guards=[office_staff], include_in_schema=False, name="office_home")
async def office_home(request: Request[Any, Any, Any]) -> Template:
    return Template("office/home.html")


routes = [office_home]
