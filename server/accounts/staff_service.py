"""The phones (devices) staff use, as the office sees them (admins, and supervisors for the
staff of their own sites): the list and revoking a lost phone. Staff accounts themselves are
:mod:`server.accounts.staff_list`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import msgspec

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, StaffSite
from server.estate.tables import Site
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, both, empty_page, paged, plain, require_id
from server.lib.timezone import local_time

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,59}$")


class PasswordForm(msgspec.Struct, kw_only=True):
    password: str = ""


def now() -> datetime:
    return datetime.now(UTC)


async def _all_sites() -> list[dict[str, Any]]:
    rows = await Site.select(Site.id, Site.code, Site.name, Site.active).order_by(Site.code)
    return [plain(r) for r in rows]


# --- devices -----------------------------------------------------------------------------


def _device_scope(user: CurrentUser) -> Any:
    """Which phones ``user`` may see: all (admins); for a supervisor, those of non-admin
    staff assigned to one of their sites. ``False`` = none."""
    if user.is_admin:
        return None
    if not user.site_ids:
        return False
    staff = StaffSite.select(StaffSite.staff).where(
        StaffSite.site.is_in(list(user.site_ids)))
    return Device.staff.is_in(staff) & (Device.staff.role != "admin")


async def list_devices(user: CurrentUser, site: str = "", staff: str = "",
                       page: int = 1) -> dict[str, Any]:
    scope = _device_scope(user)
    site_id, staff_id = as_id(site), as_id(staff)
    sites = [s for s in await _all_sites() if user.can_see_site(s["id"])]
    context: dict[str, Any] = {"site": site, "staff": staff, "sites": sites}
    if scope is False or (site_id and not user.can_see_site(site_id)):
        return {**context, "page": empty_page()}
    where = both(
        scope,
        Device.staff.is_in(StaffSite.select(StaffSite.staff).where(StaffSite.site == site_id))
        if site_id else None,
        (Device.staff == staff_id) if staff_id else None,
    )
    select = Device.select(
        Device.id, Device.name, Device.created_at, Device.last_seen_at, Device.expires_at,
        Device.revoked_at, Device.staff,
        Device.staff.username.as_alias("username"),
        Device.staff.display_name.as_alias("display_name"),
    ).order_by(Device.last_seen_at, ascending=False)
    count = Device.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    result = await paged(select, count, page)
    moment = now()
    for r in result.rows:
        r["last_seen"] = _when(r["last_seen_at"])
        r["registered"] = _when(r["created_at"])
        r["status"] = ("revoked" if r["revoked_at"] else
                       "expired" if r["expires_at"] < moment else "active")
    return {**context, "page": result}


async def revoke_device(user: CurrentUser, device_id: str) -> str:
    scope = _device_scope(user)
    device_id = require_id(device_id)
    where = both(Device.id == device_id, scope if scope is not False else None)
    row = None if scope is False else await Device.select(Device.id, Device.staff).where(
        where).first()
    if row is None:
        raise NotFound(_("Not found."))
    await Device.update({Device.revoked_at: now(), Device.revoked_by: user.id}).where(
        (Device.id == device_id) & Device.revoked_at.is_null())
    auth_cache.forget(device_id=str(device_id))
    return str(row["staff"])


def _when(moment: datetime | None) -> str:
    """A time as the office reads it (the estate's time zone)."""
    return local_time(moment)
