"""Goods-out passes at the gate in real Chromium: the acceptance of issue 13.

A desk phone signs in online (its device key is made and registered, and syncs); a guard's
phone signs in and syncs (it receives the key). Both go offline. The desk issues a pass
through its form, offline: its QR code is drawn on the phone (the lazily loaded renderer,
offline). The guard's phone, which has never seen that pass and has not synced since, scans
its QR through the fake camera (Chromium has one fake video per launch: it is launched once
per QR) and accepts it, with what the pass says; the guard records "goods match: let out". A
pass whose items were edited in the QR (payload changed, signature kept) is refused and the
refusal recorded; the genuine one shown again is "already used". Back online both sync: the
server has the pass with its device, the checks with theirs and both times (the phone's and
the receipt), and a second "let out" from another phone is a pass_used_twice conflict.

A module of its own: its phones are a fake-camera Chromium (``camera_phone``) and a desk
phone in a browser of the same Playwright (two Playwrights cannot run in one thread).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from sync import SCHEMA_VERSION
from sync.domains.desk import passcode
from sync.hlc import node_id
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Phone, Server
from tests.e2e.patrol_camera import CameraPhone, write_y4m
from tests.e2e.test_patrol_camera_lock import _grey_y4m
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe

QR_CACHED = """(prefix) => caches.keys().then(async (names) => {
  const name = names.find((n) => n.startsWith(prefix));
  return !!name && (await (await caches.open(name)).keys()).length === 2;
})"""


def _id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def _wait(what: str, check: Any, timeout: float = 30.0) -> Any:
    """Poll the server until ``check()`` gives something."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def _issue(desk: Phone, unit_id: str, number: str) -> tuple[str, str]:
    """The desk's issue form, offline (the owner present): the pass's id and QR text."""
    page = desk.page
    desk.goto("/m/desk/passes/new")
    page.fill("#f-unit_q", number)
    page.wait_for_selector(f"#unit-choices input[value='{unit_id}']")
    page.check(f"#unit-choices input[value='{unit_id}']")
    page.fill("#f-items", "梳化一張\n書枱 (拆件)")
    page.fill("#f-item_count", "3")
    page.fill("#f-plate", "ab 1234")
    page.fill("#f-owner_name", "陳大文")
    page.check("#f-basis input[value='owner_present']")
    page.click("#pass-submit")
    page.wait_for_selector("#pass .pass-qr")
    # the QR code drawn on the phone, offline (desk/qr.js and lean-qr from the worker's cache)
    page.wait_for_selector("#pass .pass-qr svg path")
    # as wide as the screen allows, 3 pixels per module at least, with its quiet zone
    width = page.evaluate("() => document.querySelector('#pass .pass-qr svg')"
                          ".getBoundingClientRect().width")
    modules = page.evaluate("() => document.querySelector('#pass .pass-qr svg').viewBox"
                            ".baseVal.width")
    assert width >= 3 * modules and page.evaluate(NO_SIDEWAYS_SCROLL)
    # printed ("Print"): the pass and its QR code only
    page.emulate_media(media="print")
    assert page.is_visible("#pass .pass-qr svg") and page.is_visible("#pass h1")
    assert not any(page.is_visible(s) for s in ("header.topbar", "#sync-status", "[data-print]"))
    page.emulate_media(media="screen")
    code = str(page.get_attribute("#pass .pass-qr", "data-pass-qr"))
    return str(page.evaluate("() => location.pathname")).rsplit("/", 1)[-1], code


def _edited(code: str) -> str:
    """The same signature over a payload whose items were changed."""
    head, payload, sig = code.split(".")
    content = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"{head}.{passcode.payload_text({**content, 'it': [*content['it'], '雪櫃']})}.{sig}"


def _scan(cam: CameraPhone, video: Path) -> Phone:
    """The guard's phone opened again, offline, with `video` in front of its camera, on the
    gate's scanner."""
    cam.close()
    cam.network.down()  # before the launch: a pending Background Sync fires at start
    guard = cam.launch(video, offline=True)
    guard.goto("/m/desk/gate")
    return guard


def _second_check(server: Server, site_id: str, pass_id: str, number: str, code: str) -> None:
    """The same pass let out at another gate: the supervisor's phone (through the sync API)."""
    client_id = str(uuid.uuid4())
    with httpx.Client(base_url=server.url) as http:
        r = http.post("/api/v1/devices", json={"username": "office", "password": PASSWORD,
                                               "client_id": client_id, "name": "gate 2"})
        assert r.status_code == 201, r.text
        now = int(time.time() * 1000)
        args = {"check_id": str(uuid.uuid4()), "site_id": site_id, "pass_id": pass_id,
                "number": number, "code": code, "verdict": "valid", "outcome": "passed",
                "checked_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}
        r = http.post("/api/v1/sync/push", headers={"authorization": f"Bearer {r.json()['token']}"},
                      json={"client_id": client_id, "schema_version": SCHEMA_VERSION, "mutations": [
                          {"id": 1, "name": "pass.check", "args": args,
                           "hlc": f"{now:013d}-0000-{node_id(client_id)}"}]})
        assert r.status_code == 200 and r.json()["applied"] == 1, r.text


def _used_twice(server: Server, pass_id: str) -> list[dict[str, Any]]:
    """The details of the pass_used_twice conflicts of a pass."""
    rows = server.query("select details from sync_conflict where kind = 'pass_used_twice'"
                        " and record_type = 'pass_check'")
    return [d for d in (json.loads(r[0]) for r in rows) if d.get("pass_id") == pass_id]


def test_a_pass_issued_offline_is_checked_offline_at_the_gate(
        camera_phone: CameraPhone, server: Server, tmp_path: Path) -> None:
    (site_id, unit_id, unit_number), = server.query(
        "select s.id, u.id, u.number from unit u join site s on s.id = u.site"
        " where s.code = 'HYG' and u.active order by u.number limit 1")
    site_id, unit_id = _id(site_id), _id(unit_id)
    browser = camera_phone.playwright.chromium.launch(executable_path=CHROMIUM,
                                                      args=CHROMIUM_ARGS)
    desk = Phone(browser, server)
    screens: dict[str, list[dict[str, Any]]] = {}
    try:
        # online once: the desk's key is made at sign-in and reaches the server
        before = {r[0] for r in server.query("select id from device_key")}
        desk.sign_in("desk")
        keys = _wait("the desk phone's device key", lambda: [r for r in server.query(
            "select k.id, k.public_key, k.holder, k.device from device_key k"
            " where k.site = ?", site_id) if r[0] not in before])
        assert len(keys) == 1 and len(keys[0][1]) == 87 and keys[0][2] == "黃嘉欣" and keys[0][3]
        desk.page.wait_for_function(QR_CACHED, arg="desk-qr-")

        # the guard signs in and syncs (the key comes), opens the gate once online
        guard = camera_phone.launch(_grey_y4m(tmp_path / "grey.y4m"), offline=False)
        guard.sign_in("guard")
        guard.goto("/m/desk/gate")
        guard.page.wait_for_function(QR_CACHED, arg="desk-gate-")
        screens["gate scanner"] = _axe(guard.page)
        assert guard.page.locator("nav.app-nav a[href='/m/desk/gate']").count() == 1

        # both offline: the desk issues a pass; nothing reaches the server
        desk.offline()
        pass_id, code = _issue(desk, unit_id, str(unit_number))
        screens["pass with its QR code (desk)"] = _axe(desk.page)
        assert server.query("select count(*) from goods_pass where id = ?", pass_id)[0][0] == 0
        assert passcode.verify(code, keys[0][1]) is not None  # signed with the registered key

        # the guard's phone never saw the pass: it scans the QR and accepts it
        guard = _scan(camera_phone, write_y4m(tmp_path / "pass.y4m", code))
        page = guard.page
        page.wait_for_selector("#verdict[data-verdict='valid']", timeout=20_000)
        assert page.inner_text("#pass-items") == "梳化一張\n書枱 (拆件)"
        content = page.inner_text("#pass-content")
        assert "AB 1234" in content and "黃嘉欣" in content and "3" in content
        screens["verdict: valid"] = _axe(page)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.check("#f-outcome input[value='passed']")
        page.click("#check-submit")
        page.wait_for_selector("#gate-receipt[data-outcome='passed'][data-verdict='valid']")
        assert page.evaluate("() => location.pathname").startswith("/m/desk/gate/checks/")
        screens["check recorded"] = _axe(page)
        # shown again (pasted): already used
        page.click("#scan-next")
        page.wait_for_selector("#f-code")
        page.fill("#f-code", code)
        page.click("#gate-typed-submit")
        page.wait_for_selector("#verdict[data-verdict='used']")
        assert not guard.errors, guard.errors

        # the same pass with its items edited in the QR: refused (forged), and recorded
        guard = _scan(camera_phone, write_y4m(tmp_path / "edited.y4m", _edited(code)))
        page = guard.page
        page.wait_for_selector("#verdict[data-verdict='forged'][data-reason='signature']",
                               timeout=20_000)
        assert page.locator("#pass-items").count() == 0  # nothing it says is shown as true
        screens["verdict: forged"] = _axe(page)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        page.fill("#f-note", "放行條內容被改")
        page.click("#check-submit")
        page.wait_for_selector("#gate-receipt[data-outcome='refused'][data-verdict='forged']")
        assert guard.status()["pending"] == "2"
        assert server.query("select count(*) from pass_check where pass_id = ?", pass_id)[0][0] == 0
        assert not guard.errors, guard.errors

        # back online: both sync
        desk.online()
        desk.wait_synced()
        guard.online()
        guard.wait_pending(0, timeout=60_000)
        rows = server.query("select device, issued_at, created_at, key, code from goods_pass"
                            " where id = ?", pass_id)
        assert rows and rows[0][0] and rows[0][1] and rows[0][2]
        assert _id(rows[0][3]) == _id(keys[0][0]) and rows[0][4] == code
        checks = server.query(
            "select outcome, verdict, device, checked_at, created_at, code, number, note"
            " from pass_check where pass_id = ? order by checked_at", pass_id)
        assert [(c[0], c[1]) for c in checks] == [("passed", "valid"), ("refused", "forged")]
        assert all(c[2] and c[3] and c[4] for c in checks)  # the device, its time, the receipt
        assert checks[0][5] == code and checks[1][5] == _edited(code)
        assert checks[0][6] == checks[1][6] and checks[0][6].startswith("G")
        assert checks[1][7] == "放行條內容被改"
        assert not _used_twice(server, pass_id)

        # let out again at another gate: a conflict for the office
        _second_check(server, site_id, pass_id, checks[0][6], code)
        (conflict,) = _used_twice(server, pass_id)
        assert conflict["number"] == checks[0][6] and len(conflict["checks"]) == 2
        assert not desk.errors, desk.errors
        assert not any(screens.values()), screens
    finally:
        desk.close()
        browser.close()
