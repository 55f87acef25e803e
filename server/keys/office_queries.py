"""What the office reads about keys: the register, loans (list, CSV, detail), a record's audit
history, the exception counts of the office home and who may see a blob.

Every query is scoped to the sites the user may see: a row of another site does not exist for
them (lists leave it out, a detail by id is 404)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from piccolo.columns.base import Column
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.methods.select import Select

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, Staff
from server.estate.tables import Site
from server.keys.schemas import (
    ACTION_LABELS,
    BORROWER_KIND_LABELS,
    FIELD_LABELS,
    KEY_CATEGORY_LABELS,
    PER_PAGE,
    RETIRED_FILTER_LABELS,
    KeyFilters,
    query_string,
)
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.labels import ID_TYPE_LABELS
from server.lib.paging import PageOf
from server.lib.timezone import estate_zone
from server.sync.tables import AuditEntry, Blob

# Estates are in Hong Kong / mainland China (UTC+8, no daylight saving): office pages show
# and filter times in local time.
# Device time further than this from server time is shown highlighted (backdating shows).
SKEW_LIMIT = timedelta(minutes=5)
KEY_RECORD_TYPES = ("key", "key_loan")
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
STAFF_FIELDS = ("lent_by", "return_recorded_by", "voided_by", "resolved_by")
TIME_FIELDS = ("lent_at", "due_at", "returned_at", "resolved_at", "created_at")


# --- scoping, paging, formatting -------------------------------------------------------------

def now() -> datetime:
    return datetime.now(UTC)


def as_id(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def require_id(value: Any) -> str:
    """An id from a URL or form; anything that is not a UUID is simply not found."""
    found = as_id(value)
    if found is None:
        raise NotFound(_("Not found."))
    return found


def scope(column: Column, user: CurrentUser, site: str = "") -> Any:
    """The where-clause limiting ``column`` (a site id or space) to the user's sites, narrowed
    to ``site`` when given: ``None`` = no limit (admins), ``False`` = nothing visible."""
    wanted = as_id(site)
    allowed = None if user.is_admin else list(user.site_ids)
    if wanted is not None:
        if allowed is not None and wanted not in allowed:
            return False
        return column == wanted
    if allowed is None:
        return None
    return column.is_in(allowed) if allowed else False


def both(*clauses: Any) -> Any:
    """AND of the clauses, skipping ``None``; ``False`` when any clause is ``False``."""
    out = None
    for c in clauses:
        if c is False:
            return False
        if c is not None:
            out = c if out is None else out & c
    return out


def contains(column: Column, text: str) -> Any:
    """Case-insensitive substring match (SQLite's LIKE already ignores ASCII case). ``%`` and
    ``_`` in the text only widen the match; a backslash is dropped (PostgreSQL's escape)."""
    pattern = "%" + text.replace("\\", "") + "%"
    if isinstance(column._meta.table._meta.db, SQLiteEngine):
        return column.like(pattern)
    return column.ilike(pattern)


async def paged(select: Select, count: Any, page: int) -> PageOf:
    total = await count
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    rows = await select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    return PageOf(rows=[plain(r) for r in rows], total=total, page=page, pages=pages)


def empty_page() -> PageOf:
    return PageOf(rows=[], total=0, page=1, pages=1)


def plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}


def to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def local_time(value: Any, seconds: bool = False) -> str:
    dt = to_datetime(value)
    if dt is None:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return dt.astimezone(estate_zone()).strftime(fmt)


def local_day_start(text: str) -> datetime | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=estate_zone()).astimezone(UTC)


def json_value(value: Any) -> Any:
    """A JSON column as Python (Piccolo returns JSON columns as text)."""
    if isinstance(value, (str, bytes)):
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    return value


async def sites_of(user: CurrentUser) -> list[dict[str, Any]]:
    """The sites the user may choose in filters and forms."""
    where = scope(Site.id, user)
    if where is False:
        return []
    query = Site.select(Site.id, Site.code, Site.name).order_by(Site.code)
    if where is not None:
        query = query.where(where)
    return [plain(r) for r in await query]


async def staff_names(ids: Iterable[Any]) -> dict[str, str]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = await Staff.select(Staff.id, Staff.display_name).where(Staff.id.is_in(wanted))
    return {str(r["id"]): r["display_name"] for r in rows}


async def device_names(ids: Iterable[Any]) -> dict[str, str]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = await Device.select(Device.id, Device.name, Device.staff.display_name).where(
        Device.id.is_in(wanted))
    return {str(r["id"]): r["name"] or r["staff.display_name"] for r in rows}


# --- the key register ----------------------------------------------------------------------

def _key_where(user: CurrentUser, f: KeyFilters) -> Any:
    clauses = [scope(KeyTag.site, user, f.site)]
    if f.category in KEY_CATEGORY_LABELS:
        clauses.append(KeyTag.category == f.category)
    if f.retired == "active":
        clauses.append(KeyTag.retired.eq(False))
    elif f.retired == "retired":
        clauses.append(KeyTag.retired.eq(True))
    if f.q:
        clauses.append(contains(KeyTag.code, f.q) | contains(KeyTag.label, f.q)
                       | contains(KeyTag.unit.number, f.q))
    return both(*clauses)


async def list_keys(user: CurrentUser, f: KeyFilters) -> PageOf:
    where = _key_where(user, f)
    if where is False:
        return empty_page()
    select = KeyTag.select(
        KeyTag.id, KeyTag.code, KeyTag.label, KeyTag.category, KeyTag.retired,
        KeyTag.site.code.as_alias("site_code"), KeyTag.unit.number.as_alias("unit_number"),
    ).order_by(KeyTag.site.code).order_by(KeyTag.code)
    count = KeyTag.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    page = await paged(select, count, f.page)
    out_now = await _keys_out([r["id"] for r in page.rows])
    for r in page.rows:
        r["out"] = r["id"] in out_now
    return page


async def _keys_out(key_ids: list[str]) -> set[str]:
    if not key_ids:
        return set()
    rows = await KeyLoan.select(KeyLoan.key).where(
        KeyLoan.key.is_in(key_ids) & KeyLoan.returned_at.is_null() & KeyLoan.voided.eq(False))
    return {str(r["key"]) for r in rows}


async def keys_page(user: CurrentUser, f: KeyFilters) -> dict[str, Any]:
    return {"page": await list_keys(user, f), "filters": f, "sites": await sites_of(user),
            "categories": KEY_CATEGORY_LABELS, "retired_choices": RETIRED_FILTER_LABELS,
            "query": lambda **kw: query_string(f, **kw)}


async def key_detail(user: CurrentUser, key_id: str) -> dict[str, Any]:
    """A key of the user's sites (else 404), with its unit number and site."""
    row = await KeyTag.select(
        *KeyTag.all_columns(), KeyTag.site.code.as_alias("site_code"),
        KeyTag.site.name.as_alias("site_name"), KeyTag.unit.number.as_alias("unit_number"),
    ).where(KeyTag.id == require_id(key_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    row = plain(row)
    row["field_hlc"] = json_value(row["field_hlc"]) or {}
    row["unit_number"] = row["unit_number"] or ""
    return row


async def print_tags(user: CurrentUser, site: str) -> dict[str, Any]:
    """The site's keys in use, by code, for a printed tag list: codes and labels only."""
    sites = await sites_of(user)
    chosen = next((s for s in sites if s["id"] == as_id(site)), None)
    if chosen is None:
        if site or not sites:
            raise NotFound(_("Not found."))
        chosen = sites[0]
    rows = await KeyTag.select(KeyTag.code, KeyTag.label, KeyTag.category).where(
        (KeyTag.site == chosen["id"]) & KeyTag.retired.eq(False)).order_by(KeyTag.code)
    return {"site": chosen, "sites": sites, "keys": rows, "categories": KEY_CATEGORY_LABELS,
            "printed": local_time(now())}


# --- audit history -------------------------------------------------------------------------

def display_value(field: str, value: Any, names: dict[str, str]) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field in STAFF_FIELDS:
        return names.get(str(value), str(value))
    if field == "category":
        return _(KEY_CATEGORY_LABELS.get(value, str(value)))
    if field == "borrower_kind":
        return _(BORROWER_KIND_LABELS.get(value, str(value)))
    if field == "id_type":
        return _(ID_TYPE_LABELS.get(value, str(value)))
    if field in TIME_FIELDS:
        return local_time(value, seconds=True) or str(value)
    if field == "return_photos" and isinstance(value, list):
        return _("{count} photos", count=len(value))
    if field == "signature_blob":
        return _("signed")
    if isinstance(value, (list, dict)):
        return msgspec.json.encode(value).decode()
    return str(value)


async def history(record_type: str, record_id: str) -> list[dict[str, Any]]:
    """A record's audit trail, oldest first: action, who, device, device time beside server
    time (flagged when they differ by more than five minutes) and each field's before/after."""
    rows = [plain(r) for r in await AuditEntry.select().where(
        (AuditEntry.record_type == record_type) & (AuditEntry.record_id == record_id),
    ).order_by(AuditEntry.server_time).order_by(AuditEntry.version)]
    for r in rows:
        r["changes"] = json_value(r["changes"]) or {}
    staff_ids: list[Any] = [r["staff"] for r in rows]
    for r in rows:
        staff_ids += [v for f, pair in r["changes"].items() if f in STAFF_FIELDS
                      for v in (pair if isinstance(pair, list) else [])]
    names = await staff_names(staff_ids)
    devices = await device_names(r["device"] for r in rows)
    out = []
    for r in rows:
        device_time, server_time = to_datetime(r["device_time"]), to_datetime(r["server_time"])
        changes = []
        for field, pair in sorted(r["changes"].items()):
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            changes.append({"field": field, "label": FIELD_LABELS.get(field, field),
                            "before": display_value(field, before, names),
                            "after": display_value(field, after, names)})
        out.append({
            "id": r["id"], "action": r["action"],
            "action_label": ACTION_LABELS.get(r["action"], r["action"]),
            "who": names.get(str(r["staff"]), ""),
            "device": devices.get(str(r["device"]), ""), "device_hlc": r["device_hlc"],
            "device_time": local_time(device_time, seconds=True),
            "server_time": local_time(server_time, seconds=True),
            "skewed": bool(device_time and server_time
                           and abs(device_time - server_time) > SKEW_LIMIT),
            "changes": changes,
        })
    return out


# --- blobs -------------------------------------------------------------

async def office_blob(user: CurrentUser, sha256: str) -> dict[str, Any]:
    """A stored photo or signature, only when a record of the user's sites refers to it."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(_("Not found."))
    rows = await KeyLoan.raw(
        "SELECT site FROM key_loan WHERE signature_blob = {} "
        "OR CAST(return_photos AS TEXT) LIKE {}", sha256, f"%{sha256}%")
    if not any(user.can_see_site(str(r["site"])) for r in rows):
        raise NotFound(_("Not found."))
    blob = await Blob.select(Blob.content_type, Blob.data).where(Blob.sha256 == sha256).first()
    if blob is None:
        raise NotFound(_("Not found."))
    # Only images are shown inline; anything else downloads (never rendered as a page).
    inline = blob["content_type"] in INLINE_TYPES
    return {"data": bytes(blob["data"]),
            "media_type": blob["content_type"] if inline else "application/octet-stream",
            "disposition": "inline" if inline else f'attachment; filename="{sha256}"'}
