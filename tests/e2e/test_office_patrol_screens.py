"""The office's patrol pages in real Chromium under the enforced CSP: axe-core finds no
serious or critical violation, no CSP violation is reported (the QR label sheet's inline
SVG included), and the label sheet's QR codes are drawn."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Office, Server
from tests.e2e.test_screens import _axe

PAGES = ["/office/patrol", "/office/patrol/exceptions", "/office/patrol/report",
         "/office/patrol/labels", "/office/patrol/import", "/office/patrol/checkpoints",
         "/office/patrol/checkpoints/new", "/office/patrol/checklists/new",
         "/office/patrol/routes", "/office/patrol/schedules/new"]


def test_patrol_office_pages_pass_axe_under_the_csp(office: Office, server: Server) -> None:
    page = office.page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    found: dict[str, Any] = {}
    for path in PAGES:
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        found[path] = _axe(page)
    assert not {k: v for k, v in found.items() if v}, found
    page.goto(server.url + "/office/patrol/labels")
    site = page.eval_on_selector("#lb-site", "e => e.value")
    expected = server.query("SELECT count(*) FROM patrol_checkpoint WHERE site = ? AND active",
                            site.replace("-", ""))[0][0] or server.query(
        "SELECT count(*) FROM patrol_checkpoint WHERE site = ? AND active", site)[0][0]
    sizes = page.eval_on_selector_all(
        "svg.qr", "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(sizes) == expected
    assert all(w > 50 for w in sizes)  # the stylesheet sized them (no inline style)
    assert not problems, problems
