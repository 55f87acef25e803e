"""The office's front-desk pages in real Chromium under the enforced CSP, at 360 px and on a
desktop: axe-core finds no serious or critical violation, no CSP violation is reported and
nothing scrolls sideways at 360 px — the visitor register (and a visitor), the goods-out
passes (a pass with its gate checks, a pass not yet synced), the handovers (one with
exceptions handed over unresolved) and the desk's conflicts. The records are the desk's own
site's (``tests/e2e/desk_office_seed.py``: a site no other test's phone receives), written
through the mutations into the running server's database; the administrator reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, ROOT, TIMEOUT_MS, Server, _env
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe


@pytest.fixture(scope="module")
def seeded(server: Server) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.desk_office_seed", f"sqlite:///{server.db_path}"],
        cwd=ROOT, env=_env(f"sqlite:///{server.db_path}", ROOT), capture_output=True,
        text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# what sticks out past the right edge (named in a failure)
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(el => el.tagName + '.' + el.className + ': '
                   + (el.textContent || '').trim().slice(0, 40))"""


def paths(ids: dict[str, Any]) -> list[str]:
    site = f"site={ids['site']}"
    return [
        f"/office/desk/visitors?{site}", f"/office/desk/visitors?{site}&show=late_inside",
        f"/office/desk/visitors/{ids['inside']}", f"/office/desk/passes?{site}",
        f"/office/desk/passes?{site}&outcome=refused", f"/office/desk/passes/{ids['ODK-001']}",
        f"/office/desk/passes/{ids['ODK-002']}", f"/office/desk/passes/{ids['late']}",
        f"/office/desk/passes/{ids['forged']}", f"/office/desk/handovers?{site}",
        f"/office/desk/handovers?{site}&show=unresolved",
        f"/office/desk/handovers/{ids['handed']}", f"/office/desk/handovers/{ids['waiting']}",
        "/office/desk/conflicts"]


@pytest.fixture(params=[(360, 740), (1280, 900)], ids=["360px", "desktop"])
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


def test_desk_office_pages_pass_axe_under_the_csp(admin_page: Any, server: Server,
                                                  seeded: dict[str, Any]) -> None:
    page = admin_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    found: dict[str, Any] = {}
    wide: dict[str, Any] = {}
    narrow = page.viewport_size["width"] <= 360
    for path in paths(seeded):
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        found[path] = _axe(page)
        if narrow and not page.evaluate(NO_SIDEWAYS_SCROLL):
            wide[path] = page.evaluate(STICKING_OUT)
    assert not {k: v for k, v in found.items() if v}, found
    assert not problems, problems
    assert not wide, wide
    pass_page = page.goto(server.url + f"/office/desk/passes/{seeded['ODK-001']}")
    assert pass_page is not None
    assert "Signature verified" in page.content()
    page.goto(server.url + f"/office/desk/passes/{seeded['forged']}")
    assert "Signature does not match" in page.content()
