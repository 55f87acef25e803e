"""Review states are filters on every office list of synced records (issue 12): key loans,
the patrol board, the card register (and a unit's card issues), the repair board, the
follow-up queue, the visitor register, the goods-out passes (and the gate checks whose pass
has not reached the server) and the shift handovers. For each: records marked through the
review core (:func:`server.review.marks.mark`), then ``?review=has_issues`` lists only them
with their badge, ``?review=unreviewed`` only the others, the filter keeps its choice, the
page links to the review list of the same records, and the export of the filter (CSV, and
the XLSX holding the same rows) carries the review's state and comment. On SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl import load_workbook

from server.accounts.schemas import CurrentUser
from server.lib.timezone import estate_zone
from server.review import marks
from tests.integration import cards_office_support as cards
from tests.integration import desk_office_support as desk
from tests.integration import patrol_office_support as patrol
from tests.integration import repairs_office_support as repairs
from tests.integration.office_keys_support import Estate, boss_user

ISSUE = "借用人電話未填"  # the comment of every "has issues" mark
BADGE = 'class="badge review-has_issues"'


async def exported(client: Any, url: str) -> list[dict[str, str]]:
    """The export's rows by header, after checking the XLSX holds the very same rows."""
    r = await client.get(url)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    x = await client.get(url.replace("export.csv", "export.xlsx"))
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    assert [["" if v is None else str(v) for v in row]
            for row in sheet.iter_rows(values_only=True)] == rows
    assert "Review" in rows[0] and "Review comment" in rows[0]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def review_href(record_type: str, site: str = "", state: str = "has_issues") -> str:
    site_part = f"&amp;site={site}" if site else ""
    return f'href="/office/review?type={record_type}{site_part}&amp;state={state}"'


async def filtered(client: Any, path: str, query: str, marked: list[str],
                   others: list[str], record_type: str, site: str = "") -> str:
    """The list with ``?review=has_issues`` shows ``marked`` only, with their badge;
    ``?review=unreviewed`` ``others`` only. The has-issues page's HTML."""
    sep = "&" if query else ""
    page = await client.get(f"{path}?{query}{sep}review=has_issues")
    assert page.status_code == 200, page.text
    html = page.text
    for text in marked:
        assert text in html, text
    for text in others:
        assert text not in html, text
    assert html.count(BADGE) == len(marked)
    assert '<option value="has_issues" selected>' in html
    assert review_href(record_type, site) in html
    exports = re.findall(r'href="([^"]*/export\.csv[^"]*)"', html)
    assert exports and all("review=has_issues" in e for e in exports), exports
    html = (await client.get(f"{path}?{query}{sep}review=unreviewed")).text
    for text in others:
        assert text in html, text
    for text in marked:
        assert text not in html, text
    assert BADGE not in html and "Not reviewed" in html
    assert review_href(record_type, site, "unreviewed") in html
    return page.text


def review_columns(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(r["Review"], r["Review comment"]) for r in rows}


# --- keys ------------------------------------------------------------------------------------

async def test_key_loans(client: Any, estate: Estate, loans: dict[str, str]) -> None:
    boss = boss_user(estate)
    assert await marks.mark(boss, "key_loan", [loans["out"], loans["overdue"]], "has_issues",
                            ISSUE) == 2
    await marks.mark(boss, "key_loan", [loans["returned"]], "approved", "")
    await desk.sign_in_en(client, "boss")
    html = await filtered(client, "/office/keys/loans", "", ["陳大文", "李小明"], ["王五"],
                          "key_loan")
    assert "張三" not in html  # approved
    approved = (await client.get("/office/keys/loans?review=approved")).text
    assert "張三" in approved and "陳大文" not in approved and "review-approved" in approved
    # an unknown state filters nothing
    assert "王五" in (await client.get("/office/keys/loans?review=bogus")).text
    rows = await exported(client, "/office/keys/loans/export.csv?review=has_issues")
    assert sorted(r["Borrower"] for r in rows) == ["李小明", "陳大文"]
    assert review_columns(rows) == {("Has issues", ISSUE)}
    rows = await exported(client, "/office/keys/loans/export.csv?review=unreviewed")
    assert [r["Borrower"] for r in rows] == ["王五"]  # not B's loan: not the boss's site
    assert review_columns(rows) == {("", "")}
    # the other filters still apply beside it
    both = (await client.get("/office/keys/loans?review=has_issues&status=overdue")).text
    assert "李小明" in both and "陳大文" not in both


# --- patrol ----------------------------------------------------------------------------------

async def test_patrol_board(client: Any, factory: Any) -> None:
    e = await patrol.patrol_estate(factory)
    morning = await patrol.a_round(e, slot=desk.local(1, 8), status="done", finished=True)
    evening = await patrol.a_round(e, slot=desk.local(1, 20), status="missed")
    boss = CurrentUser(id=e.boss, username="boss", display_name="boss", role="supervisor",
                       site_ids=(e.a,))
    await marks.mark(boss, "round", [morning], "has_issues", ISSUE)
    day = desk.local(1, 8).astimezone(estate_zone()).date().isoformat()
    await patrol.sign_in_en(client, "boss")
    await filtered(client, "/office/patrol", f"site={e.a}&day={day}",
                   [f"/office/patrol/rounds/{morning}"], [f"/office/patrol/rounds/{evening}"],
                   "round", e.a)
    rows = await exported(client, f"/office/patrol/export.csv?site={e.a}&day={day}"
                                  "&review=has_issues")
    assert [r["Planned start"] for r in rows] == [f"{day} 08:00"]
    assert review_columns(rows) == {("Has issues", ISSUE)}
    rows = await exported(client, f"/office/patrol/export.csv?site={e.a}&day={day}")
    assert review_columns(rows) == {("Has issues", ISSUE), ("", "")}


# --- cards -----------------------------------------------------------------------------------

async def test_card_register_and_a_units_issues(client: Any, factory: Any) -> None:
    e = await cards.cards_estate(factory)
    first = await cards.stock(e, e.a, "HYG-0001")
    await cards.stock(e, e.a, "HYG-0002")
    held = await cards.issue(e, e.u1, "HYG-0003")
    await marks.mark(cards.user_of(e), "card", [first], "has_issues", ISSUE)
    await cards.sign_in_en(client, "boss")
    await filtered(client, "/office/cards", "", ["HYG-0001"], ["HYG-0002", "HYG-0003"],
                   "card")
    rows = await exported(client, "/office/cards/export.csv?review=has_issues")
    assert [r["Card number"] for r in rows] == ["HYG-0001"]
    assert review_columns(rows) == {("Has issues", ISSUE)}
    # a unit's card issues show each issue's review
    unit = f"/office/cards/units/{e.u1}"
    assert BADGE not in (await client.get(unit)).text
    await marks.mark(cards.user_of(e), "card_issue", [held], "has_issues", ISSUE)
    html = (await client.get(unit)).text
    assert html.count(BADGE) == 1 and f'title="{ISSUE}"' in html


# --- repairs ---------------------------------------------------------------------------------

async def test_repair_board(client: Any, factory: Any) -> None:
    e = await repairs.repairs_estate(factory)
    leak = await repairs.report(e, unit=e.u1)
    lights = await repairs.report(e, unit=e.u3, category="electricity")
    await marks.mark(repairs.user_of(e, "boss"), "repair_request", [leak], "has_issues", ISSUE)
    await repairs.sign_in_en(client, "boss")
    leak_no, lights_no = await repairs.number_of(leak), await repairs.number_of(lights)
    html = await filtered(client, "/office/repairs", "", [leak_no], [lights_no],
                          "repair_request")
    assert "Still open (1)" in html  # the tabs count the filtered requests
    rows = await exported(client, "/office/repairs/export.csv?review=has_issues")
    assert [r["Request number"] for r in rows] == [leak_no]
    assert review_columns(rows) == {("Has issues", ISSUE)}


async def test_follow_ups(client: Any, factory: Any) -> None:
    e = await repairs.repairs_estate(factory)
    follows = []
    for unit in (e.u1, e.u2):
        request = await repairs.report(e, unit=unit)
        await repairs.assign(e, request, "tech")
        visit = await repairs.start_visit(e, request)
        await repairs.update_visit(e, visit, {"found": "喉管老化", "work_done": "更換喉管",
                                              "after_photos": [e.photo]})
        follows.append(await repairs.close_visit(e, visit, follow_up=True, satisfaction=1))
    await marks.mark(repairs.user_of(e, "boss"), "follow_up", [str(follows[0])], "has_issues",
                     ISSUE)
    await repairs.sign_in_en(client, "boss")
    html = await filtered(client, "/office/repairs/follow-ups", "show=due", ["A-01A"],
                          ["A-02A"], "follow_up")
    assert "To call (1)" in html
    rows = await exported(client, "/office/repairs/follow-ups/export.csv?show=due"
                                  "&review=has_issues")
    assert [r["Unit or area"] for r in rows] == ["A-01A"]
    assert review_columns(rows) == {("Has issues", ISSUE)}


# --- the front desk --------------------------------------------------------------------------

async def test_visitors_and_handovers(client: Any, factory: Any) -> None:
    e = await desk.desk_estate(factory)
    visitors = await desk.seed_visitors(e)
    early = await desk.handover(e, {"keys_out": 1}, end=desk.local(3, 8))
    late = await desk.handover(e, {"keys_out": 0}, end=desk.local(1, 8))
    boss = desk.user_of(e, "boss")
    await marks.mark(boss, "visitor", [visitors["陳大文"]], "has_issues", ISSUE)
    await marks.mark(boss, "handover", [early], "has_issues", ISSUE)
    await desk.sign_in_en(client, "boss")
    await filtered(client, "/office/desk/visitors", f"site={e.a}", ["陳大文"],
                   ["李小明", "張三", "王五"], "visitor", e.a)
    rows = await exported(client, f"/office/desk/visitors/export.csv?site={e.a}"
                                  "&review=has_issues")
    assert [r["Visitor's name"] for r in rows] == ["陳大文"]
    assert review_columns(rows) == {("Has issues", ISSUE)}
    await filtered(client, "/office/desk/handovers", f"site={e.a}",
                   [f"/office/desk/handovers/{early}"], [f"/office/desk/handovers/{late}"],
                   "handover", e.a)
    rows = await exported(client, f"/office/desk/handovers/export.csv?site={e.a}"
                                  "&review=has_issues")
    assert len(rows) == 1 and review_columns(rows) == {("Has issues", ISSUE)}
    rows = await exported(client, f"/office/desk/handovers/export.csv?site={e.a}"
                                  "&review=unreviewed")
    assert len(rows) == 1 and review_columns(rows) == {("", "")}


async def test_passes_and_gate_checks_without_their_pass(client: Any, factory: Any) -> None:
    e = await desk.desk_estate(factory)
    seeded = await desk.seed_passes(e)
    boss = desk.user_of(e, "boss")
    await marks.mark(boss, "goods_pass", [seeded["GP-001"][0]], "has_issues", ISSUE)
    await desk.sign_in_en(client, "boss")
    orphans = "Gate checks of passes not yet synced"
    html = await filtered(client, "/office/desk/passes", f"site={e.a}", ["GP-001"],
                          ["GP-002", "GP-003"], "goods_pass", e.a)
    assert orphans not in html  # no gate check is marked
    unreviewed = (await client.get(f"/office/desk/passes?site={e.a}&review=unreviewed")).text
    assert orphans in unreviewed and "GP-LATE" in unreviewed and "GP-FAKE" in unreviewed
    # a gate check without its pass, marked: listed under the passes marked alike
    late_check = seeded["late"][2]
    await marks.mark(boss, "pass_check", [late_check], "has_issues", ISSUE)
    html = (await client.get(f"/office/desk/passes?site={e.a}&review=has_issues")).text
    assert orphans in html and "GP-LATE" in html and "GP-FAKE" not in html
    assert html.count(BADGE) == 2
    rows = await exported(client, f"/office/desk/passes/export.csv?site={e.a}"
                                  "&review=has_issues")
    assert sorted(r["Pass number"] for r in rows) == ["GP-001", "GP-LATE"]
    assert review_columns(rows) == {("Has issues", ISSUE)}


async def test_marks_of_another_site_do_not_show(client: Any, factory: Any) -> None:
    """A review filter never widens a list: B's marked visitor stays out of A's list."""
    e = await desk.desk_estate(factory)
    visitors = await desk.seed_visitors(e)
    root = desk.user_of(e, "root")
    await marks.mark(root, "visitor", [visitors["景華訪客"]], "has_issues", ISSUE)
    await desk.sign_in_en(client, "boss")
    html = (await client.get(f"/office/desk/visitors?site={e.a}&review=has_issues")).text
    assert "景華訪客" not in html and BADGE not in html
    assert (await client.get(f"/office/desk/visitors?site={e.b}&review=has_issues")
            ).status_code == 404
