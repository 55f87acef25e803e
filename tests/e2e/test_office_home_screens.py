"""The office home (exceptions first, a table per site) and an exception's list in real
Chromium under the enforced CSP, at 1280, 768 and 360 px: axe-core finds no serious or
critical violation, no CSP violation is reported, nothing scrolls sideways; a count opens
the kind's list at its site, an acknowledgement without a note comes back with its error,
and one with a note takes the item off the list. The demo estate's records; each run
acknowledges the first of the visits closed without a signature (no other test reads them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, TIMEOUT_MS, Server
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe

KIND = "repairs.unsigned"


@pytest.fixture(params=[(1280, 900), (768, 1024), (360, 740)], ids=["1280px", "768px", "360px"])
def admin_page(request: pytest.FixtureRequest, browser: Any, server: Server) -> Iterator[Any]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height},
                                  timezone_id="Asia/Hong_Kong")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url + "/lang/en")
    page.goto(server.url + "/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/office**")
    yield page
    context.close()


def checked(page: Any, problems: list[str], where: str) -> None:
    """axe clean, nothing sticking out sideways, no CSP report so far."""
    assert _axe(page) == [], where
    assert page.evaluate(NO_SIDEWAYS_SCROLL), where
    assert not problems, (where, problems)


def listed(page: Any) -> int:
    m = re.search(r"(\d+) found", page.locator(".count").first.inner_text())
    assert m, page.url
    return int(m.group(1))


def test_the_home_and_an_exception_list_with_its_acknowledgement(admin_page: Any,
                                                                 server: Server) -> None:
    page = admin_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(server.url + "/office")
    assert page.locator("h2#by-site-title").is_visible()
    tables = page.locator("section.card[aria-labelledby^='site-']")
    assert tables.count() >= 2  # the demo's two sites
    checked(page, problems, "home")

    # a site's count opens the kind's list at that site
    cell = page.locator(f"tr[data-kind='{KIND}'] a").first
    count = int(cell.inner_text().split("·")[0].strip())
    assert count > 0
    cell.click()
    page.wait_for_url(f"**/office/exceptions/{KIND}?site=*")
    assert listed(page) == count
    checked(page, problems, "list")
    first = page.locator("tr.exception-item").first
    record = first.locator("a.record-link").get_attribute("href")
    assert record and record.startswith("/office/repairs/visits/")

    # no note: the list again, the error on the item's note, nothing acknowledged
    first.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid='true']").count() == 1
    assert page.locator(".field-error").first.inner_text() == "Required."
    assert listed(page) == count
    checked(page, problems, "list with an error")

    # a note: the item leaves the list, the notice says so
    first = page.locator("tr.exception-item").first
    first.locator("textarea").fill("住戶拒簽，已致電解釋 (e2e)")
    first.locator("button[type=submit]").click()
    page.wait_for_url("**done=acknowledged**")
    assert page.locator("p.notice[role=status]").is_visible()
    assert listed(page) == count - 1
    assert page.locator(f"a.record-link[href='{record}']").count() == 0
    checked(page, problems, "list after the acknowledgement")

    page.goto(server.url + "/office/exceptions/acknowledged")
    assert page.locator(f"a[href='{record}']").count() == 1
    checked(page, problems, "acknowledged")
