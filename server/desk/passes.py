"""Goods-out passes as the office reads them (放行條): one site's passes, newest first, each
with its gate checks, filtered by what happened at the gate — not yet out, let out, goods
did not match, refused, used twice (let out twice at two gates, or presented again after
it was used) — by the days they were issued and a search over the number, the unit and the
plate; paged, counted and filtered in SQL. Beside them, the gate checks whose pass has not
reached the server (the desk's phone has not synced; or no such pass: a forged QR code,
refused at the gate), paged on their own. Both are filtered by the office's review too (the
passes' and the gate checks' own: :mod:`server.lib.reviewed`). The same rows unpaged, in
batches, for the exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from server.accounts.schemas import CurrentUser
from server.desk.queries import day_range, page_of, pick_site, received
from server.desk.schemas import PASS_TABS, PassFilters
from server.desk.tables import GoodsPass, PassCheck
from server.lib import reviewed
from server.lib.paging import PageOf
from server.lib.queries import (
    both,
    contains,
    device_names,
    empty_page,
    json_value,
    local_time,
    now,
    paged,
    plain,
    staff_names,
    to_datetime,
)
from sync.domains.desk.records import BASES, OUTCOMES, VERDICTS

P, C = GoodsPass, PassCheck
BATCH = 500


def _checks_where(site_id: str, *clauses: Any) -> Any:
    return C.select(C.pass_id).where(both(C.site == site_id, *clauses))


def twice(site_id: str) -> QueryString:
    """The passes let out more than once (two checks that let it out), or presented again
    after they were used (a self-join walks the site's checks once, where a GROUP BY made
    SQLite read every site's)."""
    return QueryString(
        "SELECT a.pass_id FROM pass_check a JOIN pass_check b ON b.pass_id = a.pass_id "
        "AND b.id > a.id AND b.outcome = 'passed' WHERE a.site = {} AND a.outcome = 'passed' "
        "UNION ALL SELECT pass_id FROM pass_check WHERE site = {} AND verdict = 'used'",
        site_id, site_id)


def without_pass(site_id: str) -> Any:
    """Gate checks whose pass the server does not have. PostgreSQL hashes the site's pass
    ids once (NOT IN); SQLite probes the pass's key per check (NOT EXISTS: twice as fast)."""
    if str(C._meta.db.engine_type) in ("postgres", "cockroach"):
        return C.pass_id.not_in(P.select(P.id).where(P.site == site_id))
    return WhereRaw('NOT EXISTS (SELECT 1 FROM goods_pass WHERE goods_pass.id = '
                    '"pass_check"."pass_id")')


def outcome_clause(site_id: str, outcome: str) -> Any:
    """Passes by what happened at the gate (``waiting``: not presented at the gate yet)."""
    if outcome == "waiting":
        return P.id.not_in(_checks_where(site_id))
    if outcome in OUTCOMES:
        return P.id.is_in(_checks_where(site_id, C.outcome == outcome))
    if outcome == "twice":
        return P.id.is_in(twice(site_id))
    return None


def where(site_id: str, f: PassFilters) -> Any:
    search = (contains(P.number, f.q) | contains(P.unit.number, f.q)
              | contains(P.plate, f.q)) if f.q else None
    return both(P.site == site_id, outcome_clause(site_id, f.outcome),
                day_range(P.issued_at, f.date_from, f.date_to), search,
                reviewed.clause(P.id, "goods_pass", f.review))


def select() -> Any:
    return P.select(
        P.id, P.site, P.number, P.unit, P.items, P.item_count, P.plate, P.valid_until,
        P.basis, P.owner_name, P.authorisation_photo, P.phoned_number, P.phoned_at,
        P.issued_at, P.key, P.code, P.issued_by, P.device, P.created_at,
        P.unit.number.as_alias("unit_number"),
    ).order_by(P.issued_at, ascending=False).order_by(P.id, ascending=False)


def check_columns() -> tuple[Any, ...]:
    return (C.id, C.site, C.pass_id, C.number, C.code, C.verdict, C.outcome, C.photos,
            C.note, C.checked_at, C.checked_by, C.device, C.created_at)


async def decorate_checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The guard's name, the device, the labels and both times of each gate check."""
    names = await staff_names(r["checked_by"] for r in rows)
    devices = await device_names(r["device"] for r in rows)
    for r in rows:
        r["guard_name"] = names.get(str(r["checked_by"]), "")
        r["device_name"] = devices.get(str(r["device"]), "")
        r["verdict_label"] = VERDICTS.get(str(r["verdict"]), str(r["verdict"]))
        r["outcome_label"] = OUTCOMES.get(str(r["outcome"]), str(r["outcome"]))
        r["photos"] = [str(p) for p in json_value(r["photos"]) or []]
    received(rows, "checked_at")
    return rows


async def checks_of(pass_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The gate checks of each pass, in the order the guards made them."""
    if not pass_ids:
        return {}
    rows = await decorate_checks([plain(r) for r in await C.select(*check_columns()).where(
        C.pass_id.is_in(pass_ids)).order_by(C.checked_at)])
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r["pass_id"]), []).append(r)
    return out


def gate_state(checks: list[dict[str, Any]]) -> str:
    """What happened at the gate, from the pass's checks (a key of ``PASS_TABS``)."""
    passed = sum(1 for c in checks if c["outcome"] == "passed")
    if passed > 1 or any(c["verdict"] == "used" for c in checks):
        return "twice"
    if passed:
        return "passed"
    for outcome in ("mismatch", "refused"):
        if any(c["outcome"] == outcome for c in checks):
            return outcome
    return "waiting"


async def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names, labels, times; each pass's gate checks and what happened at the gate."""
    names = await staff_names(r["issued_by"] for r in rows)
    devices = await device_names(r["device"] for r in rows)
    checks = await checks_of([str(r["id"]) for r in rows])
    at = now()
    for r in rows:
        r["issuer_name"] = names.get(str(r["issued_by"]), "")
        r["device_name"] = devices.get(str(r["device"]), "")
        r["basis_label"] = BASES.get(str(r["basis"]), str(r["basis"]))
        r["items"] = [str(i) for i in json_value(r["items"]) or []]
        r["valid_until_shown"] = local_time(r["valid_until"])
        r["phoned_at_shown"] = local_time(r["phoned_at"])
        r["checks"] = checks.get(str(r["id"]), [])
        r["state"] = gate_state(r["checks"])
        r["state_label"] = PASS_TABS[r["state"]]
        until = to_datetime(r["valid_until"])
        r["expired"] = r["state"] == "waiting" and until is not None and until < at
    received(rows, "issued_at")
    await reviewed.add_reviews("goods_pass", rows)
    return rows


async def rows(site_id: str, f: PassFilters) -> PageOf:
    found = await page_of(select(), P.count(), where(site_id, f), f.page)
    found.rows = await decorate(found.rows)
    return found


# --- gate checks whose pass is not here ----------------------------------------------------

def orphan_where(site_id: str, f: PassFilters) -> Any:
    """Gate checks of the site whose pass the server does not have, for the filters."""
    if f.outcome == "waiting":
        return False  # a check without its pass is a pass that was presented
    outcome = None
    if f.outcome in OUTCOMES:
        outcome = C.outcome == f.outcome
    elif f.outcome == "twice":
        outcome = C.pass_id.is_in(twice(site_id))
    search = contains(C.number, f.q) if f.q else None
    return both(C.site == site_id, without_pass(site_id), outcome,
                day_range(C.checked_at, f.date_from, f.date_to), search,
                reviewed.clause(C.id, "pass_check", f.review))


async def orphans(site_id: str, f: PassFilters) -> PageOf:
    """A page of the gate checks without their pass (counted first: usually there are none,
    and then the page is not read)."""
    number = int(f.orphans) if f.orphans.isdigit() and 0 < int(f.orphans) < 10**6 else 1
    clause = orphan_where(site_id, f)
    total = 0 if clause is False else int(await C.count().where(clause))
    if not total:
        return empty_page()

    async def counted() -> int:
        return total

    query = C.select(*check_columns()).where(clause).order_by(C.checked_at, ascending=False)
    found = await paged(query, counted(), number)
    found.rows = await decorate_checks(found.rows)
    await reviewed.add_reviews("pass_check", found.rows)
    return found


async def page(user: CurrentUser, f: PassFilters) -> dict[str, Any]:
    site, sites = await pick_site(user, f.site)
    return {"site": site, "sites": sites, "filters": f, "tabs": PASS_TABS,
            "page": await rows(site["id"], f), "orphans": await orphans(site["id"], f),
            "review_href": reviewed.link("goods_pass", site["id"], f.review)}


async def batches(user: CurrentUser, f: PassFilters
                  ) -> tuple[dict[str, Any], AsyncIterator[list[dict[str, Any]]]]:
    """The site and every pass of the filters in batches, newest first, then the gate
    checks without their pass (``orphan`` rows): what the exports hold."""
    site, _sites = await pick_site(user, f.site)
    clause, lost = where(site["id"], f), orphan_where(site["id"], f)

    async def run() -> AsyncIterator[list[dict[str, Any]]]:
        last: dict[str, Any] | None = None
        while clause is not False:
            after = None if last is None else (P.issued_at <= last["issued_at"]) & (
                (P.issued_at < last["issued_at"])
                | ((P.issued_at == last["issued_at"]) & (P.id < last["id"])))
            found = [plain(r) for r in await select().where(both(clause, after)).limit(BATCH)]
            if found:
                yield await decorate(found)
            if len(found) < BATCH:
                break
            last = found[-1]
        if lost is not False:
            query = C.select(*check_columns()).where(lost).order_by(C.checked_at,
                                                                    ascending=False)
            checks = await decorate_checks([plain(r) for r in await query])
            await reviewed.add_reviews("pass_check", checks)
            for c in checks:
                c["orphan"] = True
            if checks:
                yield checks
    return site, run()
