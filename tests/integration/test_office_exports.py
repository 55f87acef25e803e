"""Every office list exports what it lists: for lists of every domain (key loans, patrol
rounds, cards, repair requests, visitors, handovers, follow-ups, conflicts, rejections,
units), the CSV and the XLSX (read back with openpyxl) hold exactly the rows of the filtered
list — the same filter given to the page and to the export, one that leaves rows out; every
page of it, not only the one shown — and the page's export links keep its filters. A cell
a spreadsheet would run as a formula is kept as text. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.lib import exports
from server.lib.timezone import estate_zone
from server.patrol.tables import PatrolRoute
from tests.integration import cards_office_support as cards
from tests.integration import desk_office_support as desk
from tests.integration import patrol_office_support as patrol
from tests.integration import repairs_office_support as repairs
from tests.integration.office_keys_support import Estate

BOM = b"\xef\xbb\xbf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def exported(client: Any, base: str, query: str = "") -> list[list[str]]:
    """The list's CSV, after checking the XLSX holds the very same rows (header first)."""
    from openpyxl import load_workbook

    sep = "?" if query else ""
    c = await client.get(f"{base}/export.csv{sep}{query}")
    assert c.status_code == 200, c.text
    assert c.headers["content-type"].startswith("text/csv")
    assert re.search(r'attachment; filename="[\w.-]+\.csv"', c.headers["content-disposition"])
    assert c.content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"), newline="")))
    x = await client.get(f"{base}/export.xlsx{sep}{query}")
    assert x.status_code == 200
    assert x.headers["content-type"].startswith(XLSX)
    assert x.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    cells = [["" if v is None else str(v) for v in row]
             for row in sheet.iter_rows(values_only=True)]
    assert cells == rows  # the same rows in the same order
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # nothing runs as a formula
    return rows


def column(rows: list[list[str]], header: str) -> list[str]:
    at = rows[0].index(header)
    return [r[at] for r in rows[1:]]


def link(html: str, href: str) -> bool:
    """The page links to ``href`` (its ``&`` written as ``&amp;``)."""
    return f'href="{href.replace("&", "&amp;")}"' in html


# --- keys ------------------------------------------------------------------------------------

async def test_key_loans(client: Any, factory: Any, estate: Estate,
                         loans: dict[str, str]) -> None:
    await factory.key_loan(estate.key_a2, estate.desk, borrower="=HYPERLINK(1)", hours_ago=3)
    await desk.sign_in_en(client, "boss")
    rows = await exported(client, "/office/keys/loans", "status=out")
    assert sorted(column(rows, "Borrower")) == ["'=HYPERLINK(1)", "李小明", "陳大文"]
    page = (await client.get("/office/keys/loans?status=out")).text
    for name in ("陳大文", "李小明", "=HYPERLINK(1)"):
        assert name in page
    for name in ("張三", "王五", "外人"):  # returned, voided, another site's
        assert name not in page and name not in str(rows)
    assert link(page, "/office/keys/loans/export.csv?status=out")
    assert link(page, "/office/keys/loans/export.xlsx?status=out")
    # the first address of the CSV still answers
    old = await client.get("/office/keys/loans/export?status=returned")
    assert old.status_code == 200 and "張三" in old.content.decode("utf-8-sig")


# --- patrol ----------------------------------------------------------------------------------

def _local(day: int, hour: int) -> datetime:
    today = datetime.now(UTC).astimezone(estate_zone()).date() + timedelta(days=day)
    return datetime(today.year, today.month, today.day, hour, tzinfo=estate_zone()
                    ).astimezone(UTC)


async def test_patrol_rounds_of_the_boards_day(client: Any, factory: Any) -> None:
    e = await patrol.patrol_estate(factory)
    await PatrolRoute.update({PatrolRoute.name: "=夜更"}).where(PatrolRoute.id == e.route)
    await patrol.a_round(e, slot=_local(-1, 8), status="done", finished=True)
    await patrol.a_round(e, slot=_local(-1, 20), status="missed")
    await patrol.a_round(e, slot=_local(-2, 9), status="done", finished=True)
    day = _local(-1, 8).astimezone(estate_zone()).date().isoformat()
    await patrol.sign_in_en(client, "boss")
    query = f"site={e.a}&day={day}"
    rows = await exported(client, "/office/patrol", query)
    assert column(rows, "Planned start") == [f"{day} 08:00", f"{day} 20:00"]
    assert column(rows, "Status") == ["Done", "Missed"]
    assert column(rows, "Route") == ["'=夜更", "'=夜更"]
    assert column(rows, "Checkpoints") == ["0 / 3", "0 / 3"]
    page = (await client.get(f"/office/patrol?{query}")).text
    assert page.count('href="/office/patrol/rounds/') == 2
    assert link(page, f"/office/patrol/export.csv?{query}")
    quiet = _local(-5, 8).astimezone(estate_zone()).date().isoformat()
    assert len(await exported(client, "/office/patrol", f"site={e.a}&day={quiet}")) == 1
    assert (await client.get(f"/office/patrol/export.csv?site={e.b}")).status_code == 404


# --- cards -----------------------------------------------------------------------------------

async def test_the_card_register(client: Any, factory: Any) -> None:
    e = await cards.cards_estate(factory)
    await cards.stock(e, e.a, "HYG-0002")
    await cards.stock(e, e.b, "JHT-0001")
    await cards.issue(e, e.u1, "HYG-0001", holder="@SUM(1)")
    await cards.sign_in_en(client, "boss")
    rows = await exported(client, "/office/cards", "status=issued")
    assert column(rows, "Card number") == ["HYG-0001"]
    assert column(rows, "Holder") == ["'@SUM(1)"]
    page = (await client.get("/office/cards?status=issued")).text
    assert "HYG-0001" in page and "HYG-0002" not in page
    assert link(page, "/office/cards/export.csv?status=issued")
    assert column(await exported(client, "/office/cards"), "Card number") == [
        "HYG-0001", "HYG-0002"]  # not the other site's


# --- repairs ---------------------------------------------------------------------------------

async def test_the_request_board_and_the_follow_ups(client: Any, factory: Any) -> None:
    e = await repairs.repairs_estate(factory)
    leak = await repairs.report(e, unit=e.u1, description="+1+1")
    lights = await repairs.report(e, unit=e.u3, category="electricity")
    await repairs.report(e, unit=e.ub, site=e.b)
    await repairs.sign_in_en(client, "boss")
    rows = await exported(client, "/office/repairs", "category=water")
    assert column(rows, "Request number") == [await repairs.number_of(leak)]
    assert column(rows, "Description") == ["'+1+1"]
    page = (await client.get("/office/repairs?category=water")).text
    assert await repairs.number_of(leak) in page
    assert await repairs.number_of(lights) not in page
    assert link(page, "/office/repairs/export.xlsx?category=water")
    # the follow-up queue: a call due at A, another at B (not the boss's), both after a low
    # rating; none done
    for site, unit in ((e.a, e.u1), (e.b, e.ub)):
        request = await repairs.report(e, unit=unit, site=site)
        who = "tech" if site == e.a else "root"
        await repairs.assign(e, request, "tech" if site == e.a else "techb")
        visit = await repairs.start_visit(e, request, who=who)
        await repairs.update_visit(e, visit, {"found": "喉管老化", "work_done": "更換喉管",
                                              "after_photos": [e.photo]}, who=who)
        await repairs.close_visit(e, visit, follow_up=True, satisfaction=1, who=who)
    due = await exported(client, "/office/repairs/follow-ups", "show=due")
    assert len(due) == 2 and column(due, "Unit or area") == ["A-01A"]
    assert column(due, "Call overdue") == ["No"]
    assert column(due, "Why followed up") == ["Low rating"]
    assert await exported(client, "/office/repairs/follow-ups", "show=done") == [due[0]]
    page = (await client.get("/office/repairs/follow-ups?show=due")).text
    assert "A-01A" in page and "J-01A" not in page
    assert link(page, "/office/repairs/follow-ups/export.csv?show=due")
    empty = (await client.get("/office/repairs/follow-ups?show=done")).text
    assert "/follow-ups/export.csv" not in empty  # nothing to export: no links


# --- the front desk --------------------------------------------------------------------------

async def test_visitors_and_handovers(client: Any, factory: Any) -> None:
    e = await desk.desk_estate(factory)
    await desk.seed_visitors(e)
    early = await desk.handover(e, {"keys_out": 1, "visitors_inside": [{"label": "李小明"}]},
                                end=desk.local(3, 8), notes="-2 鎖匙")
    await desk.handover(e, {"keys_out": 0}, end=desk.local(1, 8))
    await desk.sign_in_en(client, "boss")
    rows = await exported(client, "/office/desk/visitors", "show=out")
    assert sorted(column(rows, "Visitor's name")) == sorted(["陳大文", "張三", "王五"])
    page = (await client.get("/office/desk/visitors?show=out")).text
    assert "王五" in page and "李小明" not in page
    day = desk.local(3, 8).astimezone(estate_zone()).date().isoformat()
    query = f"date_to={day}"
    rows = await exported(client, "/office/desk/handovers", query)
    assert len(rows) == 2 and column(rows, "Notes") == ["'-2 鎖匙"]
    assert column(rows, "Handed over unresolved") == ["Visitors still inside (1)"]
    page = (await client.get(f"/office/desk/handovers?{query}")).text
    assert f"/office/desk/handovers/{early}" in page
    assert link(page, f"/office/desk/handovers/export.csv?{query}")
    assert len(await exported(client, "/office/desk/handovers")) == 3


# --- the review console ----------------------------------------------------------------------

async def test_conflicts_and_rejections(client: Any, factory: Any, estate: Estate,
                                        loans: dict[str, str]) -> None:
    await factory.conflict(estate.a, [loans["out"]])
    await factory.conflict(estate.a, [loans["overdue"]])
    await factory.conflict(estate.a, [loans["returned"]], kind="field_overwritten")
    await factory.conflict(estate.a, [loans["voided"]], status="resolved")
    await factory.conflict(estate.b, [loans["other_site"]])
    await factory.rejection(estate.a, staff=estate.desk, reason="=1+1")
    await factory.rejection(estate.a, staff=estate.desk, code="forbidden_site")
    await factory.rejection(estate.a, staff=estate.desk, status="resolved")
    await desk.sign_in_en(client, "boss")

    rows = await exported(client, "/office/conflicts", "kind=double_loan")
    assert column(rows, "Kind") == ["Same key lent twice"] * 2
    assert sorted(column(rows, "Records")) == ["李小明", "陳大文"]  # the loans' titles
    assert column(rows, "Status") == ["Open", "Open"]
    page = (await client.get("/office/conflicts?kind=double_loan")).text
    assert page.count('class="rowlink"') == 2
    assert link(page, "/office/conflicts/export.csv?status=open&kind=double_loan")
    everything = await exported(client, "/office/conflicts", "status=all")
    assert len(everything) == 5  # A's four (not B's), header first
    # a domain's own page exports its stream's conflicts, through the inbox's export
    keys_page = (await client.get("/office/keys/conflicts")).text
    assert link(keys_page, "/office/conflicts/export.csv?status=open&stream=keys")
    assert len(await exported(client, "/office/conflicts", "stream=keys")) == 4
    assert len(await exported(client, "/office/conflicts", "stream=cards")) == 1

    rows = await exported(client, "/office/sync/rejections", "kind=unknown_key")
    assert column(rows, "Reason") == ["Unknown key"]
    assert column(rows, "Message") == ["'=1+1"]
    page = (await client.get("/office/sync/rejections?kind=unknown_key")).text
    assert page.count('class="rowlink"') == 1
    assert link(page, "/office/sync/rejections/export.xlsx?status=open&kind=unknown_key")
    assert len(await exported(client, "/office/sync/rejections", "status=all")) == 4


# --- the estate's lists: every page, not only the one shown -----------------------------------

async def test_units_every_page(client: Any, factory: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "BATCH", 7)  # several batches: none twice, none lost
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    await factory.staff("boss", role="supervisor", sites=(a,))
    ba, bb = await factory.building(a, code="A"), await factory.building(a, code="B")
    for n in range(55):
        await factory.unit(a, ba, number=f"A-{n:02d}")
    await factory.unit(a, bb, number="-B-01")
    await factory.unit(b, number="J-01")
    await desk.sign_in_en(client, "boss")
    rows = await exported(client, "/office/units", f"building={ba}")
    assert column(rows, "Unit number") == [f"A-{n:02d}" for n in range(55)]
    page = (await client.get(f"/office/units?building={ba}")).text
    shown = re.findall(r'href="/office/units/[0-9a-f-]{36}"', page)
    assert "55 found" in page and len(shown) == 50  # the page shows one page of 50
    assert link(page, f"/office/units/export.csv?building={ba}")
    rows = await exported(client, "/office/units", "q=B-")
    assert column(rows, "Unit number") == ["'-B-01"]
    assert column(rows, "Status") == ["Active"]
    assert len(await exported(client, "/office/units")) == 57  # A's only


@pytest.mark.parametrize("path", ["/office/sites", "/office/buildings", "/office/residents",
                                  "/office/keys", "/office/staff"])
async def test_every_reference_list_exports(client: Any, factory: Any, estate: Estate,
                                            path: str) -> None:
    await factory.staff("root", role="admin")
    await factory.resident(estate.a, estate.unit_a, name="陳大文")
    await desk.sign_in_en(client, "root")
    page = (await client.get(path)).text
    found = int(re.search(r"(\d+) found", page).group(1))  # type: ignore[union-attr]
    rows = await exported(client, path)
    assert len(rows) == found + 1 and found > 0
