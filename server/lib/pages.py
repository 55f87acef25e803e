"""Helpers for server-rendered pages: the template context every page gets, guards."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.accounts.schemas import CurrentUser
from server.lib.errors import Forbidden, NotAuthenticated
from server.lib.i18n import gettext as _
from sync.streams import EVERYTHING, ROLES

STAFF_ROLES = ROLES
OFFICE_ROLES = tuple(r for r in ROLES if r in EVERYTHING)  # supervisors and admins


def user_of(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _h: BaseRouteHandler) -> None:
    if user_of(connection) is None:
        raise NotAuthenticated(_("Please sign in."))


def office_staff(connection: ASGIConnection[Any, Any, Any, Any], _h: BaseRouteHandler) -> None:
    user = user_of(connection)
    if user is None:
        raise NotAuthenticated(_("Please sign in."))
    if user.role not in OFFICE_ROLES:
        raise Forbidden(_("Only the office (supervisors and admins) may open this page."))


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _h: BaseRouteHandler) -> None:
    user = user_of(connection)
    if user is None:
        raise NotAuthenticated(_("Please sign in."))
    if not user.is_admin:
        raise Forbidden(_("Only administrators may manage staff and reference data."))


def home_path(user: CurrentUser) -> str:
    """Where each role lands after signing in."""
    if user.role in OFFICE_ROLES:
        return "/office"
    return "/m/"  # the staff app (works offline once installed)
