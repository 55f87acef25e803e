"""The office's key register: create, edit, retire keys (audited, versioned writes through
:mod:`server.keys.service`'s transaction and audit helpers)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from piccolo.columns.base import Column

from server.accounts.schemas import CurrentUser
from server.estate.tables import Unit
from server.keys import office_queries
from server.keys.office_queries import as_id, now, sites_of
from server.keys.schemas import KEY_CATEGORY_LABELS, KeyForm
from server.keys.service import Outcome, audit, office_hlc, write_transaction
from server.keys.tables import KeyTag
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.sync.spaces import bump

# Fields a phone may correct with key.update (merged by last-writer-wins on field_hlc).
KEY_LWW_FIELDS = ("label", "category", "notes", "unit_id", "retired")
LABEL_SHOWS_UNIT = lazy("The label is printed on the tag list: it must not contain the unit number ({number}).")  # noqa: E501
CODE_SHOWS_UNIT = lazy("The tag code must not contain the unit number ({number}): a lost key must not lead to its flat.")  # noqa: E501


# --- the key register ----------------------------------------------------------------------

def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def code_shows_unit(code: str, unit_number: str) -> bool:
    """True when the tag code contains the unit number, as typed or without its separators
    ("A-12C" is in "HYG-A12C-1"): a lost key must not lead to its flat."""
    if not unit_number:
        return False
    if unit_number.casefold() in code.casefold():
        return True
    compact = _compact(unit_number)
    return len(compact) >= 3 and compact in _compact(code)


async def _check_key(form: KeyForm, site_id: str | None,
                     key_id: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The clean values of a key form and the errors, field by field (the unit and the
    code's uniqueness are checked within the site, once a site is chosen)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "code": " ".join(form.code.split()), "label": " ".join(form.label.split()),
        "category": form.category.strip(), "notes": form.notes.strip(), "unit_id": None,
    }
    if not values["code"]:
        errors["code"] = _("Required.")
    elif len(values["code"]) > 40:
        errors["code"] = _("At most {n} characters.", n=40)
    if not values["label"]:
        errors["label"] = _("Required.")
    elif len(values["label"]) > 120:
        errors["label"] = _("At most {n} characters.", n=120)
    if values["category"] not in KEY_CATEGORY_LABELS:
        errors["category"] = _("Choose a category.")
    if len(values["notes"]) > 2000:
        errors["notes"] = _("At most {n} characters.", n=2000)
    number = " ".join(form.unit_number.split())
    if site_id is None:
        return values, errors
    if number:
        unit = await Unit.select(Unit.id, Unit.number).where(
            (Unit.site == site_id) & (Unit.number == number)).first()
        if unit is None:
            errors["unit_number"] = _("No unit {number} at this site.", number=number)
        else:
            values["unit_id"] = str(unit["id"])
            if values["code"] and code_shows_unit(values["code"], unit["number"]):
                errors["code"] = _(CODE_SHOWS_UNIT, number=unit["number"])
            if values["label"] and code_shows_unit(values["label"], unit["number"]):
                errors["label"] = _(LABEL_SHOWS_UNIT, number=unit["number"])
    if "code" not in errors:
        same = KeyTag.select(KeyTag.id).where(
            (KeyTag.site == site_id) & (KeyTag.code == values["code"]))
        if key_id:
            same = same.where(KeyTag.id != key_id)
        if await same.first() is not None:
            errors["code"] = _("Another key at this site already has this code.")
    return values, errors


async def _key_form_context(user: CurrentUser, form: KeyForm,
                            key: dict[str, Any] | None) -> dict[str, Any]:
    return {"form": form, "key": key, "sites": await sites_of(user),
            "categories": KEY_CATEGORY_LABELS,
            "history": await office_queries.history("key", key["id"]) if key else []}


async def key_form_page(user: CurrentUser, key_id: str | None) -> dict[str, Any]:
    """The context of the new-key form (``key_id`` None) or of a key's edit form."""
    if key_id is None:
        sites = await sites_of(user)
        form = KeyForm(site=sites[0]["id"] if len(sites) == 1 else "")
        return await _key_form_context(user, form, None)
    key = await office_queries.key_detail(user, key_id)
    form = KeyForm(site=key["site"], code=key["code"], label=key["label"],
                   category=key["category"], unit_number=key["unit_number"],
                   notes=key["notes"])
    return await _key_form_context(user, form, key)


async def create_key(user: CurrentUser, form: KeyForm) -> Outcome:
    async with write_transaction():
        site_id = as_id(form.site)
        if site_id is not None and not user.can_see_site(site_id):
            site_id = None
        values, errors = await _check_key(form, site_id, None)
        if site_id is None:
            errors["site"] = _("Choose one of your sites.")
        if errors or site_id is None:
            return Outcome(errors=errors, context=await _key_form_context(user, form, None))
        version = await bump(site_id)
        key_id = str(uuid.uuid4())
        stamp = office_hlc(user, ())
        await KeyTag.insert(KeyTag(
            id=key_id, site=site_id, code=values["code"], label=values["label"],
            category=values["category"], unit=values["unit_id"], notes=values["notes"],
            retired=False, field_hlc={f: stamp for f in KEY_LWW_FIELDS}, space=site_id,
            version=version, created_at=now(), updated_at=now()))
        await audit(user, "key", key_id, site_id, version, "office.key.register",
                     {"site_id": (None, site_id), "retired": (None, False),
                      **{f: (None, v) for f, v in values.items()}})
    return Outcome(id=key_id)


def _key_values(key: dict[str, Any]) -> dict[str, Any]:
    return {"code": key["code"], "label": key["label"], "category": key["category"],
            "notes": key["notes"], "unit_id": as_id(key["unit"]), "retired": key["retired"]}


async def _change_key(user: CurrentUser, key: dict[str, Any], changes: dict[str, Any],
                      action: str) -> None:
    """Write ``changes`` (wire field names) to a key, audited, in the open transaction. The
    space is locked (bumped) before the key is read again, so a push to the same key in the
    meantime is neither overwritten nor misreported in the audit."""
    if all(_key_values(key)[f] == v for f, v in changes.items()):
        return  # nothing to change: no version bump, no audit entry
    space = str(key["site"])
    version = await bump(space)
    key = await office_queries.key_detail(user, key["id"])
    before = _key_values(key)
    diff = {f: v for f, v in changes.items() if before[f] != v}
    field_hlc = dict(key["field_hlc"])
    stamp = office_hlc(user, field_hlc.values())
    field_hlc.update({f: stamp for f in diff})
    columns: dict[Column | str, Any] = {
        ("unit" if f == "unit_id" else f): v for f, v in diff.items()}
    columns.update(field_hlc=field_hlc, version=version, updated_at=now())
    await KeyTag.update(columns).where(KeyTag.id == key["id"])
    await audit(user, "key", key["id"], space, version, action,
                 {f: (before[f], v) for f, v in diff.items()})


async def update_key(user: CurrentUser, key_id: str, form: KeyForm) -> Outcome:
    async with write_transaction():
        key = await office_queries.key_detail(user, key_id)
        values, errors = await _check_key(form, str(key["site"]), key["id"])
        if errors:
            form = msgspec.structs.replace(form, site=str(key["site"]))
            return Outcome(errors=errors, context=await _key_form_context(user, form, key))
        await _change_key(user, key, values, "office.key.update")
    return Outcome(id=key["id"])


async def set_key_retired(user: CurrentUser, key_id: str, retired: bool) -> str:
    async with write_transaction():
        key = await office_queries.key_detail(user, key_id)
        await _change_key(user, key, {"retired": retired},
                          "office.key.retire" if retired else "office.key.unretire")
    return str(key["id"])


