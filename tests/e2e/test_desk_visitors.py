"""The front desk's visitor register and goods-out passes in real Chromium: a desk phone with
no signal signs a visitor in (a resident of the unit confirmed, picked from the unit's
residents on the phone) and another (confirmed by phone), sees both still inside, signs one
out; back online it syncs and the server has both visitors with their times and who signed
them in and out. A form with a mistake comes back with its message and everything typed.
Offline too, the desk issues a goods-out pass: its number from the phone's day and the pass's
id, its QR text signed with the phone's device key (the server verifies it after the sync
with the key the phone registered) and the pass page with the QR code's element. (The gate's
scan of the pass: the gate part's test.)
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

from sync.domains.desk.passcode import verify
from tests.e2e.conftest import Phone, Phones, Server
from tests.e2e.helpers import READ_SESSION


def _id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def units_with_residents(server: Server) -> list[tuple[str, str, str]]:
    """(unit id, number, one active resident's id) of 海悅花園's units, by number."""
    rows = server.query(
        "select u.id, u.number, min(r.id) from unit u join site s on s.id = u.site"
        " join resident r on r.unit = u.id and r.active where s.code = 'HYG' and u.active"
        " group by u.id, u.number order by u.number")
    return [(_id(u), str(n), _id(r)) for u, n, r in rows]


def registered(phone: Phone, server: Server) -> None:
    """Until the device key the phone registers after a sign-in is on the server and nothing
    waits to sync (the counts of waiting records below are the forms' own)."""
    device = phone.page.evaluate(READ_SESSION)["device_id"]
    deadline = time.monotonic() + 30
    while not server.query("select 1 from device_key where device = ?", device):
        assert time.monotonic() < deadline, "the phone's device key did not reach the server"
        time.sleep(0.2)
    phone.wait_pending(0)


# tap → the screen after it (the page's measures, tap to swapped and settled), offline
TAPS: dict[str, list[float]] = {}
LAST_TAP = ("(p) => performance.getEntriesByType('measure').filter(m => m.name.startsWith(p))"
            ".map(m => m.duration).pop() ?? null")


def _tap(phone: Phone, what: str, prefix: str) -> None:
    took = phone.page.evaluate(LAST_TAP, prefix)
    if took is not None:
        TAPS.setdefault(what, []).append(float(took))


def pick_unit(phone: Phone, unit_id: str, number: str) -> None:
    """The unit found by its number as typed, then picked."""
    page = phone.page
    page.fill("#f-unit_q", number)
    page.wait_for_selector(f"#unit-choices input[value='{unit_id}']")
    page.check(f"#unit-choices input[value='{unit_id}']")


def sign_in_visitor(phone: Phone, unit: tuple[str, str, str], name: str,
                    called: str | None = None, purpose: str = "探訪親友") -> str:
    """The sign-in form: confirmed by the unit's resident, or by phone (``called``); the
    new visitor's id."""
    page = phone.page
    unit_id, number, resident = unit
    phone.goto("/m/desk/visitors/new")
    pick_unit(phone, unit_id, number)
    page.wait_for_selector(f"#confirm[data-unit='{unit_id}']")  # its residents came
    if called is None:
        page.select_option("#f-resident_id", resident)
    else:
        page.check("#f-confirmed_by input[value='phone']")
        page.fill("#f-called_number", called)
    page.fill("#f-name", name)
    page.select_option("#f-id_type", "hkid")
    page.fill("#f-id_last4", "123a")
    page.fill("#f-phone", "9123 4567")
    page.fill("#f-badge", "V-07")
    page.fill("#f-purpose", purpose)
    page.click("#visitor-submit")
    page.wait_for_selector("#confirmation")
    _tap(phone, "sign a visitor in", "tap post /m/desk/visitors/new")
    row = page.locator("#visitors-in li", has_text=name)
    return str(row.get_attribute("data-visitor-id"))


def issue_pass(phone: Phone, unit: tuple[str, str, str]) -> str:
    """The issue form (the owner present); the new pass's id."""
    page = phone.page
    phone.goto("/m/desk/passes/new")
    pick_unit(phone, unit[0], unit[1])
    page.fill("#f-items", "梳化\n\n  雪櫃  \n")
    page.fill("#f-item_count", "2")
    page.fill("#f-plate", "ab 1234")
    page.fill("#f-owner_name", "陳大文")
    page.check("#f-basis input[value='owner_present']")
    page.click("#pass-submit")
    page.wait_for_selector("#pass .pass-qr")
    _tap(phone, "issue a signed pass", "tap post /m/desk/passes/new")
    return str(page.evaluate("() => location.pathname")).rsplit("/", 1)[-1]


def _visitor(server: Server, visitor_id: str) -> dict[str, Any]:
    rows = server.query(
        "select name, confirmed_by, resident, called_number, id_last4, time_in, time_out,"
        " signed_in_by, signed_out_by from visitor where id = ?", visitor_id)
    keys = ("name", "confirmed_by", "resident", "called_number", "id_last4", "time_in",
            "time_out", "signed_in_by", "signed_out_by")
    return dict(zip(keys, rows[0], strict=True)) if rows else {}


def test_desk_1_visitors_signed_in_and_out_offline_then_synced(phones: Phones,
                                                               server: Server) -> None:
    units = units_with_residents(server)
    by_resident, by_phone = units[1], units[2]
    desk = _id(server.query("select id from staff where username = 'desk'")[0][0])
    phone = phones()
    phone.sign_in("desk")
    registered(phone, server)
    page = phone.page
    phone.offline()

    # a mistake: no name. The form comes back with its message and what was typed
    phone.goto("/m/desk/visitors/new")
    pick_unit(phone, by_resident[0], by_resident[1])
    page.wait_for_selector(f"#confirm[data-unit='{by_resident[0]}']")
    page.select_option("#f-resident_id", by_resident[2])
    page.fill("#f-purpose", "送貨")
    page.fill("#f-badge", "V-01")
    page.click("#visitor-submit")
    page.wait_for_selector("#e-name")
    assert page.get_attribute("#f-name", "aria-invalid") == "true"
    assert page.input_value("#f-purpose") == "送貨" and page.input_value("#f-badge") == "V-01"
    assert page.is_checked(f"#unit-choices input[value='{by_resident[0]}']")
    assert page.input_value("#f-resident_id") == by_resident[2]
    # by phone, with no number called: the rules' own check
    page.check("#f-confirmed_by input[value='phone']")
    page.fill("#f-name", "李訪客")
    page.click("#visitor-submit")
    page.wait_for_selector("#e-called_number")
    assert page.input_value("#f-name") == "李訪客"
    assert phone.status()["pending"] == "0"  # nothing refused was queued

    first = sign_in_visitor(phone, by_resident, "黃訪客")
    second = sign_in_visitor(phone, by_phone, "周訪客", called="2345 6789")
    for visitor in (first, second):
        assert page.locator(f"#visitors-in li[data-visitor-id='{visitor}']").count() == 1
    # the one inside longest comes first
    ids = page.eval_on_selector_all("#visitors-in li", "els => els.map(e => e.dataset.visitorId)")
    assert ids.index(first) < ids.index(second)
    # the search finds one by name
    page.fill("#visitor-q", "周訪")
    page.wait_for_function(
        "() => document.querySelectorAll('#visitors-in li').length === 1")
    assert page.get_attribute("#visitors-in li", "data-visitor-id") == second

    # the first leaves
    phone.goto("/m/desk/visitors")
    page.click(f"#visitors-in li[data-visitor-id='{first}'] button")
    page.wait_for_selector(f"#visitors-in li[data-visitor-id='{first}']", state="detached")
    _tap(phone, "sign a visitor out", "tap post /m/desk/visitors/")
    assert page.locator(f"#visitors-in li[data-visitor-id='{second}']").count() == 1
    phone.goto("/m/desk/visitors?tab=out")
    assert page.locator(f"#visitors-out li[data-visitor-id='{first}']").count() == 1
    assert phone.status()["pending"] == "3"
    assert not _visitor(server, first)

    phone.online()
    phone.wait_synced()
    one, two = _visitor(server, first), _visitor(server, second)
    assert one["name"] == "黃訪客" and one["confirmed_by"] == "resident"
    assert _id(one["resident"]) == by_resident[2] and one["id_last4"] == "123A"
    assert one["time_in"] and one["time_out"] and one["time_out"] >= one["time_in"]
    assert _id(one["signed_in_by"]) == desk and _id(one["signed_out_by"]) == desk
    assert two["confirmed_by"] == "phone" and two["called_number"] == "2345 6789"
    assert two["resident"] is None and two["time_in"] and two["time_out"] is None
    assert _id(two["signed_in_by"]) == desk
    assert not phone.errors, phone.errors
    print("\n--- desk figures (Chromium, offline, this machine; bar < 50 ms) ---")
    for what, took in TAPS.items():
        print(f"tap {what} -> its screen: {', '.join(f'{t:.1f}' for t in took)} ms")


def _content(code: str) -> dict[str, Any]:
    payload = code.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_desk_2_a_pass_issued_offline_is_signed_by_the_phone(phones: Phones,
                                                             server: Server) -> None:
    unit = units_with_residents(server)[3]
    phone = phones()
    phone.sign_in("desk")
    registered(phone, server)
    page = phone.page
    phone.offline()

    # the owner's written authorisation needs its photo: the form keeps what was typed
    phone.goto("/m/desk/passes/new")
    pick_unit(phone, unit[0], unit[1])
    page.fill("#f-items", "書枱\n椅")
    page.fill("#f-item_count", "2")
    page.fill("#f-owner_name", "陳大文")
    page.check("#f-basis input[value='written']")
    page.click("#pass-submit")
    page.wait_for_selector("#e-authorisation_photo")
    assert page.input_value("#f-items") == "書枱\n椅"
    assert page.is_checked("#f-basis input[value='written']")
    # the end of today by default
    assert page.input_value("#f-valid_until").endswith("T23:59")

    pass_id = issue_pass(phone, unit)
    print(f"\ntap issue a signed pass -> the pass and its QR code, offline: "
          f"{', '.join(f'{t:.1f}' for t in TAPS.get('issue a signed pass', []))} ms (bar < 50 ms)")
    number = str(page.get_attribute("#pass", "data-number"))
    assert re.fullmatch(r"G\d{6}-[0-9A-F]{4}", number) and number.endswith(pass_id[-4:].upper())
    code = str(page.get_attribute("#pass .pass-qr", "data-pass-qr"))
    content = _content(code)
    assert content["id"] == pass_id and content["n"] == number and content["u"] == unit[0]
    assert content["it"] == ["梳化", "雪櫃"] and content["c"] == 2 and content["p"] == "AB 1234"
    assert content["b"] == "owner_present" and content["vu"].endswith("T15:59:00+00:00")
    assert "梳化、雪櫃" in page.inner_text("#pass")
    assert page.locator("button[data-print]").count() == 1
    phone.goto("/m/desk/passes")
    assert page.locator(f"#passes li[data-pass-id='{pass_id}']").count() == 1

    phone.online()
    phone.wait_synced()
    (stored_code, key_id), = server.query("select code, key from goods_pass where id = ?", pass_id)
    assert stored_code == code and _id(key_id) == content["k"]
    (public_key,), = server.query("select public_key from device_key where id = ?", content["k"])
    assert verify(code, public_key) == content
    assert not phone.errors, phone.errors
