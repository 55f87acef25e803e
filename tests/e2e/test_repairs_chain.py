"""The entry chain in real Chromium (key → visit → follow-up): the desk's phone, offline,
lends a key for a repair and links the loan to the request; the technician's phone closes the
visit offline; the desk takes the key back; the office sees the chain complete. A second
request whose key came back with no visit ever recorded shows as an exception."""

from __future__ import annotations

from datetime import datetime

from tests.e2e.conftest import Office, Phone, Phones, Server
from tests.e2e.test_repairs_phone import (
    _ensure_team,
    _unit_with_residents,
    assign,
    log_request,
    work_offline,
)


def _free_key(server: Server, offset: int) -> str:
    """A key of 海悅花園 that is not out and that no other browser test lends (they take the
    first ones after HYG-K009; the demo's own repair loans use keys after HYG-K030)."""
    rows = server.query(
        "select code from key_tag k where code like 'HYG-K0%' and code > 'HYG-K015'"
        " and code <= 'HYG-K030' and category <> 'owner_deposited' and not retired"
        " and not exists (select 1 from key_loan l where l.key = k.id"
        " and l.returned_at is null and not l.voided)"
        " order by code desc limit 1 offset ?", offset)
    return str(rows[0][0])


def link_key(desk: Phone, request_id: str, loan_id: str) -> None:
    page = desk.page
    desk.goto(f"/m/repairs/requests/{request_id}")
    page.select_option("select[name=key_loan_id]", loan_id)
    page.click("#key-submit")
    page.wait_for_selector("#confirmation")


def take_back(desk: Phone, loan_id: str) -> None:
    page = desk.page
    desk.goto(f"/m/keys/loans/{loan_id}/return")
    page.wait_for_selector("#return-form")
    page.fill("#f-return_notes", "完好")
    page.click("#return-submit")
    page.wait_for_selector("#confirmation")


def test_a_key_lent_for_a_visit_offline_closes_the_chain(phones: Phones, server: Server,
                                                        office: Office) -> None:
    staff = _ensure_team(server, office, "tech")
    desk = phones()
    desk.sign_in("desk")
    unit_id, unit_number = _unit_with_residents(server, 5)
    request_id = log_request(desk, unit_number, unit_id, "單位無人在家，借匙入屋維修漏水")
    assign(desk, request_id, staff, datetime.now().strftime("%Y-%m-%dT%H:%M"))
    desk.wait_synced()

    # offline at the desk: the key lent to the technician, the loan linked to the request
    desk.offline()
    loan_id = desk.lend(_free_key(server, 0), "吳家豪", kind="staff")
    link_key(desk, request_id, loan_id)
    assert int(desk.status()["pending"]) >= 2
    desk.online()
    desk.wait_synced()
    assert str(server.query("select key_loan from repair_request where id = ?",
                            request_id)[0][0]).replace("-", "") == loan_id.replace("-", "")

    # the technician works offline and syncs
    tech = phones()
    tech.sign_in("tech")
    tech.goto("/m/repairs")
    tech.page.wait_for_selector(f"#my-jobs li[data-request-id='{request_id}']")
    tech.offline()
    work_offline(tech, request_id)
    tech.online()
    tech.wait_synced()

    # the office: the key still out — under way; back at the desk — complete
    office.page.goto(f"{server.url}/office/repairs/{request_id}")
    chain = office.page.locator("section[aria-labelledby=chain-title]")
    assert chain.locator(".badge.ok").count() == 0  # under way: the key is still out
    take_back(desk, loan_id)
    desk.wait_synced()
    office.page.goto(f"{server.url}/office/repairs/{request_id}")
    assert chain.locator(".badge.ok").inner_text() == "Complete"
    number = office.page.inner_text("h1")

    # a second chain: a key lent for a request and taken back with no visit recorded
    unit2, number2 = _unit_with_residents(server, 6)
    second = log_request(desk, number2, unit2, "借匙檢查天花滲水")
    loan2 = desk.lend(_free_key(server, 1), "吳家豪", kind="staff")
    link_key(desk, second, loan2)
    take_back(desk, loan2)
    desk.wait_synced()
    office.page.goto(f"{server.url}/office/repairs/{second}")
    assert chain.locator(".badge.status-overdue").inner_text() == "Exception"
    second_number = office.page.inner_text("h1")
    office.page.goto(f"{server.url}/office/repairs/chain")
    listed = office.page.inner_text("main")
    assert _number(second_number) in listed
    assert _number(number) not in listed


def _number(heading: str) -> str:
    """The request number in a request page's heading."""
    return next(w for w in heading.split() if w.startswith("R-"))
