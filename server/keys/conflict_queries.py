"""What the office reads about key conflicts (the inbox of what offline work produced) and
the sync rejections of its sites. Scoped like every office query: another site's conflict
does not exist for the user."""

from __future__ import annotations

import json
from typing import Any

from server.accounts.schemas import CurrentUser
from server.accounts.tables import StaffSite
from server.keys.loan_queries import loan_status, open_loan
from server.keys.office_queries import (
    KEY_RECORD_TYPES,
    PageOf,
    both,
    display_value,
    empty_page,
    history,
    json_value,
    local_time,
    now,
    paged,
    plain,
    require_id,
    scope,
    sites_of,
    staff_names,
)
from server.keys.schemas import (
    CONFLICT_KIND_LABELS,
    CONFLICT_STATUS_LABELS,
    FIELD_LABELS,
    RESOLUTION_LABELS,
    ConflictFilters,
    NoteForm,
    VoidForm,
    query_string,
)
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.sync.tables import Conflict, Rejection

# The loan fields shown side by side for each loan a conflict involves.
LOAN_SIDE_FIELDS = ("borrower_name", "borrower_kind", "lent_at", "due_at", "lent_by",
                    "returned_at", "returned_by", "voided", "void_reason")


def _conflict_where(user: CurrentUser, f: ConflictFilters) -> Any:
    clauses = [scope(Conflict.space, user, f.site),
               Conflict.record_type.is_in(list(KEY_RECORD_TYPES))]
    if f.status in ("open", "resolved"):
        clauses.append(Conflict.status == f.status)
    return both(*clauses)


async def list_conflicts(user: CurrentUser, f: ConflictFilters) -> PageOf:
    where = _conflict_where(user, f)
    if where is False:
        return empty_page()
    select = Conflict.select().where(where).order_by(Conflict.created_at, ascending=False)
    page = await paged(select, Conflict.count().where(where), f.page)
    loans, keys = await _records([json_value(r["record_ids"]) or [] for r in page.rows],
                                 [r["record_type"] for r in page.rows])
    for r in page.rows:
        ids = [str(i) for i in json_value(r["record_ids"]) or []]
        if r["record_type"] == "key_loan":
            r["records"] = [loans[i] for i in ids if i in loans]
        else:
            r["records"] = [keys[i] for i in ids if i in keys]
        r["created"] = local_time(r["created_at"])
    return page


async def conflicts_page(user: CurrentUser, f: ConflictFilters) -> dict[str, Any]:
    return {"page": await list_conflicts(user, f), "filters": f, "sites": await sites_of(user),
            "kinds": CONFLICT_KIND_LABELS, "statuses": CONFLICT_STATUS_LABELS,
            "query": lambda **kw: query_string(f, **kw)}


async def conflict_page(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    return {"conflict": await conflict_detail(user, conflict_id), "void_form": VoidForm(),
            "note_form": NoteForm(), "resolutions": RESOLUTION_LABELS}


async def _records(id_lists: list[list[Any]], types: list[str]) -> tuple[dict[str, Any],
                                                                         dict[str, Any]]:
    """The loans and keys conflicts refer to, by id (one query each)."""
    loan_ids = sorted({str(i) for ids, t in zip(id_lists, types, strict=True)
                       if t == "key_loan" for i in ids})
    key_ids = sorted({str(i) for ids, t in zip(id_lists, types, strict=True)
                      if t == "key" for i in ids})
    loans: dict[str, Any] = {}
    if loan_ids:
        rows = await KeyLoan.select(
            *KeyLoan.all_columns(), KeyLoan.key.code.as_alias("key_code"),
            KeyLoan.key.label.as_alias("key_label"),
        ).where(KeyLoan.id.is_in(loan_ids))
        loans = {str(r["id"]): plain(r) for r in rows}
        for r in loans.values():
            r["status"] = loan_status(r)
            r["lent"] = local_time(r["lent_at"])
    keys: dict[str, Any] = {}
    if key_ids:
        rows = await KeyTag.select(KeyTag.id, KeyTag.code, KeyTag.label).where(
            KeyTag.id.is_in(key_ids))
        keys = {str(r["id"]): plain(r) for r in rows}
    return loans, keys


async def conflict_detail(user: CurrentUser, conflict_id: str) -> dict[str, Any]:
    """A key conflict of the user's sites (else 404): the records involved in their current
    state, both values side by side, and its own history."""
    row = await Conflict.select().where(Conflict.id == require_id(conflict_id)).first()
    if (row is None or row["record_type"] not in KEY_RECORD_TYPES
            or not user.can_see_site(str(row["space"]))):
        raise NotFound(_("Not found."))
    c = plain(row)
    c["record_ids"] = [str(i) for i in json_value(c["record_ids"]) or []]
    c["details"] = json_value(c["details"]) or {}
    c["staff_ids"] = [str(i) for i in json_value(c["staff_ids"]) or []]
    loans, keys = await _records([c["record_ids"]], [c["record_type"]])
    records = [loans[i] for i in c["record_ids"] if i in loans]
    names = await staff_names([*c["staff_ids"], c["resolved_by"],
                               *(r["lent_by"] for r in records),
                               *(r["return_recorded_by"] for r in records),
                               *_detail_staff(c["details"])])
    c["names"] = names
    c["involved"] = "、".join(names.get(s, s) for s in c["staff_ids"])
    c["loans"] = [{
        "id": r["id"], "key_code": r["key_code"], "key_label": r["key_label"],
        "status": r["status"], "voided": r["voided"], "borrower_name": r["borrower_name"],
        "lent": r["lent"],
        "fields": [{"label": FIELD_LABELS[f], "value": display_value(f, r.get(f), names)}
                   for f in LOAN_SIDE_FIELDS],
    } for r in records]
    c["key_records"] = [keys[i] for i in c["record_ids"] if i in keys]
    c["sides"] = _sides(c["kind"], c["details"], names)
    c["open_loans"] = [r for r in c["loans"] if not r["voided"]]
    c["created"] = local_time(c["created_at"], seconds=True)
    c["resolved"] = local_time(c["resolved_at"], seconds=True)
    c["history"] = await history("conflict", c["id"])
    return c


def _detail_staff(details: dict[str, Any]) -> list[Any]:
    found = [details.get("by")]
    for loan in details.get("loans") or []:
        if isinstance(loan, dict):
            found.append(loan.get("lent_by"))
    for side in ("first", "second"):
        if isinstance(details.get(side), dict):
            found.append(details[side].get("return_recorded_by"))
    found += [details.get("lent_by"), details.get("return_recorded_by")]
    return [x for x in found if x]


def _pairs(data: dict[str, Any], names: dict[str, str]) -> list[dict[str, str]]:
    return [{"label": FIELD_LABELS.get(f, f), "value": display_value(f, v, names)}
            for f, v in data.items() if f not in ("loan_id", "key_id", "lent_device",
                                                  "return_device")]


def _sides(kind: str, details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Both values of a conflict, as titled columns to show side by side."""
    if kind == "double_loan":
        return [{"title": _("Loan {n}", n=i + 1), "rows": _pairs(loan, names)}
                for i, loan in enumerate(details.get("loans") or []) if isinstance(loan, dict)]
    if kind == "double_return":
        return [{"title": _("First return"), "rows": _pairs(details.get("first") or {}, names)},
                {"title": _("Second return"),
                 "rows": _pairs(details.get("second") or {}, names)}]
    if kind == "return_before_loan":
        return [{"title": _("Lent"), "rows": _pairs(
                    {"lent_at": details.get("lent_at"), "lent_by": details.get("lent_by")},
                    names)},
                {"title": _("Returned"), "rows": _pairs(
                    {"returned_at": details.get("returned_at"),
                     "return_recorded_by": details.get("return_recorded_by")}, names)}]
    if kind == "field_overwritten":
        out = []
        for field, v in (details.get("fields") or {}).items():
            if not isinstance(v, dict):
                continue
            label = _(FIELD_LABELS.get(field, field))
            out.append({"title": label, "rows": [
                {"label": _("Kept value"), "value": display_value(field, v.get("kept"), names)},
                {"label": _("Overwritten value"),
                 "value": display_value(field, v.get("lost"), names)},
            ]})
        return out
    return [{"title": _("Details"), "rows": _pairs(details, names)}]


# --- rejections ----------------------------------------------------------------------------

async def rejection_scope(user: CurrentUser) -> Any:
    """Rejections of the user's sites, and those with no known site (an unknown key) sent by
    staff assigned to one of them."""
    if user.is_admin:
        return None
    if not user.site_ids:
        return False
    rows = await StaffSite.select(StaffSite.staff).where(
        StaffSite.site.is_in(list(user.site_ids)))
    staff = sorted({str(r["staff"]) for r in rows})
    in_sites = Rejection.space.is_in(list(user.site_ids))
    if not staff:
        return in_sites
    return in_sites | ((Rejection.space == "") & Rejection.staff.is_in(staff))


async def list_rejections(user: CurrentUser, f: ConflictFilters) -> PageOf:
    clauses = [await rejection_scope(user)]
    if f.status in ("open", "resolved"):
        clauses.append(Rejection.status == f.status)
    where = both(*clauses)
    if where is False:
        return empty_page()
    select = Rejection.select().order_by(Rejection.created_at, ascending=False)
    count = Rejection.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    page = await paged(select, count, f.page)
    names = await staff_names([r["staff"] for r in page.rows]
                              + [r["resolved_by"] for r in page.rows])
    for r in page.rows:
        r["staff_name"] = names.get(str(r["staff"]), "")
        r["resolved_by_name"] = names.get(str(r["resolved_by"]), "")
        r["created"] = local_time(r["created_at"])
    return page


async def rejections_page(user: CurrentUser, f: ConflictFilters) -> dict[str, Any]:
    return {"page": await list_rejections(user, f), "filters": f,
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


# --- the office home ---------------------------------------------------------------------

async def _count(table: Any, *clauses: Any) -> int:
    where = both(*clauses)
    if where is False:
        return 0
    query = table.count()
    return int(await (query.where(where) if where is not None else query))


async def office_counts(user: CurrentUser) -> dict[str, int]:
    """Exceptions first: overdue keys, open key conflicts, open rejections, keys out now."""
    return {
        "overdue": await _count(KeyLoan, scope(KeyLoan.site, user), open_loan(),
                                KeyLoan.due_at < now()),
        "conflicts": await _count(Conflict, scope(Conflict.space, user),
                                  Conflict.status == "open",
                                  Conflict.record_type.is_in(list(KEY_RECORD_TYPES))),
        "rejections": await _count(Rejection, await rejection_scope(user),
                                   Rejection.status == "open"),
        "out": await _count(KeyLoan, scope(KeyLoan.site, user), open_loan()),
    }
