"""The review filter of the office's lists of synced records in real Chromium under the
strict CSP, at 768 px: every list filtered by review state passes axe with no console error
and no sideways scroll, keeps its filter and links to the review list of the same records;
the loans' filter applies through htmx; and a record marked from that review list shows its
badge in its own list, filtered by the mark."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.test_office_console import no_sideways_scroll, office_page
from tests.e2e.test_screens import _axe

LISTS = {  # a list (its filters besides the review's) -> its review filter's select
    "/office/keys/loans?": "#loan-review", "/office/patrol?": "#pf-review",
    "/office/cards?": "#f-review", "/office/repairs?": "#b-review",
    "/office/repairs/follow-ups?show=done&": "#fu-review",
    "/office/desk/visitors?": "#v-review", "/office/desk/passes?": "#p-review",
    "/office/desk/handovers?": "#h-review",
}
REVIEW_LINK = "a[href^='/office/review?type=']"


def test_every_list_filters_by_review_state(browser: Any, server: Server) -> None:
    page = office_page(browser, server, 768)
    for path, select in LISTS.items():
        response = page.goto(f"{server.url}{path}review=unreviewed")
        assert response is not None and response.status == 200, path
        assert page.locator(select).input_value() == "unreviewed", path
        link = page.locator(REVIEW_LINK).first.get_attribute("href") or ""
        assert link.endswith("state=unreviewed"), (path, link)
        assert _axe(page) == [], path
        assert no_sideways_scroll(page), path
    assert page.errors == []

    # the loans' filter narrows the results through htmx, the address and links follow
    page.goto(server.url + "/office/keys/loans")
    page.select_option("#loan-review", "approved")
    page.wait_for_url("**review=approved**")
    page.wait_for_selector(f"#loan-results {REVIEW_LINK}[href$='state=approved']")
    assert page.errors == []


def test_a_mark_from_the_review_list_shows_in_the_list(browser: Any, server: Server) -> None:
    page = office_page(browser, server, 768)
    page.goto(server.url + "/office/desk/visitors")
    page.click(REVIEW_LINK)
    page.wait_for_url("**/office/review?type=visitor**")
    picked = page.locator("input[name='ids']").first
    visitor = picked.get_attribute("value")
    picked.check()
    page.check("input[name='state'][value='approved']")
    page.click("button[name='scope'][value='selected']")
    page.wait_for_url("**marked=1**")
    page.goto(server.url + "/office/desk/visitors?review=approved")
    row = page.locator(f"tr:has(a[href='/office/desk/visitors/{visitor}'])")
    assert row.locator(".badge.review-approved").count() == 1
    assert _axe(page) == []
    assert no_sideways_scroll(page)
    page.goto(server.url + "/office/desk/visitors?review=unreviewed")
    assert page.locator(f"a[href='/office/desk/visitors/{visitor}']").count() == 0
    assert page.errors == []
