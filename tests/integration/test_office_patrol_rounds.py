"""The office's patrol pages over rounds: today's board (with when each guard's phone was
last heard from), a round's timeline (device and receipt times, typed codes, backdating,
answers with the checklist's labels, photos, skips), a supervisor's review of a skip through
``scan.review`` (audited, received by phones), the exceptions, the completion report with
its CSV and XLSX, and the office home's counts."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from server.patrol.tables import PatrolRound, PatrolScan
from server.sync.tables import AuditEntry, SyncClient
from tests.factories import csrf_from
from tests.integration import sync_support as ss
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import a_round, hours_ago, patrol_estate, sign_in_en


@pytest.fixture
async def estate(factory: Any) -> Estate:
    return await patrol_estate(factory)


async def _walk(client: Any, settings: Any, e: Estate) -> dict[str, Any]:
    """A guard's phone walks a round: a typed code recorded 30 min before it reaches the
    server, a QR scan with answers, a photo and an anomaly, a skip with a reason."""
    rnd = await a_round(e, slot=hours_ago(1))
    p = await ss.phone(settings, e.guard)
    typed, scanned, skipped = (str(uuid.uuid4()) for _ in range(3))
    r = await client.post(ss.PUSH, headers=p.headers, json=p.body([
        p.mutation("scan.record", {"scan_id": typed, "round_id": rnd, "method": "typed",
                                   "token": "cp-01", "scanned_at": hours_ago(0.5).isoformat()}),
        p.mutation("scan.record", {"scan_id": scanned, "round_id": rnd, "method": "qr",
                                   "token": e.t2, "scanned_at": hours_ago(0.01).isoformat(),
                                   "answers": {"i1": 9, "i2": False}, "abnormal": True,
                                   "severity": "high", "note": "喉轆漏水",
                                   "photos": [ss.SIG]}),
        p.mutation("scan.skip", {"scan_id": skipped, "round_id": rnd, "checkpoint_id": e.p3,
                                 "at": hours_ago(0.005).isoformat(), "reason": "門鎖了"}),
    ]))
    assert r.status_code == 200 and r.json()["applied"] == 3, r.text
    return {"round": rnd, "typed": typed, "scanned": scanned, "skipped": skipped, "phone": p}


async def test_timeline_shows_device_and_receipt_times_typed_and_backdated(
        client: Any, settings: Any, estate: Estate) -> None:
    walk = await _walk(client, settings, estate)
    await sign_in_en(client, "boss")
    r = await client.get(f"/office/patrol/rounds/{walk['round']}")
    assert r.status_code == 200
    html = r.text
    assert html.count("Device time") == 3 and html.count("Received by server") == 3
    assert html.count(">Typed<") == 1 and html.count(">Backdated<") == 1
    assert "Pressure" in html and "9 bar" in html and "Exit clear" in html
    assert "喉轆漏水" in html and f"/office/blobs/{ss.SIG}" in html
    assert "門鎖了" in html and "Awaiting a supervisor" in html
    scans = {str(s["id"]): s for s in await PatrolScan.select()}
    typed = scans[walk["typed"]]
    assert typed["created_at"] - typed["scanned_at"] > timedelta(minutes=25)
    # the board: the round in progress, the guard's phone last heard from just now
    board = await client.get(f"/office/patrol?site={estate.a}")
    assert board.status_code == 200 and "3 / 3" in board.text
    assert "no data from this phone since" in board.text


async def test_a_supervisor_confirms_or_rejects_a_skip(client: Any, settings: Any,
                                                      estate: Estate) -> None:
    walk = await _walk(client, settings, estate)
    await sign_in_en(client, "boss")
    page = await client.get("/office/patrol/exceptions")
    assert "門鎖了" in page.text
    token = csrf_from(page.text)
    url = f"/office/patrol/scans/{walk['skipped']}/review"
    r = await client.post(url, data={"decision": "rejected", "note": " ",
                                     "_csrf_token": token})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    assert (await PatrolScan.select(PatrolScan.review).where(
        PatrolScan.id == walk["skipped"]).first())["review"] == "pending"
    r = await client.post(url + "?from=exceptions", data={
        "decision": "rejected", "note": "門鎖要報修，仍須巡查", "_csrf_token": token})
    assert r.status_code == 200 and str(r.url).split("?")[0].endswith("/exceptions")
    row = await PatrolScan.select().where(PatrolScan.id == walk["skipped"]).first()
    assert row["review"] == "rejected" and row["review_note"] == "門鎖要報修，仍須巡查"
    assert str(row["reviewed_by"]) == estate.boss
    audit = await AuditEntry.select().where(AuditEntry.record_id == walk["skipped"])
    assert [a["action"] for a in audit if str(a["staff"]) == estate.boss] == ["scan.review"]
    # the guard's phone receives the review
    p = walk["phone"]
    await ss.pull_all(client, p)
    assert p.replica[("scan", walk["skipped"])]["review"] == "rejected"
    # confirmed from the round's page, without a note
    r = await client.post(url, data={"decision": "confirmed", "note": "",
                                     "_csrf_token": token})
    assert r.status_code == 200 and f"/office/patrol/rounds/{walk['round']}" in str(r.url)
    assert (await PatrolScan.select(PatrolScan.review).where(
        PatrolScan.id == walk["skipped"]).first())["review"] == "confirmed"
    # a scan that is not a skip cannot be reviewed from the office
    r = await client.post(f"/office/patrol/scans/{walk['scanned']}/review",
                          data={"decision": "confirmed", "_csrf_token": token})
    assert r.status_code == 404


async def test_a_supervisor_of_another_site_cannot_review(client: Any, settings: Any,
                                                          factory: Any, estate: Estate) -> None:
    walk = await _walk(client, settings, estate)
    await factory.staff("bboss", role="supervisor", sites=(estate.b,))
    await sign_in_en(client, "bboss")
    token = csrf_from((await client.get("/office/patrol")).text)
    r = await client.post(f"/office/patrol/scans/{walk['skipped']}/review",
                          data={"decision": "confirmed", "_csrf_token": token})
    assert r.status_code == 404
    assert (await client.get(f"/office/patrol/rounds/{walk['round']}")).status_code == 404


async def test_board_shows_missed_late_and_last_heard(client: Any, settings: Any,
                                                      estate: Estate) -> None:
    missed = await a_round(estate, slot=hours_ago(0.05), status="planned")
    await PatrolRound.update({PatrolRound.start_by: hours_ago(0.05)}).where(
        PatrolRound.id == missed)
    p = await ss.phone(settings, estate.guard)
    await SyncClient.update({SyncClient.last_push_at: hours_ago(5)}).where(
        SyncClient.client_id == p.client_id)
    await sign_in_en(client, "boss")
    r = await client.get("/office/patrol")
    assert r.status_code == 200
    assert "state-missed" in r.text and "no data from this phone since" in r.text
    timeline = await client.get(f"/office/patrol/rounds/{missed}")
    assert timeline.text.count(">Missed<") >= 3  # each unvisited checkpoint
    home = await client.get("/office")
    assert "Missed rounds today" in home.text and "Skips awaiting review" in home.text


async def test_completion_report_and_its_exports(client: Any, estate: Estate) -> None:
    base = hours_ago(30)
    await a_round(estate, slot=base, status="done", finished=True)
    await a_round(estate, slot=base - timedelta(hours=2), status="done", finished=True)
    await a_round(estate, slot=base - timedelta(hours=4), status="done", finished=True,
                  late=True)
    await a_round(estate, slot=base - timedelta(hours=6), status="missed")
    await a_round(estate, slot=base - timedelta(hours=8), status="planned")  # never marked
    await a_round(estate, slot=hours_ago(-5), status="planned")  # not begun: not counted
    await sign_in_en(client, "boss")
    r = await client.get(f"/office/patrol/report?site={estate.a}")
    assert r.status_code == 200
    assert "60.0%" in r.text and "40.0%" in r.text and "夜更路線" in r.text
    csv_r = await client.get(f"/office/patrol/report.csv?site={estate.a}")
    assert csv_r.status_code == 200 and csv_r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Group", "Name", "Planned", "Done"]
    assert rows[1][2:] == ["5", "3", "2", "2", "60.0", "40.0"]
    by_route = [row for row in rows if row[1] == "夜更路線"]
    assert by_route and by_route[0][2:4] == ["5", "3"]
    xlsx_r = await client.get(f"/office/patrol/report.xlsx?site={estate.a}")
    assert xlsx_r.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_r.content)).active
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(
        values_only=True)]
    assert [[c.removesuffix(".0") if c.endswith(".0") and c[:-2].isdigit() else c
             for c in row] for row in cells] == [
        [c.removesuffix(".0") if c.endswith(".0") and c[:-2].isdigit() else c for c in row]
        for row in rows]
    # a date range without rounds
    empty = await client.get(f"/office/patrol/report.csv?site={estate.a}"
                             "&date_from=2020-01-01&date_to=2020-01-02")
    assert list(csv.reader(io.StringIO(empty.content.decode("utf-8-sig"))))[1][2:4] == ["0", "0"]


async def test_a_double_finish_reads_side_by_side(client: Any, factory: Any,
                                                 estate: Estate) -> None:
    rnd = await a_round(estate, slot=hours_ago(3), status="done", finished=True)
    first, second = hours_ago(2).isoformat(), hours_ago(1.5).isoformat()
    conflict = await factory.conflict(estate.a, [rnd], kind="double_finish",
                                      record_type="round", details={
                                          "first": {"finished_at": first,
                                                    "finished_by": estate.guard},
                                          "second": {"finished_at": second,
                                                     "finished_by": estate.boss}},
                                      staff_ids=[estate.guard, estate.boss])
    await sign_in_en(client, "boss")
    r = await client.get(f"/office/conflicts/{conflict}")
    assert r.status_code == 200
    assert "First finish (kept)" in r.text and "Second finish" in r.text
    assert f"/office/patrol/rounds/{rnd}" in r.text
