"""The office's front-desk pages: the visitor register (filters, the cut-off hour's exception
in SQL and in Python, the export), the shift handovers (the summary read generically, the
exceptions handed over unresolved), the office home's counts and who may see what — on
SQLite and PostgreSQL, every record written through the mutations. Passes and conflicts:
``test_desk_office_passes.py``."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from server.desk import cutoff
from server.desk.tables import Visitor
from server.settings import SettingsError, load_settings
from tests.integration.desk_office_support import (
    SUMMARY,
    ago,
    check,
    desk_estate,
    device_key,
    handover,
    issue,
    local,
    receive,
    seed_visitors,
    sign_in_en,
    visitor_in,
    visitor_out,
)
from tests.integration.office_keys_support import Estate


@pytest.fixture
async def de(factory: Any) -> Estate:
    return await desk_estate(factory)


NAMES = ("陳大文", "李小明", "張三", "王五", "景華訪客")


def shown(html: str) -> set[str]:
    return {n for n in NAMES if n in html}


# --- the visitor register ------------------------------------------------------------------

async def test_the_register_filters_flags_the_cut_off_and_scopes(client: Any, de: Estate
                                                                 ) -> None:
    e = de
    ids = await seed_visitors(e)
    await sign_in_en(client, "boss")
    page = await client.get("/office/desk/visitors")
    assert page.status_code == 200
    assert shown(page.text) == {"陳大文", "李小明", "張三", "王五"}  # not B's
    assert "By phone: 91234567" in page.text and "陳太" in page.text  # who confirmed
    assert "4 found" in page.text
    assert page.text.count("Past the cut-off</span>") == 2  # 李小明 and 張三
    assert "HKID card · 123A" in page.text

    async def only(query: str) -> set[str]:
        r = await client.get(f"/office/desk/visitors?{query}")
        assert r.status_code == 200, query
        return shown(r.text)

    assert await only("show=inside") == {"李小明"}
    assert await only("show=late") == {"李小明", "張三"}
    assert await only("show=late_inside") == {"李小明"}
    assert await only("show=out") == {"陳大文", "張三", "王五"}
    assert await only("unit=a-02") == {"李小明", "王五"}
    assert await only("q=陳大") == {"陳大文"}
    assert await only("q=v-77") == {"王五"}  # the badge, ignoring case
    day = local(3, 12).astimezone(cutoff.estate_zone()).date().isoformat()
    assert await only(f"date_from={day}&date_to={day}") == {"張三"}
    assert await only(f"date_to={day}") == {"張三"}
    assert await only("date_from=not-a-day&show=nonsense") == {"陳大文", "李小明", "張三", "王五"}
    assert (await client.get(f"/office/desk/visitors?site={e.b}")).status_code == 404
    assert (await client.get(f"/office/desk/visitors/{ids['景華訪客']}")).status_code == 404
    one = await client.get(f"/office/desk/visitors/{ids['李小明']}")
    assert one.status_code == 200
    assert "61234567" in one.text and "Still inside" in one.text and "23:00" in one.text

    await sign_in_en(client, "root")
    assert shown((await client.get(f"/office/desk/visitors?site={e.b}")).text) == {"景華訪客"}


async def test_the_cut_off_reads_the_same_in_sql_and_in_python(de: Estate) -> None:
    """Every visitor is flagged by the database (either one) exactly when Python flags it,
    for a cut-off of 18:30 and a moment in the middle of the afternoon."""
    e = de
    at = local(1, 15)
    cases = [(local(2, 10), local(2, 18)), (local(2, 10), local(2, 18, 30)),
             (local(2, 10), local(2, 18, 31)), (local(2, 19), local(2, 19, 10)),
             (local(2, 10), None), (local(1, 10), None), (local(1, 9), local(1, 14)),
             (local(3, 23, 50), local(2, 0, 20)), (local(2, 1), local(1, 1))]
    for n, (time_in, time_out) in enumerate(cases):
        vid = await visitor_in(e, f"訪客{n}", e.u1, time_in, resident=e.resident)
        if time_out is not None:
            await visitor_out(e, vid, time_out)
    try:
        cutoff.configure("18:30")
        engine = str(Visitor._meta.db.engine_type)
        late = {str(r["id"]) for r in await Visitor.select(Visitor.id).where(
            cutoff.late_clause(engine, at=at))}
        rows = await Visitor.select(Visitor.id, Visitor.name, Visitor.time_in,
                                    Visitor.time_out)
        expected = {str(r["id"]) for r in rows if cutoff.is_late(r["time_in"], r["time_out"], at)}
        flagged = {r["name"] for r in rows if str(r["id"]) in late}
    finally:
        cutoff.configure(cutoff.DEFAULT)
    assert late == expected
    # after 18:30: left later, came later, still inside from an earlier day, left next day
    assert flagged == {"訪客2", "訪客3", "訪客4", "訪客7", "訪客8"}


def test_the_cut_off_setting_is_an_hour(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).visitor_cutoff == "23:00"
    assert load_settings({"CARETAKER_VISITOR_CUTOFF": "21:45"}).visitor_cutoff == "21:45"
    for bad in ("24:00", "9:30", "21.45", "late"):
        with pytest.raises(SettingsError, match="CARETAKER_VISITOR_CUTOFF"):
            load_settings({"CARETAKER_VISITOR_CUTOFF": bad})


async def test_the_register_exports_its_filtered_rows(client: Any, de: Estate) -> None:
    e = de
    await seed_visitors(e)
    await sign_in_en(client, "boss")
    r = await client.get("/office/desk/visitors/export.csv?show=out")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="visitors-HYG-' in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["Site", "Visitor's name", "ID type"]
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"陳大文", "張三", "王五"}
    assert by_name["王五"]["Confirmed by"] == "By phone: 98765432"
    assert by_name["王五"]["Purpose"] == "'=HYPERLINK(\"x\")"  # kept as text
    assert by_name["張三"]["Stayed past the cut-off"] == "Yes"
    assert by_name["陳大文"]["Confirmed by"] == "陳太"
    assert by_name["陳大文"]["Time in"].endswith("10:00:00")

    x = await client.get("/office/desk/visitors/export.xlsx?show=inside")
    assert x.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][1] == "Visitor's name" and [v[1] for v in values[1:]] == ["李小明"]
    assert (await client.get(f"/office/desk/visitors/export.csv?site={e.b}")).status_code == 404


async def test_the_export_streams_more_than_one_batch_in_order(client: Any, de: Estate,
                                                               monkeypatch: Any) -> None:
    from server.desk import visitors as visitor_rows

    e = de
    monkeypatch.setattr(visitor_rows, "BATCH", 3)
    start = ago(100)
    for n in range(8):
        await visitor_in(e, f"訪客{n:02d}", e.u1, start + timedelta(minutes=n // 2),
                         resident=e.resident)
    await sign_in_en(client, "boss")
    text = (await client.get("/office/desk/visitors/export.csv")).content.decode()
    names = [row[1] for row in csv.reader(io.StringIO(text[1:]))][1:]
    assert sorted(names) == [f"訪客{n:02d}" for n in range(8)]  # none twice, none lost
    assert names[:2] in (["訪客07", "訪客06"], ["訪客06", "訪客07"])  # newest first


# --- shift handovers -----------------------------------------------------------------------

async def test_handovers_history_and_the_exceptions_handed_over_unresolved(
        client: Any, de: Estate) -> None:
    e = de
    handed = await handover(e, SUMMARY, end=ago(20), notes="大堂冷氣機滴水，已報修")
    await receive(e, handed, ago(19.9))
    quiet = await handover(e, {"keys_out": 0, "keys_overdue": [], "visitors_inside": []},
                           end=ago(12), who="guard", name="李保安")
    odd = await handover(e, {"rounds_done": 2, "parcels": 7, "weather": "typhoon 8",
                             "rounds_missed": ["A座天台"]}, end=ago(4))
    other = await handover(e, SUMMARY, end=ago(4), site=e.b, who="deskb")
    await sign_in_en(client, "boss")
    page = await client.get("/office/desk/handovers")
    assert page.status_code == 200
    ids = {"handed": handed, "quiet": quiet, "odd": odd, "other": other}

    async def only(query: str) -> set[str]:
        r = await client.get(f"/office/desk/handovers?{query}")
        assert r.status_code == 200, query
        return {k for k, v in ids.items() if f"/office/desk/handovers/{v}" in r.text}

    assert await only("") == {"handed", "quiet", "odd"}
    assert await only("show=waiting") == {"quiet", "odd"}
    assert await only("show=received") == {"handed"}
    assert await only("show=unresolved") == {"handed", "odd"}
    day = ago(12).astimezone(cutoff.estate_zone()).date().isoformat()
    assert "quiet" in await only(f"date_from={day}&date_to={day}")
    assert "Waiting to be received" in page.text and "李保安" in page.text

    one = (await client.get(f"/office/desk/handovers/{handed}")).text
    unresolved = one.split('id="open-title"', 1)[1].split("</section>", 1)[0]
    for text in ("Keys overdue", "HYG-K001 · 陳大文", "Rounds missed", "夜更路線 02:00",
                 "Open incidents", "B座走廊漏水", "Visitors still inside", "李小明 · A-02A"):
        assert text in unresolved, text
    assert "Open repair requests" not in unresolved  # an empty list is nothing to hand over
    assert "Cards in stock" in one and ">40<" in one.replace(" ", "")
    assert "大堂冷氣機滴水，已報修" in one
    assert one.count(f'src="/office/blobs/{e.photo}"') == 2  # both signatures
    assert "signed on their own phone as" in one  # the guard received it on their phone
    assert "李保安" in one and "黃嘉欣" in one

    strange = (await client.get(f"/office/desk/handovers/{odd}")).text
    assert "parcels" in strange and "typhoon 8" in strange and "A座天台" in strange
    assert (await client.get(f"/office/desk/handovers/{other}")).status_code == 404
    assert (await client.get(f"/office/desk/handovers?site={e.b}")).status_code == 404


# --- the office home, access ---------------------------------------------------------------

async def test_the_office_home_counts_the_desks_exceptions(client: Any, de: Estate) -> None:
    e = de
    await seed_visitors(e)  # 李小明 still inside since two days ago at 22:00 (B's too)
    key = await device_key(e)
    pid, code = await issue(e, key, "GP-300")
    at = ago(0)
    await check(e, pid, "GP-300", code, outcome="mismatch", note="多了一部電視", at=at)
    await check(e, pid, "GP-300", code, outcome="refused", verdict="used", at=at)
    await handover(e, SUMMARY, end=ago(1))
    today = at.astimezone(cutoff.estate_zone()).date() == ago(0).astimezone(
        cutoff.estate_zone()).date()
    await sign_in_en(client, "boss")
    home = (await client.get("/office")).text

    def count_of(label: str) -> int:
        part = home.split(label, 1)[0].rsplit("<strong>", 1)[1]
        return int(part.split("</strong>", 1)[0])

    assert count_of("Visitors still inside past the cut-off") == 1
    assert count_of("Passes refused at the gate today") == int(today)
    assert count_of("Goods not matching their pass today") == int(today)
    assert count_of("Handovers waiting to be received") == 1
    assert 'href="/office/desk/visitors"' in home  # the top bar's entry
    await sign_in_en(client, "root")
    home = (await client.get("/office")).text
    assert count_of("Visitors still inside past the cut-off") == 2  # both sites


DESK_PAGES = ("/office/desk/visitors", "/office/desk/visitors/export.csv",
              "/office/desk/visitors/export.xlsx", "/office/desk/passes",
              "/office/desk/passes/export.csv", "/office/desk/passes/export.xlsx",
              "/office/desk/handovers", "/office/desk/conflicts")


@pytest.mark.parametrize("who", ["desk", "guard"])
async def test_the_front_desk_and_the_gate_cannot_open_office_desk_pages(
        client: Any, de: Estate, who: str) -> None:
    e = de
    vid = await visitor_in(e, "李小明", e.u2, ago(5), phone_number="91234567")
    key = await device_key(e)
    pid, code = await issue(e, key, "GP-400")
    cid = await check(e, pid, "GP-400", code)
    hid = await handover(e, SUMMARY, end=ago(1))
    await sign_in_en(client, who)
    for path in (*DESK_PAGES, f"/office/desk/visitors/{vid}", f"/office/desk/passes/{pid}",
                 f"/office/desk/checks/{cid}", f"/office/desk/handovers/{hid}"):
        assert (await client.get(path, follow_redirects=False)).status_code == 403, path


async def test_a_supervisor_sees_only_their_sites_desk_records(client: Any, de: Estate
                                                               ) -> None:
    e = de
    vid = await visitor_in(e, "景華訪客", e.ub, ago(5), site=e.b, phone_number="23456789",
                           who="deskb")
    key = await device_key(e, e.b, "deskb")
    pid, code = await issue(e, key, "GP-B", unit=e.ub, site=e.b, who="deskb")
    cid = await check(e, pid, "GP-B", code, site=e.b, who="root")
    orphan = await check(e, str(uuid.uuid4()), "GP-B2", code, site=e.b, who="root")
    hid = await handover(e, SUMMARY, end=ago(1), site=e.b, who="deskb")
    await sign_in_en(client, "boss")
    for path in DESK_PAGES:
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "景華" not in r.content.decode("utf-8", "replace") or path.endswith(".xlsx")
        assert "GP-B" not in r.text or path.endswith(".xlsx"), path
        assert (await client.get(f"{path}?site={e.b}")).status_code == 404 \
            or path.endswith("conflicts"), path
    for path in (f"/office/desk/visitors/{vid}", f"/office/desk/passes/{pid}",
                 f"/office/desk/checks/{cid}", f"/office/desk/checks/{orphan}",
                 f"/office/desk/handovers/{hid}", "/office/desk/passes/not-a-uuid"):
        assert (await client.get(path)).status_code == 404, path
    await sign_in_en(client, "root")
    for path in (f"/office/desk/visitors/{vid}", f"/office/desk/passes/{pid}",
                 f"/office/desk/handovers/{hid}"):
        assert (await client.get(path)).status_code == 200, path
