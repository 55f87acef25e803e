"""The request board's CSV and XLSX hold exactly the board's filtered list (every page of it,
scoped to the user's sites), with text a spreadsheet would run kept as text; on SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from server.repairs.tables import RepairRequest
from tests.integration.office_keys_support import Estate
from tests.integration.repairs_office_support import (
    ago,
    assign,
    repairs_estate,
    report,
    sign_in_en,
)


@pytest.fixture
async def re_(factory: Any) -> Estate:
    return await repairs_estate(factory)


async def _numbers(*ids: str) -> list[str]:
    if not ids:
        return []
    rows = await RepairRequest.select(RepairRequest.id, RepairRequest.number).where(
        RepairRequest.id.is_in(list(ids)))
    return sorted(str(r["number"]) for r in rows)


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_the_exports_hold_exactly_the_filtered_board(client: Any, re_: Estate) -> None:
    from openpyxl import load_workbook

    e = re_
    leak = await report(e, unit=e.u1, description="=HYPERLINK(1)")
    lights = await report(e, unit=e.u3, category="electricity", urgency="urgent")
    lift = await report(e, area="A座升降機", category="lift", urgency="emergency", at=ago(5))
    other = await report(e, unit=e.ub, site=e.b)
    await assign(e, lights)
    await sign_in_en(client, "boss")

    r = await client.get("/office/repairs/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv(r.content)
    assert rows[0][:4] == ["Site", "Request number", "Reported at", "Unit"]
    assert sorted(row[1] for row in rows[1:]) == await _numbers(leak, lights, lift)  # not B's
    assert all(row[0] == "HYG" for row in rows[1:])
    described = {row[1]: row[-1] for row in rows[1:]}
    assert described[(await _numbers(leak))[0]] == "'=HYPERLINK(1)"  # a formula stays text

    for query, wanted in (("state=overdue", (lift,)), ("category=electricity", (lights,)),
                          (f"technician={e.tech}", (lights,)), ("urgency=normal", (leak,)),
                          (f"building={e.ba}", (leak,)), ("q=升降機", (lift,)),
                          ("state=open&category=water", (leak,)), ("state=done", ())):
        r = await client.get(f"/office/repairs/export.csv?{query}")
        assert sorted(row[1] for row in _csv(r.content)[1:]) == await _numbers(*wanted), query
        board = (await client.get(f"/office/repairs?{query}")).text
        for number in await _numbers(leak, lights, lift):
            assert (number in board) == (number in await _numbers(*wanted)), query

    lines = {row[1]: row for row in _csv((await client.get(
        "/office/repairs/export.csv?state=overdue")).content)[1:]}
    (lift_line,) = lines.values()
    assert "Yes" in lift_line and "Emergency" in lift_line and "Lift" in lift_line

    r = await client.get("/office/repairs/export.xlsx?state=new")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    numbers = sorted(row[1] for row in book.active.iter_rows(min_row=2, values_only=True))
    assert numbers == await _numbers(leak, lift)

    await sign_in_en(client, "root")
    rows = _csv((await client.get(f"/office/repairs/export.csv?site={e.b}")).content)
    assert [row[1] for row in rows[1:]] == await _numbers(other)


async def test_an_export_holds_every_page_of_the_board(client: Any, re_: Estate) -> None:
    e = re_
    ids = [await report(re_, unit=e.u2, description=f"第{n}宗") for n in range(55)]
    await sign_in_en(client, "boss")
    board = (await client.get("/office/repairs")).text
    assert "Page 1 of 2" in board
    rows = _csv((await client.get("/office/repairs/export.csv")).content)
    assert sorted(row[1] for row in rows[1:]) == await _numbers(*ids)
