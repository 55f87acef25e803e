"""The office's review actions on any record type: resolve a conflict with a note, close a
rejection. Each is one transaction; a conflict's resolution bumps its space (phones receive
its new status), and every action is audited (the office user, no device, server time,
each field's before/after).

``submit_*`` wrap them for forms: an :class:`Outcome` with the errors and the page to
re-render, or the id to redirect to."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import now
from server.review import queries
from server.review.schemas import NoteForm
from server.sync.spaces import bump
from server.sync.tables import AuditEntry, Conflict, Rejection
from sync.kit import text

NOTE_MAX = 500


class Outcome(msgspec.Struct, kw_only=True):
    """What a form submission produced: the saved row's id, or field errors and the context to
    re-render the form with."""

    id: str = ""
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    context: dict[str, Any] = msgspec.field(default_factory=dict)


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def audit(user: CurrentUser, record_type: str, record_id: str, space: str,
                version: int, action: str, changes: dict[str, tuple[Any, Any]]) -> None:
    """An audit entry of an office action (the office user, no device, server time)."""
    await AuditEntry.insert(AuditEntry(
        id=uuid.uuid4(), record_type=record_type, record_id=record_id, space=space,
        version=version, action=action, staff=user.id, device=None, client_id=None,
        mutation_id=None, device_hlc="", device_time=None, server_time=now(),
        changes={f: [_json(b), _json(a)] for f, (b, a) in changes.items()},
    ))


def need_text(field: str, value: str) -> str:
    """A required note or reason, in its stored form (the kit's rules for text)."""
    if text.forbidden(value, "multiline"):
        message = _("Remove control characters and invisible direction marks.")
        raise ValidationFailed(message, detail={field: message})
    note = text.normalize(value, "multiline")
    if not text.visible(note):
        raise ValidationFailed(_("Required."), detail={field: _("Required.")})
    if len(note) > NOTE_MAX:
        message = _("At most {n} characters.", n=NOTE_MAX)
        raise ValidationFailed(message, detail={field: message})
    return note


async def open_conflict(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    row = await queries.open_conflict(user, conflict_id)
    if row["status"] != "open":
        message = _("This conflict is already resolved.")
        raise ValidationFailed(message, detail={"form": message})
    return row


async def mark_resolved(user: CurrentUser, conflict: dict[str, Any], resolution: str,
                        note: str, version: int) -> None:
    """Write a conflict's resolution, stamped with ``version`` of its space (bumped by the
    caller in the open transaction), and audit it."""
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


async def resolve_conflict(user: CurrentUser, conflict_id: str, note: str) -> None:
    """Mark a conflict resolved with the office's note (both facts stay as they are)."""
    note = need_text("note", note)
    async with write_transaction():
        row = await queries.open_conflict(user, conflict_id)
        version = await bump(row["space"])  # locks the space: re-read below under it
        conflict = await open_conflict(user, conflict_id)
        await mark_resolved(user, conflict, "resolved_with_note", note, version)


async def resolve_rejection(user: CurrentUser, rejection_id: str, note: str) -> None:
    """Close a rejection with a note. Rejections are not pulled by version (the client gets
    them after its mutation id), so no space is bumped; the audit keeps who and why."""
    note = need_text("note", note)
    async with write_transaction():
        row = await queries.visible_rejection(user, rejection_id)
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

async def attempt(action: Awaitable[Any], record_id: str,
                  page: Callable[[], Awaitable[dict[str, Any]]]) -> Outcome:
    try:
        await action
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"form": e.message}
        return Outcome(errors=errors, context=await page())
    return Outcome(id=record_id)


async def submit_conflict_resolve(user: CurrentUser, conflict_id: str,
                                  form: NoteForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await queries.conflict_page(user, conflict_id), "note_form": form}

    return await attempt(resolve_conflict(user, conflict_id, form.note), conflict_id, page)


async def submit_rejection_resolve(user: CurrentUser, rejection_id: str,
                                   form: NoteForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await queries.rejection_page(user, rejection_id), "form": form}

    return await attempt(resolve_rejection(user, rejection_id, form.note), rejection_id, page)
