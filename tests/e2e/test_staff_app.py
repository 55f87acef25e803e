"""The staff PWA in real Chromium: local-first and offline, proven end to end on key loans.

Each test signs a phone in (device registration + first sync through the service worker),
works offline (``context.set_offline`` plus the phone's network switch: nothing reaches the
server), and checks what the server stored after the phone came back online.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Office, Phone, Phones, Server


@pytest.fixture(scope="module")
def desk(browser: Any, server: Server) -> Any:
    phone = Phone(browser, server)
    phone.sign_in("desk")
    state: dict[str, str] = {}
    yield phone, state
    phone.close()


def _big_png(width: int, height: int) -> bytes:
    """A plain PNG of the given size (stands in for a camera photo)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\0" + bytes([40, 120, 110]) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 6)) + chunk(b"IEND", b""))


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    raise ValueError("no JPEG frame")


def _row(phone: Phone, code: str) -> Any:
    return phone.page.locator(f"li.key-row[data-code='{code}']")


def test_1_lend_offline_survives_reload_and_a_new_tab_then_syncs(
        desk: Any, server: Server, office: Office) -> None:
    phone, state = desk
    assert phone.status()["state"] == "ok"
    phone.offline()
    loan_id = phone.lend("HYG-K002", "陳大文")
    state["loan"] = loan_id
    assert phone.status()["pending"] == "1"

    def board_shows_it_out_and_pending() -> None:
        phone.goto("/m/keys?tab=out")
        row = _row(phone, "HYG-K002")
        assert "is-out" in (row.get_attribute("class") or "")
        assert row.locator(".badge.is-pending").count() == 1
        assert "陳大文" in row.inner_text()
        assert phone.status()["pending"] == "1"

    board_shows_it_out_and_pending()
    phone.page.reload()
    phone.page.wait_for_selector("#key-list")
    board_shows_it_out_and_pending()
    # close the tab; a new one, still offline, is answered by the service worker
    phone.page.close()
    phone.page = phone.new_page()
    board_shows_it_out_and_pending()
    assert server.query("select count(*) from key_loan where id = ?", loan_id)[0][0] == 0

    phone.online()  # the page's "online" event asks the worker to sync
    phone.wait_pending(0)
    rows = server.query("select borrower_name, lent_at, created_at, signature_blob, lent_device"
                        " from key_loan where id = ?", loan_id)
    assert len(rows) == 1 and rows[0][0] == "陳大文" and rows[0][3] and rows[0][4]
    assert server.query("select count(*) from blob where sha256 = ?", rows[0][3])[0][0] == 1
    phone.goto("/m/keys?tab=out")
    assert _row(phone, "HYG-K002").locator(".badge.is-pending").count() == 0

    page = office.page
    page.goto(f"{server.url}/office/keys/loans/{loan_id}")
    text = page.inner_text("main")
    assert "陳大文" in text
    assert "Lent at (device time)" in text and "Received by server" in text
    assert not phone.errors, phone.errors


def test_2_return_offline_then_synced(desk: Any, server: Server) -> None:
    phone, state = desk
    loan_id = state["loan"]
    phone.offline()
    phone.goto("/m/keys?tab=out")
    phone.page.click(f"li.key-row[data-code='HYG-K002'] a[href='/m/keys/loans/{loan_id}/return']")
    phone.page.wait_for_selector("#return-form")
    assert phone.page.input_value("#f-returned_by") == "陳大文"  # defaults to the borrower
    phone.page.fill("#f-return_notes", "完好")
    # a big photo from the camera: downscaled on the phone, kept in IndexedDB, uploaded by hash
    phone.page.set_input_files("#f-photo", files=[
        {"name": "door.png", "mimeType": "image/png", "buffer": _big_png(2400, 1800)}])
    phone.page.wait_for_function(
        "() => document.querySelector('input[name=return_photos]').value.length === 64")
    photo = phone.page.input_value("input[name=return_photos]")
    phone.page.click("#return-submit")
    phone.page.wait_for_selector("#confirmation")
    assert phone.status()["pending"] == "1"
    phone.goto("/m/keys?tab=available&q=HYG-K002")
    assert _row(phone, "HYG-K002").count() == 1
    phone.online()
    phone.wait_pending(0)
    returned = server.query("select returned_at, returned_by, return_notes, return_photos"
                            " from key_loan where id = ?", loan_id)
    assert returned[0][0] is not None and returned[0][1] == "陳大文" and returned[0][2] == "完好"
    assert photo in returned[0][3]
    blob = server.query("select content_type, data from blob where sha256 = ?", photo)
    assert blob and blob[0][0] == "image/jpeg"
    assert max(_jpeg_size(blob[0][1])) <= 1280
    phone.wait_synced()
    assert phone.status()["pending"] == "0"
    assert not phone.errors, phone.errors


def test_3_two_phones_lend_the_same_key_offline(phones: Phones, server: Server,
                                                office: Office) -> None:
    a, b = phones(), phones()
    a.sign_in("desk")
    b.sign_in("desk2")
    a.offline()
    b.offline()
    loan_a = a.lend("HYG-K003", "梁先生")
    loan_b = b.lend("HYG-K003", "林小姐")
    a.online()
    a.wait_pending(0)
    b.online()
    b.wait_pending(0)
    open_loans = server.query(
        "select l.id from key_loan l join key_tag k on k.id = l.key where k.code = 'HYG-K003'"
        " and l.returned_at is null and not l.voided")
    assert {r[0].replace("-", "") for r in open_loans} >= {loan_a.replace("-", ""),
                                                            loan_b.replace("-", "")}
    conflicts = server.query("select id, status from sync_conflict where kind = 'double_loan'"
                             " and record_ids like ?", f"%{loan_b}%")
    assert len(conflicts) == 1 and conflicts[0][1] == "open"
    conflict_id = conflicts[0][0]

    for phone in (a, b):  # the first phone learns of the conflict on its next sync
        phone.wait_synced()
        phone.goto("/m/inbox")
        item = phone.page.locator("li.inbox-item.conflict[data-kind='double_loan']")
        assert item.count() == 1
        assert "HYG-K003" in item.inner_text()
        phone.goto("/m/keys?q=HYG-K003")
        assert _row(phone, "HYG-K003").locator(".loan-line").count() == 2

    # the office voids phone A's loan with a reason
    page = office.page
    page.goto(f"{server.url}/office/keys/conflicts/{conflict_id}")
    page.check(f"input[name='loan'][value='{loan_a}']")
    page.fill("#void-reason", "重複登記：鑰匙實際借給林小姐")
    page.click(f"form[action='/office/keys/conflicts/{conflict_id}/void'] button[type=submit]")
    page.wait_for_load_state()
    assert server.query("select status from sync_conflict where id = ?",
                        conflict_id)[0][0] != "open"

    for phone in (a, b):
        phone.wait_synced()
        phone.goto("/m/keys?q=HYG-K003")
        row = _row(phone, "HYG-K003")
        assert row.locator(".loan-line").count() == 1 and "林小姐" in row.inner_text()
        phone.goto("/m/inbox")
        assert "Resolved" in phone.page.locator(
            "li.inbox-item.conflict[data-kind='double_loan']").inner_text() or \
            "管理處已處理" in phone.page.locator(
            "li.inbox-item.conflict[data-kind='double_loan']").inner_text()
    a.goto(f"/m/keys/loans/{loan_a}")
    assert "重複登記" in a.page.inner_text("main")
    assert not a.errors and not b.errors, a.errors + b.errors


READ_SESSION = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("caretaker");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const get = db.transaction("meta").objectStore("meta").get("session");
    get.onsuccess = () => { db.close(); resolve(get.result || null); };
    get.onerror = () => { db.close(); reject(get.error); };
  };
})"""


def _loan_count(server: Server, loan_id: str) -> int:
    return int(server.query("select count(*) from key_loan where id = ?", loan_id)[0][0])


def test_4_revoked_device_pauses_then_signing_in_again_sends_everything_once(
        phones: Phones, server: Server, office: Office) -> None:
    phone = phones()
    phone.sign_in("desk")
    session = phone.page.evaluate(READ_SESSION)
    client_id, device_id = session["client_id"], session["device_id"]
    phone.offline()
    loans = [phone.lend("HYG-K004", "黃師傅"), phone.lend("HYG-K005", "吳師傅")]
    assert phone.status()["pending"] == "2"

    # the office revokes the phone (a lost phone) while it holds pending loans
    page = office.page
    staff_id = server.query("select id from staff where username = 'desk'")[0][0]
    page.goto(f"{server.url}/office/devices?staff={staff_id}")
    page.click(f"form[action='/office/devices/{device_id}/revoke'] button[type=submit]")
    page.wait_for_load_state()
    assert server.query("select revoked_at from device where id = ?", device_id)[0][0]

    phone.online()
    phone.page.wait_for_function(
        "() => document.querySelector('#sync-status')?.dataset.state === 'paused-auth'")
    assert phone.status()["pending"] == "2"
    for path in ("/m/keys", f"/m/keys/loans/{loans[0]}", "/m/inbox"):
        phone.goto(path)
        alert = phone.page.locator("#sync-status .alert a[href='/m/signin?again=1']")
        assert alert.count() == 1, path
    assert all(_loan_count(server, loan) == 0 for loan in loans)

    # signing in again: the same client, the same mutation ids, each loan arrives once
    phone.page.click("#sync-status .alert a[href='/m/signin?again=1']")
    phone.page.wait_for_selector("#f-username")
    assert phone.page.input_value("#f-username") == "desk"
    phone.page.fill("#f-password", "caretaker-demo")
    phone.page.click("form[action='/m/signin'] button[type=submit]")
    phone.page.wait_for_function("() => location.pathname === '/m/'")
    phone.wait_pending(0)
    assert phone.page.evaluate(READ_SESSION)["client_id"] == client_id
    assert all(_loan_count(server, loan) == 1 for loan in loans)
    assert server.query("select last_mutation_id from sync_client where client_id = ?",
                        client_id)[0][0] == 2
    assert server.query("select count(*) from sync_rejection where client_id = ?",
                        client_id)[0][0] == 0
    assert not phone.errors, phone.errors


def test_4b_another_person_never_sends_the_first_persons_records(
        phones: Phones, server: Server) -> None:
    phone = phones()
    phone.sign_in("desk")
    desk_client = phone.page.evaluate(READ_SESSION)["client_id"]
    phone.offline()
    loan_desk = phone.lend("HYG-K006", "周先生")
    phone.goto("/m/signout")
    assert "1" in phone.page.inner_text("main .alert")  # asks first: 1 record not synced
    phone.page.click("form[action='/m/signout'] button[type=submit]")
    phone.page.wait_for_selector("#f-username")

    phone.online()
    phone.sign_in("desk2")
    desk2_client = phone.page.evaluate(READ_SESSION)["client_id"]
    assert desk2_client != desk_client
    phone.wait_synced()
    assert _loan_count(server, loan_desk) == 0  # waits for its owner
    loan_desk2 = phone.lend("HYG-K009", "鄭小姐")
    phone.wait_pending(0)
    desk2_id = server.query("select id from staff where username = 'desk2'")[0][0]
    assert server.query("select lent_by from key_loan where id = ?", loan_desk2)[0][0] == desk2_id
    assert _loan_count(server, loan_desk) == 0

    phone.goto("/m/signout")
    phone.page.click("form[action='/m/signout'] button[type=submit]")
    phone.page.wait_for_selector("#f-username")
    assert "黃嘉欣" in phone.page.inner_text("main")  # whose records are waiting
    phone.sign_in("desk")
    assert phone.page.evaluate(READ_SESSION)["client_id"] == desk_client
    phone.wait_pending(0)
    desk_id = server.query("select id from staff where username = 'desk'")[0][0]
    assert server.query("select lent_by from key_loan where id = ?", loan_desk)[0][0] == desk_id
    assert not phone.errors, phone.errors


TAMPER = """(keyId) => new Promise((resolve, reject) => {
  const open = indexedDB.open("caretaker");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction("outbox", "readwrite");
    const store = tx.objectStore("outbox");
    let changed = 0;
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      const m = cursor.value;
      if (m.name === "key.lend" && m.args.key_id === keyId) {
        m.args.owner_consent = "";
        cursor.update(m);
        changed += 1;
      }
      cursor.continue();
    };
    tx.oncomplete = () => { db.close(); resolve(changed); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  };
})"""


def test_5_a_tampered_mutation_is_refused_with_its_reason_and_the_queue_moves_on(
        phones: Phones, server: Server) -> None:
    phone = phones()
    phone.sign_in("desk")
    phone.offline()
    tampered = phone.lend("HYG-K012", "業主親友", kind="resident", consent="業主電話同意 10:05")
    key_id = server.query("select id from key_tag where code = 'HYG-K012'")[0][0]
    assert phone.page.evaluate(TAMPER, key_id) == 1
    later = phone.lend("HYG-K014", "何先生")
    phone.online()
    phone.wait_pending(0)
    assert _loan_count(server, tampered) == 0
    assert _loan_count(server, later) == 1
    codes = server.query("select code from sync_rejection where args like ?", f"%{tampered}%")
    assert [c[0] for c in codes] == ["owner_consent_required"]
    phone.wait_synced()
    phone.goto("/m/inbox")
    item = phone.page.locator("li.inbox-item.rejection[data-code='owner_consent_required']")
    assert item.count() == 1
    text = item.inner_text()
    assert "HYG-K012" in text and "業主" in text  # what it was, and why, in plain words
    # the refused loan no longer shows as out on the board
    phone.goto("/m/keys?q=HYG-K012")
    assert "is-available" in (_row(phone, "HYG-K012").get_attribute("class") or "")
    assert not phone.errors, phone.errors


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


def test_6_roles_without_key_screens_get_a_placeholder_home_with_the_sync_status(
        phones: Phones) -> None:
    phone = phones()
    phone.sign_in("guard")
    text = phone.page.inner_text("main")
    assert "保安" in text and phone.page.locator("main .notice").count() == 1
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
