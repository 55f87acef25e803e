"""The office's writes about repairs — assign a request to a technician with an appointment,
close it with a reason, log a request a resident made to the office — through the phones'
own mutations and rules (:mod:`server.sync.office`: ``repair.assign``, ``repair.close``,
``repair.report``), so the office and the phones obey the same rules.

Each action raises :class:`ValidationFailed` (``detail`` = field -> message) or
:class:`NotFound`; the ``submit_*`` wrappers turn that into the page again with the messages
beside the form that was sent (nothing stored then)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.estate.tables import Unit
from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import as_id, contains, now, site_and_sites
from server.lib.timezone import estate_zone
from server.repairs import board, queries
from server.repairs.schemas import ReportForm
from server.repairs.tables import RepairRequest
from server.review.service import Outcome
from server.sync import office
from sync.context import iso
from sync.domains.repairs.common import request_number
from sync.domains.repairs.records import CATEGORIES, CONTACT_PREFS, SOURCES, URGENCIES
from sync.errors import Reject
from sync.kit import text

REFUSED = {
    "unknown_request": ("form", lazy("Not found.")),
    "request_closed": ("form", lazy("This request is closed: it can no longer be assigned.")),
    "unknown_site": ("site", lazy("Choose one of your sites.")),
    "unknown_unit": ("unit_number", lazy("Choose an active unit of this site.")),
    "already_exists": ("form", lazy("This form was already sent with other details.")),
}
# where a mutation's argument is typed on the office's forms
FIELDS = {"assignee_id": "assignee", "appointment_at": "appointment", "site_id": "site",
          "unit_id": "unit_number", "request_id": "form"}
OFFICE_SOURCES = ("office", "desk")
BAD_TIME = lazy("Enter a date and time, e.g. 2026-03-02 14:30.")


def refusal(r: Reject) -> dict[str, str]:
    """A rule's refusal in the office's words: field -> message."""
    field, message = REFUSED.get(r.code, (FIELDS.get(r.field or "", r.field or "form"),
                                          r.reason))
    return {field: _(message)}


def failed(errors: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(next(iter(errors.values())), detail=errors)


async def run(user: CurrentUser, name: str, args: Mapping[str, Any]) -> None:
    """Check a mutation's arguments (every problem at once), then apply it."""
    _decoded, problems = office.check(name, args)
    if problems:
        raise failed(office.translated(problems, FIELDS))
    try:
        await office.apply(user, [(name, args)])
    except Reject as r:
        raise failed(refusal(r)) from None


def local_moment(value: str) -> datetime | None:
    """A date and time typed in the estate's time zone (``2026-03-02T14:30``), in UTC."""
    try:
        typed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    if typed.tzinfo is None:
        typed = typed.replace(tzinfo=estate_zone())
    return typed.astimezone(UTC)


async def assign(user: CurrentUser, request_id: str, assignee: str, appointment: str) -> str:
    """Give the request to a technician of its site, with an appointment or none."""
    r = await queries.visible_request(user, request_id)
    team = {t["id"] for t in await board.technicians([str(r["site"])])}
    errors: dict[str, str] = {}
    if as_id(assignee) not in team:
        errors["assignee"] = _("Choose a technician of this site.")
    at = local_moment(appointment) if appointment.strip() else None
    if appointment.strip() and at is None:
        errors["appointment"] = _(BAD_TIME)
    if errors:
        raise failed(errors)
    await run(user, "repair.assign", {
        "request_id": r["id"], "assignee_id": as_id(assignee),
        "appointment_at": iso(at) if at else None, "assigned_at": iso(now())})
    return str(r["id"])


async def close(user: CurrentUser, request_id: str, reason: str) -> str:
    """The office closes the request (a duplicate, withdrawn, done by others), saying why."""
    r = await queries.visible_request(user, request_id)
    await run(user, "repair.close", {"request_id": r["id"], "reason": reason,
                                     "closed_at": iso(now())})
    return str(r["id"])


async def attempt(user: CurrentUser, request_id: str, action: str, form: Mapping[str, Any],
                  work: Awaitable[str]) -> Outcome:
    """An action of the request's page: its id, or the page again with the errors."""
    try:
        done = await work
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        page = await queries.request_page(user, request_id)
        return Outcome(errors=errors, context=queries.with_action(page, action, form, errors))
    return Outcome(id=done)


# --- logging a request at the office --------------------------------------------------------

async def report_page(user: CurrentUser, form: ReportForm,
                      errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    site, sites = await site_and_sites(user, form.site)
    form.site = site["id"]
    return {"form": form, "errors": dict(errors or {}), "site": site, "sites": sites,
            "categories": CATEGORIES, "urgencies": URGENCIES, "contact_prefs": CONTACT_PREFS,
            "sources": {k: SOURCES[k] for k in OFFICE_SOURCES}}


async def new_report(user: CurrentUser, site: str) -> dict[str, Any]:
    return await report_page(user, ReportForm(once=str(uuid.uuid4()), site=site))


async def _unit(site: str, number: str) -> str | None:
    """The active unit of ``site`` numbered ``number`` as typed, in any case ("a-02a")."""
    row = await Unit.select(Unit.id).where(
        (Unit.site == site) & (Unit.number == number) & Unit.active.eq(True)).first()
    if row is None:  # a search narrows (any case), the comparison decides
        rows = await Unit.select(Unit.id, Unit.number).where(
            (Unit.site == site) & contains(Unit.number, number) & Unit.active.eq(True))
        row = next((r for r in rows if r["number"].lower() == number.lower()), None)
    return str(row["id"]) if row else None


async def report(user: CurrentUser, form: ReportForm) -> str:
    """``repair.report`` from the office's form: the request's id (a form sent twice makes
    one request)."""
    request_id = as_id(form.once) or str(uuid.uuid4())
    if await RepairRequest.exists().where(RepairRequest.id == request_id):
        return request_id
    errors: dict[str, str] = {}
    site = as_id(form.site)
    if site is None or not user.can_see_site(site):
        errors["site"] = _("Choose one of your sites.")
    number = text.normalize(form.unit_number, "line")
    form.unit_number = number
    unit = await _unit(site, number) if site and number else None
    if number and site and unit is None:
        errors["unit_number"] = _("No unit {number} at this site.", number=number)
    at = now()
    args: dict[str, Any] = {
        "request_id": request_id, "site_id": site,
        "number": request_number(request_id, iso(at), estate_zone()),
        "unit_id": unit, "area": form.area, "category": form.category,
        "urgency": form.urgency, "complaint": form.complaint in ("1", "on", "true"),
        "description": form.description, "photos": [], "contact_name": form.contact_name,
        "contact_phone": form.contact_phone, "contact_pref": form.contact_pref,
        "source": form.source if form.source in OFFICE_SOURCES else "office",
        "anomaly_visit_id": None, "parent_id": None, "reported_at": iso(at)}
    _decoded, problems = office.check("repair.report", args)
    for field, message in office.translated(problems, FIELDS).items():
        if not (field == "unit_number" and "unit_number" in errors):
            errors.setdefault(field, message)
    if errors:
        raise failed(errors)
    await run(user, "repair.report", args)
    return request_id


async def submit_report(user: CurrentUser, form: ReportForm) -> Outcome:
    try:
        done = await report(user, form)
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        return Outcome(errors=errors, context=await report_page(user, form, errors))
    return Outcome(id=done)
