"""Repairs on the phones in real Chromium: the desk logs a request for a unit (the unit found
by its number as typed, the contact filled in from its residents) and assigns it to the
technician ``tech``; the technician's phone syncs, loses its signal and does the whole job
offline — the visit started at the door (the form refuses entry when only minors are at
home), the conduct checklist, what was found and done, before and after photos, two lines
of charges (the total computed as the rules compute it), the resident's signature and the
closing. The visit survives a closed tab; back online it syncs and the server holds the
visit and the request done, with the phone's times beside the server's receipt. Every tap
on the visit screen is timed (tap → saved and shown, offline; bar: median < 50 ms). A guard
reports a repair from a patrol anomaly. The new screens fit 360 px and pass axe.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import datetime
from typing import Any

from tests.e2e.cards_helpers import png
from tests.e2e.conftest import Office, Phone, Phones, Server
from tests.e2e.test_measure import _measures
from tests.e2e.test_patrol_screens import _typed_visit
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe

SAVE_BAR_MS = 50


def _id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def _staff(server: Server, username: str) -> str:
    return _id(server.query("select id from staff where username = ?", username)[0][0])


def _hyg(server: Server) -> str:
    return _id(server.query("select id from site where code = 'HYG'")[0][0])


def _unit_with_residents(server: Server, offset: int) -> tuple[str, str]:
    """(id, number) of a unit of 海悅花園 with a resident who has a phone and no repair
    request yet (each test its own)."""
    rows = server.query(
        "select u.id, u.number from unit u join site s on s.id = u.site where s.code = 'HYG'"
        " and u.active and exists (select 1 from resident r where r.unit = u.id and r.active"
        " and r.phone <> '') and not exists (select 1 from repair_request q where q.unit = u.id)"
        " order by u.number desc limit 1 offset ?", offset)
    return _id(rows[0][0]), str(rows[0][1])


def _team_has(server: Server, staff: str, site: str) -> bool:
    return any(_id(s) == staff and _id(t) == site for s, t in server.query(
        "select staff, site from repair_technician where active"))


def _ensure_team(server: Server, office: Office, username: str) -> str:
    """The technician in the site's repair team (the list the desk's phone assigns from):
    the office adds them when the demo did not."""
    staff, site = _staff(server, username), _hyg(server)
    if not _team_has(server, staff, site):
        page = office.page
        page.goto(f"{server.url}/office/repairs/technicians/new")
        page.select_option("#f-site", site)
        page.select_option("#f-staff", staff)
        page.fill("#f-name", "吳家豪")
        page.fill("#f-trade", "水喉")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    assert _team_has(server, staff, site)
    return staff


def log_request(phone: Phone, unit_number: str, unit_id: str, description: str) -> str:
    """The desk's form: the unit found by number, the contact from its residents; the id."""
    page = phone.page
    phone.goto("/m/repairs/new")
    page.fill("#f-unit_q", unit_number[:4])
    page.wait_for_selector(f"#unit-choices input[value='{unit_id}']")
    page.check(f"#unit-choices input[value='{unit_id}']")
    page.wait_for_function("() => document.querySelector('#f-contact_name').value !== ''")
    assert page.input_value("#f-contact_phone")
    page.select_option("#f-category", "water")
    page.select_option("#f-urgency", "urgent")
    page.fill("#f-description", description)
    page.click("#report-submit")
    page.wait_for_selector("#confirmation")
    return str(page.evaluate("() => location.pathname")).rsplit("/", 1)[-1]


def assign(phone: Phone, request_id: str, staff: str, appointment: str) -> None:
    page = phone.page
    phone.goto(f"/m/repairs/requests/{request_id}")
    page.select_option("#f-assignee_id", staff)
    page.fill("#f-appointment_at", appointment)
    page.click("#assign-submit")
    page.wait_for_selector("#confirmation")
    assert page.get_attribute("#request", "data-state") == "assigned"


def _tap(page: Any, selector: str, done: str) -> None:
    """Tap and wait (interval polling: a selector wait would add Playwright's own work to
    the swap being measured)."""
    page.click(selector)
    page.wait_for_function(f"() => !!document.querySelector(\"{done}\")", polling=250)


def _photo(page: Any, field: str, name: str) -> None:
    page.set_input_files(f"#f-photo-{field}", files=[
        {"name": name, "mimeType": "image/png", "buffer": png(1600, 1200)}])
    page.wait_for_function(f"() => document.querySelector('#f-{field}').value.length >= 64")
    _tap(page, f"#{field}-submit", f"#{field}-form [data-saved]")


def work_offline(tech: Phone, request_id: str) -> tuple[str, list[float]]:
    """Start, record and close the visit; its id and the taps' measures (tap → saved)."""
    page = tech.page
    tech.goto("/m/repairs")
    page.click(f"#my-jobs li[data-request-id='{request_id}'] a.card-number")
    page.wait_for_selector("#start-visit")
    page.click("#start-visit")
    page.wait_for_selector("#start-form")
    # only minors at home: no entry; the resident present must consent
    page.check("#f-only_minors")
    page.click("#start-submit")
    page.wait_for_selector("#e-only_minors")
    assert page.locator("#e-resident_consent").count() == 1
    page.uncheck("#f-only_minors")
    page.check("#f-resident_consent")
    page.check("#f-shoe_covers")
    page.click("#start-submit")
    page.wait_for_selector("#visit[data-state='open']")
    visit_id = str(page.evaluate("() => location.pathname")).rsplit("/", 1)[-1]
    assert page.get_attribute("#t-shoe_covers", "data-on") == "1"

    page.evaluate("() => performance.clearMeasures()")
    for field, value in [("floor_protection", "yes"), ("clean_up", "yes"), ("shoe_covers", "no"),
                         ("shoe_covers", "yes"), ("uniform_badge", "no"),
                         ("uniform_badge", "yes"), ("clean_up", "no"), ("clean_up", "yes")]:
        on = "1" if value == "yes" else "0"
        _tap(page, f"#b-{field}-{value}", f"#t-{field}[data-on='{on}'] [data-saved]")
    page.fill("#f-found", "廚房鋅盤去水位滲漏")
    page.fill("#f-work_done", "更換去水喉及膠圈")
    _tap(page, "#work-submit", "#work-form [data-saved]")
    page.fill("#f-item-0", "去水喉")
    page.fill("#f-qty-0", "2")
    page.fill("#f-amount-0", "35.5")
    _tap(page, "#charges-submit", "#charges-total[data-total='71']")
    page.fill("#f-item-1", "人工")
    page.fill("#f-qty-1", "1.5")
    page.fill("#f-amount-1", "180.3")
    _tap(page, "#charges-submit", "#charges-total[data-total='341.45']")
    _photo(page, "before_photos", "before.png")
    _photo(page, "after_photos", "after.png")
    taps = _measures(page, f"tap post /m/repairs/visits/{visit_id}/")

    page.click("#close-link")
    page.wait_for_selector("#close-form")
    page.click("#close-submit")  # no outcome chosen: refused on the form
    page.wait_for_selector("#e-outcome")
    page.check("#f-outcome input[value='done']")
    page.check("#f-satisfaction input[value='5']")
    tech.sign()
    page.click("#close-submit")
    page.wait_for_selector("#outcome[data-outcome='done']")
    return visit_id, taps


def test_repairs_1_desk_assigns_technician_works_offline_and_syncs(
        phones: Phones, server: Server, office: Office) -> None:
    unit_id, unit_number = _unit_with_residents(server, 0)
    staff = _ensure_team(server, office, "tech")
    desk = phones()
    desk.sign_in("desk")
    request_id = log_request(desk, unit_number, unit_id, "廚房鋅盤漏水，住戶要求盡快維修")
    number = desk.page.inner_text("#request").split()[0]
    assert number.startswith("R-")
    assign(desk, request_id, staff, datetime.now().strftime("%Y-%m-%dT%H:%M"))
    desk.wait_synced()
    assert server.query("select state from repair_request where id = ?",
                        request_id)[0][0] == "assigned"

    tech = phones()
    tech.sign_in("tech")
    tech.goto("/m/repairs")
    tech.page.wait_for_selector(f"#my-jobs li[data-request-id='{request_id}']")
    tech.offline()
    visit_id, taps = work_offline(tech, request_id)
    page = tech.page
    assert page.locator("#charges-list li").count() == 2
    assert page.locator("figure.signature-view img").count() == 1
    pending = tech.status()["pending"]
    assert int(pending) >= 15

    # the tab closed and opened again, still offline: the worker answers from IndexedDB
    page.close()
    tech.page = tech.new_page()
    tech.goto(f"/m/repairs/visits/{visit_id}")
    assert tech.page.get_attribute("#outcome", "data-outcome") == "done"
    tech.goto("/m/repairs")
    assert tech.status()["pending"] == pending
    assert not server.query("select id from repair_visit where id = ?", visit_id)

    tech.online()
    tech.wait_pending(0)
    (outcome, arrived, left, closed, received, device, total, sig, before, after), = server.query(
        "select outcome, arrived_at, left_at, closed_at, created_at, device, total,"
        " signature_blob, before_photos, after_photos from repair_visit where id = ?", visit_id)
    assert outcome == "done" and device and sig and total == 341.45
    assert "before" not in before and len(before) > 64 and len(after) > 64
    assert closed == left and str(arrived) < str(left)
    # the phone's times (offline) came before the server received them (to the microsecond:
    # a fast sync lands within the same second)
    def moment(value: Any) -> datetime:
        return datetime.fromisoformat(str(value).replace(" ", "T"))

    assert moment(left) < moment(received)
    (state, finished, started), = server.query(
        "select state, finished_at, started_at from repair_request where id = ?", request_id)
    assert state == "done" and finished == left and started == arrived
    assert server.query("select count(*) from blob where sha256 = ?", sig)[0][0] == 1

    # the office sees the request done and the visit with the phone's and the server's times
    page = office.page
    page.goto(f"{server.url}/office/repairs/{request_id}")
    assert "Done" in page.inner_text("h1")
    visit = page.locator("section[aria-labelledby=visits-title] article").first
    shown = dict(visit.evaluate(
        "(a) => [...a.querySelectorAll('dt')].map(dt => [dt.textContent.trim(),"
        " dt.nextElementSibling.textContent.trim()])"))
    for label in ("Arrived (device time)", "Received by server", "Left (device time)",
                  "Closing received by server"):
        assert shown.get(label, "—") not in ("", "—"), (label, shown)
    assert visit.locator("img.signature").count() == 1
    assert visit.locator("ul.photos img").count() == 2
    assert "341.45" in page.inner_text("section[aria-labelledby=charges-title]")

    median = statistics.median(taps)
    print(f"\nrepairs: tap -> saved on the visit screen, offline: median {median:.1f} ms, "
          f"max {max(taps):.1f} ms (n={len(taps)}; bar < {SAVE_BAR_MS} ms)")
    assert len(taps) >= 12
    assert median < SAVE_BAR_MS
    assert not desk.errors and not tech.errors, desk.errors + tech.errors


def test_repairs_2_guard_reports_an_anomaly_for_repair(phones: Phones, server: Server) -> None:
    guard = phones()
    guard.sign_in("guard")
    page = guard.page
    _typed_visit(guard, "E2E-CP1")
    scan_id = str(page.evaluate("() => location.pathname")).rsplit("/", 1)[-1]
    page.fill("#f-note", "大堂天花滲水")
    page.click("#anomaly-submit")
    page.wait_for_selector("#report-repair")
    page.click("#report-repair")
    page.wait_for_selector("#from-anomaly")
    assert page.input_value("#f-description") == "大堂天花滲水"
    assert page.input_value("#f-area")
    page.click("#report-submit")
    page.wait_for_selector("#confirmation")
    guard.wait_pending(0)
    (source, anomaly, area), = server.query(
        "select source, anomaly_visit, area from repair_request where description = ?",
        "大堂天花滲水")
    assert source == "patrol" and _id(anomaly) == scan_id and area
    assert not guard.errors, guard.errors


def test_repairs_3_screens_fit_360px_and_pass_axe(phones: Phones, server: Server,
                                                   office: Office) -> None:
    unit_id, unit_number = _unit_with_residents(server, 1)
    staff = _ensure_team(server, office, "tech")
    desk = phones()
    desk.sign_in("desk")
    screens: dict[str, list[dict[str, Any]]] = {}

    def check(phone: Phone, name: str) -> None:
        assert phone.page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(phone.page)

    desk.goto("/m/repairs/new")
    desk.page.click("#report-submit")
    desk.page.wait_for_selector("#e-description")
    check(desk, "new request, errors")
    request_id = log_request(desk, unit_number, unit_id, "睡房冷氣機漏水")
    check(desk, "request (desk)")
    assign(desk, request_id, staff, "")
    desk.goto("/m/repairs/requests")
    assert desk.page.locator(f"#requests-assigned li[data-request-id='{request_id}']").count()
    check(desk, "desk list")
    desk.goto("/m/repairs/follow-ups")
    check(desk, "follow-ups")
    desk.wait_synced()

    tech = phones()
    tech.sign_in("tech")
    page = tech.page
    tech.goto("/m/repairs")
    page.wait_for_selector(f"#my-jobs li[data-request-id='{request_id}']")
    check(tech, "my jobs")
    tech.goto(f"/m/repairs/requests/{request_id}")
    check(tech, "request (technician)")
    page.click("#start-visit")
    page.wait_for_selector("#start-form")
    page.select_option("#f-basis", "emergency")
    page.click("#start-submit")
    page.wait_for_selector("#e-witness")
    assert page.locator("#e-resident_consent").count() == 1
    check(tech, "start visit, errors")
    page.fill("#f-witness", "保安員 陳先生")
    page.check("#f-resident_consent")
    page.click("#start-submit")
    page.wait_for_selector("#visit[data-state='open']")
    check(tech, "visit")
    page.fill("#f-item-0", "")
    page.fill("#f-qty-0", "0")
    page.click("#charges-submit")
    page.wait_for_selector("#e-charges")
    check(tech, "visit, charge refused")
    page.click("#close-link")
    page.wait_for_selector("#close-form")
    page.check("#f-outcome input[value='no_one_home']")
    page.click("#close-submit")
    page.wait_for_selector("#e-notice_photo")
    check(tech, "close, errors")
    page.set_input_files("#f-photo-notice_photo", files=[
        {"name": "notice.png", "mimeType": "image/png", "buffer": png()}])
    page.wait_for_function("() => document.querySelector('#f-notice_photo').value.length >= 64")
    page.click("#close-submit")
    page.wait_for_selector("#outcome[data-outcome='no_one_home']")
    check(tech, "closed visit")
    tech.goto("/m/lang/en")
    tech.goto("/m/repairs")
    assert page.get_attribute("html", "lang") == "en" and "My jobs" in page.inner_text("main h1")
    check(tech, "my jobs en")
    bad = {name: v for name, v in screens.items() if v}
    assert not bad, bad
    assert not desk.errors and not tech.errors, desk.errors + tech.errors
