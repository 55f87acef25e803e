"""The office's repair pages in real Chromium under the enforced CSP: axe-core finds no
serious or critical violation and no CSP violation is reported — the board, a request, a
visit, the workload, follow-ups, satisfaction, the entry chain, logging a request and the
set-up lists (the demo estate's repairs)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Office, Server
from tests.e2e.test_screens import _axe

PAGES = ["/office/repairs", "/office/repairs?state=overdue", "/office/repairs/new",
         "/office/repairs/workload", "/office/repairs/follow-ups",
         "/office/repairs/follow-ups?show=done", "/office/repairs/satisfaction",
         "/office/repairs/chain", "/office/repairs/conflicts", "/office/repairs/policies",
         "/office/repairs/policies/new", "/office/repairs/technicians",
         "/office/repairs/technicians/new"]


def test_repair_office_pages_pass_axe_under_the_csp(office: Office, server: Server) -> None:
    page = office.page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text else None)
    found: dict[str, Any] = {}
    paths = list(PAGES)
    requests = server.query(  # a request with a visit, at a site of the supervisor
        "SELECT r.id FROM repair_request r JOIN staff_site ss ON ss.site = r.site "
        "JOIN staff s ON s.id = ss.staff WHERE s.username = 'office' AND EXISTS "
        "(SELECT 1 FROM repair_visit v WHERE v.request = r.id) LIMIT 1")
    assert requests, "the demo estate has a request with a visit"
    request = str(requests[0][0])
    visit = server.query("SELECT id FROM repair_visit WHERE request = ? LIMIT 1", request)
    paths += [f"/office/repairs/{_dashed(request)}",
              f"/office/repairs/visits/{_dashed(str(visit[0][0]))}"]
    for path in paths:
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        found[path] = _axe(page)
    assert not {k: v for k, v in found.items() if v}, found
    assert not problems, problems


def _dashed(value: str) -> str:
    """A UUID as the URLs spell it (SQLite may hold it without dashes)."""
    v = value.replace("-", "")
    return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}" if len(v) == 32 else value
