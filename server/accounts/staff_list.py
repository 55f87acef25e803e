"""Staff accounts on the generic lists (:mod:`server.refdata`; administrators only): the
fields come from :data:`server.accounts.records.STAFF`. What is the accounts' own: the
sites a person works at, the password (set on creation; reset on the detail page), a user
name nobody else has, and access that ends at once — deactivating ends their sign-ins and
revokes their phones in the same transaction, and nobody demotes or deactivates themselves."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from server.accounts import auth_cache
from server.accounts.records import STAFF
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, Staff, StaffSite, WebSession
from server.db import write_transaction
from server.estate.tables import Site
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, plain
from server.lib.security import MIN_PASSWORD_LENGTH, hash_password
from server.refdata import forms
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from sync.streams import ROLE_LABELS

MAX_PASSWORD_LENGTH = 200


def now() -> datetime:
    return datetime.now(UTC)


async def all_sites() -> list[dict[str, Any]]:
    rows = await Site.select(Site.id, Site.code, Site.name, Site.active).order_by(Site.code)
    return [plain(r) for r in rows]


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("At least {n} characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("At most {n} characters.", n=MAX_PASSWORD_LENGTH)
    return None


SYSTEM_PREFIX = "system:"  # user names no sign-in form accepts


class StaffList(RefList):
    slug = "staff"
    type = STAFF
    table = Staff
    title, new_title, legend = "Staff", "New staff member", "Staff details"
    columns = (Col("username", show="link"), Col("display_name"), Col("role", show="choice"),
               Col("site_codes", "Sites"), Col("phone"), Col("active", "Status", show="status"))
    inputs = (
        Input("username", hint="Lowercase letters, digits, dot, - and _; used to sign in.",
              prepare=lambda v: v.strip().lower(),
              attrs={"autocapitalize": "none", "spellcheck": "false"}),
        Input("display_name"),
        Input("role", widget="select", default="patrol", required=True),
        Input("phone", widget="tel", attrs={"inputmode": "tel"}),
        Input("sites", "", "Sites", widget="checkboxes",
              hint="The sites this person works at (administrators see every site)."),
        Input("password", "", "Password", widget="password", when="create", required=True,
              attrs={"autocomplete": "new-password"}),
    )
    search = ("username", "display_name", "phone")
    search_hint = "User name, name or phone"
    order = ("username",)
    filters = (Filter("site", "Site", everything="All my sites"),
               Filter("role", "Role", everything="All roles"))
    readers = "admin"
    site_column = ""
    synced = False
    detail_template = "office/staff/_access.html"

    def scope(self, user: CurrentUser, site: str = "") -> Any:
        """People only: the server's own identities (``system:…``, e.g. the patrol
        planner that the audit names) are not staff to manage."""
        return Staff.username.not_like(f"{SYSTEM_PREFIX}%")

    def where_filter(self, name: str, value: str, user: CurrentUser) -> Any:
        if name == "role":
            return (Staff.role == value) if value in ROLE_LABELS else None
        if name == "site":
            site = as_id(value)
            return Staff.id.is_in(StaffSite.select(StaffSite.staff).where(
                StaffSite.site == site)) if site else None
        return super().where_filter(name, value, user)

    async def filter_options(self, name: str, user: CurrentUser, value: str
                             ) -> list[tuple[str, str]]:
        if name == "role":
            return [(code, _(label)) for code, label in ROLE_LABELS.items()]
        return [(s["id"], f"{s['code']} · {s['name']}") for s in await all_sites()]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        codes = {s["id"]: s["code"] for s in await all_sites()}
        ids = [r["id"] for r in rows]
        assigned: dict[str, list[str]] = {}
        if ids:
            for a in await StaffSite.select(StaffSite.staff, StaffSite.site).where(
                    StaffSite.staff.is_in(ids)):
                assigned.setdefault(str(a["staff"]), []).append(codes.get(str(a["site"]), "?"))
        for r in rows:
            r["site_codes"] = ", ".join(sorted(assigned.get(r["id"], [])))

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return row["display_name"], row["username"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(_("Devices"), f"/office/devices?staff={row['id']}")]

    async def load(self, user: CurrentUser, record_id: str) -> dict[str, Any]:
        row = await super().load(user, record_id)
        row.pop("password_hash", None)  # never into a page
        rows = await StaffSite.select(StaffSite.site).where(StaffSite.staff == row["id"])
        row["sites"] = sorted(str(r["site"]) for r in rows)
        return row

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"min_password": MIN_PASSWORD_LENGTH, "password_errors": {}}

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["sites"] = [(s["id"], f"{s['code']} · {s['name']}"
                         + ("" if s["active"] else f" ({_('deactivated')})"))
                        for s in await all_sites()]
        return out

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().form_from_row(row), "sites": list(row["sites"])}

    async def resolve(self, user: CurrentUser | None, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        username = form.values.get("username")
        if username:
            clash = await Staff.select(Staff.id).where(Staff.username == username).first()
            if clash is not None and str(clash["id"]) != (row or {}).get("id"):
                form.error("username", _("Another staff member already uses this user name."))
        chosen = [s for s in (as_id(x) for x in form.shown.get("sites") or []) if s]
        if set(chosen) - {s["id"] for s in await all_sites()}:
            form.error("sites", _("Choose among the listed sites."))
        form.values["sites"] = chosen
        form.shown["sites"] = chosen
        if row is None:
            problem = password_problem(form.secrets.get("password", ""))
            if problem:
                form.error("password", problem)
        elif user is not None and row["id"] == user.id and form.values.get("role") != "admin" \
                and "role" not in form.errors:
            form.error("role", _("You cannot take away your own administrator role."))

    async def write(self, user: CurrentUser | None, row: Mapping[str, Any] | None,
                    values: dict[str, Any], form: Submission) -> str:
        sites = values.pop("sites")
        async with write_transaction():
            if row is None:
                staff = Staff(**values, password_hash=hash_password(form.secrets["password"]))
                if form.once:
                    staff.id = uuid.UUID(form.once)
                await Staff.insert(staff)
                staff_id = str(staff.id)
            else:
                staff_id = str(row["id"])
                await Staff.update({**{getattr(Staff, k): v for k, v in values.items()},
                                    Staff.updated_at: now()}).where(Staff.id == staff_id)
                await StaffSite.delete().where(StaffSite.staff == staff_id)
            for site in sites:
                await StaffSite.insert(StaffSite(staff=staff_id, site=site))
        return staff_id

    async def after_write(self, user: CurrentUser, record_id: str) -> None:
        auth_cache.forget(staff_id=record_id)  # new name, role or sites: at once

    def clash(self) -> tuple[str, str]:
        return "username", _("Another staff member already uses this user name.")

    async def set_active(self, user: CurrentUser, row: Mapping[str, Any], active: bool
                         ) -> str | None:
        if not active and row["id"] == user.id:
            return _("You cannot deactivate your own account.")
        async with write_transaction():
            await Staff.update({Staff.active: active, Staff.updated_at: now()}).where(
                Staff.id == row["id"])
            if not active:
                # gone at once: office sessions end and every phone of theirs is revoked
                await WebSession.delete().where(WebSession.staff == row["id"])
                await Device.update({Device.revoked_at: now(), Device.revoked_by: user.id}
                                    ).where((Device.staff == row["id"])
                                            & Device.revoked_at.is_null())
        return None


STAFF_LIST = StaffList()
LISTS: tuple[RefList, ...] = (STAFF_LIST,)


async def create_staff_record(data: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """Create a staff member from form-like text (``caretaker createadmin``), checked as the
    office's form is: ``(id, {})`` or ``("", errors)``."""
    form = forms.read(STAFF_LIST, data, creating=True)
    await STAFF_LIST.resolve(None, form, None)
    if form.errors:
        return "", form.errors
    return await STAFF_LIST.write(None, None, form.values, form), {}


async def set_password(user: CurrentUser, staff_id: str, password: str) -> str | None:
    """Reset a password: an error, or None. A reset usually means the password leaked: it
    ends the person's other sign-ins (not the administrator's own session) and revokes
    their phones' tokens — their outboxes wait, as after any 401, until they sign in again
    with the new password."""
    row = await STAFF_LIST.load(user, staff_id)
    problem = password_problem(password)
    if problem:
        return problem
    async with write_transaction():
        await Staff.update({Staff.password_hash: hash_password(password),
                            Staff.updated_at: now()}).where(Staff.id == row["id"])
        ended = WebSession.staff == row["id"]
        if user.session_id:
            ended = ended & (WebSession.id != user.session_id)
        await WebSession.delete().where(ended)
        await Device.update({Device.revoked_at: now(), Device.revoked_by: user.id}).where(
            (Device.staff == row["id"]) & Device.revoked_at.is_null())
    auth_cache.forget(staff_id=str(row["id"]))
    return None


async def create_admin(username: str, display_name: str, password: str) -> str:
    """Create an administrator (``caretaker createadmin``), validated like the staff form:
    the new id, or :class:`ValidationFailed` with every problem."""
    from server.lib.errors import ValidationFailed

    staff_id, errors = await create_staff_record({
        "username": username, "display_name": display_name, "role": "admin",
        "password": password})
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()),
                               detail=errors)
    return staff_id
