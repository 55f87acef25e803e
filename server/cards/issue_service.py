"""Issuing a card from the office (IC卡領取登記表) through ``card.issue``, the desk's own
mutation and rules: the unit (from its page, or a site and the number people write), the
card by its printed number (a number the stock does not know is issued all the same and
flagged ``unregistered_card``), the holder — a resident of the unit or someone typed in, a
proxy with a photo of the owner's authorisation letter and a note of the owner's
confirmation by phone — the access scope, validity, fee, deposit and receipt number, and the
scan of the form the holder signed. A replacement names the issue it replaces.

Every problem comes back at once beside its input (the rules' own checks included, in the
office's words); the uploaded files are stored only once the form is right. A form sent
twice makes one issue."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards import queries
from server.cards.lists import CARD_LIST
from server.cards.schemas import IssueForm
from server.cards.tables import Card, CardIssue
from server.estate.tables import Unit
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import as_id, now, site_and_sites
from server.lib.timezone import estate_zone
from server.refdata.forms import parse
from server.review.service import Outcome
from server.settings import Settings
from server.sync import blobs, office
from sync.context import iso
from sync.domains.cards.records import END_REASONS, ISSUE_TYPE, TECHNOLOGIES
from sync.domains.estate import ID_TYPE, RELATIONS
from sync.errors import Reject
from sync.kit import text

FIELDS = {"number": "card_number", "unit_id": "unit_number", "resident_id": "resident",
          "signature_blob": "signature", "authorisation_blob": "authorisation",
          "replaces_issue_id": "replaces", "card_id": "card_number", "site_id": "site"}
REFUSED = {
    "unknown_site": ("site", lazy("Choose one of your sites.")),
    "unknown_unit": ("unit_number", lazy("Choose an active unit of this site.")),
    "unknown_resident": ("resident", lazy("Choose an active resident of this unit.")),
    "unknown_zone": ("scope", lazy("Choose zones of this site that are in use.")),
    "unknown_issue": ("replaces", lazy("The card it replaces is not issued to this unit.")),
    "wrong_unit": ("replaces", lazy("The card it replaces is not issued to this unit.")),
    "unknown_blob": ("signature", lazy("Choose the file again.")),
    "already_exists": ("form", lazy("This form was already sent with other details.")),
}
REPLACE_REASONS = {k: END_REASONS[k] for k in ("lost", "damaged")}


async def _unit(user: CurrentUser, unit_id: str) -> dict[str, Any] | None:
    try:
        return await queries.visible_unit(user, unit_id)
    except NotFound:  # a unit of another site is simply not offered
        return None


async def _context(user: CurrentUser, form: IssueForm, unit: dict[str, Any] | None,
                   errors: Mapping[str, str]) -> dict[str, Any]:
    site, sites = await site_and_sites(user, unit["site"] if unit else form.site)
    replaces = None
    if as_id(form.replaces):
        try:
            replaces = await queries.visible_issue(user, form.replaces)
        except NotFound:
            replaces = None
    return {
        "form": form, "errors": dict(errors), "unit": unit, "site": site, "sites": sites,
        "quota": await queries.quota_of_unit(unit["site"], unit["id"]) if unit else None,
        "choices": await queries.issue_choices(site["id"], unit["id"] if unit else None),
        "replaces": replaces, "technologies": TECHNOLOGIES, "relations": RELATIONS,
        "id_types": ID_TYPE.choices, "replace_reasons": REPLACE_REASONS,
    }


async def new_page(user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
    """The blank form: for a unit (its page's link), a card (the register's), or to
    replace an issue (the unit's cards)."""
    CARD_LIST.check_writer(user)
    form = IssueForm(once=str(uuid.uuid4()), site=str(query.get("site", "")))
    unit = None
    if as_id(query.get("replaces")):
        old = await queries.visible_issue(user, str(query["replaces"]))
        form.replaces, form.replace_reason = old["id"], "lost"
        unit = await queries.visible_unit(user, str(old["unit"]))
    if as_id(query.get("card")):
        card = await CARD_LIST.load(user, str(query["card"]))
        form.card_number, form.technology, form.site = card["number"], card["technology"], \
            str(card["site"])
    if unit is None and as_id(query.get("unit")):
        unit = await queries.visible_unit(user, str(query["unit"]))
    context = await _context(user, form, unit, {})
    choices = context["choices"]
    form.valid_until = (now().astimezone(estate_zone()).date()
                        + timedelta(days=choices["validity_days"])).isoformat()
    form.fee, form.deposit = f"{choices['fee']:g}", f"{choices['deposit']:g}"
    form.scope = [z["code"] for z in choices["zones"]]
    return context


def _day_end(value: str) -> str | None:
    """The end of a typed day (YYYY-MM-DD) in the estate's time zone, as stored."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return iso(datetime.combine(day, time(23, 59, 59), estate_zone()).astimezone(UTC))


def image(data: bytes, settings: Settings) -> tuple[str, str]:
    """An uploaded photo's content type, or an error message ("", message)."""
    if len(data) > settings.blob_max_bytes:
        return "", _("The file may be at most {n} KB.", n=settings.blob_max_bytes // 1024)
    for content_type, marks in blobs.SIGNATURES.items():
        if all(data[at:at + len(magic)] == magic for at, magic in marks):
            return content_type, ""
    return "", _("Choose a photo or scan (JPEG, PNG or WebP).")


async def _resolve_unit(user: CurrentUser, form: IssueForm, errors: dict[str, str]
                        ) -> dict[str, Any] | None:
    if as_id(form.unit):
        unit = await _unit(user, form.unit)
        if unit is None:
            errors["unit_number"] = _("Choose an active unit of this site.")
        return unit
    site = as_id(form.site)
    if site is None or not user.can_see_site(site):
        errors["site"] = _("Choose one of your sites.")
        return None
    number = text.normalize(form.unit_number, "line")
    form.unit_number = number
    if not number:
        errors["unit_number"] = _("Required.")
        return None
    row = await Unit.select(Unit.id).where((Unit.site == site) & (Unit.number == number)
                                           ).first()
    if row is None:
        errors["unit_number"] = _("No unit {number} at this site.", number=number)
        return None
    return await _unit(user, str(row["id"]))


def _holder(form: IssueForm, residents: list[dict[str, Any]], errors: dict[str, str]
            ) -> dict[str, Any]:
    """The holder's details: the chosen resident's, else as typed."""
    if not form.resident:
        return {"resident_id": None, "holder_name": form.holder_name,
                "relation": form.relation, "id_type": form.id_type, "id_last4": form.id_last4}
    chosen = next((r for r in residents if r["id"] == as_id(form.resident)), None)
    if chosen is None:
        errors["resident"] = _("Choose an active resident of this unit.")
        return {"resident_id": None, "holder_name": form.holder_name,
                "relation": form.relation, "id_type": form.id_type, "id_last4": form.id_last4}
    return {"resident_id": chosen["id"], "holder_name": chosen["name"],
            "relation": chosen["relation"], "id_type": chosen["id_type"],
            "id_last4": chosen["id_last4"]}


def _money(name: str, value: str, errors: dict[str, str]) -> float:
    amount, problem = parse(ISSUE_TYPE.field(name), value)
    if problem is not None:
        errors[name] = _(problem.message, **problem.params)
    return float(amount or 0)


async def submit(user: CurrentUser, settings: Settings, form: IssueForm,
                 files: Mapping[str, bytes]) -> Outcome:
    """Check the form and issue the card, or the form again with every problem."""
    CARD_LIST.check_writer(user)
    issue_id = as_id(form.once) or str(uuid.uuid4())
    form.once = issue_id
    if await CardIssue.exists().where(CardIssue.id == issue_id):
        return Outcome(id=issue_id)  # the same form again (a double tap, a retry): issued
    errors: dict[str, str] = {}
    unit = await _resolve_unit(user, form, errors)
    site = unit["site"] if unit else (as_id(form.site) or "")
    choices = await queries.issue_choices(site, unit["id"] if unit else None) if site else {
        "residents": []}
    holder = _holder(form, choices["residents"], errors)
    uploads: dict[str, tuple[str, bytes, str]] = {}
    for name in ("signature", "authorisation"):
        data = files.get(name, b"")
        if not data:
            continue
        content_type, problem = image(data, settings)
        if problem:
            errors[name] = problem
        else:
            uploads[name] = (hashlib.sha256(data).hexdigest(), data, content_type)
    if "signature" not in uploads and "signature" not in errors:
        errors["signature"] = _("Attach the scan of the form the holder signed.")
    valid_until = _day_end(form.valid_until)
    if valid_until is None:
        errors["valid_until"] = _("Enter a date, e.g. {example}.", example="2028-03-31")
    number = text.normalize(form.card_number, "code").upper()
    card = await Card.select(Card.id).where((Card.site == site) & (Card.number == number)
                                            ).first() if site and number else None
    args = {
        "issue_id": issue_id, "card_id": str(card["id"]) if card else str(uuid.uuid4()),
        "site_id": site, "number": number, "technology": form.technology,
        "unit_id": unit["id"] if unit else None, **holder,
        "authorisation_blob": uploads["authorisation"][0] if "authorisation" in uploads
        else "", "owner_confirmation": form.owner_confirmation, "scope": form.scope,
        "valid_until": valid_until or iso(now()),
        "fee": _money("fee", form.fee, errors), "deposit": _money("deposit", form.deposit,
                                                                 errors),
        "receipt_no": form.receipt_no,
        "signature_blob": uploads["signature"][0] if "signature" in uploads else "0" * 64,
        "issued_at": iso(now()), "replaces_issue_id": as_id(form.replaces),
        "replace_reason": form.replace_reason if as_id(form.replaces) else "",
    }
    _decoded, problems = office.check("card.issue", args)
    for field, message in office.translated(problems, FIELDS).items():
        name = FIELDS.get(field.split(".")[0], field.split(".")[0])
        errors.setdefault(name, message)
    if errors:
        return Outcome(errors=errors, context=await _context(user, form, unit, errors))
    for sha, data, content_type in uploads.values():
        await blobs.put_blob(settings, user, sha, content_type, _chunks(data), len(data))
    try:
        await office.apply(user, [("card.issue", args)])
    except Reject as r:
        name, message = REFUSED.get(r.code, (FIELDS.get(r.field or "", "form"), r.reason))
        errors = {name: _(message)}
        return Outcome(errors=errors, context=await _context(user, form, unit, errors))
    return Outcome(id=issue_id)


async def _chunks(data: bytes) -> Any:
    yield data
