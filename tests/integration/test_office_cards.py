"""The office's card pages: the register's filters and search (scoped to the user's sites),
a unit's cards and quota, the stock import (a good file; a bad row stores nothing), issuing
a card from the office (a bad form re-rendered with its messages, nothing stored), the
card's actions, CSV and XLSX exports matching the filters, monthly figures, the conflict's
"lift the blacklist" and the side-by-side conflicts — on SQLite and PostgreSQL (the demo
estate's cards: ``test_office_cards_demo.py``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from server.cards import figures
from server.cards.tables import Card, CardIssue
from server.sync import office
from server.sync.tables import AuditEntry, Blob, Conflict
from sync.context import iso
from tests.factories import csrf_from
from tests.integration.cards_office_support import (
    cards_estate,
    days_ago,
    issue,
    png,
    sign_in_en,
    stock,
    user_of,
)
from tests.integration.office_keys_support import Estate


@pytest.fixture
async def ce(factory: Any) -> Estate:
    return await cards_estate(factory)


async def _post(client: Any, page: str, url: str, data: dict[str, Any],
                files: dict[str, Any] | None = None) -> Any:
    token = csrf_from((await client.get(page)).text)
    return await client.post(url, data={**data, "_csrf_token": token}, files=files)


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/office/cards", "/office/cards/units", "/office/cards/issue",
                                  "/office/cards/stock", "/office/cards/figures",
                                  "/office/cards/to-revoke", "/office/cards/export.csv",
                                  "/office/cards/import", "/office/cards/zones"])
async def test_the_front_desk_cannot_open_office_card_pages(client: Any, ce: Estate,
                                                           path: str) -> None:
    await sign_in_en(client, "desk")
    assert (await client.get(path)).status_code == 403


# --- the register --------------------------------------------------------------------------

async def test_register_filters_search_and_scope(client: Any, ce: Estate) -> None:
    await stock(ce, ce.a, "HYG-0001")
    await stock(ce, ce.a, "HYG-0002", batch="2026-06")
    await stock(ce, ce.b, "JHT-0001")
    await issue(ce, ce.u1, "HYG-0001", holder="陳大文")
    await issue(ce, ce.u3, "HYG-0003", holder="李小明", at=days_ago(715))  # expiring soon
    lost = await issue(ce, ce.u2, "HYG-0004", holder="張三")
    card4 = (await CardIssue.select(CardIssue.card).where(CardIssue.id == lost).first())["card"]
    await office.apply(user_of(ce, "root"), [("card.report_lost", {
        "card_id": str(card4), "issue_id": lost, "reported_at": iso(days_ago(1))})])
    await sign_in_en(client, "boss")
    page = (await client.get("/office/cards")).text
    assert all(n in page for n in ("HYG-0001", "HYG-0002", "HYG-0003", "HYG-0004"))
    assert "JHT-0001" not in page  # another site's stock
    assert "waiting for the door system" in page

    def shown(html: str) -> set[str]:
        return {n for n in ("HYG-0001", "HYG-0002", "HYG-0003", "HYG-0004") if n in html}

    assert shown((await client.get("/office/cards?status=issued")).text) == {
        "HYG-0001", "HYG-0003"}
    assert shown((await client.get("/office/cards?status=blacklisted")).text) == {"HYG-0004"}
    assert shown((await client.get("/office/cards?status=in_stock")).text) == {"HYG-0002"}
    assert shown((await client.get(f"/office/cards?building={ce.bb}")).text) == {"HYG-0003"}
    assert shown((await client.get(f"/office/cards?unit={ce.u1}")).text) == {"HYG-0001"}
    assert shown((await client.get("/office/cards?expiry=30")).text) == {"HYG-0003"}
    assert shown((await client.get("/office/cards?registered=no")).text) == {
        "HYG-0003", "HYG-0004"}  # issued at the desk before the stock knew them
    assert shown((await client.get("/office/cards?q=李小明")).text) == {"HYG-0003"}
    assert shown((await client.get("/office/cards?q=a-01")).text) == {"HYG-0001"}
    fragment = await client.get("/office/cards?q=0002", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and shown(fragment.text) == {"HYG-0002"}
    other = await Card.select(Card.id).where(Card.number == "JHT-0001").first()
    assert (await client.get(f"/office/cards/{other['id']}")).status_code == 404
    assert shown((await client.get(f"/office/cards?site={ce.b}")).text) == set()


async def test_exports_match_the_filters(client: Any, ce: Estate) -> None:
    from openpyxl import load_workbook

    await stock(ce, ce.a, "HYG-0002")
    await stock(ce, ce.b, "JHT-0001")
    await issue(ce, ce.u1, "HYG-0001", holder="=HYPERLINK(1)")
    await sign_in_en(client, "boss")
    r = await client.get("/office/cards/export.csv?status=issued")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Site", "Card number", "Chip UID"]
    assert [row[1] for row in rows[1:]] == ["HYG-0001"]
    assert rows[1][8] == "'=HYPERLINK(1)"  # a formula stays text
    r = await client.get("/office/cards/export.xlsx?q=HYG")
    book = load_workbook(io.BytesIO(r.content))
    numbers = sorted(row[1] for row in book.active.iter_rows(min_row=2, values_only=True))
    assert numbers == ["HYG-0001", "HYG-0002"]


async def test_the_register_form_stocks_and_corrects_through_the_rules(client: Any,
                                                                       ce: Estate) -> None:
    await stock(ce, ce.a, "HYG-0001")
    await sign_in_en(client, "boss")
    r = await _post(client, "/office/cards/new", "/office/cards", {
        "site": ce.a, "number": "HYG-0001", "technology": "ic"})
    assert r.status_code == 400
    assert "Another card of this site already has this number." in r.text
    r = await _post(client, "/office/cards/new", "/office/cards", {
        "site": ce.a, "number": "HYG-0100", "technology": "cpu", "batch": "2026-11"})
    assert r.status_code == 200 and "Created." in r.text
    card = await Card.select().where(Card.number == "HYG-0100").first()
    assert (card["status"], card["technology"], card["registered"]) == ("in_stock", "cpu", True)
    r = await _post(client, f"/office/cards/{card['id']}", f"/office/cards/{card['id']}", {
        "uid": "04AABBCC", "technology": "cpu", "batch": "2026-12", "notes": ""})
    assert r.status_code == 200 and "Changes saved." in r.text
    assert (await Card.select(Card.batch).where(Card.id == card["id"]).first())["batch"] == \
        "2026-12"
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.record_id == str(card["id"]))]
    assert actions == ["card.stock", "card.update"]


async def test_the_set_up_lists(client: Any, ce: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await _post(client, "/office/cards/zones/new", "/office/cards/zones", {
        "site": ce.a, "code": "LOBBY-A", "name": "重複", "kind": "door"})
    assert r.status_code == 400 and "Another zone of this site already has this code." in r.text
    r = await _post(client, "/office/cards/zones/new", "/office/cards/zones", {
        "site": ce.a, "code": "CARPARK", "name": "停車場", "kind": "car_park"})
    assert r.status_code == 200
    r = await _post(client, "/office/cards/policies/new", "/office/cards/policies", {
        "site": ce.a, "quota": "3", "validity_days": "365", "fee": "0", "deposit": "0"})
    assert r.status_code == 400 and "already has a card policy" in r.text
    r = await _post(client, "/office/cards/quotas/new", "/office/cards/quotas", {
        "site": ce.a, "unit_number": "Z-99", "quota": "3"})
    assert r.status_code == 400 and "No unit Z-99 at this site." in r.text


# --- a unit's cards and quota --------------------------------------------------------------

async def test_a_units_cards_and_quota(client: Any, ce: Estate) -> None:
    await issue(ce, ce.u1, "HYG-0001", holder="陳大文", resident=ce.r1)
    returned = await issue(ce, ce.u1, "HYG-0002", holder="陳太")
    card2 = (await CardIssue.select(CardIssue.card).where(CardIssue.id == returned).first())
    await office.apply(user_of(ce, "root"), [("card.return", {
        "card_id": str(card2["card"]), "issue_id": returned, "returned_at": iso(days_ago(1)),
        "deposit_refunded": 100})])
    await sign_in_en(client, "boss")
    page = (await client.get(f"/office/cards/units/{ce.u1}")).text
    assert "1 of 2 cards" in page
    assert "HYG-0001" in page and "HYG-0002" in page and "Returned" in page
    await issue(ce, ce.u1, "HYG-0003", holder="陳小明")
    page = (await client.get(f"/office/cards/units/{ce.u1}")).text
    assert "2 of 2 cards" in page and "Quota reached" in page
    # the unit's own quota, through the set-up list
    r = await _post(client, "/office/cards/quotas/new", "/office/cards/quotas", {
        "site": ce.a, "unit_number": "A-01A", "quota": "5", "notes": "大家庭"})
    assert r.status_code == 200, r.text
    page = (await client.get(f"/office/cards/units/{ce.u1}")).text
    assert "2 of 5 cards" in page and "own quota" in page
    found = await client.get(f"/office/cards/units?site={ce.a}&q=A-0")
    assert "A-01A" in found.text and "A-02A" in found.text and "B-01A" not in found.text
    assert (await client.get(f"/office/cards/units/{ce.ub}")).status_code == 404


# --- the stock import ----------------------------------------------------------------------

async def test_a_good_stock_file_is_imported_in_one_batch(client: Any, ce: Estate) -> None:
    await sign_in_en(client, "boss")
    body = ("卡號,晶片號,類型,批次\r\nHYG-1001,04A1B2C3,IC,\r\nhyg-1002,,CPU卡,2026-09\r\n"
            "HYG-1003,,,\r\n").encode("utf-8-sig")
    r = await _post(client, f"/office/cards/import?site={ce.a}", "/office/cards/import",
                    {"site": ce.a, "batch": "2026-08"},
                    files={"file": ("stock.csv", body, "text/csv")})
    assert r.status_code == 200 and "3 cards put into the stock" in r.text
    cards = {c["number"]: c for c in await Card.select().where(Card.site == ce.a)}
    assert set(cards) == {"HYG-1001", "HYG-1002", "HYG-1003"}
    assert cards["HYG-1001"]["uid"] == "04A1B2C3" and cards["HYG-1001"]["batch"] == "2026-08"
    assert cards["HYG-1002"]["technology"] == "cpu" and cards["HYG-1002"]["batch"] == "2026-09"
    assert {c["status"] for c in cards.values()} == {"in_stock"}
    assert await AuditEntry.count().where(AuditEntry.action == "card.stock") == 3
    stock_page = (await client.get(f"/office/cards/stock?site={ce.a}")).text
    assert "2026-08" in stock_page and "2026-09" in stock_page


async def test_a_bad_row_stores_nothing(client: Any, ce: Estate) -> None:
    from openpyxl import Workbook

    await stock(ce, ce.a, "HYG-0001")
    book = Workbook()
    sheet = book.active
    for row in (("card number", "chip UID", "technology", "batch"),
                ("HYG-2001", "", "ic", ""), ("HYG 2002", "", "ic", ""),
                ("HYG-2003", "", "magnetic", ""), ("HYG-0001", "", "", ""),
                ("HYG-2001", "", "", "")):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    await sign_in_en(client, "boss")
    before = await Card.count()
    r = await _post(client, "/office/cards/import", "/office/cards/import", {"site": ce.a},
                    files={"file": ("stock.xlsx", out.getvalue(), "application/octet-stream")})
    assert r.status_code == 400
    assert "Nothing was imported: 4 rows need correcting." in r.text
    assert "Row 3" in r.text and "Row 4" in r.text and "Row 5" in r.text and "Row 6" in r.text
    assert "Row 2:" not in r.text
    assert "already in this site&#39;s stock" in r.text and "also on row 2" in r.text
    assert await Card.count() == before
    r = await _post(client, "/office/cards/import", "/office/cards/import", {"site": ce.a})
    assert r.status_code == 400 and "Choose a CSV or XLSX file." in r.text


# --- issuing a card from the office --------------------------------------------------------

async def test_a_bad_issue_form_comes_back_with_messages_and_stores_nothing(
        client: Any, ce: Estate) -> None:
    await stock(ce, ce.a, "HYG-0001")
    await sign_in_en(client, "boss")
    page = await client.get(f"/office/cards/issue?unit={ce.u1}")
    assert page.status_code == 200 and "This unit holds 0 of 2 cards." in page.text
    once = page.text.split('name="once" value="')[1].split('"')[0]
    form = {"once": once, "unit": ce.u1, "card_number": "HYG-0001", "technology": "ic",
            "holder_name": "黃生", "relation": "proxy", "id_type": "hkid", "id_last4": "12",
            "scope": ["LOBBY-A", "NOWHERE"], "valid_until": "2020-01-01", "fee": "abc",
            "deposit": "100", "receipt_no": "R9"}
    r = await _post(client, f"/office/cards/issue?unit={ce.u1}", "/office/cards/issue", form)
    assert r.status_code == 400
    for text in ("Attach the scan of the form the holder signed.",
                 "A proxy needs a photo of the owner&#39;s authorisation letter.",
                 "A proxy needs the owner&#39;s confirmation by phone.",
                 "Enter exactly the last 4 characters of the ID.",
                 "The card must be valid after the day it is issued.",
                 "Enter an amount, e.g. 50 or 50.5."):
        assert text in r.text, text
    assert 'value="黃生"' in r.text and 'value="12"' not in r.text  # an ID part never shown
    assert await CardIssue.count() == 0 and await Blob.count() == 1
    # the zone the rules refuse, once the rest is right
    good = {**form, "relation": "owner", "id_last4": "123A", "valid_until": "2030-01-31",
            "fee": "50"}
    files = {"signature": ("form.png", png(), "image/png")}
    r = await _post(client, f"/office/cards/issue?unit={ce.u1}", "/office/cards/issue", good,
                    files=files)
    assert r.status_code == 400 and "Choose zones of this site that are in use." in r.text
    assert await CardIssue.count() == 0
    good["scope"] = ["LOBBY-A"]
    r = await _post(client, f"/office/cards/issue?unit={ce.u1}", "/office/cards/issue", good,
                    files=files)
    assert r.status_code == 200 and "Card issued." in r.text and "R9" in r.text
    row = await CardIssue.select().where(CardIssue.id == once).first()
    assert row["holder_name"] == "黃生" and row["issued_by"] is not None
    card = await Card.select().where(Card.number == "HYG-0001").first()
    assert card["status"] == "issued" and str(card["issue"]) == once
    # sent again (a double tap): one issue
    r = await _post(client, f"/office/cards/issue?unit={ce.u1}", "/office/cards/issue", good,
                    files=files)
    assert r.status_code == 200 and await CardIssue.count() == 1


# --- a card's actions ----------------------------------------------------------------------

async def test_report_lost_revoke_and_lift_from_the_office(client: Any, ce: Estate) -> None:
    first = await issue(ce, ce.u1, "HYG-0001")
    card = str((await CardIssue.select(CardIssue.card).where(
        CardIssue.id == first).first())["card"])
    await sign_in_en(client, "boss")
    page = f"/office/cards/{card}"
    r = await _post(client, page, f"{page}/revoke", {"reason": "  "})
    assert r.status_code == 400 and "Required." in r.text
    assert (await Card.select(Card.status).where(Card.id == card).first())["status"] == "issued"
    r = await _post(client, page, f"{page}/lost", {"reported_by": "陳大文", "notes": "街上遺失"})
    assert r.status_code == 200 and "Reported lost" in r.text
    row = await Card.select().where(Card.id == card).first()
    assert row["status"] == "lost" and row["door_taken_at"] is None
    ended = await CardIssue.select().where(CardIssue.id == first).first()
    assert ended["end_reason"] == "lost" and ended["ended_at"] is not None
    r = await _post(client, page, f"{page}/lift", {"reason": "卡已尋回"})
    assert r.status_code == 200 and "Blacklist lifted." in r.text
    assert (await Card.select(Card.status).where(Card.id == card).first())["status"] == \
        "in_stock"


async def test_issued_while_lost_is_resolved_by_lifting_the_blacklist(client: Any,
                                                                     ce: Estate) -> None:
    first = await issue(ce, ce.u1, "HYG-0001")
    card = str((await CardIssue.select(CardIssue.card).where(
        CardIssue.id == first).first())["card"])
    await office.apply(user_of(ce, "root"), [("card.report_lost", {
        "card_id": card, "issue_id": None, "reported_at": iso(days_ago(1))})])
    conflict = await Conflict.select().where(Conflict.kind == "issued_while_lost").first()
    assert conflict is not None
    await sign_in_en(client, "boss")
    url = f"/office/conflicts/{conflict['id']}"
    page = await client.get(url)
    assert "Lift the blacklist" in page.text and "Blacklisted" in page.text
    r = await _post(client, url, f"/office/cards/conflicts/{conflict['id']}/lift",
                    {"card": card, "reason": ""})
    assert r.status_code == 400 and "Required." in r.text
    r = await _post(client, url, f"/office/cards/conflicts/{conflict['id']}/lift",
                    {"card": card, "reason": "持卡人身份已核實"})
    assert r.status_code == 200
    done = await Conflict.select().where(Conflict.id == conflict["id"]).first()
    assert (done["status"], done["resolution"]) == ("resolved", "blacklist_lifted")
    assert (await Card.select(Card.status).where(Card.id == card).first())["status"] == \
        "issued"
    listed = await client.get("/office/cards/conflicts?status=all")
    assert "issued_while_lost" in listed.text or "blacklist" in listed.text.lower()
    # each opens on the review console's conflict page (cards have no detail page of their own)
    assert f'href="/office/conflicts/{conflict["id"]}"' in listed.text


async def test_double_issue_and_quota_exceeded_read_side_by_side(client: Any,
                                                                 ce: Estate) -> None:
    await stock(ce, ce.a, "HYG-0001")
    await issue(ce, ce.u1, "HYG-0001", holder="甲先生")
    await issue(ce, ce.u2, "HYG-0001", holder="乙小姐")  # the same card, another desk
    for n, holder in enumerate(("丙", "丁"), start=2):
        await issue(ce, ce.u1, f"HYG-000{n}", holder=holder)  # three for a quota of two
    kinds = {c["kind"]: c for c in await Conflict.select()}
    assert {"double_issue", "quota_exceeded"} <= set(kinds)
    await sign_in_en(client, "boss")
    double = (await client.get(f"/office/conflicts/{kinds['double_issue']['id']}")).text
    assert "Issue 1" in double and "Issue 2" in double
    assert "甲先生" in double and "乙小姐" in double and "A-02A" in double
    assert "The unit&#39;s cards" in double or "The unit's cards" in double
    quota = (await client.get(f"/office/conflicts/{kinds['quota_exceeded']['id']}")).text
    assert "Cards held" in quota and "A-01A" in quota and "丙" in quota
    home = (await client.get("/office")).text
    assert "Card quotas exceeded" in home
    page = (await client.get(f"/office/cards/units/{ce.u1}")).text
    assert "3 of 2 cards" in page and "Over the quota" in page


# --- figures -------------------------------------------------------------------------------

async def test_monthly_figures(client: Any, ce: Estate) -> None:
    old = await issue(ce, ce.u1, "HYG-0001", at=days_ago(95))
    await issue(ce, ce.u2, "HYG-0002", at=days_ago(400))  # before the twelve months
    await issue(ce, ce.u1, "HYG-0003", at=days_ago(2), replaces=old, reason="damaged")
    lines = {line["month"]: line for line in await figures.monthly(ce.a)}
    assert len(lines) == 12
    then, now = f"{days_ago(95):%Y-%m}", f"{days_ago(2):%Y-%m}"
    assert lines[then]["issued"] >= 1
    assert lines[now]["replaced"] == 1 and lines[now]["damaged"] == 1
    assert sum(line["issued"] for line in lines.values()) == 2
    await sign_in_en(client, "boss")
    page = await client.get("/office/cards/figures")
    assert page.status_code == 200 and "Monthly card figures" in page.text and now in page.text
