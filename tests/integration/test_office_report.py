"""The office's monthly report for the owners' committee: a month of seeded records
(tests/integration/report_support.py) counted section by section — in the figures, on the
printable page, in each chart (SVG drawn by pygal, served under its own CSP) and in the PDF
(read back with pypdf: its text and its page count); a month with nothing in it, the
default month, a site the person may not see, and a month that is not one; on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from pypdf import PdfReader

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotFound, ValidationFailed
from server.report.months import current_month, last_full_month
from server.report.queries import monthly_report
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import sign_in_en
from tests.integration.report_support import EXPECTED, MONTH, report_estate

CHARTS = ("patrol", "keys", "cards", "requests", "visits", "follow_ups")
PDF_PAGES = 4  # the layout's four page groups (report.css), each fitting one A4 page


@pytest.fixture
async def e(factory: Any) -> Estate:
    return await report_estate(factory)


async def sign_in_zh(client: Any, username: str) -> None:
    await sign_in(client, username, TEST_PASSWORD)
    assert (await client.get("/lang/zh_Hant")).status_code == 200


def boss(e: Estate) -> CurrentUser:
    return CurrentUser(id=e.boss, username="boss", display_name="boss", role="supervisor",
                       site_ids=(e.a,))


def figure_rows(html: str) -> dict[str, str]:
    """The page's label → value rows (the figures tables)."""
    return {m[1]: m[2] for m in re.finditer(
        r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td></tr>', html)}


def table_row(html: str, name: str) -> list[str]:
    """The cells of the report table row headed ``name`` (its first match)."""
    found = re.search(rf'<th scope="row">{re.escape(name)}</th>((?:<td>[^<]*</td>)+)', html)
    assert found, name
    return re.findall(r"<td>([^<]*)</td>", found[1])


async def test_the_figures_count_the_month_at_the_site(e: Estate) -> None:
    report = await monthly_report(boss(e), e.a, MONTH)
    assert report["month"] == MONTH and report["site"]["code"] == "HYG"
    assert not report["running"] and not report["empty"]
    assert {k: report["patrol"]["total"][k] for k in EXPECTED["patrol"]} == EXPECTED["patrol"]
    assert report["patrol"]["incidents"] == 2
    routes = {r["name"]: (r["planned"], r["done"], r["missed"])
              for r in report["patrol"]["routes"]}
    assert routes == {"夜更路線": (7, 4, 2), "日更路線": (2, 2, 0)}
    assert {k: report["keys"]["total"][k] for k in EXPECTED["keys"]} == EXPECTED["keys"]
    kinds = {k["kind"]: (k["lent"], k["returned_late"], k["overdue_at_end"])
             for k in report["keys"]["kinds"]}
    assert kinds == {"contractor": (3, 2, 0), "resident": (1, 0, 1)}
    assert report["cards"]["total"] == EXPECTED["cards"]
    total = report["requests"]["total"]
    assert {k: total[k] for k in EXPECTED["requests"]} == EXPECTED["requests"]
    by_category = {c["category"]: c["reported"] for c in report["requests"]["categories"]}
    assert by_category == {"water": 2, "electricity": 1, "doors_locks": 0, "lift": 1,
                           "common_area": 0, "other": 1}
    visits = report["visits"]
    assert {k: visits[k] for k in EXPECTED["visits"]} == EXPECTED["visits"]
    assert visits["scores"] == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert (visits["outcomes"]["done"], visits["outcomes"]["no_one_home"],
            visits["outcomes"][""], visits["outcomes"]["follow_up"]) == (2, 1, 1, 1)
    follow = report["follow_ups"]
    assert {k: follow[k] for k in EXPECTED["follow_ups"]} == EXPECTED["follow_ups"]
    assert follow["ratings"] == {"A": 2, "B": 1, "C": 1}
    assert report["desk"]["total"] == EXPECTED["desk"]


async def test_a_month_without_records_is_zeros_not_an_error(e: Estate) -> None:
    report = await monthly_report(boss(e), e.a, "2025-10")
    assert report["empty"]
    assert report["patrol"]["total"]["planned"] == 0 and report["patrol"]["routes"] == []
    assert report["keys"]["total"]["lent"] == 0 and report["keys"]["kinds"] == []
    assert not any(report["cards"]["total"].values())
    assert report["requests"]["total"]["reported"] == 0
    assert report["requests"]["total"]["response_rate"] is None
    assert report["visits"]["average"] is None
    assert report["follow_ups"]["satisfied_rate"] is None
    assert not any(report["desk"]["total"].values())


async def test_the_figures_refuse_other_sites_and_bad_months(e: Estate) -> None:
    with pytest.raises(NotFound):
        await monthly_report(boss(e), e.b, MONTH)
    with pytest.raises(NotFound):
        await monthly_report(boss(e), str(uuid.uuid4()), MONTH)
    for bad in ("2026-13", "2026-1", "October", "", "1800-01", "2199-12"):
        with pytest.raises(ValidationFailed):
            await monthly_report(boss(e), e.a, bad)
    root = CurrentUser(id=e.root, username="root", display_name="root", role="admin",
                       site_ids=())
    assert (await monthly_report(root, e.b, MONTH))["patrol"]["total"]["planned"] == 1


async def test_the_page_shows_the_figures_and_the_charts(client: Any, e: Estate) -> None:
    await sign_in_en(client, "boss")
    page = await client.get(f"/office/report?site={e.a}&month={MONTH}")
    assert page.status_code == 200
    html = page.text
    assert "海悅花園" in html and f'value="{MONTH}"' in html
    assert '<a href="/office/report">Monthly report</a>' in html  # the office's top bar
    rows = figure_rows(html)
    assert rows["Patrol rounds done"] == "6 / 9 (66.7 %)"
    assert rows["Patrol rounds missed"] == "2" and rows["Incidents reported"] == "2"
    assert rows["Key loans"] == "4" and rows["Overdue at month end"] == "1"
    assert (rows["Issued"], rows["Replacements"], rows["Reported lost"]) == ("3", "1", "2")
    assert (rows["Responded on time"], rows["Completed on time"]) == ("40.0 %", "20.0 %")
    assert (rows["Complaints"], rows["Average score"], rows["Score 2"]) == ("1", "3.67", "1")
    assert (rows["A Satisfied"], rows["C Unsatisfied"]) == ("2", "1")
    assert (rows["Satisfied (A and B)"], rows["Not done, past due"]) == ("75.0 %", "1")
    assert (rows["Visitors signed in"], rows["Refused"], rows["Shift handovers"]) == (
        "3", "1", "2")
    assert table_row(html, "夜更路線") == ["7", "4", "3", "1", "1", "2", "57.1 %", "42.9 %"]
    assert table_row(html, "Contractor") == ["3", "1", "3", "2", "1", "0"]
    assert table_row(html, "Water") == ["2", "1", "1", "1", "1", "0", "50.0 %", "50.0 %"]
    assert "No records" not in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [f"/office/report/{e.a}/{MONTH}/{name}.svg" for name in CHARTS]


async def test_each_chart_is_a_pygal_svg_under_its_own_csp(client: Any, e: Estate) -> None:
    await sign_in_en(client, "boss")
    words = {"patrol": ["夜更路線", "日更路線", "Missed"], "keys": ["Contractor", "Resident"],
             "cards": ["Replacements"], "requests": ["Water", "Electricity"],
             "visits": ["Score (1–5)"], "follow_ups": ["A Satisfied"]}
    for name in CHARTS:
        chart = await client.get(f"/office/report/{e.a}/{MONTH}/{name}.svg")
        assert chart.status_code == 200, name
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert chart.headers["content-security-policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
        svg = chart.text
        assert 'class="pygal-chart"' in svg and "Generated with pygal" in svg
        assert "<script" not in svg and "No records" not in svg
        for word in words[name]:
            assert word in svg, (name, word)
    empty = await client.get(f"/office/report/{e.a}/2025-10/patrol.svg")
    assert empty.status_code == 200 and "No records" in empty.text


async def test_the_pdf_has_the_site_month_sections_figures_and_charts(client: Any, e: Estate
                                                                      ) -> None:
    await sign_in_en(client, "boss")
    got = await client.get(f"/office/report/{e.a}/{MONTH}.pdf")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        'attachment; filename="monthly-report-HYG-2026-10.pdf"')
    pdf = PdfReader(io.BytesIO(got.content))
    assert len(pdf.pages) == PDF_PAGES
    text = "\n".join(p.extract_text() for p in pdf.pages)
    flat = re.sub(r"\s+", " ", text)
    for title in ("Monthly report", "海悅花園", MONTH, "At a glance", "Patrol", "Key loans",
                  "IC cards", "Repair requests", "Visits and satisfaction", "Follow-ups",
                  "Front desk"):
        assert title in flat, title
    for figure in ("6 / 9 (66.7 %)", "Overdue at month end 1", "Replacements 1",
                   "Responded on time 40.0 %", "Average score 3.67",
                   "Satisfied (A and B) 75.0 %", "Visitors signed in 3"):
        assert figure in flat, figure
    for chart_title in ("Patrol rounds by route", "Key loans by borrower",
                        "IC cards this month", "Repair requests by category",
                        "Residents' scores of visits", "Follow-up ratings"):
        assert chart_title in flat, chart_title  # the SVG's own text, drawn in the PDF
    assert pdf.pages[0].extract_text().count("Patrol rounds by route") == 1


async def test_an_empty_month_says_so_on_the_page_and_in_the_pdf(client: Any, e: Estate
                                                                 ) -> None:
    await sign_in_zh(client, "boss")
    page = await client.get(f"/office/report?site={e.a}&month=2025-10")
    assert page.status_code == 200
    assert "本小區本月沒有任何記錄。" in page.text
    assert page.text.count('<p class="no-records">本月沒有記錄。</p>') == 7  # each section
    assert figure_rows(page.text)["鑰匙借用"] == "0"
    got = await client.get(f"/office/report/{e.a}/2025-10.pdf")
    assert got.status_code == 200
    pdf = PdfReader(io.BytesIO(got.content))
    assert len(pdf.pages) == PDF_PAGES
    flat = re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf.pages))
    assert "月報" in flat and "2025-10" in flat and "沒有記錄" in flat


async def test_the_page_defaults_to_the_last_full_month(client: Any, e: Estate) -> None:
    await sign_in_en(client, "boss")
    page = await client.get("/office/report")
    assert page.status_code == 200
    last = last_full_month().key
    assert f'value="{last}"' in page.text
    assert f'href="/office/report/{e.a}/{last}.pdf"' in page.text
    assert "This month is not over yet" not in page.text
    running = await client.get(f"/office/report?month={current_month().key}")
    assert running.status_code == 200
    assert "This month is not over yet: its figures are as of now." in running.text


async def test_other_sites_and_unknown_ones_are_not_found(client: Any, e: Estate) -> None:
    await sign_in_en(client, "boss")
    for path in (f"/office/report?site={e.b}&month={MONTH}", f"/office/report/{e.b}/{MONTH}.pdf",
                 f"/office/report/{e.b}/{MONTH}/patrol.svg",
                 f"/office/report?site={uuid.uuid4()}", "/office/report/not-a-site/2026-10.pdf",
                 f"/office/report/{e.a}/{MONTH}/nothing.svg", f"/office/report/{e.a}/{MONTH}.doc"):
        got = await client.get(path)
        assert got.status_code == 404, path
        assert "海悅花園" not in got.text and "景華臺" not in got.text


async def test_a_month_that_is_not_one_is_refused_clearly(client: Any, e: Estate) -> None:
    await sign_in_en(client, "boss")
    page = await client.get(f"/office/report?site={e.a}&month=2026-13")
    assert page.status_code == 400
    assert "Choose a month as year and month, like" in page.text
    assert 'aria-invalid="true"' in page.text and 'value="2026-13"' in page.text
    assert "Download PDF" not in page.text  # the form again, no figures
    future = await client.get(f"/office/report?site={e.a}&month=2199-12")
    assert future.status_code == 400
    assert "2199-12 has not begun yet: choose this month or an earlier one." in future.text
    for path in (f"/office/report/{e.a}/2026-1.pdf", f"/office/report/{e.a}/oct/patrol.svg"):
        got = await client.get(path)
        assert got.status_code == 400, path
        assert "Choose a month as year and month, like" in got.text


async def test_only_the_office_opens_the_report(client: Any, e: Estate) -> None:
    await sign_in_en(client, "desk")
    for path in ("/office/report", f"/office/report/{e.a}/{MONTH}.pdf",
                 f"/office/report/{e.a}/{MONTH}/patrol.svg"):
        assert (await client.get(path)).status_code == 403, path
