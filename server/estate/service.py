"""The office's reference data: sites (小區) and buildings (座). Units and residents live in
:mod:`server.estate.units_service`; spreadsheet imports in :mod:`server.estate.importer`.

Every write to a synced table happens in one transaction that bumps the site's space
version (:func:`server.sync.spaces.bump`) and stamps each changed row with it: phones pull by
these versions, so a write without a bump would never reach them.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.estate.common import (
    Outcome,
    check_length,
    clean,
    combine,
    contains,
    empty_page,
    ensure_visible,
    paginate,
    parse_id,
    require_admin,
    site_scope,
    stringify,
)
from server.estate.schemas import BuildingForm, SiteForm
from server.estate.tables import Building, Site, Unit
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.sync.spaces import bump, bump_for

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,19}$")


def now() -> datetime:
    return datetime.now(UTC)


# --- sites -------------------------------------------------------------------------------


async def list_sites(user: CurrentUser, q: str = "", page: int = 1) -> dict[str, Any]:
    q = clean(q)
    scope = site_scope(Site.id, user)
    if scope is False:
        return {"page": empty_page(), "q": q}
    search = None
    if q:
        search = contains(Site.code, q) | contains(Site.name, q) | contains(Site.address, q)
    where = combine(scope, search)
    select = Site.select(Site.id, Site.code, Site.name, Site.address, Site.active).order_by(
        Site.code)
    count = Site.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    return {"page": await paginate(select, count, page), "q": q}


async def _site_row(user: CurrentUser, site_id: str) -> dict[str, Any]:
    site_id = parse_id(site_id)
    ensure_visible(user, site_id)
    row = await Site.select().where(Site.id == site_id).first()
    if row is None:
        raise NotFound(_("Not found."))
    return stringify(row)


async def site_page(user: CurrentUser, site_id: str | None = None) -> dict[str, Any]:
    """The context of a site's form: empty for a new site (admins only), else the site."""
    if site_id is None:
        require_admin(user)
        return {"form": SiteForm(), "errors": {}, "row": None, "readonly": False}
    row = await _site_row(user, site_id)
    counts = {
        "buildings": await Building.count().where(Building.site == row["id"]),
        "units": await Unit.count().where(Unit.site == row["id"]),
    }
    form = SiteForm(code=row["code"], name=row["name"], address=row["address"])
    return {"form": form, "errors": {}, "row": row, "readonly": not user.is_admin,
            "counts": counts}


async def _validate_site(form: SiteForm, site_id: str | None) -> tuple[SiteForm, dict[str, str]]:
    form = SiteForm(code=clean(form.code), name=clean(form.name), address=clean(form.address))
    errors: dict[str, str] = {}
    check_length(errors, "code", form.code, 20)
    if "code" not in errors and not CODE_RE.match(form.code):
        errors["code"] = _("Letters, digits, - and _ only.")
    check_length(errors, "name", form.name, 120)
    check_length(errors, "address", form.address, 255, required=False)
    if "code" not in errors:
        # Codes are compared without case ("hyg" and "HYG" are the same site to a person).
        others = await Site.select(Site.id, Site.code)
        if any(r["code"].lower() == form.code.lower() and str(r["id"]) != site_id
               for r in others):
            errors["code"] = _("Another site already uses this code.")
    return form, errors


async def create_site(user: CurrentUser, form: SiteForm) -> Outcome:
    require_admin(user)
    form, errors = await _validate_site(form, None)
    if errors:
        return Outcome(errors=errors, context={"form": form, "errors": errors, "row": None,
                                               "readonly": False})
    site_id = uuid.uuid4()
    async with write_transaction():
        space, version = await bump_for("site", str(site_id))  # a new site: new spaces
        await Site.insert(Site(id=site_id, code=form.code, name=form.name,
                               address=form.address, space=space, version=version))
    auth_cache.clear()  # every administrator now sees one more site
    return Outcome(id=str(site_id))


async def update_site(user: CurrentUser, site_id: str, form: SiteForm) -> Outcome:
    require_admin(user)
    row = await _site_row(user, site_id)
    form, errors = await _validate_site(form, row["id"])
    if errors:
        return Outcome(errors=errors, context={"form": form, "errors": errors, "row": row,
                                               "readonly": False})
    async with write_transaction():
        version = await bump(row["space"])
        await Site.update({Site.code: form.code, Site.name: form.name,
                           Site.address: form.address, Site.version: version,
                           Site.updated_at: now()}).where(Site.id == row["id"])
    return Outcome(id=row["id"])


async def set_site_active(user: CurrentUser, site_id: str, active: bool) -> str:
    require_admin(user)
    row = await _site_row(user, site_id)
    async with write_transaction():
        version = await bump(row["space"])
        await Site.update({Site.active: active, Site.version: version,
                           Site.updated_at: now()}).where(Site.id == row["id"])
    auth_cache.clear()  # administrators see only active sites
    return str(row["id"])


async def site_options(user: CurrentUser, include: str | None = None) -> list[dict[str, Any]]:
    """The sites ``user`` may pick from (active ones, plus ``include``)."""
    scope = site_scope(Site.id, user)
    if scope is False:
        return []
    query = Site.select(Site.id, Site.code, Site.name, Site.active).order_by(Site.code)
    if scope is not None:
        query = query.where(scope)
    rows = [stringify(r) for r in await query]
    return [r for r in rows if r["active"] or r["id"] == include]


# --- buildings ---------------------------------------------------------------------------


async def list_buildings(user: CurrentUser, q: str = "", site: str = "",
                         page: int = 1) -> dict[str, Any]:
    q = clean(q)
    sites = await site_options(user, include=site or None)
    scope = site_scope(Building.site, user, site)
    if scope is False:
        return {"page": empty_page(), "q": q, "site": site, "sites": sites}
    search = (contains(Building.code, q) | contains(Building.name, q)) if q else None
    where = combine(scope, search)
    select = Building.select(
        Building.id, Building.code, Building.name, Building.active,
        Building.site.name.as_alias("site_name"), Building.site.code.as_alias("site_code"),
    ).order_by(Building.site.code).order_by(Building.code)
    count = Building.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    return {"page": await paginate(select, count, page), "q": q, "site": site, "sites": sites}


async def _building_row(user: CurrentUser, building_id: str) -> dict[str, Any]:
    building_id = parse_id(building_id)
    row = await Building.select(
        *Building.all_columns(), Building.site.name.as_alias("site_name"),
    ).where(Building.id == building_id).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return stringify(row)


async def building_page(user: CurrentUser, building_id: str | None = None,
                        site: str = "") -> dict[str, Any]:
    if building_id is None:
        require_admin(user)
        return {"form": BuildingForm(site=site), "errors": {}, "row": None, "readonly": False,
                "sites": await site_options(user)}
    row = await _building_row(user, building_id)
    form = BuildingForm(site=row["site"], code=row["code"], name=row["name"])
    return {"form": form, "errors": {}, "row": row, "readonly": not user.is_admin,
            "sites": [], "units": await Unit.count().where(Unit.building == row["id"])}


async def _validate_building(user: CurrentUser, form: BuildingForm,
                             row: dict[str, Any] | None) -> tuple[BuildingForm, dict[str, str]]:
    site = row["site"] if row else clean(form.site)
    form = BuildingForm(site=site, code=clean(form.code), name=clean(form.name))
    errors: dict[str, str] = {}
    if row is None:
        options = {s["id"] for s in await site_options(user)}
        if not form.site:
            errors["site"] = _("Required.")
        elif form.site not in options:
            errors["site"] = _("Choose one of the listed sites.")
    check_length(errors, "code", form.code, 20)
    if "code" not in errors and not CODE_RE.match(form.code):
        errors["code"] = _("Letters, digits, - and _ only.")
    check_length(errors, "name", form.name, 120)
    if "code" not in errors and "site" not in errors:
        same_site = await Building.select(Building.id, Building.code).where(
            Building.site == form.site)
        if any(b["code"].lower() == form.code.lower() and str(b["id"]) != (row or {}).get("id")
               for b in same_site):
            errors["code"] = _("Another building of this site already uses this code.")
    return form, errors


async def create_building(user: CurrentUser, form: BuildingForm) -> Outcome:
    require_admin(user)
    form, errors = await _validate_building(user, form, None)
    if errors:
        return Outcome(errors=errors, context={
            "form": form, "errors": errors, "row": None, "readonly": False,
            "sites": await site_options(user)})
    building_id = uuid.uuid4()
    async with write_transaction():
        space, version = await bump_for("building", form.site)
        await Building.insert(Building(id=building_id, site=form.site, code=form.code,
                                       name=form.name, space=space, version=version))
    return Outcome(id=str(building_id))


async def update_building(user: CurrentUser, building_id: str, form: BuildingForm) -> Outcome:
    require_admin(user)
    row = await _building_row(user, building_id)
    form, errors = await _validate_building(user, form, row)
    if errors:
        return Outcome(errors=errors, context={
            "form": form, "errors": errors, "row": row, "readonly": False, "sites": []})
    async with write_transaction():
        version = await bump(row["space"])
        await Building.update({Building.code: form.code, Building.name: form.name,
                               Building.version: version, Building.updated_at: now()}).where(
            Building.id == row["id"])
    return Outcome(id=row["id"])


async def set_building_active(user: CurrentUser, building_id: str, active: bool) -> str:
    require_admin(user)
    row = await _building_row(user, building_id)
    async with write_transaction():
        version = await bump(row["space"])
        await Building.update({Building.active: active, Building.version: version,
                               Building.updated_at: now()}).where(Building.id == row["id"])
    return str(row["id"])


# --- the first administrator ---------------------------------------------------------------


async def create_admin(username: str, display_name: str, password: str) -> str:
    """Create an administrator (``caretaker createadmin``); validated like the staff form.
    Returns the new staff id; raises ValidationFailed with every problem."""
    from server.accounts.staff_service import StaffForm, create_staff_record

    form = StaffForm(username=username, display_name=display_name, role="admin",
                     password=password)
    staff_id, errors = await create_staff_record(form)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()),
                               detail=errors)
    return staff_id
