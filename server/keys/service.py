"""The office's writes to loans, key conflicts and rejections, and the write machinery
the key register (:mod:`server.keys.register`) shares.

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

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.keys import conflict_queries, loan_queries
from server.keys.office_queries import (
    KEY_RECORD_TYPES,
    as_id,
    json_value,
    now,
    require_id,
)
from server.keys.schemas import NoteForm, VoidForm
from server.keys.tables import KeyLoan
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.sync.spaces import bump
from server.sync.tables import AuditEntry, Conflict, Rejection
from sync import hlc

NOTE_MAX = 500


class Outcome(msgspec.Struct, kw_only=True):
    """What a form submission produced: the saved row's id, or field errors and the context to
    re-render the form with."""

    id: str = ""
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    context: dict[str, Any] = msgspec.field(default_factory=dict)


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


async def audit(user: CurrentUser, record_type: str, record_id: str, space: str,
                 version: int, action: str, changes: dict[str, tuple[Any, Any]]) -> None:
    await AuditEntry.insert(AuditEntry(
        id=uuid.uuid4(), record_type=record_type, record_id=record_id, space=space,
        version=version, action=action, staff=user.id, device=None, client_id=None,
        mutation_id=None, device_hlc="", device_time=None, server_time=now(),
        changes={f: [_json(b), _json(a)] for f, (b, a) in changes.items()},
    ))


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
    await audit(user, "conflict", str(conflict["id"]), conflict["space"], version,
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
        await audit(user, "key_loan", str(loan["id"]), space, version, "office.loan.void", {
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
        await audit(user, "rejection", row["id"], row["space"], 0, "office.rejection.resolve",
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
