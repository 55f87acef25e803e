"""What the office reads for review, for every declared record type: a record's audit
history, any record's detail, the conflict inbox and the rejections of its sites.

Conflicts and records are scoped by space: a person sees those of the spaces they may read
(their sites × their role's streams; admins and supervisors every stream)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.accounts.tables import StaffSite
from server.db import all_tables
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.paging import PageOf
from server.lib.queries import (
    both,
    device_names,
    empty_page,
    json_value,
    local_time,
    paged,
    plain,
    require_id,
    sites_of,
    staff_names,
    to_datetime,
)
from server.review import kinds, present
from server.review.schemas import (
    CONFLICT_STATUS_LABELS,
    OFFICE_ACTION_LABELS,
    RESOLUTION_LABELS,
    ConflictFilters,
    NoteForm,
    query_string,
)
from server.sync.records import TABLES
from server.sync.tables import AuditEntry, Conflict, Rejection
from sync import streams
from sync.domains import default_registry

# Device time further than this from server time is shown highlighted (backdating shows).
SKEW_LIMIT = timedelta(minutes=5)


def readable(user: CurrentUser) -> list[str]:
    """The spaces whose records the person may read."""
    return sorted(streams.readable_spaces(user.role, user.site_ids))


def space_scope(column: Any, user: CurrentUser, site: str = "", stream: str = "") -> Any:
    """``column`` (a space) among the person's readable spaces, narrowed to a site and a
    stream when given; ``False`` when nothing is visible."""
    spaces = readable(user)
    if site:
        spaces = [s for s in spaces if streams.site_of(s) == site]
    if stream:
        spaces = [s for s in spaces if streams.stream_of(s) == stream]
    return column.is_in(spaces) if spaces else False


# --- history -------------------------------------------------------------------------------

def action_label(action: str, device: Any) -> str:
    spec = default_registry().get(action)
    if spec is not None:
        label = _(spec.label or action)
        return _("{action} (phone)", action=label) if device else _(
            "{action} (office)", action=label)
    return _(OFFICE_ACTION_LABELS.get(action, action))


async def history(record_type: str, record_id: str) -> list[dict[str, Any]]:
    """A record's audit trail, oldest first: action, who, device, device time beside server
    time (flagged when they differ by more than five minutes) and each field's before/after."""
    rows = [plain(r) for r in await AuditEntry.select().where(
        (AuditEntry.record_type == record_type) & (AuditEntry.record_id == record_id),
    ).order_by(AuditEntry.server_time).order_by(AuditEntry.version)]
    staff_fields = present.staff_fields(record_type)
    staff_ids: list[Any] = []
    for r in rows:
        r["changes"] = json_value(r["changes"]) or {}
        staff_ids.append(r["staff"])
        staff_ids += [v for f, pair in r["changes"].items()
                      if f in staff_fields or f == "resolved_by"
                      for v in (pair if isinstance(pair, list) else [])]
    names = await staff_names(staff_ids)
    devices = await device_names(r["device"] for r in rows)
    out = []
    for r in rows:
        device_time, server_time = to_datetime(r["device_time"]), to_datetime(r["server_time"])
        changes = []
        for name, pair in sorted(r["changes"].items()):
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            changes.append({"field": name, "label": present.field_label(record_type, name),
                            "before": present.display_value(record_type, name, before, names),
                            "after": present.display_value(record_type, name, after, names)})
        skewed = False
        if device_time and server_time:
            try:
                skewed = abs(device_time - server_time) > SKEW_LIMIT
            except OverflowError:
                skewed = True
        out.append({
            "id": r["id"], "action": r["action"],
            "action_label": action_label(r["action"], r["device"]),
            "who": names.get(str(r["staff"]), ""),
            "device": devices.get(str(r["device"]), ""), "device_hlc": r["device_hlc"],
            "device_time": local_time(device_time, seconds=True),
            "server_time": local_time(server_time, seconds=True),
            "skewed": skewed, "changes": changes,
        })
    return out


# --- any record ----------------------------------------------------------------------------

def piccolo_table(record_type: str) -> Any:
    """The Piccolo table that holds a declared record type."""
    table = TABLES.get(record_type)
    if table is None:
        return None
    return next((t for t in all_tables() if t._meta.tablename == table.table), None)


async def record_rows(record_type: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The current state of records of one type, by id, as the office shows them (one
    query), with their space (for scoping)."""
    table, rt = piccolo_table(record_type), TABLES.get(record_type)
    if table is None or rt is None or not ids:
        return {}
    rows = await table.select().where(table.id.is_in(ids))
    out = {}
    for row in map(plain, rows):
        data = {c.name: json_value(row[c.column]) if c.kind == "json" else row[c.column]
                for c in rt.fields}
        out[row["id"]] = {"id": row["id"], "space": row["space"], "data": data}
    return out


async def record_page(user: CurrentUser, record_type: str, record_id: str) -> dict[str, Any]:
    """Any declared record the person may read (else 404): its fields and its history."""
    if record_type not in TABLES or record_type in ("conflict", "review"):
        raise NotFound(_("Not found."))
    found = (await record_rows(record_type, [require_id(record_id)])).get(record_id)
    if found is None or found["space"] not in readable(user):
        raise NotFound(_("Not found."))
    data = found["data"]
    names = await staff_names(data.get(f) for f in present.staff_fields(record_type))
    return {"record_type": record_type, "type_label": present.type_label(record_type),
            "title": present.title(record_type, data), "id": record_id,
            "fields": present.pairs(record_type, data, names),
            "history": await history(record_type, record_id)}


# --- conflicts -----------------------------------------------------------------------------

def conflict_where(user: CurrentUser, f: ConflictFilters, stream: str,
                   with_kind: bool = True) -> Any:
    """The conflicts of the filters (and of ``stream``); ``with_kind=False``: of every kind
    (what the counts by kind count)."""
    clauses = [space_scope(Conflict.space, user, f.site, stream)]
    if f.status in ("open", "resolved"):
        clauses.append(Conflict.status == f.status)
    if with_kind and f.kind:
        clauses.append(Conflict.kind == f.kind)
    return both(*clauses)


async def decorate_conflicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records each conflict is about (titles, links) and its time, for a page or an
    export's batch (one query per record type)."""
    by_type: dict[str, list[str]] = {}
    for r in rows:
        r["record_ids"] = [str(i) for i in json_value(r["record_ids"]) or []]
        by_type.setdefault(r["record_type"], []).extend(r["record_ids"])
    found = {t: await record_rows(t, ids) for t, ids in by_type.items()}
    for r in rows:
        records = found.get(r["record_type"], {})
        r["records"] = [{"id": i, "href": present.page_of(r["record_type"], i),
                         "title": present.title(r["record_type"], records[i]["data"])}
                        for i in r["record_ids"] if i in records]
        r["created"] = local_time(r["created_at"])
    return rows


async def list_conflicts(user: CurrentUser, f: ConflictFilters, stream: str = "") -> PageOf:
    where = conflict_where(user, f, stream)
    if where is False:
        return empty_page()
    select = Conflict.select().where(where).order_by(Conflict.created_at, ascending=False)
    page = await paged(select, Conflict.count().where(where), f.page)
    page.rows = await decorate_conflicts(page.rows)
    return page


async def conflicts_page(user: CurrentUser, f: ConflictFilters, stream: str = "",
                         path: str = "/office/conflicts",
                         detail: str = "") -> dict[str, Any]:
    """A list of conflicts at ``path``; each opens at ``detail``/<id> (default: ``path``'s own
    detail route — a domain without one names the review console's, /office/conflicts).
    Above it, how many of each kind the other filters hold."""
    found = await kinds.grouped(Conflict, Conflict.kind,
                                conflict_where(user, f, stream, with_kind=False))
    return {"page": await list_conflicts(user, f, stream), "filters": f,
            "sites": await sites_of(user), "kinds": kinds.conflict_kinds(),
            "counts": kinds.counts(found, kinds.conflict_label, f.kind),
            "statuses": CONFLICT_STATUS_LABELS, "path": path, "detail": detail or path,
            "stream": stream, "query": lambda **kw: query_string(f, **kw)}


async def open_conflict(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    """A conflict of a space the person may read (else 404)."""
    row = await Conflict.select().where(Conflict.id == require_id(conflict_id)).first()
    if row is None or row["space"] not in readable(user):
        raise NotFound(_("Not found."))
    return row


async def conflict_detail(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    """A conflict (else 404): both values side by side, the records involved in their
    current state, its own history."""
    c = plain(await open_conflict(user, conflict_id))
    c["record_ids"] = [str(i) for i in json_value(c["record_ids"]) or []]
    c["details"] = json_value(c["details"]) or {}
    c["staff_ids"] = [str(i) for i in json_value(c["staff_ids"]) or []]
    record = c["record_type"]
    rows = await record_rows(record, c["record_ids"])
    records = [rows[i] for i in c["record_ids"] if i in rows]
    staff_fields = present.staff_fields(record)
    names = await staff_names([*c["staff_ids"], c["resolved_by"],
                               *(r["data"].get(f) for r in records for f in staff_fields),
                               *present.detail_staff(c["details"])])
    c["names"] = names
    c["involved"] = "、".join(names.get(s, s) for s in c["staff_ids"])
    c["records"] = [{
        "id": r["id"], "href": present.page_of(record, r["id"]),
        "title": present.title(record, r["data"]), "data": r["data"],
        "fields": present.pairs(record, r["data"], names),
    } for r in records]
    decorate = present.PRESENTERS.decorate.get(record)
    if decorate is not None:
        await decorate(c["records"], names)
    c["sides"] = present.sides(c["kind"], record, c["details"], names)
    c["actions"] = present.PRESENTERS.actions.get(record)
    c["type_label"] = present.type_label(record)
    c["created"] = local_time(c["created_at"], seconds=True)
    c["resolved"] = local_time(c["resolved_at"], seconds=True)
    c["history"] = await history("conflict", c["id"])
    return c


async def conflict_page(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    return {"conflict": await conflict_detail(user, conflict_id), "note_form": NoteForm(),
            "resolutions": RESOLUTION_LABELS}


# --- rejections ----------------------------------------------------------------------------

async def rejection_scope(user: CurrentUser) -> Any:
    """Rejections of the user's spaces, and those with no known space (an unknown key) sent
    by staff assigned to one of their sites."""
    if user.is_admin:
        return None
    if not user.site_ids:
        return False
    rows = await StaffSite.select(StaffSite.staff).where(
        StaffSite.site.is_in(list(user.site_ids)))
    staff = sorted({str(r["staff"]) for r in rows})
    in_spaces = Rejection.space.is_in(readable(user))
    if not staff:
        return in_spaces
    return in_spaces | ((Rejection.space == "") & Rejection.staff.is_in(staff))


async def rejection_where(user: CurrentUser, f: ConflictFilters, with_kind: bool = True
                          ) -> Any:
    """The rejections of the filters (``kind``: a rejection's code); ``with_kind=False``:
    of every code (what the counts by code count)."""
    clauses = [await rejection_scope(user)]
    if f.status in ("open", "resolved"):
        clauses.append(Rejection.status == f.status)
    if with_kind and f.kind:
        clauses.append(Rejection.code == f.kind)
    return both(*clauses)


async def decorate_rejections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = await staff_names([r["staff"] for r in rows] + [r["resolved_by"] for r in rows])
    for r in rows:
        r["staff_name"] = names.get(str(r["staff"]), "")
        r["resolved_by_name"] = names.get(str(r["resolved_by"]), "")
        r["created"] = local_time(r["created_at"])
        r["code_label"] = kinds.rejection_label(r["code"])
    return rows


async def list_rejections(user: CurrentUser, f: ConflictFilters) -> PageOf:
    where = await rejection_where(user, f)
    if where is False:
        return empty_page()
    select = Rejection.select().order_by(Rejection.created_at, ascending=False)
    count = Rejection.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    page = await paged(select, count, f.page)
    page.rows = await decorate_rejections(page.rows)
    return page


async def rejections_page(user: CurrentUser, f: ConflictFilters) -> dict[str, Any]:
    found = await kinds.grouped(Rejection, Rejection.code,
                                await rejection_where(user, f, with_kind=False))
    codes = {**{c: kinds.rejection_label(c) for c in found},
             **({f.kind: kinds.rejection_label(f.kind)} if f.kind else {})}
    return {"page": await list_rejections(user, f), "filters": f,
            "counts": kinds.counts(found, kinds.rejection_label, f.kind),
            "kinds": dict(sorted(codes.items(), key=lambda c: c[1])),
            "statuses": CONFLICT_STATUS_LABELS, "query": lambda **kw: query_string(f, **kw)}


async def rejection_page(user: CurrentUser, rejection_id: str) -> dict[str, Any]:
    return {"rejection": await visible_rejection(user, rejection_id), "form": NoteForm()}


async def visible_rejection(user: CurrentUser, rejection_id: str) -> dict[str, Any]:
    """A rejection the user may see (else 404), with names and times to show."""
    where = both(Rejection.id == require_id(rejection_id), await rejection_scope(user))
    row = None if where is False else await Rejection.select().where(where).first()
    if row is None:
        raise NotFound(_("Not found."))
    r = plain(row)
    names = await staff_names([r["staff"], r["resolved_by"]])
    r["staff_name"] = names.get(str(r["staff"]), "")
    r["resolved_by_name"] = names.get(str(r["resolved_by"]), "")
    r["created"] = local_time(r["created_at"], seconds=True)
    r["resolved"] = local_time(r["resolved_at"], seconds=True)
    r["args_text"] = json.dumps(json_value(r["args"]), ensure_ascii=False, indent=2)
    return r
