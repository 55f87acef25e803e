"""What the office reads about key loans: the filtered list (page and CSV/XLSX export) and a
loan's detail with its history. Scoped to the user's sites like every office query."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar.response import Stream
from piccolo.columns.combination import WhereRaw

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff
from server.keys.schemas import (
    BORROWER_KIND_LABELS,
    KEY_CATEGORY_LABELS,
    LOAN_STATUS_LABELS,
    LoanFilters,
    VoidForm,
)
from server.keys.tables import KeyLoan, KeyTag
from server.lib import exports, reviewed
from server.lib.errors import NotFound
from server.lib.filters import query_string
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.labels import ID_TYPE_LABELS
from server.lib.newest import newest_first
from server.lib.paging import PageOf
from server.lib.queries import (
    as_id,
    both,
    contains,
    device_names,
    empty_page,
    json_value,
    local_day_start,
    local_time,
    now,
    paged,
    plain,
    require_id,
    scope,
    sites_of,
    staff_names,
    to_datetime,
)
from server.review.queries import SKEW_LIMIT, history
from server.sync.tables import Conflict

# --- loans ---------------------------------------------------------------------------------

def loan_status(row: dict[str, Any], at: datetime | None = None) -> str:
    if row.get("voided"):
        return "voided"
    if row.get("returned_at") is not None:
        return "returned"
    due = to_datetime(row.get("due_at"))
    if due is not None and due < (at or now()):
        return "overdue"
    return "out"


def open_loan() -> Any:
    return KeyLoan.returned_at.is_null() & KeyLoan.voided.eq(False)


def _loan_where(user: CurrentUser, f: LoanFilters, page: bool = False) -> Any:
    """The filters' clause; ``page``: for the newest-first page (:mod:`server.lib.newest`)."""
    site = scope(KeyLoan.site, user, f.site)
    clauses = [newest_first(site) if page else site]
    if f.status == "out":
        clauses.append(open_loan())
    elif f.status == "overdue":
        clauses.append(open_loan() & (KeyLoan.due_at < now()))
    elif f.status == "returned":
        clauses.append(KeyLoan.returned_at.is_not_null() & KeyLoan.voided.eq(False))
    elif f.status == "voided":
        clauses.append(KeyLoan.voided.eq(True))
    start = local_day_start(f.date_from)
    if start is not None:
        clauses.append(KeyLoan.lent_at >= start)
    end = local_day_start(f.date_to)
    if end is not None:
        clauses.append(KeyLoan.lent_at < end + timedelta(days=1))
    lent_by = as_id(f.lent_by)
    if lent_by is not None:
        clauses.append(KeyLoan.lent_by == lent_by)
    if f.q:  # the tag codes first (a few thousand keys), not a join per loan
        codes = KeyTag.select(KeyTag.id).where(contains(KeyTag.code, f.q))
        clauses.append(KeyLoan.key.is_in(codes) | contains(KeyLoan.borrower_name, f.q))
    clauses.append(reviewed.clause(KeyLoan.id, "key_loan", f.review))
    return both(*clauses)


LOAN_COLUMNS = (
    KeyLoan.id, KeyLoan.key, KeyLoan.key.code.as_alias("key_code"),
    KeyLoan.key.label.as_alias("key_label"), KeyLoan.site.code.as_alias("site_code"),
    KeyLoan.borrower_name, KeyLoan.borrower_kind, KeyLoan.borrower_phone, KeyLoan.id_type,
    KeyLoan.id_last4, KeyLoan.purpose, KeyLoan.approver, KeyLoan.deposit, KeyLoan.lent_at,
    KeyLoan.due_at, KeyLoan.lent_by, KeyLoan.returned_at, KeyLoan.returned_by,
    KeyLoan.voided, KeyLoan.void_reason, KeyLoan.created_at,
)


async def _decorate_loans(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = await staff_names(r["lent_by"] for r in rows)
    at = now()
    for r in rows:
        r["status"] = loan_status(r, at)
        r["lent_by_name"] = names.get(str(r["lent_by"]), "")
        r["lent"], r["due"] = local_time(r["lent_at"]), local_time(r["due_at"])
        r["returned"] = local_time(r["returned_at"])
    await reviewed.add_reviews("key_loan", rows)
    return rows


async def list_loans(user: CurrentUser, f: LoanFilters) -> PageOf:
    where = _loan_where(user, f)
    if where is False:
        return empty_page()
    select = KeyLoan.select(*LOAN_COLUMNS).order_by(KeyLoan.lent_at, ascending=False)
    count = KeyLoan.count()
    if where is not None:
        # a search reads every row anyway: on SQLite, a scan before the site index
        select = select.where(_loan_where(user, f, page=True))
        count = count.where(_loan_where(user, f, page=bool(f.q)))
    page = await paged(select, count, f.page)
    await _decorate_loans(page.rows)
    return page


async def loans_page(user: CurrentUser, f: LoanFilters) -> dict[str, Any]:
    return {"page": await list_loans(user, f), "filters": f, "sites": await sites_of(user),
            "lenders": await lenders(user), "statuses": LOAN_STATUS_LABELS,
            "kinds": BORROWER_KIND_LABELS, "query": lambda **kw: query_string(f, **kw),
            "review_href": reviewed.link("key_loan", f.site, f.review)}


async def lenders(user: CurrentUser) -> list[dict[str, str]]:
    """Staff who lent keys at the user's sites (the "lent by" filter): each staff member
    probes the (lent_by, site) index once, where a DISTINCT read a year of loans."""
    where = scope(KeyLoan.site, user)
    if where is False:
        return []
    lent = "EXISTS (SELECT 1 FROM key_loan WHERE key_loan.lent_by = staff.id{})"
    rows = await Staff.select(Staff.id, Staff.display_name).where(
        WhereRaw(lent.format(" AND {}"), where.querystring) if where is not None
        else WhereRaw(lent.format("")))
    return sorted(({"id": str(r["id"]), "name": r["display_name"]} for r in rows),
                  key=lambda s: s["name"])


CSV_COLUMNS = (
    ("site_code", "Site"), ("key_code", "Tag code"), ("key_label", "Label"),
    ("borrower_name", "Borrower"), ("borrower_kind", "Borrower type"),
    ("borrower_phone", "Borrower's phone"), ("id_type", "ID type"), ("id_last4", "ID last 4"),
    ("purpose", "Purpose"), ("approver", "Approved by"), ("deposit", "Deposit"),
    ("lent_at", "Lent at"), ("due_at", "Due"), ("lent_by_name", "Lent by"),
    ("returned_at", "Returned at"), ("returned_by", "Returned by"), ("status", "Status"),
    ("void_reason", "Reason for voiding"), ("created_at", "Received by server"),
    *reviewed.COLUMNS,
)
CODED = {"borrower_kind": BORROWER_KIND_LABELS, "id_type": ID_TYPE_LABELS,
         "status": LOAN_STATUS_LABELS}
TIME_FIELDS = ("lent_at", "due_at", "returned_at", "created_at")


def _shown(r: dict[str, Any]) -> dict[str, Any]:
    """A loan as the export shows it: labels for codes, local times, text."""
    out: dict[str, Any] = reviewed.cells(r)
    for name, _label in CSV_COLUMNS:
        if name in out:
            continue
        value: Any = r.get(name)
        if name in CODED:
            value = _(CODED[name].get(value, value or ""))
        elif name in TIME_FIELDS:
            value = local_time(value)
        out[name] = "" if value is None else str(value)
    return out


async def loans_export(user: CurrentUser, f: LoanFilters, fmt: exports.Format) -> Stream:
    """Every loan matching the filters (all pages, newest first, a batch at a time) as CSV
    (UTF-8 with a BOM, so Excel opens Chinese text) or XLSX."""
    batches = exports.keyset_batches(
        lambda: KeyLoan.select(*LOAN_COLUMNS).order_by(KeyLoan.lent_at, ascending=False)
        .order_by(KeyLoan.id, ascending=False),
        _loan_where(user, f), KeyLoan.lent_at, KeyLoan.id, decorate=_decorate_loans)
    return await exports.export(fmt, CSV_COLUMNS, batches, exports.stamp("key-loans"),
                                lazy("Key loans"), _shown)


async def loan_detail(user: CurrentUser, loan_id: str) -> dict[str, Any]:
    """Every field of a loan of the user's sites (else 404), with names for the ids."""
    row = await KeyLoan.select(
        *KeyLoan.all_columns(), KeyLoan.key.code.as_alias("key_code"),
        KeyLoan.key.label.as_alias("key_label"), KeyLoan.key.category.as_alias("key_category"),
        KeyLoan.site.name.as_alias("site_name"), KeyLoan.site.code.as_alias("site_code"),
    ).where(KeyLoan.id == require_id(loan_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    loan = plain(row)
    loan["return_photos"] = [p for p in (json_value(loan["return_photos"]) or [])
                             if isinstance(p, str)]
    loan["status"] = loan_status(loan)
    names = await staff_names([loan["lent_by"], loan["return_recorded_by"], loan["voided_by"]])
    loan["names"] = names
    devices = await device_names([loan["lent_device"]])
    loan["lent_device_name"] = devices.get(str(loan["lent_device"]), "")
    received = to_datetime(loan["created_at"])
    lent = to_datetime(loan["lent_at"])
    loan["backdated"] = bool(received and lent and abs(received - lent) > SKEW_LIMIT)
    loan.update(lent=local_time(lent, seconds=True), received=local_time(received, seconds=True),
                due=local_time(loan["due_at"]), returned=local_time(loan["returned_at"]),
                labels={"category": KEY_CATEGORY_LABELS, "kind": BORROWER_KIND_LABELS,
                        "id_type": ID_TYPE_LABELS, "status": LOAN_STATUS_LABELS})
    loan["conflicts"] = await conflicts_about(loan["id"])
    loan["history"] = await history("key_loan", loan["id"])
    return loan


async def loan_page(user: CurrentUser, loan_id: str) -> dict[str, Any]:
    return {"loan": await loan_detail(user, loan_id), "void_form": VoidForm()}


async def conflicts_about(record_id: str) -> list[dict[str, Any]]:
    """Conflicts whose records include ``record_id`` (JSON list searched as text: portable)."""
    rows = await Conflict.raw(
        "SELECT id, kind, status, created_at FROM sync_conflict "
        "WHERE CAST(record_ids AS TEXT) LIKE {} ORDER BY created_at", f"%{record_id}%")
    return [plain(r) for r in rows]
