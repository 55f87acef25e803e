"""The office's lists with their exports and the review console's counts by kind, in real
Chromium under the strict CSP: the pages pass axe with no console error and no sideways
scroll at 768 px; an export link downloads the list's file with its filters; a count by kind
narrows the inbox to that kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.e2e.conftest import Server
from tests.e2e.test_office_console import no_sideways_scroll, office_page
from tests.e2e.test_screens import _axe

PAGES = ("/office/conflicts?status=all", "/office/sync/rejections?status=all",
         "/office/keys/loans?status=returned", "/office/units", "/office/desk/handovers",
         "/office/repairs/follow-ups?show=done", "/office/patrol")


def test_lists_exports_and_counts(browser: Any, server: Server, tmp_path: Path) -> None:
    page = office_page(browser, server, 768)
    for path in PAGES:
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        assert _axe(page) == [], path
        assert no_sideways_scroll(page), path
    assert page.errors == []

    # an export link carries the list's filters and downloads its file
    page.goto(server.url + "/office/keys/loans?status=returned")
    link = page.locator("a[href^='/office/keys/loans/export.xlsx']")
    assert parse_qs(urlsplit(link.get_attribute("href") or "").query) == {
        "status": ["returned"]}
    with page.expect_download() as got:
        link.click()
    download = got.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"  # a zip: the workbook

    # a count by kind narrows the inbox to its kind
    page.goto(server.url + "/office/conflicts?status=all")
    counts = page.locator(".kind-counts a")
    assert counts.count() >= 2  # every kind, then each kind
    counts.nth(1).click()
    page.wait_for_load_state()
    kind = parse_qs(urlsplit(page.url).query)["kind"][0]
    assert page.locator("#conflict-kind").input_value() == kind
    assert page.locator(".kind-counts a[aria-current='true']").count() == 1
