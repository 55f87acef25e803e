"""Defects found in review of the office's patrol pages, each pinned: a round's visits off the
route in the order they happened, the backdating badge on the project's one skew limit (the
round's history flags the same visits), an incident's photos and severity on the round's
timeline, the import's duplicate codes written differently, and spreadsheet formulas in the
completion report's exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from server.patrol.tables import PatrolCheckpoint, PatrolRoute
from server.review.queries import SKEW_LIMIT
from tests.factories import csrf_from
from tests.integration import sync_support as ss
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import (
    a_round,
    hours_ago,
    patrol_estate,
    patrol_space,
    sign_in_en,
)


@pytest.fixture
async def estate(factory: Any) -> Estate:
    return await patrol_estate(factory)


async def _off_route_checkpoint(site: str, cid: str, code: str) -> str:
    token = uuid.uuid4().hex[:24]
    await PatrolCheckpoint.insert(PatrolCheckpoint(
        id=cid, site=site, code=code, name=f"{code} 位置", floor="1", place="後樓梯",
        kind="other", token=token, space=patrol_space(site), version=1))
    return token


async def _push(client: Any, p: Any, mutations: list[dict[str, Any]]) -> None:
    r = await client.post(ss.PUSH, headers=p.headers, json=p.body(mutations))
    assert r.status_code == 200 and r.json()["applied"] == len(mutations), r.text


async def test_visits_off_the_route_are_listed_in_the_order_they_happened(
        client: Any, settings: Any, estate: Estate) -> None:
    # the first visited has the larger id: an order by id would list it last
    first = await _off_route_checkpoint(estate.a, "ffffffff-0000-4000-8000-000000000001",
                                        "XR-FIRST")
    second = await _off_route_checkpoint(estate.a, "00000000-0000-4000-8000-000000000002",
                                         "XR-SECOND")
    rnd = await a_round(estate, slot=hours_ago(0.5))
    p = await ss.phone(settings, estate.guard)
    await _push(client, p, [
        p.mutation("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": rnd,
                                   "method": "qr", "token": first,
                                   "scanned_at": hours_ago(0.3).isoformat()}),
        p.mutation("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": rnd,
                                   "method": "qr", "token": second,
                                   "scanned_at": hours_ago(0.2).isoformat()}),
    ])
    await sign_in_en(client, "boss")
    html = (await client.get(f"/office/patrol/rounds/{rnd}")).text
    off = html[html.index("Visits off the route"):]
    assert "XR-FIRST" in off and "XR-SECOND" in off
    assert off.index("XR-FIRST") < off.index("XR-SECOND")


async def test_backdating_uses_the_projects_skew_limit_both_ways(
        client: Any, settings: Any, estate: Estate) -> None:
    """A visit whose device time is past the skew limit from its receipt, before or after
    it, carries the badge — as the round's history flags the same entries."""
    rnd = await a_round(estate, slot=hours_ago(1))
    p = await ss.phone(settings, estate.guard)
    behind = SKEW_LIMIT + timedelta(minutes=2)
    await _push(client, p, [
        p.mutation("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": rnd,
                                   "method": "qr", "token": estate.t1,
                                   "scanned_at": hours_ago(
                                       behind.total_seconds() / 3600).isoformat()}),
        p.mutation("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": rnd,
                                   "method": "qr", "token": estate.t2,
                                   "scanned_at": hours_ago(
                                       -behind.total_seconds() / 3600).isoformat()}),
        p.mutation("scan.record", {"scan_id": str(uuid.uuid4()), "round_id": rnd,
                                   "method": "qr", "token": estate.t3,
                                   "scanned_at": hours_ago(0.01).isoformat()}),
    ])
    await sign_in_en(client, "boss")
    html = (await client.get(f"/office/patrol/rounds/{rnd}")).text
    assert html.count(">Backdated<") == 2


async def test_an_incidents_photos_and_severity_show_on_the_round(
        client: Any, settings: Any, estate: Estate) -> None:
    rnd = await a_round(estate, slot=hours_ago(0.5))
    p = await ss.phone(settings, estate.guard)
    await _push(client, p, [
        p.mutation("incident.report", {"incident_id": str(uuid.uuid4()),
                                       "checkpoint_id": estate.p1, "round_id": rnd,
                                       "description": "消防喉轆漏水", "severity": "high",
                                       "photos": [ss.SIG],
                                       "at": hours_ago(0.1).isoformat()}),
    ])
    await sign_in_en(client, "boss")
    html = (await client.get(f"/office/patrol/rounds/{rnd}")).text
    section = html[html.index("Incidents</h2>"):]
    assert "消防喉轆漏水" in section and f'src="/office/blobs/{ss.SIG}"' in section
    assert "High" in section and "CP-01" in section


async def test_an_import_refuses_one_code_written_twice_differently(
        client: Any, estate: Estate) -> None:
    await sign_in_en(client, "boss")
    token = csrf_from((await client.get("/office/patrol/import")).text)
    count = await PatrolCheckpoint.count()
    r = await client.post("/office/patrol/import", data={
        "site": estate.a, "kind": "checkpoints", "_csrf_token": token}, files={
        "file": ("cp.csv", "code,name\ncp-30,一\nCP-30,二\n ｃｐ－３０ ,三\n".encode())})
    assert r.status_code == 400, r.text
    assert "Row 3" in r.text and "Row 4" in r.text
    assert await PatrolCheckpoint.count() == count


async def test_the_reports_exports_keep_formulas_as_text(client: Any, factory: Any,
                                                         estate: Estate) -> None:
    await PatrolRoute.update({PatrolRoute.name: "=HYPERLINK(\"http://x\",\"y\")"}).where(
        PatrolRoute.id == estate.route)
    await a_round(estate, slot=hours_ago(30), status="done", finished=True)
    await sign_in_en(client, "boss")
    body = (await client.get(f"/office/patrol/report.csv?site={estate.a}")).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    xlsx = (await client.get(f"/office/patrol/report.xlsx?site={estate.a}")).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
