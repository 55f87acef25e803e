"""The office console: its home page (exceptions first) and navigation."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotAuthenticated
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff, user_of
from server.review.present import PRESENTERS
from server.review.queries import review_counts


@get("/office", guards=[office_staff], include_in_schema=False, name="office_home")
async def office_home(request: Request[Any, Any, Any]) -> Template:
    user = user_of(request)
    if user is None:  # the guard already refused; this keeps the type exact
        raise NotAuthenticated(_("Please sign in."))
    return Template("office/home.html", context={"counts": await office_counts(user)})


async def office_counts(user: CurrentUser) -> list[dict[str, Any]]:
    """Exceptions first: what each domain counts, then open conflicts and rejections."""
    counts: list[dict[str, Any]] = []
    for domain_counts in PRESENTERS.counts:
        counts += await domain_counts(user)
    counts += await review_counts(user)
    return sorted(counts, key=lambda c: not c["alert"])


routes = [office_home]
