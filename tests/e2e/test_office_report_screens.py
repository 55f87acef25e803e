"""The monthly report in real Chromium under the office's enforced CSP, at 1280 px and at
768 px, in English and in Chinese: the demo estate's last full month renders its six charts
— each ``<img>`` loaded, laid out at a readable size and drawn in the report's colours
(pygal styles its SVG with an inline ``<style>``, allowed by the chart's own policy only) —
and a chart opened on its own is an SVG document under that policy; axe-core finds no
serious or critical violation on the report, on an empty month and on a month that is not
one (400); no CSP violation is reported anywhere and nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, TIMEOUT_MS, Server
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe

CHARTS = ("patrol", "keys", "cards", "requests", "visits", "follow_ups")
# each chart's <img>: loaded, decoded and its box on the page
IMAGES = """() => [...document.querySelectorAll('figure.chart img')].map(i => ({
  src: i.getAttribute('src'), alt: i.alt, complete: i.complete, natural: i.naturalWidth,
  width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height}))"""
# pixels of the brand's teal (#0f5f56, the first series' colour, set by the chart's own
# <style>) when the chart is drawn on a canvas as the page drew it
TEAL_PIXELS = """async (src) => {
  const img = new Image(); img.src = src; await img.decode();
  const canvas = document.createElement('canvas'); canvas.width = 760; canvas.height = 340;
  const g = canvas.getContext('2d'); g.drawImage(img, 0, 0, 760, 340);
  const d = g.getImageData(0, 0, 760, 340).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - 15) < 6 && Math.abs(d[i + 1] - 95) < 6 && Math.abs(d[i + 2] - 86) < 6) n++;
  }
  return n; }"""


@pytest.fixture(params=[(1280, 900, "en"), (768, 1024, "zh_Hant")], ids=["1280px", "768px"])
def admin_page(request: pytest.FixtureRequest, browser: Any, server: Server) -> Iterator[Any]:
    width, height, language = request.param
    context = browser.new_context(viewport={"width": width, "height": height},
                                  timezone_id="Asia/Hong_Kong")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url + f"/lang/{language}")
    page.goto(server.url + "/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/office**")
    yield page
    context.close()


def test_the_monthly_report_draws_its_charts_under_the_csp(admin_page: Any, server: Server
                                                           ) -> None:
    page = admin_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    response = page.goto(server.url + "/office/report")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    images = page.evaluate(IMAGES)
    month = page.input_value("#rp-month")
    assert [i["src"].rsplit("/", 2)[1:] for i in images] == [
        [month, f"{name}.svg"] for name in CHARTS]
    for image in images:
        assert image["complete"] and image["natural"] > 0, image
        assert image["width"] >= 300 and image["height"] >= 130, image  # 760 × 340, scaled
        assert image["alt"], image
    drawn = {image["src"]: page.evaluate(TEAL_PIXELS, image["src"]) for image in images}
    patrol = images[0]["src"]
    assert drawn[patrol] > 2000, drawn  # the demo's rounds: bars in the report's teal
    assert _axe(page) == []
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.locator("a[download]").get_attribute("href", timeout=TIMEOUT_MS).endswith(
        f"/{month}.pdf")

    alone = page.goto(server.url + patrol)  # a chart in a tab of its own: a document
    assert alone is not None and alone.status == 200
    assert alone.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.evaluate("() => document.documentElement.tagName") == "svg"
    assert page.evaluate("() => getComputedStyle(document.querySelector('.title')).fontSize"
                         ) == "18px"  # its inline <style> applied under its own policy
    assert page.evaluate("() => document.querySelectorAll('script').length") == 0

    for path, status in (("/office/report?month=2020-01", 200),
                         ("/office/report?month=2026-13", 400)):
        response = page.goto(server.url + path)
        assert response is not None and response.status == status, path
        page.wait_for_load_state("networkidle")
        assert _axe(page) == [], path
        assert page.evaluate(NO_SIDEWAYS_SCROLL), path
    assert page.locator("#rp-month[aria-invalid='true']").count() == 1
    assert not problems, problems
