"""The staff PWA in real Chromium: the screens (360 px, axe-core, service-worker headers), a
role without key screens, and an app update that keeps the outbox.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Office, Phones, Server
from tests.e2e.helpers import READ_SESSION, _loan_count
from tests.e2e.test_desk_visitors import issue_pass, sign_in_visitor, units_with_residents

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations. The page's CSP allows only 'self'
    scripts, so axe is not injected as a <script>: Playwright's evaluate runs it through the
    DevTools protocol, which the CSP does not govern (and nothing is bypassed for the page)."""
    from tests.e2e.conftest import AXE

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_7_key_screens_fit_360px_and_pass_axe(phones: Phones, server: Server) -> None:
    phone = phones()
    phone.goto("/m/signin")
    screens = {"sign-in": []}
    screens["sign-in"] = _axe(phone.page)
    assert phone.page.evaluate(NO_SIDEWAYS_SCROLL), "sign-in"
    phone.sign_in("desk")
    loan = phone.lend("HYG-K020", "一個很長很長的名字的承辦商公司代表人")
    owner_key = server.query("select id from key_tag where code = 'HYG-K021'")[0][0]
    paths = {
        "board": "/m/keys",
        "board out": "/m/keys?tab=out",
        "lend (owner-deposited key)": f"/m/keys/lend?key={owner_key}",
        "loan": f"/m/keys/loans/{loan}",
        "return": f"/m/keys/loans/{loan}/return",
        "inbox": "/m/inbox",
        "sign out": "/m/signout",
    }
    for name, path in paths.items():
        phone.goto(path)
        assert phone.page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(phone.page)
    # pages the service worker builds carry the same strict headers as the server's
    response = phone.page.goto(phone.base + "/m/keys")
    assert response is not None and response.from_service_worker
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe" not in headers["content-security-policy"]
    assert headers["vary"] == "HX-Request" and headers["cache-control"] == "no-store"
    assert headers["content-type"].startswith("text/html")
    assert "sw;" in headers["server-timing"]
    # a form that failed validation (errors shown, fields marked)
    phone.goto(f"/m/keys/lend?key={owner_key}")
    phone.page.click("#lend-submit")
    phone.page.wait_for_selector("#form-errors")
    assert phone.page.evaluate(NO_SIDEWAYS_SCROLL), "lend errors"
    for field in ("borrower_name", "borrower_kind", "owner_consent"):
        assert phone.page.get_attribute(f"#f-{field}", "aria-invalid") == "true", field
    screens["lend errors"] = _axe(phone.page)
    # English too
    phone.goto("/m/lang/en")
    phone.goto("/m/keys")
    assert phone.page.get_attribute("html", "lang") == "en"
    assert "Key board" in phone.page.inner_text("main h1")
    screens["board en"] = _axe(phone.page)
    bad = {name: v for name, v in screens.items() if v}
    assert not bad, bad
    assert not phone.errors, phone.errors


def test_9_desk_screens_fit_360px_and_pass_axe(phones: Phones, server: Server) -> None:
    """The front desk's visitor register and goods-out passes (a long name, a form with its
    errors) at 360 px, axe-clean."""
    units = units_with_residents(server)
    phone = phones()
    phone.sign_in("desk")
    sign_in_visitor(phone, units[5], "一個很長很長的名字的送貨公司代表人")
    pass_id = issue_pass(phone, units[6])
    paths = {
        "desk home": "/m/desk",
        "visitors": "/m/desk/visitors",
        "visitors out": "/m/desk/visitors?tab=out",
        "sign a visitor in": "/m/desk/visitors/new",
        "passes": "/m/desk/passes",
        "issue a pass": "/m/desk/passes/new",
        "pass": f"/m/desk/passes/{pass_id}",
    }
    screens = {}
    page = phone.page
    for name, path in paths.items():
        phone.goto(path)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(page)
        if name == "desk home":  # visitors inside and passes today, then the handover
            assert page.locator("#desk-home li .badge").count() == 2
    for name, path, submit in (("sign-in errors", "/m/desk/visitors/new", "#visitor-submit"),
                               ("pass errors", "/m/desk/passes/new", "#pass-submit")):
        phone.goto(path)
        page.click(submit)
        page.wait_for_selector("#form-errors")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(page)
    bad = {name: v for name, v in screens.items() if v}
    assert not bad, bad
    assert not phone.errors, phone.errors


def test_6_roles_without_key_screens_get_a_placeholder_home_with_the_sync_status(
        phones: Phones) -> None:
    phone = phones()
    phone.sign_in("tech")  # the guard's home is today's rounds (test_patrol_offline.py)
    # the technician's home is their jobs (test_repairs_phone.py), not the key board
    assert phone.page.inner_text("main h1") == "我的工作"
    assert phone.status()["state"] == "ok" and phone.status()["pending"] == "0"
    assert phone.page.locator(".app-nav a[href='/m/keys']").count() == 0
    assert not phone.errors, phone.errors
    with phone.page.expect_response(lambda r: r.url.endswith("/m/keys")) as refused:
        phone.goto("/m/keys")
    assert refused.value.status == 403
    assert phone.page.inner_text("main h1")  # "not available for your role"
    assert phone.page.locator("#key-results").count() == 0


def test_8_an_app_update_keeps_the_outbox(phones: Phones, server: Server, office: Office,
                                          tmp_path: Any) -> None:
    """A new deploy (a new /sw.js) installs and takes over while records wait to sync; they
    are still there afterwards and arrive once."""
    import shutil

    from tests.e2e.conftest import ROOT, run_server

    phone = phones()
    phone.sign_in("desk")
    device_id = phone.page.evaluate(READ_SESSION)["device_id"]
    phone.offline()
    loan = phone.lend("HYG-K007", "潘先生")
    # hold the records on the phone through the update: the office revokes the device, so
    # the old worker cannot send them before the new one takes over
    page = office.page
    staff_id = server.query("select id from staff where username = 'desk'")[0][0]
    page.goto(f"{server.url}/office/devices?staff={staff_id}")
    page.click(f"form[action='/office/devices/{device_id}/revoke'] button[type=submit]")
    page.wait_for_load_state()

    # the next deploy: the same code with one stylesheet changed → a new build, a new /sw.js
    code = tmp_path / "deploy"
    for part in ("server", "sync", "web", "migrations"):
        shutil.copytree(ROOT / part, code / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    css = code / "web" / "static" / "app" / "app.css"
    css.write_text(css.read_text() + "\n/* next deploy */\n")
    old_css = phone.page.get_attribute("link[href*='app/app.css']", "href")
    with run_server(server.db_path, code, tmp_path) as port:
        phone.network.retarget(port)
        phone.online()
        phone.page.wait_for_function(
            "() => document.querySelector('#sync-status')?.dataset.state === 'paused-auth'")
        with phone.page.expect_navigation(timeout=30_000):  # reloads itself once updated
            phone.page.evaluate(
                "() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        phone.page.wait_for_selector("#sync-status")
        new_css = phone.page.get_attribute("link[href*='app/app.css']", "href")
        assert new_css != old_css
        assert phone.status()["pending"] == "1" and phone.status()["state"] == "paused-auth"
        assert _loan_count(server, loan) == 0

        phone.page.click("#sync-status .alert a[href='/m/signin?again=1']")
        phone.page.fill("#f-password", "caretaker-demo")
        phone.page.click("form[action='/m/signin'] button[type=submit]")
        phone.page.wait_for_function("() => location.pathname === '/m/'")
        phone.wait_pending(0)
        assert _loan_count(server, loan) == 1
    assert not phone.errors, phone.errors
