"""The office's writes to keys, loans, key conflicts and rejections.

Each write is one transaction that (1) bumps the site's space version first (on PostgreSQL that
locks the space row, the same lock a push takes, so office writes and pushes of a site
serialise), (2) re-reads and checks the rows under that lock, (3) writes them stamped with the
new version and (4) records an audit entry per changed record (the office user as staff, no
device, server time, each field's before/after). Phones see the outcome on their next pull.

Office edits of corrected fields also stamp ``field_hlc`` with a server HLC later than every
stored one, so a phone correction made before the office edit loses by last-writer-wins (and
is kept in a ``field_overwritten`` conflict).

``void_loan`` and ``resolve_conflict`` are plain functions for other callers too (e2e tests);
they raise :class:`ValidationFailed` (``detail`` = field -> message) or :class:`NotFound`.
The ``submit_*`` functions wrap them for forms: an :class:`Outcome` with the errors and the
page to re-render, or the id to redirect to.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.base import Column
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.accounts.schemas import CurrentUser
from server.estate.tables import Unit
from server.keys import conflict_queries, loan_queries, office_queries
from server.keys.office_queries import (
    KEY_RECORD_TYPES,
    as_id,
    json_value,
    now,
    require_id,
    sites_of,
)
from server.keys.schemas import KEY_CATEGORY_LABELS, KeyForm, NoteForm, VoidForm
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.sync.spaces import bump
from server.sync.tables import AuditEntry, Conflict, Rejection
from sync import hlc

# Fields a phone may correct with key.update (merged by last-writer-wins on field_hlc).
KEY_LWW_FIELDS = ("label", "category", "notes", "unit_id", "retired")
NOTE_MAX = 500
LABEL_SHOWS_UNIT = lazy("The label is printed on the tag list: it must not contain the unit number ({number}).")  # noqa: E501
CODE_SHOWS_UNIT = lazy("The tag code must not contain the unit number ({number}): a lost key must not lead to its flat.")  # noqa: E501


class Outcome(msgspec.Struct, kw_only=True):
    """What a form submission produced: the saved row's id, or field errors and the context to
    re-render the form with."""

    id: str = ""
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    context: dict[str, Any] = msgspec.field(default_factory=dict)


def write_transaction() -> Any:
    """One transaction for an office write. On SQLite it takes the write lock at once
    (``BEGIN IMMEDIATE``), so it never fails half-way upgrading a read lock."""
    engine = KeyTag._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def office_hlc(user: CurrentUser, stored: Iterable[str]) -> str:
    """A server HLC for an office edit: at least the server's clock, and later than every HLC
    already stored on the record (the office decided after seeing those values)."""
    physical = hlc.system_ms()
    clock = hlc.HLC(physical, 0, hlc.node_id(user.id))
    for text in stored:
        try:
            clock = hlc.receive(clock, hlc.parse(text), physical)
        except ValueError:
            continue  # not an HLC (legacy/empty): nothing to be later than
    return clock.encode()


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _audit(user: CurrentUser, record_type: str, record_id: str, space: str,
                 version: int, action: str, changes: dict[str, tuple[Any, Any]]) -> None:
    await AuditEntry.insert(AuditEntry(
        id=uuid.uuid4(), record_type=record_type, record_id=record_id, space=space,
        version=version, action=action, staff=user.id, device=None, client_id=None,
        mutation_id=None, device_hlc="", device_time=None, server_time=now(),
        changes={f: [_json(b), _json(a)] for f, (b, a) in changes.items()},
    ))


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
        await _audit(user, "key", key_id, site_id, version, "office.key.register",
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
    await _audit(user, "key", key["id"], space, version, action,
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


# --- loans and conflicts -------------------------------------------------------------------

def _need_text(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(_("Required."), detail={field: _("Required.")})
    if len(text) > NOTE_MAX:
        message = _("At most {n} characters.", n=NOTE_MAX)
        raise ValidationFailed(message, detail={field: message})
    return text


async def _space_of(table: Any, record_id: str, user: CurrentUser) -> str:
    """The space of a record of the user's sites (a record's space never changes, so it may be
    read before the space is locked); 404 for anything else."""
    row = await table.select(table.space).where(table.id == require_id(record_id)).first()
    if row is None or not user.can_see_site(str(row["space"])):
        raise NotFound(_("Not found."))
    return str(row["space"])


async def _open_conflict(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    row = await Conflict.select().where(Conflict.id == require_id(conflict_id)).first()
    if (row is None or row["record_type"] not in KEY_RECORD_TYPES
            or not user.can_see_site(str(row["space"]))):
        raise NotFound(_("Not found."))
    if row["status"] != "open":
        message = _("This conflict is already resolved.")
        raise ValidationFailed(message, detail={"form": message})
    return row


async def _resolve(user: CurrentUser, conflict: dict[str, Any], resolution: str, note: str,
                   version: int) -> None:
    at = now()
    await Conflict.update({
        Conflict.status: "resolved", Conflict.resolution: resolution,
        Conflict.resolution_note: note, Conflict.resolved_by: user.id,
        Conflict.resolved_at: at, Conflict.version: version,
    }).where(Conflict.id == conflict["id"])
    await _audit(user, "conflict", str(conflict["id"]), conflict["space"], version,
                 "office.conflict.resolve", {
                     "status": (conflict["status"], "resolved"),
                     "resolution": (conflict["resolution"], resolution),
                     "resolution_note": (conflict["resolution_note"], note),
                     "resolved_by": (conflict["resolved_by"], user.id),
                     "resolved_at": (conflict["resolved_at"], at),
                 })


async def void_loan(user: CurrentUser, loan_id: str, reason: str, *,
                    conflict_id: str | None = None) -> None:
    """Void a loan entered by mistake (it stays on record, voided, with the reason). Given a
    ``conflict_id`` (a conflict the loan is part of), that conflict is resolved as
    ``voided_loan`` with the reason as its note, in the same transaction."""
    reason = _need_text("reason", reason)
    if conflict_id and as_id(loan_id) is None:
        message = _("Choose one of the loans of this conflict.")
        raise ValidationFailed(message, detail={"loan": message})
    async with write_transaction():
        space = await _space_of(KeyLoan, loan_id, user)
        version = await bump(space)  # locks the space: the checks below see the latest rows
        loan = await KeyLoan.select().where(KeyLoan.id == require_id(loan_id)).first()
        if loan is None:
            raise NotFound(_("Not found."))
        conflict = await _open_conflict(user, conflict_id) if conflict_id else None
        if conflict is not None and str(loan["id"]) not in {
                str(i) for i in json_value(conflict["record_ids"]) or []}:
            message = _("Choose one of the loans of this conflict.")
            raise ValidationFailed(message, detail={"loan": message})
        if loan["voided"]:
            message = _("This loan is already voided.")
            raise ValidationFailed(message, detail={"loan": message})
        await KeyLoan.update({
            KeyLoan.voided: True, KeyLoan.void_reason: reason, KeyLoan.voided_by: user.id,
            KeyLoan.version: version, KeyLoan.updated_at: now(),
        }).where(KeyLoan.id == loan["id"])
        await _audit(user, "key_loan", str(loan["id"]), space, version, "office.loan.void", {
            "voided": (False, True), "void_reason": (loan["void_reason"], reason),
            "voided_by": (loan["voided_by"], user.id),
        })
        if conflict is not None:
            await _resolve(user, conflict, "voided_loan", reason, version)


async def resolve_conflict(user: CurrentUser, conflict_id: str, note: str) -> None:
    """Mark a key conflict resolved with the office's note (both facts stay as they are)."""
    note = _need_text("note", note)
    async with write_transaction():
        version = await bump(await _space_of(Conflict, conflict_id, user))
        conflict = await _open_conflict(user, conflict_id)
        await _resolve(user, conflict, "resolved_with_note", note, version)


async def resolve_rejection(user: CurrentUser, rejection_id: str, note: str) -> None:
    """Close a rejection with a note. Rejections are not pulled by version (the client gets
    them after its mutation id), so no space is bumped; the audit keeps who and why."""
    note = _need_text("note", note)
    async with write_transaction():
        row = await conflict_queries.visible_rejection(user, rejection_id)
        if row["status"] != "open":
            message = _("This rejection is already resolved.")
            raise ValidationFailed(message, detail={"form": message})
        at = now()
        await Rejection.update({
            Rejection.status: "resolved", Rejection.resolution_note: note,
            Rejection.resolved_by: user.id, Rejection.resolved_at: at,
        }).where(Rejection.id == row["id"])
        await _audit(user, "rejection", row["id"], row["space"], 0, "office.rejection.resolve",
                     {"status": ("open", "resolved"), "resolution_note": ("", note),
                      "resolved_by": (None, user.id), "resolved_at": (None, at)})


# --- form wrappers (field errors re-render the page they came from) -------------------------

async def _attempt(action: Awaitable[None], record_id: str,
                   page: Callable[[], Awaitable[dict[str, Any]]]) -> Outcome:
    try:
        await action
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        return Outcome(errors=errors, context=await page())
    return Outcome(id=record_id)


async def submit_conflict_void(user: CurrentUser, conflict_id: str, form: VoidForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await conflict_queries.conflict_page(user, conflict_id), "void_form": form}

    return await _attempt(void_loan(user, form.loan, form.reason, conflict_id=conflict_id),
                          conflict_id, page)


async def submit_conflict_resolve(user: CurrentUser, conflict_id: str,
                                  form: NoteForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await conflict_queries.conflict_page(user, conflict_id), "note_form": form}

    return await _attempt(resolve_conflict(user, conflict_id, form.note), conflict_id, page)


async def submit_loan_void(user: CurrentUser, loan_id: str, form: VoidForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await loan_queries.loan_page(user, loan_id), "void_form": form}

    return await _attempt(void_loan(user, loan_id, form.reason), loan_id, page)


async def submit_rejection_resolve(user: CurrentUser, rejection_id: str,
                                   form: NoteForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await conflict_queries.rejection_page(user, rejection_id), "form": form}

    return await _attempt(resolve_rejection(user, rejection_id, form.note), rejection_id, page)
