"""What the office reads about one repair request and one visit: every field, the deadlines
beside when the work really started and finished, each visit with the technician's device
time beside the server's receipt time (flagged when more than five minutes apart), its
photos, signature, checklist and charges (the total in the site's currency), the follow-ups,
the key lent for it and the entry chain's state, the conflicts about it and its history.
Scoped to the user's sites (a request of another site is 404)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.queries import conflicts_about
from server.keys.tables import KeyLoan
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import (
    as_id,
    device_names,
    json_value,
    local_time,
    plain,
    require_id,
    staff_names,
    to_datetime,
)
from server.repairs import board, chain
from server.repairs.schemas import DEFAULT_CURRENCY
from server.repairs.tables import FollowUp, RepairPolicy, RepairRequest, RepairVisit
from server.review.queries import SKEW_LIMIT, history
from server.sync.tables import AuditEntry
from sync.domains.repairs.records import (
    BASES,
    CONTACT_PREFS,
    FOLLOW_REASONS,
    METHODS,
    OPEN_STATES,
    OUTCOMES,
    RATINGS,
    SOURCES,
)

R, V = RepairRequest, RepairVisit
CHECKLIST = ("uniform_badge", "shoe_covers", "floor_protection", "clean_up")


async def currency_of(site: str) -> str:
    policy = await RepairPolicy.select(RepairPolicy.currency).where(
        RepairPolicy.site == site).first()
    return str(policy["currency"]) if policy and policy["currency"] else DEFAULT_CURRENCY


def _skew(device: Any, received: Any) -> bool:
    a, b = to_datetime(device), to_datetime(received)
    try:
        return bool(a and b and abs(b - a) > SKEW_LIMIT)
    except OverflowError:
        return True


def deadline(due: Any, done: Any, is_open: bool) -> dict[str, Any]:
    """A deadline beside what happened: met, late, overdue (not done, passed) or pending."""
    due_at, done_at = to_datetime(due), to_datetime(done)
    if done_at is not None:
        state = "late" if due_at is not None and done_at > due_at else "met"
    elif due_at is not None and is_open and due_at < board.now():
        state = "overdue"
    else:
        state = "pending"
    return {"due": local_time(due_at), "done": local_time(done_at), "state": state}


def charges(value: Any) -> list[dict[str, Any]]:
    """A visit's charges as lines: item, quantity, unit price and the line's amount."""
    out = []
    for c in json_value(value) or []:
        if not isinstance(c, dict):
            continue
        qty, amount = float(c.get("qty") or 0), float(c.get("amount") or 0)
        out.append({"item": str(c.get("item") or ""), "qty": qty, "amount": amount,
                    "line": round(qty * amount, 2)})
    return out


async def close_receipts(visit_ids: list[str]) -> dict[str, Any]:
    """When the server received each visit's closing (its audit row), by visit id."""
    if not visit_ids:
        return {}
    rows = await AuditEntry.select(AuditEntry.record_id, AuditEntry.server_time).where(
        (AuditEntry.record_type == "repair_visit") & AuditEntry.record_id.is_in(visit_ids)
        & (AuditEntry.action == "repair.close_visit")).order_by(AuditEntry.server_time)
    out: dict[str, Any] = {}
    for r in rows:
        out.setdefault(str(r["record_id"]), r["server_time"])  # the closing that stood
    return out


async def decorate_visits(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    closings = await close_receipts([str(r["id"]) for r in rows])
    names = await staff_names([*(r["technician"] for r in rows),
                               *(r["second_staff"] for r in rows)])
    devices = await device_names(r["device"] for r in rows)
    for r in rows:
        r["technician_name"] = names.get(str(r["technician"]), "")
        r["second_staff_name"] = names.get(str(r["second_staff"]), "")
        r["device_name"] = devices.get(str(r["device"]), "")
        r["arrived"] = local_time(r["arrived_at"], seconds=True)
        r["received"] = local_time(r["created_at"], seconds=True)
        r["backdated"] = _skew(r["arrived_at"], r["created_at"])
        r["left"] = local_time(r["left_at"], seconds=True)
        r["closed"] = local_time(r["closed_at"], seconds=True)
        closing = closings.get(str(r["id"]))
        r["close_received"] = local_time(closing, seconds=True)
        r["close_backdated"] = bool(r["left_at"]) and _skew(r["left_at"], closing)
        r["basis_label"] = BASES.get(str(r["basis"]), str(r["basis"]))
        r["outcome_label"] = OUTCOMES.get(str(r["outcome"]), str(r["outcome"]))
        r["charge_lines"] = charges(r["charges"])
        for name in ("before_photos", "after_photos"):
            r[name] = [str(p) for p in json_value(r[name]) or []]
        r["checklist"] = [(name, bool(r[name])) for name in CHECKLIST]
    return rows


async def visible_request(user: CurrentUser, request_id: str) -> dict[str, Any]:
    row = await R.select(
        *R.all_columns(), R.unit.number.as_alias("unit_number"),
        R.unit._.building._.code.as_alias("building_code"),
        R.site.name.as_alias("site_name"), R.site.code.as_alias("site_code"),
    ).where(R.id == require_id(request_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return (await board.decorate([plain(row)]))[0]


async def follow_ups_of(request_id: str) -> list[dict[str, Any]]:
    rows = [plain(r) for r in await FollowUp.select().where(
        FollowUp.request == request_id).order_by(FollowUp.due_at)]
    return await decorate_follow_ups(rows)


async def decorate_follow_ups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = await staff_names(r["done_by"] for r in rows)
    for r in rows:
        r["reason_label"] = FOLLOW_REASONS.get(str(r["reason"]), str(r["reason"]))
        r["method_label"] = METHODS.get(str(r["method"]), str(r["method"]))
        r["rating_label"] = RATINGS.get(str(r["rating"]), str(r["rating"]))
        r["due"] = local_time(r["due_at"])
        r["done"] = local_time(r["done_at"])
        r["done_by_name"] = names.get(str(r["done_by"]), "")
        due = to_datetime(r["due_at"])
        r["overdue"] = r["done_at"] is None and due is not None and due < board.now()
    return rows


async def loan_of(loan_id: Any) -> dict[str, Any] | None:
    """The key loan a request names, with its key (code, category) and times."""
    wanted = as_id(loan_id)
    if wanted is None:
        return None
    row = await KeyLoan.select(
        KeyLoan.id, KeyLoan.borrower_name, KeyLoan.lent_at, KeyLoan.due_at,
        KeyLoan.returned_at, KeyLoan.owner_consent, KeyLoan.voided,
        KeyLoan.key.code.as_alias("key_code"), KeyLoan.key.category.as_alias("key_category"),
    ).where(KeyLoan.id == wanted).first()
    if row is None:
        return None
    out = plain(row)
    out.update(lent=local_time(out["lent_at"]), due=local_time(out["due_at"]),
               returned=local_time(out["returned_at"]))
    return out


async def request_page(user: CurrentUser, request_id: str) -> dict[str, Any]:
    """One request: its fields, deadlines, visits, charges, follow-ups, key loan and entry
    chain, related requests, conflicts, history — and the office's forms (blank)."""
    r = await visible_request(user, request_id)
    visits = await decorate_visits([plain(v) for v in await V.select().where(
        V.request == r["id"]).order_by(V.arrived_at)])
    is_open = r["state"] in OPEN_STATES
    names = await staff_names([r["reported_by"]])
    children = [plain(c) for c in await R.select(R.id, R.number, R.state).where(
        R.parent == r["id"]).order_by(R.reported_at)]
    parent = await R.select(R.id, R.number).where(R.id == r["parent"]).first() \
        if r["parent"] else None
    loan = await loan_of(r["key_loan"])
    total = round(sum(float(v["total"] or 0) for v in visits), 2)
    return {
        "r": r, "visits": visits, "total": total,
        "lines": [line for v in visits for line in v["charge_lines"]],
        "currency": await currency_of(r["site"]),
        "respond": deadline(r["respond_by"], r["started_at"], is_open),
        "complete": deadline(r["complete_by"], r["finished_at"], is_open),
        "reported_by_name": names.get(str(r["reported_by"]), ""),
        "received": local_time(r["created_at"], seconds=True),
        "closed": local_time(r["closed_at"], seconds=True),
        "reported_seconds": local_time(r["reported_at"], seconds=True),
        "backdated": _skew(r["reported_at"], r["created_at"]),
        "source_label": SOURCES.get(str(r["source"]), str(r["source"])),
        "contact_pref_label": CONTACT_PREFS.get(str(r["contact_pref"]),
                                                str(r["contact_pref"])),
        "photos": [str(p) for p in json_value(r["photos"]) or []],
        "follow_ups": await follow_ups_of(r["id"]),
        "loan": loan, "chain": await chain.of_request(r, loan, visits),
        "parent": plain(parent) if parent else None, "children": children,
        "conflicts": await conflicts_about(r["id"], *(v["id"] for v in visits)),
        "history": await history("repair_request", r["id"]),
        "can_assign": is_open, "can_close": r["state"] != "closed",
        "technicians": await board.technicians([str(r["site"])]),
        "action": "", "action_form": {}, "action_errors": {},
    }


async def visit_page(user: CurrentUser, visit_id: str) -> dict[str, Any]:
    """One visit's full record: basis and who was there, the conduct checklist, the work,
    before and after photos, charges, signature or why not, the outcome and the times."""
    row = await V.select(*V.all_columns(), V.unit.number.as_alias("unit_number"),
                         V.site.name.as_alias("site_name")).where(
        V.id == require_id(visit_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    visit = (await decorate_visits([plain(row)]))[0]
    request = await R.select(R.id, R.number, R.area, R.state).where(
        R.id == visit["request"]).first()
    follow = await R.select(R.id, R.number).where(R.id == visit["follow_request"]).first() \
        if visit["follow_request"] else None
    return {"v": visit, "request": plain(request) if request else None,
            "follow_request": plain(follow) if follow else None,
            "currency": await currency_of(visit["site"]),
            "conflicts": await conflicts_about(visit["id"]),
            "history": await history("repair_visit", visit["id"])}


def with_action(context: Mapping[str, Any], action: str, form: Mapping[str, Any],
                errors: Mapping[str, str]) -> dict[str, Any]:
    """The request's page again with a sent action form and its errors."""
    return {**context, "action": action, "action_form": dict(form),
            "action_errors": dict(errors)}
