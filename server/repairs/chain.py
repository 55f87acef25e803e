"""The entry chain (key → visit → follow-up): a request the desk lent a key for
(``key_loan_id``) is complete when the key is back and a visit of the request is closed.
Its exceptions, for the office to look into:

* ``no_visit`` — the key was lent for the request more than two hours ago (or is already
  back) and no visit is recorded;
* ``key_still_out`` — a visit of the request is closed while its key is still out past the
  loan's due time;
* ``no_owner_consent`` — a visit in a unit whose key is owner-deposited, lent without the
  owner's consent noted on the loan.

A voided loan is no loan: it raises none of them. :func:`problems` tells them for one
request (its page, the chain list); :func:`clause` is the same rule in SQL, for the office
home's counts (one query, whatever the number of requests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.accounts.schemas import CurrentUser
from server.keys.tables import KeyLoan
from server.lib.queries import both, local_time, now, plain, scope, to_datetime
from server.repairs.schemas import CHAIN_KINDS, KEY_WITHOUT_VISIT_HOURS
from server.repairs.tables import RepairRequest, RepairVisit

R, V = RepairRequest, RepairVisit
OWNER_DEPOSITED = "owner_deposited"


def problems(loan: Mapping[str, Any] | None, visits: Sequence[Mapping[str, Any]],
             at: datetime | None = None) -> list[str]:
    """The chain's exceptions for a request's loan and visits (codes of CHAIN_KINDS)."""
    if loan is None or loan.get("voided"):
        return []
    at = at or now()
    lent, due = to_datetime(loan.get("lent_at")), to_datetime(loan.get("due_at"))
    returned = loan.get("returned_at") is not None
    out = []
    if not visits and (returned or (lent is not None and lent < at - timedelta(
            hours=KEY_WITHOUT_VISIT_HOURS))):
        out.append("no_visit")
    if (not returned and due is not None and due < at
            and any(v.get("closed_at") is not None for v in visits)):
        out.append("key_still_out")
    if (loan.get("key_category") == OWNER_DEPOSITED
            and not str(loan.get("owner_consent") or "").strip()
            and any(v.get("unit") is not None for v in visits)):
        out.append("no_owner_consent")
    return out


def state(loan: Mapping[str, Any] | None, visits: Sequence[Mapping[str, Any]],
          at: datetime | None = None) -> dict[str, Any]:
    """The chain of one request: ``none`` (no key lent), ``complete`` or ``open``, with its
    exceptions."""
    if loan is None:
        return {"state": "none", "problems": []}
    found = problems(loan, visits, at)
    complete = loan.get("returned_at") is not None and any(
        v.get("closed_at") is not None for v in visits)
    return {"state": "complete" if complete and not found else "open",
            "problems": [(k, CHAIN_KINDS[k]) for k in found]}


# SQL on the request's loan and visits (no value is written into it: each is a parameter)
LOAN = ("EXISTS (SELECT 1 FROM key_loan WHERE key_loan.id = repair_request.key_loan "
        "AND NOT key_loan.voided AND ")
NO_VISIT = "NOT EXISTS (SELECT 1 FROM repair_visit WHERE repair_visit.request = repair_request.id)"
CLOSED_VISIT = ("EXISTS (SELECT 1 FROM repair_visit WHERE repair_visit.request = "
                "repair_request.id AND repair_visit.closed_at IS NOT NULL)")
VISIT_IN_UNIT = ("EXISTS (SELECT 1 FROM repair_visit WHERE repair_visit.request = "
                 "repair_request.id AND repair_visit.unit IS NOT NULL)")
NO_CONSENT = ("TRIM(COALESCE(key_loan.owner_consent, '')) = '' AND EXISTS (SELECT 1 FROM "
              "key_tag WHERE key_tag.id = key_loan.\"key\" AND key_tag.category = {})")


def clause(kind: str, at: datetime) -> Any:
    """The requests that have the chain exception ``kind`` at ``at``, as a where-clause on
    repair requests: :func:`problems` in SQL. Each reads from the requests a key was lent for
    (``key_loan IS NOT NULL``, the partial index of the office home), their loan by its id
    and their visits by the request's."""
    keyed = R.key_loan.is_not_null()
    if kind == "no_visit":
        since = at - timedelta(hours=KEY_WITHOUT_VISIT_HOURS)
        return keyed & WhereRaw(
            LOAN + "(key_loan.returned_at IS NOT NULL OR key_loan.lent_at < {}))", since,
        ) & WhereRaw(NO_VISIT)
    if kind == "key_still_out":
        return keyed & WhereRaw(
            LOAN + "key_loan.returned_at IS NULL AND key_loan.due_at < {})", at,
        ) & WhereRaw(CLOSED_VISIT)
    if kind == "no_owner_consent":
        return keyed & WhereRaw(LOAN + NO_CONSENT + ")", OWNER_DEPOSITED) & WhereRaw(
            VISIT_IN_UNIT)
    raise ValueError(f"unknown entry chain exception {kind!r}")


# the moment a request's chain began: its loan's lending (a new loan is a new occurrence)
LENT_AT = ('(SELECT key_loan.lent_at FROM key_loan '
           'WHERE key_loan.id = "repair_request"."key_loan")')


async def of_request(request: Mapping[str, Any], loan: Mapping[str, Any] | None,
                     visits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return state(loan, visits)


async def _loans(ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await KeyLoan.select(
        KeyLoan.id, KeyLoan.borrower_name, KeyLoan.lent_at, KeyLoan.due_at,
        KeyLoan.returned_at, KeyLoan.owner_consent, KeyLoan.voided,
        KeyLoan.key.code.as_alias("key_code"), KeyLoan.key.category.as_alias("key_category"),
    ).where(KeyLoan.id.is_in(ids))
    return {str(r["id"]): plain(r) for r in rows}


async def exceptions(user: CurrentUser, site: str = "") -> list[dict[str, Any]]:
    """Every exception of the entry chain at the user's sites (one line per request and
    kind), the most recent loan first."""
    clause = both(scope(R.site, user, site), R.key_loan.is_not_null())
    if clause is False:
        return []
    requests = [plain(r) for r in await R.select(
        R.id, R.number, R.site, R.unit, R.area, R.state, R.key_loan,
        R.unit.number.as_alias("unit_number"), R.site.code.as_alias("site_code"),
    ).where(clause)]
    if not requests:
        return []
    loans = await _loans(sorted({str(r["key_loan"]) for r in requests}))
    visits: dict[str, list[dict[str, Any]]] = {}
    for v in await V.select(V.id, V.request, V.unit, V.closed_at, V.arrived_at).where(
            V.request.is_in([r["id"] for r in requests])):
        visits.setdefault(str(v["request"]), []).append(plain(v))
    at = now()
    out = []
    for r in requests:
        loan = loans.get(str(r["key_loan"]))
        mine = visits.get(r["id"], [])
        for kind in problems(loan, mine, at):
            assert loan is not None
            out.append({
                "kind": kind, "kind_label": CHAIN_KINDS[kind], "request": r,
                "loan": loan, "visits": len(mine), "lent_at": loan["lent_at"],
                "lent": local_time(loan["lent_at"]), "due": local_time(loan["due_at"]),
                "returned": local_time(loan["returned_at"]),
            })
    never = datetime.min.replace(tzinfo=UTC)
    out.sort(key=lambda e: (to_datetime(e["lent_at"]) or never, e["kind"]), reverse=True)
    return out


async def counts_by_kind(user: CurrentUser) -> dict[str, int]:
    out = dict.fromkeys(CHAIN_KINDS, 0)
    for e in await exceptions(user):
        out[e["kind"]] += 1
    return out
