"""Staff accounts managed by the office (admins only) and the phones (devices) they use
(admins, and supervisors for the staff of their own sites).

Deactivating a staff member ends their office sessions and revokes their phones in the same
transaction: a person who has left must lose access at once, not when a token expires."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import msgspec

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser
from server.accounts.tables import ROLES, Device, Staff, StaffSite, WebSession
from server.db import write_transaction
from server.estate.common import (
    Outcome,
    check_length,
    check_phone,
    clean,
    combine,
    contains,
    empty_page,
    optional_id,
    paginate,
    parse_id,
    require_admin,
    stringify,
)
from server.estate.tables import Site
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.security import MIN_PASSWORD_LENGTH, hash_password
from server.lib.timezone import local_time

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,59}$")


class StaffForm(msgspec.Struct, kw_only=True):
    username: str = ""
    display_name: str = ""
    role: str = "patrol"
    phone: str = ""
    # Checkboxes: one ticked box arrives as a string, several as a list.
    sites: list[str] | str = msgspec.field(default_factory=list)
    password: str = ""  # only when creating

    @property
    def site_list(self) -> list[str]:
        return [self.sites] if isinstance(self.sites, str) else list(self.sites)


class PasswordForm(msgspec.Struct, kw_only=True):
    password: str = ""


def now() -> datetime:
    return datetime.now(UTC)


async def _all_sites() -> list[dict[str, Any]]:
    rows = await Site.select(Site.id, Site.code, Site.name, Site.active).order_by(Site.code)
    return [stringify(r) for r in rows]


def _check_password(errors: dict[str, str], password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("At least {n} characters.", n=MIN_PASSWORD_LENGTH)
    elif len(password) > 200:
        errors["password"] = _("At most {n} characters.", n=200)


async def _validate(form: StaffForm, staff_id: str | None, creating: bool
                    ) -> tuple[StaffForm, dict[str, str]]:
    username = form.username.strip().lower()
    sites = [s for s in (optional_id(x) for x in form.site_list) if s]
    cleaned = StaffForm(username=username, display_name=clean(form.display_name),
                        role=clean(form.role), phone=clean(form.phone), sites=sites,
                        password=form.password)
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Required.")
    elif not USERNAME_RE.match(username):
        errors["username"] = _(
            "2–60 lowercase letters, digits, dot, - or _, starting with a letter or digit.")
    else:
        clash = await Staff.select(Staff.id).where(Staff.username == username).first()
        if clash is not None and str(clash["id"]) != staff_id:
            errors["username"] = _("Another staff member already uses this user name.")
    check_length(errors, "display_name", cleaned.display_name, 120)
    if cleaned.role not in ROLES:
        errors["role"] = _("Choose one of the listed roles.")
    check_phone(errors, "phone", cleaned.phone)
    known = {s["id"] for s in await _all_sites()}
    if any(s not in known for s in sites):
        errors["sites"] = _("Choose among the listed sites.")
    if creating:
        _check_password(errors, form.password)
    return cleaned, errors


async def create_staff_record(form: StaffForm) -> tuple[str, dict[str, str]]:
    """Validate and create a staff member: ``(id, {})`` or ``("", errors)``."""
    cleaned, errors = await _validate(form, None, creating=True)
    if errors:
        return "", errors
    staff = Staff(username=cleaned.username, display_name=cleaned.display_name,
                  role=cleaned.role, phone=cleaned.phone,
                  password_hash=hash_password(form.password))
    async with write_transaction():
        await Staff.insert(staff)
        for site in cleaned.site_list:
            await StaffSite.insert(StaffSite(staff=staff.id, site=site))
    return str(staff.id), {}


def _form_context(form: StaffForm, errors: dict[str, str], row: dict[str, Any] | None,
                  sites: list[dict[str, Any]]) -> dict[str, Any]:
    # A password is never sent back into a page.
    shown = StaffForm(username=form.username, display_name=form.display_name, role=form.role,
                      phone=form.phone, sites=form.site_list)
    return {"form": shown, "errors": errors, "row": row, "sites": sites, "roles": ROLES,
            "min_password": MIN_PASSWORD_LENGTH, "password_errors": {}}


async def list_staff(user: CurrentUser, q: str = "", site: str = "", role: str = "",
                     page: int = 1) -> dict[str, Any]:
    require_admin(user)
    q = clean(q)
    site_id = optional_id(site)
    where = combine(
        (contains(Staff.username, q) | contains(Staff.display_name, q)
         | contains(Staff.phone, q)) if q else None,
        (Staff.role == role) if role in ROLES else None,
        Staff.id.is_in(StaffSite.select(StaffSite.staff).where(StaffSite.site == site_id))
        if site_id else None,
    )
    select = Staff.select(Staff.id, Staff.username, Staff.display_name, Staff.role,
                          Staff.phone, Staff.active, Staff.last_sign_in_at).order_by(
        Staff.username)
    count = Staff.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    result = await paginate(select, count, page)
    sites = await _all_sites()
    codes = {s["id"]: s["code"] for s in sites}
    ids = [r["id"] for r in result.rows]
    assigned: dict[str, list[str]] = {}
    if ids:
        for a in await StaffSite.select(StaffSite.staff, StaffSite.site).where(
                StaffSite.staff.is_in(ids)):
            assigned.setdefault(str(a["staff"]), []).append(codes.get(str(a["site"]), "?"))
    for r in result.rows:
        r["site_codes"] = sorted(assigned.get(r["id"], []))
    return {"page": result, "q": q, "site": site, "role": role, "sites": sites,
            "roles": ROLES}


async def _staff_row(staff_id: str) -> dict[str, Any]:
    row = await Staff.select(
        Staff.id, Staff.username, Staff.display_name, Staff.role, Staff.phone, Staff.active,
        Staff.created_at, Staff.last_sign_in_at,
    ).where(Staff.id == parse_id(staff_id)).first()
    if row is None:
        raise NotFound(_("Not found."))
    return stringify(row)


async def _assigned(staff_id: str) -> list[str]:
    rows = await StaffSite.select(StaffSite.site).where(StaffSite.staff == staff_id)
    return sorted(str(r["site"]) for r in rows)


async def staff_page(user: CurrentUser, staff_id: str | None = None) -> dict[str, Any]:
    require_admin(user)
    sites = await _all_sites()
    if staff_id is None:
        return _form_context(StaffForm(), {}, None, sites)
    row = await _staff_row(staff_id)
    form = StaffForm(username=row["username"], display_name=row["display_name"],
                     role=row["role"], phone=row["phone"], sites=await _assigned(row["id"]))
    return _form_context(form, {}, row, sites)


async def create_staff(user: CurrentUser, form: StaffForm) -> Outcome:
    require_admin(user)
    staff_id, errors = await create_staff_record(form)
    if errors:
        return Outcome(errors=errors, context=_form_context(form, errors, None,
                                                            await _all_sites()))
    return Outcome(id=staff_id)


async def update_staff(user: CurrentUser, staff_id: str, form: StaffForm) -> Outcome:
    require_admin(user)
    row = await _staff_row(staff_id)
    cleaned, errors = await _validate(form, row["id"], creating=False)
    if row["id"] == user.id and cleaned.role != "admin" and "role" not in errors:
        errors["role"] = _("You cannot take away your own administrator role.")
    if errors:
        return Outcome(errors=errors, context=_form_context(cleaned, errors, row,
                                                            await _all_sites()))
    async with write_transaction():
        await Staff.update({Staff.username: cleaned.username,
                            Staff.display_name: cleaned.display_name, Staff.role: cleaned.role,
                            Staff.phone: cleaned.phone, Staff.updated_at: now()}).where(
            Staff.id == row["id"])
        await StaffSite.delete().where(StaffSite.staff == row["id"])
        for site in cleaned.site_list:
            await StaffSite.insert(StaffSite(staff=row["id"], site=site))
    auth_cache.forget(staff_id=str(row["id"]))  # new name, role or sites: at once
    return Outcome(id=row["id"])


async def set_staff_active(user: CurrentUser, staff_id: str, active: bool) -> Outcome:
    require_admin(user)
    row = await _staff_row(staff_id)
    if not active and row["id"] == user.id:
        errors = {"active": _("You cannot deactivate your own account.")}
        context = await staff_page(user, row["id"])
        return Outcome(errors=errors, context={**context, "errors": errors})
    async with write_transaction():
        await Staff.update({Staff.active: active, Staff.updated_at: now()}).where(
            Staff.id == row["id"])
        if not active:
            # Gone at once: office sessions end and every phone of theirs is revoked.
            await WebSession.delete().where(WebSession.staff == row["id"])
            await Device.update({Device.revoked_at: now(), Device.revoked_by: user.id}).where(
                (Device.staff == row["id"]) & Device.revoked_at.is_null())
    # After the commit (in this process; another worker may lag by auth_cache.TTL_SECONDS).
    auth_cache.forget(staff_id=str(row["id"]))
    return Outcome(id=row["id"])


async def set_password(user: CurrentUser, staff_id: str, form: PasswordForm) -> Outcome:
    require_admin(user)
    row = await _staff_row(staff_id)
    errors: dict[str, str] = {}
    _check_password(errors, form.password)
    if errors:
        context = await staff_page(user, row["id"])
        return Outcome(errors=errors, context={**context, "password_errors": errors})
    async with write_transaction():
        await Staff.update({Staff.password_hash: hash_password(form.password),
                            Staff.updated_at: now()}).where(Staff.id == row["id"])
        # A reset password ends the other sign-ins of that person (but not the admin's own).
        ended = WebSession.staff == row["id"]
        if user.session_id:
            ended = ended & (WebSession.id != user.session_id)
        await WebSession.delete().where(ended)
    auth_cache.forget(staff_id=str(row["id"]))
    return Outcome(id=row["id"])


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
    site_id, staff_id = optional_id(site), optional_id(staff)
    sites = [s for s in await _all_sites() if user.can_see_site(s["id"])]
    context: dict[str, Any] = {"site": site, "staff": staff, "sites": sites}
    if scope is False or (site_id and not user.can_see_site(site_id)):
        return {**context, "page": empty_page()}
    where = combine(
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
    result = await paginate(select, count, page)
    moment = now()
    for r in result.rows:
        r["last_seen"] = _when(r["last_seen_at"])
        r["registered"] = _when(r["created_at"])
        r["status"] = ("revoked" if r["revoked_at"] else
                       "expired" if r["expires_at"] < moment else "active")
    return {**context, "page": result}


async def revoke_device(user: CurrentUser, device_id: str) -> str:
    scope = _device_scope(user)
    device_id = parse_id(device_id)
    where = combine(Device.id == device_id, scope if scope is not False else None)
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
