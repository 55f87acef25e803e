"""Small helpers for the office's reference-data handlers (no queries here)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotAuthenticated
from server.lib.i18n import gettext as _
from server.lib.pages import user_of
from server.refdata.common import Outcome

VARY = {"Vary": "HX-Request"}


def me(request: Request[Any, Any, Any]) -> CurrentUser:
    """The signed-in user (the route's guard has made sure there is one)."""
    user = user_of(request)
    if user is None:
        raise NotAuthenticated(_("Please sign in."))
    return user


def is_fragment(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for part of a page (not a history restore, which wants it all)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def listing(request: Request[Any, Any, Any], folder: str, context: dict[str, Any]) -> Template:
    """A list page: the ``_table.html`` partial for htmx, the whole page otherwise."""
    name = "_table.html" if is_fragment(request) else "index.html"
    return Template(f"office/{folder}/{name}", context=context, headers=VARY)


def form_page(folder: str, context: dict[str, Any], name: str = "form.html") -> Template:
    return Template(f"office/{folder}/{name}", context=context)


def form_result(outcome: Outcome, folder: str, success_url: str, done: str = "saved",
                name: str = "form.html") -> Template | Redirect:
    """Post/redirect/get on success; the form again with its errors (400) otherwise."""
    if outcome.errors:
        return Template(f"office/{folder}/{name}", context=outcome.context, status_code=400)
    return done_redirect(success_url.format(id=outcome.id), done)


def done_redirect(url: str, done: str, **params: Any) -> Redirect:
    """A 303 to ``url`` carrying a notice code (shown once by the page, never raw text)."""
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    sep = "&" if "?" in url else "?"
    return Redirect(f"{url}{sep}done={done}{extra}", status_code=303)


def htmx_aware_redirect(request: Request[Any, Any, Any], url: str) -> Redirect | ClientRedirect:
    if is_fragment(request):
        return ClientRedirect(url)
    return Redirect(url, status_code=303)


def htmx_aware_errors(request: Request[Any, Any, Any], template: str,
                      context: dict[str, Any], partial: str) -> Template:
    """A form with errors: 400 for a plain post; for htmx, which swaps only 2xx responses,
    the partial with 200."""
    if is_fragment(request):
        return Template(partial, context=context, headers=VARY)
    return Template(template, context=context, status_code=400, headers=VARY)
