"""The phones (devices) staff use, as the office sees them (admins, and supervisors for the
staff of their own sites): the list — with what each phone last reported on a sync (its
app's build, the mutations it still had to send: :mod:`server.accounts.device_reports`) —
its exports, and revoking a lost phone. Staff accounts themselves are
:mod:`server.accounts.staff_list`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.response import Stream

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, StaffSite
from server.estate.tables import Site
from server.lib import exports
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import (
    as_id,
    both,
    empty_page,
    paged,
    plain,
    require_id,
    to_datetime,
)
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


def _device_filter(user: CurrentUser, site: str, staff: str) -> Any:
    """The list's filters (site, person) within what ``user`` may see: a where clause, None
    (everything) or ``False`` (nothing)."""
    scope = _device_scope(user)
    site_id, staff_id = as_id(site), as_id(staff)
    if scope is False or (site_id and not user.can_see_site(site_id)):
        return False
    return both(
        scope,
        Device.staff.is_in(StaffSite.select(StaffSite.staff).where(StaffSite.site == site_id))
        if site_id else None,
        (Device.staff == staff_id) if staff_id else None,
    )


def _device_select(where: Any) -> Any:
    select = Device.select(
        Device.id, Device.name, Device.created_at, Device.last_seen_at, Device.expires_at,
        Device.revoked_at, Device.staff, Device.app_version, Device.pending_count,
        Device.reported_at,
        Device.staff.username.as_alias("username"),
        Device.staff.display_name.as_alias("display_name"),
    ).order_by(Device.last_seen_at, ascending=False).order_by(Device.id)
    return select if where is None else select.where(where)


async def list_devices(user: CurrentUser, site: str = "", staff: str = "",
                       page: int = 1) -> dict[str, Any]:
    sites = [s for s in await _all_sites() if user.can_see_site(s["id"])]
    context: dict[str, Any] = {"site": site, "staff": staff, "sites": sites}
    where = _device_filter(user, site, staff)
    if where is False:
        return {**context, "page": empty_page()}
    count = Device.count() if where is None else Device.count().where(where)
    result = await paged(_device_select(where), count, page)
    moment, build = now(), current_build()
    for r in result.rows:
        _shape(r, moment, build)
    return {**context, "page": result}


def current_build() -> str:
    """The build of the staff app this server serves (what an up-to-date phone reports)."""
    from server.app_shell.assets import assets

    return assets().build


def _shape(r: dict[str, Any], moment: datetime, build: str) -> dict[str, Any]:
    """A device row as the office reads it (the page and the exports)."""
    r["last_seen"] = _when(r["last_seen_at"])
    r["registered"] = _when(r["created_at"])
    r["status"] = ("revoked" if r["revoked_at"] else
                   "expired" if r["expires_at"] < moment else "active")
    r["version_state"] = ("" if not r["app_version"] else
                          "current" if r["app_version"] == build else "older")
    reported = to_datetime(r["reported_at"])
    r["reported"] = _when(reported)
    r["reported_iso"] = reported.isoformat() if reported else ""
    r["reported_age"] = _age(reported, moment) if reported else ""
    return r


def _age(moment: datetime, at: datetime) -> str:
    """How long ago ``moment`` was, roughly: the age of a phone's report."""
    minutes = max(0, int((at - moment).total_seconds() // 60))
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("{n} min ago", n=minutes)
    if minutes < 48 * 60:
        return _("{n} h ago", n=minutes // 60)
    return _("{n} days ago", n=minutes // (24 * 60))


STATUS_LABELS = {"active": lazy("Active"), "expired": lazy("Expired"),
                 "revoked": lazy("Revoked")}
VERSION_LABELS = {"current": lazy("Current version"), "older": lazy("Older version")}
EXPORT_COLUMNS: exports.Columns = (
    ("display_name", lazy("Staff")), ("username", lazy("User name")),
    ("device", lazy("Device")), ("last_seen", lazy("Last sync")),
    ("app_version", lazy("App version")), ("version_text", lazy("Version")),
    ("pending_count", lazy("Waiting to sync")), ("reported", lazy("Reported at")),
    ("registered", lazy("Registered")), ("status_text", lazy("Status")),
)


async def export_devices(user: CurrentUser, site: str, staff: str,
                         fmt: exports.Format) -> Stream:
    """Every device of the list's filters (all pages), as CSV or XLSX."""
    where = _device_filter(user, site, staff)
    moment, build = now(), current_build()

    async def fetch(limit: int, offset: int) -> list[dict[str, Any]]:
        if where is False:
            return []
        return [plain(r) for r in await _device_select(where).limit(limit).offset(offset)]

    def shape(r: dict[str, Any]) -> dict[str, Any]:
        r = _shape(r, moment, build)
        return {**r, "device": r["name"] or _("Unnamed phone"),
                "version_text": _(VERSION_LABELS[r["version_state"]])
                if r["version_state"] else "",
                "status_text": _(STATUS_LABELS[r["status"]])}

    batches: AsyncIterator[list[dict[str, Any]]] = exports.offset_batches(fetch)
    return await exports.export(fmt, EXPORT_COLUMNS, batches, exports.stamp("devices"),
                                "Devices", shape)


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
