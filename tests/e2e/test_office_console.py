"""The office's review console in real Chromium, at 1280 px and at 768 px: the supervisor
opens the home (exceptions first), follows a missed round and an overdue key to their
records, marks a phone's record "has issues", resolves a conflict two phones made offline —
and the phones involved show the outcome after their next sync."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, TIMEOUT_MS, Phones, Server
from tests.e2e.test_screens import _axe

# keys other browser tests lend (tests/e2e/*): never these
TAKEN = {f"HYG-K00{n}" for n in (2, 3, 4, 5, 7, 8)}


def free_keys(server: Server, n: int) -> list[str]:
    """Keys of 海悅花園 nobody has out, in use, no other test lends."""
    rows = server.query(
        "select k.code from key_tag k join site s on s.id = k.site where s.code = 'HYG'"
        " and k.retired = 0 and k.category = 'public_area' and not exists (select 1 from"
        " key_loan l where l.key = k.id and l.returned_at is null and not l.voided)"
        " order by k.code")
    codes = [r[0] for r in rows if r[0] not in TAKEN]
    assert len(codes) >= n, codes
    return codes[-n:]  # the end of the register: the other tests start from its beginning


def office_page(browser: Any, server: Server, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  timezone_id="Asia/Hong_Kong")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/lang/en")
    page.goto(server.url + "/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/office**")
    page.errors = errors
    return page


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


def follow_home(page: Any, server: Server, kind: str) -> None:
    """From the home, the count of one exception kind → its list → its first record."""
    page.goto(server.url + "/office")
    link = page.locator(f"[data-kind='{kind}'] a[href]").first
    assert link.count() == 1, f"no {kind} on the home"
    link.click()
    page.wait_for_load_state()
    item = page.locator(".exception-item a.record-link").first
    item.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 768])
def test_supervisor_reviews_and_phones_see_it(browser: Any, phones: Phones, server: Server,
                                             width: int) -> None:
    page = office_page(browser, server, width)
    # exceptions first: a missed round and an overdue key, each followed to its record
    follow_home(page, server, "patrol.missed")
    assert "/office/patrol/rounds/" in page.url
    assert no_sideways_scroll(page)
    follow_home(page, server, "keys.overdue")
    assert "/office/keys/loans/" in page.url
    assert no_sideways_scroll(page)
    assert _axe(page) == []

    # two desk phones lend the same key offline: a conflict; the first loan gets reviewed
    code = free_keys(server, 2)[0 if width == 1280 else 1]
    a, b = phones(), phones()
    a.sign_in("desk")
    b.sign_in("desk2")
    a.offline()
    b.offline()
    loan_a = a.lend(code, "審閱測試甲")
    b.lend(code, "審閱測試乙")
    for p in (a, b):
        p.online()
        p.wait_pending(0)
    conflict = server.query(
        "select id from sync_conflict where kind = 'double_loan' and record_ids like ?",
        f"%{loan_a}%")[0][0]

    # "has issues" from the record's own page
    page.goto(f"{server.url}/office/keys/loans/{loan_a}")
    page.click(f"a[href='/office/records/key_loan/{loan_a}']")
    page.check("input[name='state'][value='has_issues']")
    comment = f"請補借用人電話（{width}）"
    page.fill("#one-comment", comment)
    page.click(f"form[action='/office/records/key_loan/{loan_a}/review'] button[type=submit]")
    page.wait_for_url("**reviewed=1**")
    assert comment in page.inner_text("main")
    assert no_sideways_scroll(page)
    assert _axe(page) == []

    # the review list shows the mark and filters by it
    page.goto(f"{server.url}/office/review?type=key_loan&state=has_issues")
    assert page.locator(f"input[name='ids'][value='{loan_a}']").count() == 1
    assert no_sideways_scroll(page)
    assert _axe(page) == []

    # the conflict from the one inbox, resolved with a note
    page.goto(f"{server.url}/office/conflicts?kind=double_loan")
    page.click(f"a[href$='{conflict}']")
    page.fill("textarea[name='note']", "兩部手機同時借出，已向兩位借用人確認")
    page.click(f"form[action='/office/conflicts/{conflict}/resolve'] button[type=submit]")
    page.wait_for_url("**saved=1**")
    assert server.query("select status from sync_conflict where id = ?", conflict)[0][0] == \
        "resolved"
    assert _axe(page) == []

    # the phones: the author sees "has issues" and the comment; both see the conflict resolved
    for p in (a, b):
        p.wait_synced()
        p.goto("/m/inbox")
        conflict_item = p.page.locator("li.inbox-item.conflict[data-kind='double_loan']")
        p.page.wait_for_selector("li.inbox-item.conflict[data-kind='double_loan']")
        text = " ".join(conflict_item.all_inner_texts())
        assert "管理處已處理" in text or "Resolved" in text, text
    review = a.page.locator("li.inbox-item.review[data-state='has_issues']", has_text=comment)
    assert review.count() == 1
    assert b.page.locator("li.inbox-item.review", has_text=comment).count() == 0
    assert not page.errors, page.errors
    assert not a.errors and not b.errors, a.errors + b.errors
    page.context.close()
