"""The staff PWA in real Chromium: two phones lend the same key offline; the server records a
conflict, both phones show it, and the office resolves it by voiding one loan.
"""

from __future__ import annotations

from tests.e2e.conftest import Office, Phones, Server
from tests.e2e.helpers import _row


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
        # (the demo estate and other tests leave double loans of other keys in the inbox)
        item = phone.page.locator("li.inbox-item.conflict[data-kind='double_loan']",
                                  has_text="HYG-K003")
        assert item.count() == 1
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
        text = phone.page.locator("li.inbox-item.conflict[data-kind='double_loan']",
                                  has_text="HYG-K003").inner_text()
        assert "Resolved" in text or "管理處已處理" in text
    a.goto(f"/m/keys/loans/{loan_a}")
    assert "重複登記" in a.page.inner_text("main")
    assert not a.errors and not b.errors, a.errors + b.errors
