"""``caretaker bench-office --db sqlite|postgres [--records N] [--json PATH] [--quick]``: the
office's pages against a year of data — N records (default 1,000,000) across every domain
(:mod:`server.bench_office_data`) — each figure the server time of one page, the MEDIAN of
five runs after one warm-up, against its bar: every office list and the exceptions home under
200 ms, the monthly report under 2 s.

The pages are not listed here: every GET route under ``/office`` without path parameters is
found in the app's route table (exports — CSV, XLSX, ``/export``, PDF — left out), then one
detail page per route with a UUID (or reference record) in its path, filled from a generated
row, and the variants a list offers on its page: a site filter, a search, page 50. Requests
go in-process (httpx's ASGI transport, as the tests call the app), signed in as a supervisor
of every site; a page only administrators may open is measured as an administrator.

SQLite runs in a temporary directory (no ``ANALYZE``: the server never runs one);
PostgreSQL in a fresh temporary database on 127.0.0.1:5432 (``CARETAKER_BENCH_PG``),
analysed after the load as autovacuum would, and dropped at the end."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from server import bench_office_estate as estate
from server import bench_office_field as field
from server import bench_office_jobs as jobs
from server import db as dbmod
from server.bench import _pg_database
from server.bench_data import PG_BASE
from server.bench_office_data import Audit, Ctx, Plan, Writer, write_records

BAR_MS = 200.0
REPORT_BAR_MS = 2000.0
RUNS = 5
FULL_RECORDS = 1_000_000
QUICK_RECORDS = 50_000
LINKS = 12  # pages measured per route filled from links (each exceptions list, each chart)
SEARCH = "陳"  # the commonest surname: a search that matches (and scans) a lot
EXCLUDED = re.compile(r"(\.csv|\.xlsx|\.pdf|/export|/pdf)$|^/office/(blobs|import/template)/")
PARAM = re.compile(r"\{(\w+):(\w+)\}")
GET_FORM = re.compile(r'<form[^>]*method="get"[^>]*>(.*?)</form>', re.S)
# routes with an id no record type's page declares: the table (and filter) of their rows
EXTRA = {
    "/office/conflicts/{id}": ("sync_conflict", ""),
    "/office/sync/rejections/{id}": ("sync_rejection", ""),
    "/office/cards/units/{id}": ("card_issue", "unit"),
}
STREAMS = {"keys": "keys", "cards": "cards", "desk": "desk", "repairs": "visits",
           "patrol": "patrol"}


# --- the data --------------------------------------------------------------------------------

async def generate(writer: Writer, plan: Plan) -> Ctx:
    """The estate and a year of records, written through the bare driver."""
    ctx = Ctx(plan, writer.dialect)
    await estate.build(ctx, writer)
    audit = Audit(ctx, writer)
    for make in (field.key_loans, field.rounds, field.incidents, jobs.cards, jobs.repairs,
                 field.visitors, field.passes, field.handovers):
        for items in make(ctx):
            await write_records(ctx, writer, items, audit)
    await audit.flush()
    await jobs.conflicts(ctx, writer)
    await jobs.rejections(ctx, writer)
    await estate.space_versions(ctx, writer)
    return ctx


# --- the pages ---------------------------------------------------------------------------------

def office_routes(app: Any) -> list[str]:
    """Every GET route under /office, as declared (``/office/keys/loans/{loan_id:uuid}``)."""
    return sorted({r.path for r in app.routes if r.path.startswith("/office")
                   and "GET" in getattr(r, "methods", ()) and not EXCLUDED.search(r.path)})


def _pattern(route: str) -> str:
    return PARAM.sub("{id}", route)


def detail_sources() -> dict[str, tuple[str, str]]:
    """Detail page pattern (``/office/keys/loans/{id}``) -> (table, record type)."""
    from server.domains import reference_lists
    from server.review.present import PRESENTERS
    from server.sync.records import TABLES

    out = {f"/office/{lst.slug}/{{id}}": (lst.table._meta.tablename, "")
           for lst in reference_lists()}
    out.update({page: (TABLES[t].table, t) for t, page in PRESENTERS.pages.items()
                if t in TABLES})
    return out


async def _one(sql: str, *args: Any) -> str | None:
    from server.estate.tables import Site

    rows = await Site.raw(sql, *args)
    return str(next(iter(rows[0].values()))) if rows else None


async def _audited(record_type: str) -> str | None:
    """The latest record of a type with an audit entry a day old or more (a round planned
    for tomorrow has no visits yet)."""
    return await _one("SELECT record_id FROM audit_entry WHERE record_type = {} AND "
                      "server_time < {} ORDER BY server_time DESC LIMIT 1", record_type,
                      datetime.now(UTC) - timedelta(days=1))


async def fill(route: str, sources: dict[str, tuple[str, str]]) -> str | None:
    """``route`` with its parameters filled from a generated row (None: no row to fill)."""
    params = PARAM.findall(route)
    if len(params) == 2 and params[0][0] == "record_type":  # any record: a key loan
        rid = await _audited("key_loan")
        return PARAM.sub(lambda m: "key_loan" if m.group(1) == "record_type" else str(rid),
                         route) if rid else None
    pattern = _pattern(route)
    domain = route.split("/")[2]
    rid = None
    if pattern in sources:
        table, type_ = sources[pattern]
        if type_:  # a record with a history, as the office opens one from a list
            rid = await _audited(type_)
        rid = rid or await _one(f'SELECT id FROM "{table}" ORDER BY id DESC LIMIT 1')  # noqa: S608
    elif pattern in EXTRA:
        table, column = EXTRA[pattern]
        rid = await _one(f'SELECT {column or "id"} FROM "{table}" '  # noqa: S608
                         "ORDER BY id DESC LIMIT 1")
    elif pattern == f"/office/{domain}/conflicts/{{id}}" and domain in STREAMS:
        rid = await _one("SELECT id FROM sync_conflict WHERE space LIKE {} "
                         "ORDER BY id DESC LIMIT 1", f"%:{STREAMS[domain]}")
    return PARAM.sub(str(rid), route) if rid and len(params) == 1 else None


def variants(path: str, html: str, site: str, month: str) -> list[str]:
    """The filtered views a list offers on its page (its filter forms, its pager): a site,
    a search, page 50, a month."""
    filters = "".join(GET_FORM.findall(html))
    out = []
    if 'name="site"' in filters:
        out.append(f"{path}?site={site}")
    if 'name="q"' in filters:
        out.append(f"{path}?q={quote(SEARCH)}")
    if re.search(r"[?&;]page=2\b", html):
        out.append(f"{path}?page=50")
    if 'name="month"' in filters:
        out.append(f"{path}?month={month}")
    return out


class Timer:
    """Times pages in-process; a page a supervisor may not open is timed as an admin."""

    def __init__(self, app: Any, tokens: dict[str, str], runs: int) -> None:
        from server.accounts.middleware import SESSION_COOKIE

        self.clients = {}
        for who, token in tokens.items():
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
            self.clients[who] = httpx.AsyncClient(transport=transport,
                                                  base_url="http://bench.local",
                                                  cookies={SESSION_COOKIE: token})
        self.runs = runs

    async def close(self) -> None:
        for c in self.clients.values():
            await c.aclose()

    async def page(self, path: str, route: str) -> tuple[dict[str, Any], str]:
        who = "supervisor"
        warm = await self.clients[who].get(path)
        if warm.status_code == 403:
            who = "admin"
            warm = await self.clients[who].get(path)
        times = []
        answered = warm.status_code < 400  # a page may redirect (a check to its pass)
        for _ in range(self.runs if answered else 0):
            start = time.perf_counter()
            response = await self.clients[who].get(path)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != warm.status_code:
                warm = response
                break
        bar = REPORT_BAR_MS if route.startswith("/office/report") else BAR_MS
        median = statistics.median(times) if times else None
        return {"path": path, "route": route, "status": warm.status_code, "as": who,
                "median_ms": median, "runs_ms": times, "bar_ms": bar,
                "pass": warm.status_code < 400 and median is not None and median < bar
                }, warm.text


def from_links(route: str, pages: list[str]) -> list[str]:
    """Links to ``route`` on the pages already opened (``/office/exceptions/{kind:str}``,
    the report's charts), downloads left out."""
    parts = PARAM.split(route)
    pattern = "".join(re.escape(p) if i % 3 == 0 else "" if i % 3 == 1 else (
        "[0-9a-f-]{36}" if p == "uuid" else "[^/\"?#&]+") for i, p in enumerate(parts))
    found = (m.group(1) for html in pages
             for m in re.finditer(f'(?:href|src)="({pattern})"', html))
    return list(dict.fromkeys(found))


async def measure(app: Any, ctx: Ctx, tokens: dict[str, str], runs: int
                  ) -> tuple[list[dict[str, Any]], list[str]]:
    timer = Timer(app, tokens, runs)
    site = ctx.sites[0].id
    month = (ctx.now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    sources = detail_sources()
    routes = office_routes(app)
    pages: list[dict[str, Any]] = []
    seen: list[str] = []
    unfilled: list[str] = []
    try:
        for route in (r for r in routes if "{" not in r):
            figure, html = await timer.page(route, route)
            pages.append(figure)
            seen.append(html)
            for variant in variants(route, html, site, month):
                pages.append((await timer.page(variant, route))[0])
            print(f"  {route}: {figure['median_ms'] or 0:,.0f} ms", file=sys.stderr,
                  flush=True)
        for route in (r for r in routes if "{" in r):
            path = await fill(route, sources)
            links = [path] if path else from_links(route, seen)
            paths = [p for p in links if not EXCLUDED.search(p)][:LINKS]
            if not paths:
                unfilled.append(f"{route}: " + ("a download (not measured)" if links else
                                                "no generated row to open (not measured)"))
            for path in paths:
                pages.append((await timer.page(path, route))[0])
    finally:
        await timer.close()
    return pages, unfilled


async def baselines(app: Any, tokens: dict[str, str], runs: int, counts: dict[str, int]
                    ) -> dict[str, Any]:
    """The same run's floors, to read the pages against: the app answering ``/healthz`` (no
    session, no query) through the same in-process transport, and the database alone
    counting the largest table's rows (what a list's full count cannot go below)."""
    from server.sync.tables import AuditEntry

    timer = Timer(app, tokens, runs)
    try:
        app_floor, _html = await timer.page("/healthz", "baseline")
    finally:
        await timer.close()
    table = max(counts, key=lambda t: counts[t]) if counts else "audit_entry"
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        await AuditEntry.raw(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a table name of ours
        times.append((time.perf_counter() - start) * 1000)
    return {"app_ms": app_floor["median_ms"], "count_table": table,
            "count_rows": counts.get(table, 0), "count_ms": statistics.median(times[1:])}


async def sign_ins(ctx: Ctx, settings: Any) -> dict[str, str]:
    """A supervisor of every site (made here) and the generated administrator: sessions."""
    from server.accounts import service
    from server.accounts.tables import Staff, StaffSite

    boss = Staff(username="bench-office", display_name="黃主任", password_hash="!",  # noqa: S106
                 role="supervisor")
    await boss.save()
    await StaffSite.insert(*[StaffSite(staff=boss.id, site=s.id) for s in ctx.sites])
    assert ctx.admin is not None
    return {"supervisor": await service.start_session(settings, {"id": boss.id}, "bench"),
            "admin": await service.start_session(settings, {"id": ctx.admin.id}, "bench")}


# --- the run -------------------------------------------------------------------------------------

async def bench(kind: str, records: int, runs: int, workdir: Path) -> dict[str, Any]:
    from server.app import create_app, tune_gc
    from server.settings import load_settings

    logging.getLogger("httpx").setLevel(logging.WARNING)

    pg_name = f"caretaker_bench_office_{os.getpid()}"
    if kind == "postgres":
        await _pg_database("create", pg_name)
        url = f"{PG_BASE}/{pg_name}"
    else:
        url = f"sqlite:///{workdir / 'bench-office.sqlite3'}"
    settings = load_settings({"DATABASE_URL": url, "CARETAKER_SECRET_KEY": "b" * 48,
                              "CARETAKER_DEMO": "false"})
    engine = dbmod.make_engine(url)
    await dbmod.start(engine)
    try:
        await dbmod.migrate(engine)
        writer = Writer(kind, url)
        await writer.open()
        start = time.perf_counter()
        try:
            ctx = await generate(writer, Plan(records))
        finally:
            await writer.close()
        generated = time.perf_counter() - start
        print(f"  generated {sum(writer.counts.values()):,} rows in {generated:,.1f} s",
              file=sys.stderr, flush=True)
        app = create_app(settings, engine=engine)
        tokens = await sign_ins(ctx, settings)
        tune_gc()  # as the server does at startup
        baseline = await baselines(app, tokens, runs, writer.counts)
        pages, unfilled = await measure(app, ctx, tokens, runs)
        return {"db": kind, "records": records, "runs": runs, "rows": writer.counts,
                "rows_total": sum(writer.counts.values()), "generate_s": generated,
                "pages": pages, "unfilled": unfilled, "baseline": baseline,
                "report": any(p["route"].startswith("/office/report") for p in pages)}
    finally:
        await dbmod.stop(engine)
        if kind == "postgres":
            await _pg_database("drop", pg_name)


def report(out: dict[str, Any]) -> str:
    width = max([len(p["path"]) for p in out["pages"]] + [20])
    lines = [f"caretaker bench-office — {out['db']}, {out['rows_total']:,} rows "
             f"(generated in {out['generate_s']:,.1f} s), median of {out['runs']} runs "
             "after one warm-up, server time",
             "  rows: " + ", ".join(f"{t} {n:,}" for t, n in sorted(
                 out["rows"].items(), key=lambda r: -r[1]) if n >= 1000),
             f"  {'page':<{width}}  {'median ms':>10}  {'bar ms':>7}  result"]
    base = out.get("baseline")
    if base:
        floor = f"GET /healthz {base['app_ms']:,.1f} ms (the app's floor)"
        count = (f"counting {base['count_table']}'s {base['count_rows']:,} rows "
                 f"{base['count_ms']:,.1f} ms (the database's)")
        lines.insert(2, f"  same-run baseline: {floor}; {count}")
    for p in out["pages"]:
        median = "—" if p["median_ms"] is None else f"{p['median_ms']:,.1f}"
        result = "PASS" if p["pass"] else "FAIL" if p["status"] < 400 else \
            f"FAIL (HTTP {p['status']})"
        result += f" (HTTP {p['status']})" if 300 <= p["status"] < 400 else ""
        admin = " (admin)" if p["as"] == "admin" else ""
        lines.append(f"  {p['path']:<{width}}  {median:>10}  {p['bar_ms']:>7,.0f}  "
                     f"{result}{admin}")
    if not out["report"]:
        lines.append("  /office/report: not in this build (the monthly report's bar, 2 s, "
                     "is measured once the page exists)")
    lines += [f"  {line}" for line in out["unfilled"]]
    failed = sum(1 for p in out["pages"] if not p["pass"])
    lines.append(f"  {len(out['pages'])} pages, {failed} over their bar or failed")
    return "\n".join(lines)


def main(db: str = "sqlite", records: int | None = None, json_path: str | None = None,
         quick: bool = False, runs: int | None = None) -> int:
    n = records or (QUICK_RECORDS if quick else FULL_RECORDS)
    with tempfile.TemporaryDirectory(prefix="caretaker-bench-office-") as tmp:
        out = asyncio.run(bench(db, n, runs or (3 if quick else RUNS), Path(tmp)))
    out["quick"] = quick
    print(report(out))
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0 if all(p["status"] < 400 for p in out["pages"]) else 1

