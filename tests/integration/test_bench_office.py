"""``caretaker bench-office`` at a tiny scale, on SQLite and PostgreSQL: the generator fills
every domain's tables, every office page the route table has (and its variants, and a
detail page per record type) answers, and the figures are printed and written as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server.bench_office import EXCLUDED, main, office_routes, variants
from server.bench_office_data import PER_MILLION, Plan
from tests.conftest import DATABASES

RECORDS = 3_000
FIELD_TABLES = ("key_loan", "patrol_round", "patrol_scan", "patrol_incident", "card",
                "card_issue", "repair_request", "repair_visit", "follow_up", "visitor",
                "goods_pass", "pass_check", "handover", "audit_entry", "sync_conflict",
                "sync_rejection", "device", "staff", "unit", "resident")


@pytest.mark.parametrize("kind", DATABASES)
def test_bench_office_measures_every_page(kind: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "figures.json"
    assert main(db=kind, records=RECORDS, json_path=str(out_path), runs=1) == 0
    printed = capsys.readouterr().out
    out: dict[str, Any] = json.loads(out_path.read_text())

    # the generator: every domain's tables, about the records asked for
    for table in FIELD_TABLES:
        assert out["rows"].get(table, 0) > 0, table
    assert RECORDS <= out["rows_total"] <= 2 * RECORDS
    assert out["generate_s"] > 0

    # every page answered, with one timed run (a gate check redirects to its pass)
    pages = out["pages"]
    assert len(pages) > 100
    for page in pages:
        assert page["status"] == 200 or (page["status"] == 303 and "/checks/" in page["path"]
                                          ), page
        assert len(page["runs_ms"]) == 1 and page["median_ms"] > 0, page
        assert page["bar_ms"] == (2000 if page["route"].startswith("/office/report") else 200)
    routes = {p["route"] for p in pages}
    assert "/office" in routes
    assert {"/office/keys/loans", "/office/repairs", "/office/desk/visitors",
            "/office/patrol/exceptions", "/office/cards", "/office/conflicts",
            "/office/sync/rejections"} <= routes
    # a detail page per record type, filled from a generated row
    assert {"/office/keys/loans/{loan_id:uuid}", "/office/patrol/rounds/{round_id:uuid}",
            "/office/repairs/{request_id:uuid}", "/office/desk/visitors/{visitor_id:uuid}",
            "/office/cards/issues/{issue_id:uuid}", "/office/conflicts/{conflict_id:uuid}",
            "/office/sync/rejections/{rejection_id:uuid}"} <= routes
    paths = {p["path"] for p in pages}
    assert any(p.startswith("/office/keys/loans?q=") for p in paths)
    assert any(p.startswith("/office/keys/loans?site=") for p in paths)
    assert not any(EXCLUDED.search(p) for p in paths)  # no export, no PDF

    # the figures, printed
    assert f"caretaker bench-office — {kind}" in printed
    for page in pages:
        assert page["path"] in printed
    assert "PASS" in printed
    base = out["baseline"]  # the same run's floors, printed before the pages
    assert base["app_ms"] > 0 and base["count_ms"] > 0 and base["count_rows"] > 0
    assert "same-run baseline: GET /healthz" in printed


async def test_every_office_page_of_the_route_table_is_found(app: Any) -> None:
    found = office_routes(app)
    declared = {r.path for r in app.routes if r.path.startswith("/office")
                and "GET" in getattr(r, "methods", ())}
    assert "/office" in found and "/office/keys/loans" in found
    assert set(found) == {p for p in declared if not EXCLUDED.search(p)}
    assert "/office/keys/loans/export" not in found
    assert not any(p.endswith((".csv", ".xlsx")) for p in found)


def test_variants_come_from_the_page_filters() -> None:
    html = ('<form class="filters" method="get" action="/x"><select name="site"></select>'
            '<input name="q"></form><a href="/x?page=2">next</a>'
            '<form method="post"><input name="month"></form>')
    assert variants("/x", html, "S", "2026-11") == ["/x?site=S", "/x?q=%E9%99%B3",
                                                    "/x?page=50"]
    assert variants("/x", "<p>nothing to filter</p>", "S", "2026-11") == []


def test_plan_shares_add_up_to_the_records() -> None:
    plan = Plan(1_000_000)
    assert plan.count("visitor") == PER_MILLION["visitor"]
    assert Plan(100).count("handover") == plan.sites  # at least one a site
    assert 0 < plan.audit_share() < 1
