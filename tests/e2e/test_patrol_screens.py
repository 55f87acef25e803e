"""The guard's patrol screens in real Chromium, offline: what a review found.

- Today's rounds are the guard's shift, not the phone's calendar day: at 23:xx a round at
  00:xx is shown as coming, and at 00:xx the rounds of the evening before (finished,
  missed) are still there. The phone's clock is put just before or after midnight by its
  time zone (the browser process's ``TZ``, which the service worker uses too).
- Nothing typed is lost on the way to the next checkpoint: a number typed without "Save"
  is saved when the field is left; a note and a photo are saved by "Done here".
- Focus stays on the checklist button that was tapped (keyboard and screen-reader users).
- Web NFC (a stand-in ``NDEFReader``: Linux Chromium has none): one reader per screen, aborted
  when the screen goes, so a tag read is sent once, to the screen that asked for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Phone, Phones, Server
from tests.e2e.network import NetworkSwitch
from tests.e2e.seed import PATROL_ROUTE
from tests.e2e.test_key_loans_offline import _big_png

INJECT_ROUNDS = """async (rounds) => {
  const db = await new Promise((ok, ko) => {
    const r = indexedDB.open('caretaker'); r.onsuccess = () => ok(r.result); r.onerror = ko;
  });
  const tx = db.transaction('replica', 'readwrite');
  const store = tx.objectStore('replica');
  const all = await new Promise((ok) => {
    const r = store.index('type').getAll('round'); r.onsuccess = () => ok(r.result);
  });
  const model = all[0];
  for (const [id, data] of rounds) {
    store.put({ ...model, k: 'round:' + id, id, open: undefined, local: undefined,
                data: { ...model.data, guard_ids: [], finished_at: null, started_at: null,
                        late: false, ...data } });
  }
  await new Promise((ok) => { tx.oncomplete = ok; });
  db.close();
  return all.length;
}"""

FAKE_NFC = """
window.__readers = [];
window.NDEFReader = class extends EventTarget {
  constructor() { super(); window.__readers.push(this); }
  async scan(options) { this.signal = options && options.signal; }
};
window.__tap = (text) => {
  for (const r of window.__readers) {
    const e = new Event('reading');
    e.message = { records: [{ recordType: 'text', encoding: 'utf-8',
                              data: new TextEncoder().encode(text) }] };
    r.dispatchEvent(e);
  }
};
"""


def _zone(local_hour: int) -> str:
    """An ``Etc/GMT±N`` zone in which it is now ``local_hour`` o'clock (N in -12..+14)."""
    offset = (local_hour - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture
def phone_in_zone(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    made: list[tuple[Any, Phone]] = []
    with sync_playwright() as p:
        def make(zone: str) -> Phone:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                        env={"TZ": zone})
            phone = Phone.__new__(Phone)
            phone.server = server
            phone.network = NetworkSwitch(server.port)
            phone.base = f"http://127.0.0.1:{phone.network.port}"
            phone.context = browser.new_context(
                viewport={"width": 360, "height": 740}, timezone_id=zone, locale="zh-HK",
                has_touch=True)
            phone.context.set_default_timeout(TIMEOUT_MS)
            phone.errors = []
            phone.page = phone.new_page()
            made.append((browser, phone))
            return phone

        try:
            yield make
        finally:
            for browser, phone in made:
                phone.close()
                browser.close()


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _group_of(phone: Phone, round_id: str) -> str | None:
    row = phone.page.locator(f"li.round-row[data-round-id='{round_id}']")
    if not row.count():
        return None
    return str(row.evaluate("el => el.closest('section').dataset.group"))


def test_todays_rounds_are_the_nights_rounds_across_midnight(phone_in_zone: Any) -> None:
    # 23:xx on the phone: the rounds after midnight are coming, not hidden until midnight
    phone = phone_in_zone(_zone(23))
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    hours = page.evaluate("() => navigator.serviceWorker.controller && new Date().getHours()")
    worker_hours = phone.context.service_workers[0].evaluate("() => new Date().getHours()")
    assert hours == worker_hours == 23, (hours, worker_hours)
    now = page.evaluate("() => Date.now()")
    hour = 3600_000
    assert page.evaluate(INJECT_ROUNDS, [
        ["night-0130", {"status": "planned", "slot_at": _iso(now + 1.2 * hour),
                        "start_by": _iso(now + 1.7 * hour), "due_by": _iso(now + 3 * hour)}],
        ["night-0430", {"status": "planned", "slot_at": _iso(now + 5 * hour),
                        "start_by": _iso(now + 5.5 * hour), "due_by": _iso(now + 7 * hour)}],
        ["tomorrow-day", {"status": "planned", "slot_at": _iso(now + 14 * hour),
                          "start_by": _iso(now + 14.5 * hour), "due_by": _iso(now + 16 * hour)}],
    ])
    phone.goto("/m/patrol")
    assert _group_of(phone, "night-0130") == "upcoming"
    assert _group_of(phone, "night-0430") == "upcoming"
    assert _group_of(phone, "tomorrow-day") is None  # the next day's shift: not yet

    # 00:xx on the phone: the evening's rounds (finished, missed) are still tonight's
    phone = phone_in_zone(_zone(0))
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    worker_hours = phone.context.service_workers[0].evaluate("() => new Date().getHours()")
    assert worker_hours == 0
    now = page.evaluate("() => Date.now()")
    page.evaluate(INJECT_ROUNDS, [
        ["evening-done", {"status": "done", "slot_at": _iso(now - 2 * hour),
                          "start_by": _iso(now - 1.5 * hour), "due_by": _iso(now - 0.5 * hour),
                          "started_at": _iso(now - 1.9 * hour),
                          "finished_at": _iso(now - 1.1 * hour)}],
        ["evening-missed", {"status": "missed", "slot_at": _iso(now - 1.5 * hour),
                            "start_by": _iso(now - 1 * hour), "due_by": _iso(now - 0.2 * hour)}],
        ["yesterday-day", {"status": "done", "slot_at": _iso(now - 15 * hour),
                           "start_by": _iso(now - 14.5 * hour), "due_by": _iso(now - 14 * hour),
                           "finished_at": _iso(now - 14.2 * hour)}],
    ])
    phone.goto("/m/patrol")
    assert _group_of(phone, "evening-done") == "finished"
    assert _group_of(phone, "evening-missed") == "missed"
    assert _group_of(phone, "yesterday-day") is None
    assert not phone.errors, phone.errors


def _typed_visit(phone: Phone, code: str) -> str:
    """Start an unscheduled round on the e2e route and record ``code`` typed; the round's URL."""
    page = phone.page
    phone.goto("/m/patrol")
    page.select_option("#f-route_id", label=PATROL_ROUTE)
    page.click("form[action='/m/patrol/start'] button[type=submit]")
    page.wait_for_selector("#confirmation")
    round_url = str(page.evaluate("() => location.pathname"))
    phone.goto(f"{round_url}/scan?typed=1")
    page.fill("#f-code", code)
    page.click("#typed-submit")
    page.wait_for_selector(f"#checkpoint[data-code='{code}']")
    return round_url


def test_nothing_typed_is_lost_and_focus_stays(phones: Phones, server: Server) -> None:
    phone = phones()
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    round_url = _typed_visit(phone, "E2E-CP2")
    scan_url = str(page.evaluate("() => location.pathname"))

    # a number typed, a note and a photo, and straight to "Done here: next checkpoint"
    page.fill("#a-pressure", "5.5")
    page.fill("#f-note", "喉轆箱門鬆脫")
    page.set_input_files("#f-photo-photos", files=[{
        "name": "door.png", "mimeType": "image/png", "buffer": _big_png(800, 600)}])
    page.wait_for_function("() => document.querySelector('#f-photos').value.length === 64")
    photo = page.input_value("#f-photos")
    page.click("#back-to-round")
    page.wait_for_selector("#stops li.stop[data-code='E2E-CP2'][data-state='visited']")
    assert page.evaluate("() => location.pathname") == round_url

    phone.goto(scan_url)
    assert "5.5" in page.inner_text("#item-pressure [data-answer]")
    assert page.input_value("#f-note") == "喉轆箱門鬆脫"
    assert page.input_value("#f-photos") == photo
    # a keyboard answer: saved, and the focus is on the same button after the swap
    page.focus("#item-exit button[value='yes']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#item-exit [data-saved]")
    assert page.evaluate("() => document.activeElement.closest('#item-exit')"
                         " && document.activeElement.value") == "yes"
    # nothing changed: "Done here" goes on without another write
    pending = phone.status()["pending"]
    page.click("#back-to-round")
    page.wait_for_selector("#stops")
    assert phone.status()["pending"] == pending
    assert not phone.errors, phone.errors


def test_nfc_reader_is_one_per_screen_and_stops_with_it(phones: Phones, server: Server) -> None:
    ((token,),) = server.query("select token from patrol_checkpoint where code = 'E2E-CP3'")
    phone = phones()
    phone.context.add_init_script(FAKE_NFC)
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    round_url = _typed_visit(phone, "E2E-CP1")
    phone.goto(f"{round_url}/scan")
    page.wait_for_selector(".scanner.is-off")  # no camera in this browser
    nfc = page.locator(".scanner button.big")
    nfc.click()
    nfc.click()  # a second tap does not start a second reader
    page.wait_for_function("() => window.__readers.length === 1 && !!window.__readers[0].signal")
    pending = int(phone.status()["pending"])

    page.evaluate("() => window.__tap('not-a-tag-of-this-site')")
    page.wait_for_selector("#scan-refused")  # refused: a new scan screen, a new button
    page.wait_for_function("() => window.__readers[0].signal.aborted", timeout=3000)
    page.locator(".scanner button.big").click()
    page.wait_for_function("() => window.__readers.length === 2")

    page.evaluate("(t) => window.__tap(t)", token)  # every reader the page made hears it
    page.wait_for_selector("#checkpoint[data-code='E2E-CP3'][data-method='nfc']")
    page.wait_for_timeout(500)
    assert int(phone.status()["pending"]) == pending + 1  # one visit, not one per reader
    page.wait_for_function("() => window.__readers.every((r) => r.signal.aborted)",
                           timeout=3000)
    phone.goto(round_url)
    assert page.locator("li.stop[data-code='E2E-CP3'][data-state='visited']").count() == 1
    assert not phone.errors, phone.errors


def test_two_answers_tapped_at_once_keep_the_visit_not_normal(phones: Phones) -> None:
    """Each item is its own form: two taps in a row are two requests at once. "Not normal"
    is worked out where the answer is stored, so the second does not undo the first's."""
    phone = phones()
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    round_url = _typed_visit(phone, "E2E-CP1")
    page.evaluate("""() => {
      document.querySelector("#item-lamp button[value='昏暗']").click();
      document.querySelector("#item-exit button[value='yes']").click();
    }""")
    page.wait_for_selector("#item-lamp [data-saved]")
    page.wait_for_selector("#item-exit [data-saved]")
    phone.goto(round_url)
    stop = page.locator("li.stop[data-code='E2E-CP1']")
    assert stop.get_attribute("data-state") == "visited"
    assert stop.locator(".badge.is-alert").count() == 1  # "not normal"
    assert not phone.errors, phone.errors


NFC_REFUSED = """
window.NDEFReader = class extends EventTarget {
  async scan() { throw new DOMException('NFC permission request denied.', 'NotAllowedError'); }
};
"""


def test_nfc_refused_says_so_in_the_guards_words(phones: Phones) -> None:
    phone = phones()
    phone.context.add_init_script(NFC_REFUSED)
    phone.sign_in("guard")
    phone.offline()
    page = phone.page
    round_url = _typed_visit(phone, "E2E-CP1")
    phone.goto(f"{round_url}/scan")
    page.wait_for_selector(".scanner.is-off")
    page.locator(".scanner button.big").click()
    state = page.locator("[data-scan-state]")
    page.wait_for_function("() => document.querySelector('[data-scan-state]').textContent"
                           ".includes('NFC')")
    assert "這裡無法使用 NFC" in state.inner_text()
    assert "NotAllowedError" not in state.inner_text() and "denied" not in state.inner_text()
    assert not phone.errors, phone.errors

