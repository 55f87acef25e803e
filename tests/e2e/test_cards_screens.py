"""The IC-card screens in real Chromium at 360 px: every screen fits without sideways
scrolling and axe-core finds no serious or critical violation (Traditional Chinese and
English); the issue form shows its problems beside the fields and the quota warning; a lost
card is replaced (補卡), a card returned (退卡) and one revoked; the receipt prints alone.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.cards_helpers import card_id, fill_issue, issue, open_issue_form, quota_unit
from tests.e2e.conftest import Phones, Server
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe


def test_cards_3_screens_fit_360px_pass_axe_and_work_through(phones: Phones,
                                                             server: Server) -> None:
    unit, unit_number = quota_unit(server)  # two cards for this unit
    phone = phones()
    phone.sign_in("desk")
    page = phone.page
    screens: dict[str, list[dict[str, Any]]] = {}

    def check(name: str) -> None:
        assert page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(page)

    # the issue form refuses an empty submission, every problem beside its field
    open_issue_form(phone, unit)
    check("issue form")
    page.click("#issue-submit")
    page.wait_for_selector("#form-errors")
    for field in ("number", "holder_name", "relation", "signature_blob"):
        assert page.locator(f"#e-{field}").count() == 1, field
    assert page.get_attribute("#f-holder_name", "aria-invalid") == "true"
    check("issue form errors")
    # a proxy without the letter and the owner's call is refused by the rules' own check
    fill_issue(phone, "E2E-C010", holder="何小姐", relation="proxy")
    page.fill("#f-owner_confirmation", "")
    page.click("#issue-submit")
    page.wait_for_selector("#e-authorisation_blob")
    assert page.locator("#e-owner_confirmation").count() == 1
    check("issue form, proxy errors")

    first = issue(phone, unit, "E2E-C010", holder="何小姐")
    check("receipt")
    page.emulate_media(media="print")  # the receipt prints alone
    assert page.is_visible("#receipt") and not page.is_visible("#sync-status")
    assert not page.is_visible("[data-print]")
    page.emulate_media(media="screen")
    issue(phone, unit, "E2E-C011", holder="何先生")
    # the unit holds its quota (2): the form warns and asks for the office's approval
    open_issue_form(phone, unit)
    assert page.locator("#quota-warning").count() == 1
    check("issue form, quota reached")
    fill_issue(phone, "E2E-C012", holder="何太太")
    page.click("#issue-submit")
    page.wait_for_selector("#e-quota_ok")
    page.check("#f-quota_ok")
    page.click("#issue-submit")
    page.wait_for_selector("#receipt")

    phone.goto(f"/m/cards/units/{unit}")
    assert page.locator("#unit-open li").count() == 3
    assert "3" in page.inner_text("#quota") and page.locator("#quota.is-full").count() == 1
    check("unit")
    phone.goto(f"/m/cards?q={unit_number}")
    assert page.locator(f"#unit-hits li[data-unit-id='{unit}']").count() == 1
    check("search")
    phone.goto("/m/cards")
    check("cards home")

    # 掛失 then 補卡: the replacement names the lost card
    c010 = card_id(server, "E2E-C010")
    phone.goto(f"/m/cards/{c010}")
    check("card")
    page.click("#lost-link")
    page.wait_for_selector("#lost-form")
    check("report lost")
    page.click("#lost-submit")
    page.wait_for_selector("#e-confirm")  # the box must be ticked
    page.check("#f-confirm")
    page.click("#lost-submit")
    page.wait_for_selector("#blacklist-state")
    page.click("#replace-link")
    page.wait_for_selector("#replaces")
    fill_issue(phone, "E2E-C013", holder="何小姐")
    page.check("#f-quota_ok")  # the unit still holds two: the replacement is a third
    page.click("#issue-submit")
    page.wait_for_selector("#receipt")
    assert "E2E-C010" in page.inner_text("#receipt")
    replacement = page.url.rsplit("/", 2)[-2]

    # 退卡 with the deposit refunded, and a revocation
    c011 = card_id(server, "E2E-C011")
    phone.goto(f"/m/cards/{c011}/return")
    (deposit,), = server.query("select p.deposit from card_policy p join site s"
                               " on s.id = p.site where s.code = 'HYG'")
    # the deposit taken at the issue (the site's, the form's default) is offered back
    assert page.input_value("#f-deposit_refunded") == f"{deposit:g}"
    check("return")
    page.fill("#f-deposit_refunded", "一百")
    page.click("#return-submit")
    page.wait_for_selector("#e-deposit_refunded")
    page.fill("#f-deposit_refunded", "80")
    page.click("#return-submit")
    page.wait_for_selector("#confirmation")
    c012 = card_id(server, "E2E-C012")
    phone.goto(f"/m/cards/{c012}/revoke")
    check("revoke")
    page.fill("#f-reason", "住戶已遷出")
    page.click("#revoke-submit")
    page.wait_for_selector("#blacklist-state")
    phone.goto("/m/inbox")
    check("inbox")

    phone.wait_synced()
    assert server.query("select replaces_issue from card_issue where id = ?",
                        replacement)[0][0] == first
    assert server.query("select status from card where number = 'E2E-C011'")[0][0] == "returned"
    assert server.query("select deposit_refunded from card_issue i join card c on c.id = i.card"
                        " where c.number = 'E2E-C011'")[0][0] == 80
    assert server.query("select status from card where number = 'E2E-C012'")[0][0] == "revoked"
    # quota_exceeded: issued past the quota with the office's approval, flagged for it
    assert server.query("select count(*) from sync_conflict where kind = 'quota_exceeded'"
                        " and record_ids like ?", f"%{first}%")[0][0] == 1

    phone.goto("/m/lang/en")
    phone.goto(f"/m/cards/{c010}")
    assert page.get_attribute("html", "lang") == "en"
    assert "Card E2E-C010" in page.inner_text("main h1")
    check("card en")
    open_issue_form(phone, unit)
    check("issue form en")
    bad = {name: v for name, v in screens.items() if v}
    assert not bad, bad
    assert not phone.errors, phone.errors
