"""The office's key register: create, edit, retire keys — through the same mutations and
rules as the front desk's phones (``key.register``, ``key.update``; sync/domains/keys/
rules.py), so a tag code that shows its flat, a unit of another site or a code already used
at the site is refused alike wherever it is entered."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.estate.tables import Unit
from server.keys import office_queries
from server.keys.office_queries import as_id, sites_of
from server.keys.schemas import KEY_CATEGORY_LABELS, KeyForm
from server.keys.service import Outcome
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.review.queries import history
from server.sync import office
from sync.domains.keys import rules
from sync.errors import Reject
from sync.kit import text

LABEL_SHOWS_UNIT = lazy("The label is printed on the tag list: it must not contain the unit number ({number}).")  # noqa: E501
CODE_SHOWS_UNIT = lazy("The tag code must not contain the unit number ({number}): a lost key must not lead to its flat.")  # noqa: E501
# the form's names of the mutations' arguments
FORM_FIELDS = {"site_id": "site", "unit_id": "unit_number", "fields.code": "code",
               "fields.label": "label", "fields.category": "category",
               "fields.notes": "notes", "fields.unit_id": "unit_number"}


async def _unit(site_id: str, number: str) -> dict[str, Any] | None:
    number = text.normalize(number, "line")
    if not number:
        return None
    return await Unit.select(Unit.id, Unit.number).where(
        (Unit.site == site_id) & (Unit.number == number)).first()


def _refused(r: Reject, unit: dict[str, Any] | None) -> dict[str, str]:
    """A rule's refusal as the form's error, in the office's words."""
    number = unit["number"] if unit else ""
    messages = {
        rules.CODE_IN_USE: ("code", _("Another key at this site already has this code.")),
        rules.CODE_SHOWS_UNIT: ("code", _(CODE_SHOWS_UNIT, number=number)),
        rules.LABEL_SHOWS_UNIT: ("label", _(LABEL_SHOWS_UNIT, number=number)),
        rules.UNKNOWN_UNIT: ("unit_number", _("No unit {number} at this site.",
                                              number=number)),
        rules.UNKNOWN_SITE: ("site", _("Choose one of your sites.")),
    }
    field, message = messages.get(r.code, ("form", r.reason))
    return {field: message}


async def _key_form_context(user: CurrentUser, form: KeyForm,
                            key: dict[str, Any] | None) -> dict[str, Any]:
    return {"form": form, "key": key, "sites": await sites_of(user),
            "categories": KEY_CATEGORY_LABELS,
            "history": await history("key", key["id"]) if key else []}


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


async def _save(user: CurrentUser, form: KeyForm, key: dict[str, Any] | None,
                site_id: str | None) -> tuple[str, dict[str, str]]:
    """Check the form as the rules would, then run the mutation; (key id, errors)."""
    errors: dict[str, str] = {}
    unit = await _unit(site_id, form.unit_number) if site_id else None
    if site_id and form.unit_number.strip() and unit is None:
        errors["unit_number"] = _("No unit {number} at this site.",
                                  number=text.normalize(form.unit_number, "line"))
    values = {"code": form.code, "label": form.label, "category": form.category,
              "notes": form.notes, "unit_id": str(unit["id"]) if unit else None}
    if key is None:
        key_id, name = str(uuid.uuid4()), "key.register"
        args: dict[str, Any] = {"key_id": key_id, "site_id": site_id or str(uuid.UUID(int=0)),
                                **values}
        _decoded, problems = office.check(name, args)
    else:
        key_id, name = key["id"], "key.update"
        decoded, problems = office.check(name, {"key_id": key_id, "fields": values})
        current = {"code": key["code"], "label": key["label"], "category": key["category"],
                   "notes": key["notes"], "unit_id": as_id(key["unit"])}
        changed = {} if decoded is None else {
            f: v for f, v in decoded.fields.items() if v != current[f]}
        args = {"key_id": key_id, "fields": changed}
    errors = {**office.translated(problems, FORM_FIELDS), **errors}
    if site_id is None:
        errors["site"] = _("Choose one of your sites.")
    if problems or (key is not None and not args["fields"]):
        return key_id, errors  # refused as typed, or nothing changed: nothing to write
    try:
        # a form with errors of its own still hears what the rules would refuse
        await office.apply(user, [(name, args)], dry_run=bool(errors))
    except Reject as r:
        return key_id, {**_refused(r, unit), **errors}
    return key_id, errors


async def create_key(user: CurrentUser, form: KeyForm) -> Outcome:
    site_id = as_id(form.site)
    if site_id is not None and not user.can_see_site(site_id):
        site_id = None
    key_id, errors = await _save(user, form, None, site_id)
    if errors:
        return Outcome(errors=errors, context=await _key_form_context(user, form, None))
    return Outcome(id=key_id)


async def update_key(user: CurrentUser, key_id: str, form: KeyForm) -> Outcome:
    key = await office_queries.key_detail(user, key_id)
    form = msgspec.structs.replace(form, site=str(key["site"]))
    _id, errors = await _save(user, form, key, str(key["site"]))
    if errors:
        return Outcome(errors=errors, context=await _key_form_context(user, form, key))
    return Outcome(id=key["id"])


async def set_key_retired(user: CurrentUser, key_id: str, retired: bool) -> str:
    key = await office_queries.key_detail(user, key_id)
    if key["retired"] != retired:
        await office.apply(user, [("key.update", {"key_id": key["id"],
                                                   "fields": {"retired": retired}})])
    return str(key["id"])
