"""Sign-in and sign-out pages, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts import service
from server.accounts.middleware import LANGUAGE_COOKIE, SESSION_COOKIE
from server.accounts.schemas import SignInForm
from server.lib.errors import NotAuthenticated, TooManyAttempts
from server.lib.i18n import LANGUAGES
from server.lib.pages import home_path, user_of
from server.settings import Settings


def _safe_next(value: str) -> str:
    # Only same-site paths: never redirect to another host after sign-in.
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


@get("/login", name="login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any],
                     next: FromQuery[str] = "") -> Template | Redirect:
    user = user_of(request)
    if user is not None:
        return Redirect(_safe_next(next) or home_path(user))
    return Template("accounts/signin.html", context={"form": SignInForm(next=next), "error": ""})


@post("/login", include_in_schema=False)
async def login_submit(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    address = request.client.host if request.client else "unknown"
    try:
        staff = await service.authenticate(settings, data.username, data.password, address)
    except (NotAuthenticated, TooManyAttempts) as e:
        # A failed sign-in re-renders the form with its message (the form is the UI).
        status = e.status_code
        return Template("accounts/signin.html", status_code=status,
                        context={"form": SignInForm(username=data.username, next=data.next),
                                 "error": e.message})
    token = await service.start_session(settings, staff, request.headers.get("user-agent", ""))
    user = await service.user_for_session(token)
    target = _safe_next(data.next) or (home_path(user) if user else "/")
    cookie = Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="lax",
                    secure=settings.secure_cookies, path="/",
                    max_age=settings.session_hours * 3600)
    return Redirect(target, cookies=[cookie], status_code=303)


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await service.end_session(token)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(request: Request[Any, Any, Any], code: FromPath[str],
                          settings: NamedDependency[Settings]) -> Redirect:
    back = _safe_next(request.headers.get("referer", "").split(request.base_url.netloc, 1)[-1])
    response = Redirect(back or "/", status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, path="/", max_age=365 * 86400,
                            samesite="lax", secure=settings.secure_cookies, httponly=True)
    return response


routes = [login_page, login_submit, logout, switch_language]
