"""The IC-card desk in real Chromium: a desk phone offline issues a card to an authorised
proxy (the 委托書 photographed, the owner's confirmation by phone, the holder's signature
drawn on screen) and reports another card lost (掛失: blacklisted at once on the phone).
Both survive a reload and a closed tab while offline; back online they sync, the server has
both, the office's blacklist for the door system shows the lost card and the door
controllers' feed returns it blacklisted.
"""

from __future__ import annotations

import httpx

from tests.e2e.cards_helpers import card_id, free_units, issue, report_lost
from tests.e2e.conftest import Office, Phone, Phones, Server


def _card_state(phone: Phone, card: str) -> str:
    phone.goto(f"/m/cards/{card}")
    return str(phone.page.get_attribute("main h1 [data-status]", "data-status"))


def test_cards_1_issue_and_report_lost_offline_survive_a_closed_tab_then_sync(
        phones: Phones, server: Server, office: Office) -> None:
    units = free_units(server)
    (held_unit, _), (proxy_unit, proxy_number) = units[3], units[4]
    lost_card, new_card = card_id(server, "E2E-C001"), card_id(server, "E2E-C002")
    phone = phones()
    phone.sign_in("desk")
    # online: a resident of a unit takes card C001 (picked from the unit's residents)
    held_issue = issue(phone, held_unit, "E2E-C001", resident=True)
    phone.wait_pending(0)

    phone.offline()
    # offline: a proxy takes card C002 for another unit, with the owner's letter and call
    new_issue = issue(phone, proxy_unit, "e2e-c002", holder="陳大文", relation="proxy",
                      letter=True)
    page = phone.page
    receipt = page.inner_text("#receipt")
    assert "E2E-C002" in receipt and "陳大文" in receipt and proxy_number in receipt
    assert page.locator("#receipt .signature-view img").count() == 1
    assert phone.status()["pending"] == "1"
    # ...and C001 is reported lost: blacklisted at once on this phone
    report_lost(phone, lost_card)
    assert phone.status()["pending"] == "2"

    def the_phone_still_has_both() -> None:
        assert _card_state(phone, lost_card) == "lost"
        assert phone.page.locator("#blacklist-state").count() == 1
        phone.goto(f"/m/cards/issues/{new_issue}/receipt")
        assert "E2E-C002" in phone.page.inner_text("#receipt")
        phone.goto("/m/cards")
        pending = phone.page.locator("#blacklist-pending li[data-number='E2E-C001']")
        assert pending.count() == 1 and pending.locator(".badge.is-pending").count() == 1
        assert phone.page.locator(f"#recent-issues li[data-issue-id='{new_issue}']").count() == 1
        phone.goto(f"/m/cards/units/{proxy_unit}")
        assert phone.page.locator(f"#unit-open li[data-issue-id='{new_issue}']").count() == 1
        assert phone.status()["pending"] == "2"

    the_phone_still_has_both()
    page.reload()
    page.wait_for_selector("#unit-open")
    the_phone_still_has_both()
    # close the tab; a new one, still offline, is answered by the service worker
    phone.page.close()
    phone.page = phone.new_page()
    the_phone_still_has_both()
    assert server.query("select count(*) from card_issue where id = ?", new_issue)[0][0] == 0

    phone.online()  # the page's "online" event asks the worker to sync
    phone.wait_pending(0)
    (holder, relation, letter, confirmation, signature, card, device), = server.query(
        "select holder_name, relation, authorisation_blob, owner_confirmation, signature_blob,"
        " card, issued_device from card_issue where id = ?", new_issue)
    assert (holder, relation, card) == ("陳大文", "proxy", new_card)
    assert letter and signature and confirmation.startswith("業主") and device
    for sha in (letter, signature):
        assert server.query("select count(*) from blob where sha256 = ?", sha)[0][0] == 1
    assert server.query("select status, issue from card where id = ?", new_card)[0] == (
        "issued", new_issue)
    (status, blacklisted_at, taken), = server.query(
        "select status, blacklisted_at, door_taken_at from card where id = ?", lost_card)
    assert status == "lost" and blacklisted_at is not None and taken is None
    (ended, reason), = server.query("select ended_at, end_reason from card_issue where id = ?",
                                    held_issue)
    assert ended is not None and reason == "lost"

    # the office's blacklist for the door system: the page and its CSV
    hyg = server.query("select id from site where code = 'HYG'")[0][0]
    office.page.goto(f"{server.url}/office/cards/door?site={hyg}")
    assert "E2E-C001" in office.page.inner_text("main")
    csv = office.page.request.get(f"{server.url}/office/cards/door/blacklist.csv?site={hyg}")
    assert csv.ok and "E2E-C001" in csv.text() and "E2E-C002" not in csv.text()
    # and the door controllers' feed (a token the office makes for one) returns it blacklisted
    office.page.goto(f"{server.url}/office/cards/door/tokens?site={hyg}")
    office.page.fill("#token-name", "大堂門禁")
    office.page.click("form[action='/office/cards/door/tokens'] button[type=submit]")
    token = office.page.input_value("#new-token")
    states: dict[str, str] = {}
    cursor, more = 0, True
    while more:  # page through the site's cards, as a controller does
        feed = httpx.get(f"{server.url}/api/door/v1/changes?cursor={cursor}&limit=1000",
                         headers={"Authorization": f"Bearer {token}"}).json()
        states.update({c["number"]: c["state"] for c in feed["cards"]})
        cursor, more = feed["next_cursor"], feed["more"]
    assert states["E2E-C001"] == "blacklisted" and states["E2E-C002"] == "active"
    phone.goto("/m/cards")
    assert phone.page.locator("#blacklist-pending li[data-number='E2E-C001'] .badge.is-pending"
                              ).count() == 0
    assert not phone.errors, phone.errors
