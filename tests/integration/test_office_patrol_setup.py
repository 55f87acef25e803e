"""The office's patrol set-up: checkpoints (create, edit, retire, re-issue a tag — the old
tag then refused to a phone), checklists written as lines, routes, schedules, the import of
checkpoints (CSV, XLSX), the QR label sheet, and who may open these pages."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

import pytest
import segno

from server.patrol.tables import (
    PatrolChecklist,
    PatrolCheckpoint,
    PatrolRetiredTag,
    PatrolRoute,
    PatrolScan,
    PatrolSchedule,
)
from server.sync.tables import AuditEntry, Rejection
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in
from tests.integration import sync_support as ss
from tests.integration.office_keys_support import Estate, post_form, space_version
from tests.integration.patrol_office_support import (
    a_round,
    hours_ago,
    patrol_estate,
    sign_in_en,
)


@pytest.fixture
async def estate(factory: Any) -> Estate:
    return await patrol_estate(factory)


PAGES = ["/office/patrol", "/office/patrol/exceptions", "/office/patrol/report",
         "/office/patrol/report.csv", "/office/patrol/report.xlsx", "/office/patrol/labels",
         "/office/patrol/import", "/office/patrol/checkpoints", "/office/patrol/checkpoints/new",
         "/office/patrol/checklists", "/office/patrol/routes", "/office/patrol/schedules/new"]


@pytest.mark.parametrize("who", ["guard", "desk"])
async def test_guards_and_front_desk_are_refused(client: Any, estate: Estate, who: str) -> None:
    await sign_in(client, who, TEST_PASSWORD)
    for path in PAGES:
        assert (await client.get(path)).status_code == 403, path
    token = csrf_from((await client.get("/home")).text)
    r = await client.post(f"/office/patrol/checkpoints/{estate.p1}/reissue",
                          data={"_csrf_token": token})
    assert r.status_code == 403
    assert await PatrolRetiredTag.count() == 0


async def test_every_page_opens_for_a_supervisor(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    for path in PAGES:
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get(f"/office/patrol/checkpoints/{estate.pb}")).status_code == 404
    assert (await client.get(f"/office/patrol/labels?site={estate.b}")).status_code == 404


async def test_a_form_without_csrf_is_refused(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await client.post(f"/office/patrol/checkpoints/{estate.p1}/reissue")
    assert r.status_code == 403
    assert await PatrolRetiredTag.count() == 0


async def test_create_edit_and_retire_a_checkpoint(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    before = await space_version(f"{estate.a}:patrol")
    r = await post_form(client, "/office/patrol/checkpoints/new", "/office/patrol/checkpoints",
                        {"site": estate.a, "code": "cp-09", "name": "天台", "kind": "roof",
                         "floor": "R", "place": "天台門", "checklist": estate.checklist})
    assert r.status_code == 200 and "CP-09" in r.text
    row = await PatrolCheckpoint.select().where(PatrolCheckpoint.code == "CP-09").first()
    assert row["kind"] == "roof" and str(row["checklist"]) == estate.checklist
    assert re.fullmatch(r"[A-Za-z0-9_\-]{24}", row["token"])
    assert row["token"] not in r.text  # never shown on the page
    assert await space_version(f"{estate.a}:patrol") > before
    # the same code again at the site: the form comes back with the error
    r = await post_form(client, "/office/patrol/checkpoints/new", "/office/patrol/checkpoints",
                        {"site": estate.a, "code": "CP-09", "name": "又一個"})
    assert r.status_code == 400 and "already has this code" in r.text
    url = f"/office/patrol/checkpoints/{row['id']}"
    r = await post_form(client, url, url, {"code": "CP-09", "name": "天台（東）",
                                           "kind": "roof", "checklist": ""})
    assert r.status_code == 200
    edited = await PatrolCheckpoint.select().where(PatrolCheckpoint.id == row["id"]).first()
    assert edited["name"] == "天台（東）" and edited["token"] == row["token"]
    r = await post_form(client, url, f"{url}/active", {"active": "0"})
    assert r.status_code == 200
    assert not (await PatrolCheckpoint.select().where(
        PatrolCheckpoint.id == row["id"]).first())["active"]
    actions = {a["action"] for a in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.record_id == str(row["id"]))}
    assert actions == {"office.create", "office.update", "office.deactivate"}


async def test_a_reissued_tag_is_refused_to_a_phone(client: Any, settings: Any,
                                                    estate: Estate) -> None:
    await sign_in_en(client, "boss")
    url = f"/office/patrol/checkpoints/{estate.p1}"
    r = await post_form(client, url, f"{url}/reissue", {})
    assert r.status_code == 200 and "new tag" in r.text
    row = await PatrolCheckpoint.select().where(PatrolCheckpoint.id == estate.p1).first()
    assert row["token"] != estate.t1
    retired = await PatrolRetiredTag.select().first()
    assert retired["token"] == estate.t1 and str(retired["checkpoint"]) == estate.p1
    assert retired["version"] == row["version"]
    rnd = await a_round(estate, slot=hours_ago(0.1))
    phone = await ss.phone(settings, estate.guard)

    def scan(token: str) -> dict:
        return phone.mutation("scan.record", {
            "scan_id": str(uuid.uuid4()), "round_id": rnd, "method": "qr",
            "token": token, "scanned_at": hours_ago(0.05).isoformat()})

    r = await client.post(ss.PUSH, headers=phone.headers, json=phone.body([scan(estate.t1)]))
    assert r.status_code == 200 and r.json()["rejected"] == 1, r.text
    assert [x["code"] for x in await Rejection.select(Rejection.code)] == ["tag_retired"]
    r = await client.post(ss.PUSH, headers=phone.headers, json=phone.body([scan(row["token"])]))
    assert r.status_code == 200 and r.json()["applied"] == 1, r.text
    scan_row = await PatrolScan.select().first()
    assert str(scan_row["checkpoint"]) == estate.p1


async def test_checklist_lines_are_parsed_and_bad_lines_rerender(client: Any,
                                                                estate: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await post_form(client, "/office/patrol/checklists/new", "/office/patrol/checklists",
                        {"site": estate.a, "name": "消防", "for_kind": "hose_reel",
                         "items_text": "Pressure | number | 2-8 | bar | photo\n"
                                       "Exit clear | yesno\n\nLamp | choice | ok/dim/out"})
    assert r.status_code == 200, r.text
    row = await PatrolChecklist.select().where(PatrolChecklist.name == "消防").first()
    items = row["items"] if isinstance(row["items"], list) else json.loads(
        row["items"])
    assert [(i["label"], i["type"]) for i in items] == [
        ("Pressure", "number"), ("Exit clear", "yesno"), ("Lamp", "choice")]
    assert items[0]["min"] == 2 and items[0]["max"] == 8 and items[0]["unit"] == "bar"
    assert items[0]["photo_if_abnormal"] is True and items[2]["choices"] == ["ok", "dim", "out"]
    # editing keeps each item's id (answers stay attached)
    url = f"/office/patrol/checklists/{row['id']}"
    r = await post_form(client, url, url, {"name": "消防", "for_kind": "hose_reel",
                                           "items_text": "Lamp | choice | ok/out\n"
                                                         "Pressure | number | 1-9 | bar"})
    assert r.status_code == 200
    again = await PatrolChecklist.select().where(PatrolChecklist.id == row["id"]).first()
    new = again["items"] if isinstance(again["items"], list) else json.loads(
        again["items"])
    assert {i["label"]: i["id"] for i in new} == {
        "Lamp": items[2]["id"], "Pressure": items[0]["id"]}
    for text, words in (("Pressure | number | eight", "Line 1"),
                        ("Exit clear | maybe", "Line 1"),
                        ("Exit clear\nLamp | choice | ok", "Line 2"), ("", "at least one")):
        r = await post_form(client, "/office/patrol/checklists/new",
                            "/office/patrol/checklists",
                            {"site": estate.a, "name": "壞", "items_text": text})
        assert r.status_code == 400 and words in r.text, text
    assert await PatrolChecklist.count().where(PatrolChecklist.name == "壞") == 0


async def test_routes_and_schedules(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await post_form(client, "/office/patrol/routes/new", "/office/patrol/routes",
                        {"site": estate.a, "name": "早更", "codes": "cp-03\nCP-01",
                         "ordered": "0", "expected_minutes": "20"})
    assert r.status_code == 200, r.text
    route = await PatrolRoute.select().where(PatrolRoute.name == "早更").first()
    ids = route["checkpoint_ids"]
    ids = ids if isinstance(ids, list) else json.loads(ids)
    assert ids == [estate.p3, estate.p1] and route["ordered"] is False
    r = await post_form(client, "/office/patrol/routes/new", "/office/patrol/routes",
                        {"site": estate.a, "name": "壞", "codes": "CP-01\nJB-01",
                         "ordered": "1", "expected_minutes": "20"})
    assert r.status_code == 400 and "JB-01" in r.text
    r = await post_form(client, "/office/patrol/schedules/new", "/office/patrol/schedules",
                        {"route": str(route["id"]), "name": "夜間", "every_hours": "2",
                         "window_start": "22:00", "window_end": "06:00", "times": "",
                         "random_start": "1", "start_minutes": "30", "guards": estate.guard})
    assert r.status_code == 200, r.text
    s = await PatrolSchedule.select().where(PatrolSchedule.name == "夜間").first()
    guards = s["guard_ids"] if isinstance(s["guard_ids"], list) else json.loads(s["guard_ids"])
    assert s["random_start"] is True and guards == [estate.guard] and str(s["site"]) == estate.a
    r = await post_form(client, "/office/patrol/schedules/new", "/office/patrol/schedules",
                        {"route": str(route["id"]), "name": "壞", "every_hours": "0",
                         "times": "25:00", "start_minutes": "30"})
    assert r.status_code == 400 and "25:00" in r.text
    # only the site's patrol guards can be named (as the picker offers): not the front desk
    r = await post_form(client, "/office/patrol/schedules/new", "/office/patrol/schedules",
                        {"route": str(route["id"]), "name": "前台", "every_hours": "0",
                         "times": "09:00", "start_minutes": "30", "guards": estate.desk})
    assert r.status_code == 400 and "Choose guards of the route" in r.text
    assert not await PatrolSchedule.exists().where(PatrolSchedule.name == "前台")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(client: Any, site: str, name: str, data: bytes,
                  kind: str = "checkpoints") -> Any:
    token = csrf_from((await client.get("/office/patrol/import")).text)
    return await client.post("/office/patrol/import", data={
        "site": site, "kind": kind, "_csrf_token": token}, files={"file": (name, data)})


async def test_import_checkpoints_from_csv_and_xlsx(client: Any, factory: Any,
                                                    estate: Estate) -> None:
    await factory.building(estate.a, code="A")
    await sign_in_en(client, "boss")
    csv_body = ("編號,名稱,座,樓層,位置,類別,檢查表\n"
                "CP-10,後樓梯,A,3,後樓梯,fire_exit,消防巡查\n"
                "CP-01,大堂消防喉,,G,大堂,hose_reel,\n").encode()
    r = await _upload(client, estate.a, "cp.csv", csv_body)
    assert r.status_code == 200 and "Imported 2 rows." in r.text, r.text
    new = await PatrolCheckpoint.select().where(PatrolCheckpoint.code == "CP-10").first()
    assert new["kind"] == "fire_exit" and str(new["checklist"]) == estate.checklist
    assert new["building"] is not None and len(new["token"]) == 24
    old = await PatrolCheckpoint.select().where(PatrolCheckpoint.id == estate.p1).first()
    assert old["name"] == "大堂消防喉" and old["token"] == estate.t1  # updated, tag kept
    r = await _upload(client, estate.a, "cp.xlsx", _xlsx([
        ["code", "name", "kind"], ["CP-11", "車場", "car_park"],
        ["CP-12", "水錶房", "meter_room"]]))
    assert r.status_code == 200
    assert await PatrolCheckpoint.count().where(PatrolCheckpoint.code.is_in(
        ["CP-11", "CP-12"])) == 2
    count = await PatrolCheckpoint.count()
    r = await _upload(client, estate.a, "bad.csv",
                      b"code,name,kind\nCP-20,ok,roof\nbad code!,x,roof\nCP-21,y,volcano\n")
    assert r.status_code == 400 and "Row 3" in r.text and "Row 4" in r.text
    assert await PatrolCheckpoint.count() == count  # nothing stored


async def test_label_sheet_has_one_qr_per_checkpoint_holding_its_token(
        client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await client.get(f"/office/patrol/labels?site={estate.a}")
    assert r.status_code == 200
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", r.text, re.S)
    assert len(svgs) == 3
    for token in (estate.t1, estate.t2, estate.t3):
        assert token not in r.text  # the token is in the QR code only
        expected = segno.make_qr(token, error="m").svg_inline(
            scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None)
        path = re.search(r'd="([^"]+)"', expected).group(1)
        assert any(path in s for s in svgs)
    for code in ("CP-01", "CP-02", "CP-03"):
        assert code in r.text
    assert "style=" not in "".join(svgs)
    assert 'href="/static/css/patrol.css"' in r.text
    one = await client.get(f"/office/patrol/labels?site={estate.a}&route={estate.route}")
    assert len(re.findall(r"<svg", one.text)) == 3


async def test_import_checklists_from_csv_and_xlsx(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    body = ('名稱,地點類別,頻率,檢查項目\n'
            '樓梯清潔,fire_exit,每日,"Stairs clean | yesno\nHandrails | choice | ok/dusty"\n'
            '消防巡查,hose_reel,每日兩次,Pressure | number | 1-9 | bar; Lamp | yesno\n')
    r = await _upload(client, estate.a, "lists.csv", body.encode(), kind="checklists")
    assert r.status_code == 200 and "Imported 2 rows." in r.text, r.text
    stairs = await PatrolChecklist.select().where(PatrolChecklist.name == "樓梯清潔").first()
    items = json.loads(stairs["items"]) if isinstance(stairs["items"], str) else stairs["items"]
    assert [i["label"] for i in items] == ["Stairs clean", "Handrails"]
    assert stairs["for_kind"] == "fire_exit" and stairs["frequency"] == "每日"
    fire = await PatrolChecklist.select().where(PatrolChecklist.id == estate.checklist).first()
    fire_items = json.loads(fire["items"]) if isinstance(fire["items"], str) else fire["items"]
    assert fire_items[0] == {"id": "i1", "label": "Pressure", "type": "number", "min": 1,
                             "max": 9, "unit": "bar"}  # its id kept: answers stay attached
    r = await _upload(client, estate.a, "lists.xlsx", _xlsx([
        ["name", "items"], ["燈", "Lamp | choice | ok/dim/out"],
        ["壞", "Lamp | choice | ok"]]), kind="checklists")
    assert r.status_code == 400 and "Row 3" in r.text and "Line 1" in r.text
    assert await PatrolChecklist.count().where(PatrolChecklist.name == "燈") == 0
    r = await _upload(client, estate.a, "lists.xlsx", _xlsx([
        ["name", "items"], ["燈", "Lamp | choice | ok/dim/out"]]), kind="checklists")
    assert r.status_code == 200
    assert await PatrolChecklist.count().where(PatrolChecklist.name == "燈") == 1


async def test_one_checkpoints_label(client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    r = await client.get(f"/office/patrol/labels?site={estate.a}&checkpoint={estate.p2}")
    assert r.status_code == 200 and r.text.count("<svg") == 1 and "CP-02" in r.text
    assert estate.t2 not in r.text
