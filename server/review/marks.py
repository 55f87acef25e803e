"""The office's review of synced records: mark any record of a field domain approved, has
issues or rejected, with a comment, one at a time or in bulk from a list.

A review is a kit record (sync/kit/reviews.py) kept in ``sync_review``, one per record and
stamped with a new version of the record's space, so the phones of that space pull it and the
record's author (whoever's phone first wrote it, from the audit trail) sees "has issues" and
the comment in their inbox. Every mark is audited on the reviewed record itself, so its
history shows who reviewed it, when, and what they said. Lists filter by review state with
:func:`review_clause`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, local_time, now, plain, staff_names
from server.review.queries import readable, record_rows
from server.review.service import audit
from server.sync.records import TABLES
from server.sync.spaces import bump
from server.sync.tables import AuditEntry, Review
from sync.domains import default_registry
from sync.kit import text
from sync.kit.reviews import COMMENT_MAX, NEEDS_COMMENT, STATES, review_id

UNREVIEWED = "unreviewed"
# the filter's choices: the three states and "not reviewed yet"
FILTER_STATES = {UNREVIEWED: "Not reviewed", **STATES}
BULK_MAX = 500  # records per bulk mark (a list's page is at most 100)
ACTION = "office.review.mark"


def reviewable(record_type: str) -> bool:
    """Records of the field domains: a declared type with a site, not the engine's own."""
    t = default_registry().records.get(record_type)
    return (t is not None and record_type in TABLES and bool(t.stream)
            and t.site_field != "" and record_type not in ("conflict", "review"))


def reviewable_types() -> list[str]:
    return [t.name for t in default_registry().records if reviewable(t.name)]


def review_clause(id_column: Any, record_type: str, state: str) -> Any:
    """A list's rows in review ``state`` (or not reviewed yet); None for any state or an
    unknown one (a hand-edited URL shows everything)."""
    if state not in FILTER_STATES:
        return None
    table = id_column._meta.table._meta.tablename
    column = f'"{table}"."{id_column._meta.db_column_name}"'
    if state == UNREVIEWED:
        return WhereRaw(f"{column} NOT IN (SELECT record_id FROM sync_review "  # noqa: S608
                        "WHERE record_type = {})", record_type)
    return WhereRaw(f"{column} IN (SELECT record_id FROM sync_review "  # noqa: S608
                    "WHERE record_type = {} AND state = {})", record_type, state)


async def reviews_of(record_type: str, ids: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The review of each of ``ids`` that has one (one query), as lists show it."""
    wanted = [i for i in {as_id(i) for i in ids} if i]
    if not wanted:
        return {}
    rows = [plain(r) for r in await Review.select().where(
        (Review.record_type == record_type) & Review.record_id.is_in(wanted))]
    names = await staff_names(r["reviewed_by"] for r in rows)
    return {str(r["record_id"]): {
        "state": r["state"], "label": STATES.get(r["state"], r["state"]),
        "comment": r["comment"], "by": names.get(str(r["reviewed_by"]), ""),
        "at": local_time(r["reviewed_at"]),
    } for r in rows}


def _comment(state: str, value: str) -> str:
    if text.forbidden(value, "multiline"):
        message = _("Remove control characters and invisible direction marks.")
        raise ValidationFailed(message, detail={"comment": message})
    comment = text.normalize(value, "multiline")
    if state in NEEDS_COMMENT and not text.visible(comment):
        message = _("Say what is wrong: the author will read it.")
        raise ValidationFailed(message, detail={"comment": message})
    if len(comment) > COMMENT_MAX:
        message = _("At most {n} characters.", n=COMMENT_MAX)
        raise ValidationFailed(message, detail={"comment": message})
    return comment


async def authors(record_type: str, ids: Sequence[str]) -> dict[str, str]:
    """Who wrote each record on a phone: the person of its first audited phone mutation."""
    if not ids:
        return {}
    rows = await AuditEntry.select(AuditEntry.record_id, AuditEntry.staff).where(
        (AuditEntry.record_type == record_type) & AuditEntry.record_id.is_in(list(ids))
        & AuditEntry.device.is_not_null(),
    ).order_by(AuditEntry.server_time, ascending=False)
    out: dict[str, str] = {}
    for r in rows:  # newest first: the oldest entry of each record is written last
        if r["staff"] is not None:
            out[str(r["record_id"])] = str(r["staff"])
    return out


async def mark(user: CurrentUser, record_type: str, ids: Sequence[str], state: str,
               comment: str) -> int:
    """Mark records of ``record_type`` reviewed, all in one transaction, or none (an id the
    person may not read, or a record that does not exist, refuses the whole mark). Returns
    how many records changed (marking a record as it already is changes nothing)."""
    if not reviewable(record_type):
        raise NotFound(_("Not found."))
    if state not in STATES:
        message = _("Choose one of the listed values.")
        raise ValidationFailed(message, detail={"state": message})
    wanted = list(dict.fromkeys(i for i in (as_id(x) for x in ids) if i))
    if not wanted:
        message = _("Choose at least one record.")
        raise ValidationFailed(message, detail={"ids": message})
    if len(wanted) > BULK_MAX:
        message = _("At most {n} records at once.", n=BULK_MAX)
        raise ValidationFailed(message, detail={"ids": message})
    comment = _comment(state, comment)
    spaces = readable(user)
    async with write_transaction():
        found = await record_rows(record_type, wanted)
        if any(i not in found or found[i]["space"] not in spaces for i in wanted):
            raise NotFound(_("Not found."))
        wrote = await _write(user, record_type, wanted, found, state, comment)
    return wrote


async def _write(user: CurrentUser, record_type: str, ids: list[str],
                 found: dict[str, dict[str, Any]], state: str, comment: str) -> int:
    by_author = await authors(record_type, ids)
    before = {str(r["record_id"]): r for r in map(plain, await Review.select().where(
        Review.id.is_in([review_id(record_type, i) for i in ids])))}
    changed = [i for i in ids if (before.get(i, {}).get("state"),
                                  before.get(i, {}).get("comment")) != (state, comment)]
    versions: dict[str, int] = {}
    at = now()
    for rid in changed:
        space = found[rid]["space"]
        if space not in versions:
            versions[space] = await bump(space)
        old = before.get(rid)
        values = {"space": space, "version": versions[space], "state": state,
                  "comment": comment, "reviewed_by": user.id, "reviewed_at": at,
                  "staff_ids": [by_author[rid]] if rid in by_author else []}
        if old is None:
            await Review.insert(Review(id=review_id(record_type, rid), record_type=record_type,
                                       record_id=rid, **values))
        else:
            await Review.update({getattr(Review, k): v for k, v in values.items()}).where(
                Review.id == old["id"])
        await audit(user, record_type, rid, space, versions[space], ACTION, {
            "review": (old["state"] if old else None, state),
            "review_comment": (old["comment"] if old else None, comment)})
    return len(changed)
