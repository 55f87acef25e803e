"""The IC-card desk in real Chromium: two desk phones offline — one issues a card, the other
reports the same card lost. After both sync the server has an ``issued_while_lost``
conflict (the card stays blacklisted, the issue is kept); both phones show it; the office
resolves it in the review console, and both phones show the resolution after their next
sync.
"""

from __future__ import annotations

from tests.e2e.cards_helpers import card_id, free_units, issue, report_lost
from tests.e2e.conftest import Office, Phone, Phones, Server

CONFLICT = "li.conflict[data-kind='issued_while_lost']"


def _conflict_on_card_page(phone: Phone, card: str) -> str:
    phone.goto(f"/m/cards/{card}")
    item = phone.page.locator(CONFLICT)
    assert item.count() == 1
    return "resolved" if item.locator(".badge.ok").count() else "open"


def test_cards_2_issued_on_one_phone_while_lost_on_another(
        phones: Phones, server: Server, office: Office) -> None:
    number = "E2E-C005"
    card = card_id(server, number)
    unit, _ = free_units(server)[8]
    a, b = phones(), phones()
    a.sign_in("desk")
    b.sign_in("desk2")
    a.offline()
    b.offline()
    issue_id = issue(a, unit, number, holder="梁先生")
    # the other desk, offline, reports the same card missing (it saw it in the stock)
    report_lost(b, card, reported_by="卡中心點存")
    a.online()
    a.wait_pending(0)
    b.online()
    b.wait_pending(0)

    conflicts = server.query("select id, status, staff_ids from sync_conflict"
                             " where kind = 'issued_while_lost' and record_ids like ?",
                             f"%{card}%")
    assert len(conflicts) == 1 and conflicts[0][1] == "open"
    conflict_id = conflicts[0][0]
    # both records are kept: the card stays blacklisted, the issue stays open
    assert server.query("select status from card where id = ?", card)[0][0] == "lost"
    assert server.query("select ended_at from card_issue where id = ?", issue_id)[0][0] is None

    for phone in (a, b):  # the first phone learns of the conflict on its next sync
        phone.wait_synced()
        assert _conflict_on_card_page(phone, card) == "open"
        assert phone.page.locator("#blacklist-state").count() == 1
        phone.goto("/m/inbox")
        item = phone.page.locator("li.inbox-item.conflict[data-kind='issued_while_lost']")
        assert item.count() == 1 and number in item.inner_text()

    # the office decides in the review console (audited with its note)
    page = office.page
    page.goto(f"{server.url}/office/conflicts/{conflict_id}")
    assert number in page.inner_text("main")
    page.fill("#resolve-note", "已致電住戶：卡已尋回，由管理處解除黑名單")
    page.click(f"form[action='/office/conflicts/{conflict_id}/resolve'] button[type=submit]")
    page.wait_for_load_state()
    assert server.query("select status from sync_conflict where id = ?",
                        conflict_id)[0][0] != "open"

    for phone in (a, b):
        phone.wait_synced()
        assert _conflict_on_card_page(phone, card) == "resolved"
        phone.goto("/m/inbox")
        assert phone.page.locator(
            "li.inbox-item.conflict[data-kind='issued_while_lost'] .badge.ok").count() == 1
    assert not a.errors and not b.errors, a.errors + b.errors
