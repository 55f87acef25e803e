"""The office console: its home page (exceptions first) and navigation."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.keys.conflict_queries import office_counts
from server.lib.errors import NotAuthenticated
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff, user_of


@get("/office", guards=[office_staff], include_in_schema=False, name="office_home")
async def office_home(request: Request[Any, Any, Any]) -> Template:
    user = user_of(request)
    if user is None:  # the guard already refused; this keeps the type exact
        raise NotAuthenticated(_("Please sign in."))
    return Template("office/home.html", context={"counts": await office_counts(user)})


routes = [office_home]
