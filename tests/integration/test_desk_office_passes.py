"""The office's goods-out pass pages: the list filtered by what happened at the gate, the
gate checks whose pass has not reached the server (a pass not yet synced, a forged code
refused), the export, a pass's page with a genuine, a re-signed and an edited QR code and
every gate check with its device and receipt times, and the desk's conflicts side by side —
on SQLite and PostgreSQL, every record written through the mutations (pushed by phones
where the device matters)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from server.desk import cutoff
from server.lib.queries import json_value, local_time
from server.sync.tables import Conflict
from sync.context import iso
from tests.integration.desk_office_support import (
    SUMMARY,
    a_phone,
    ago,
    check,
    desk_estate,
    device_key,
    handover,
    issue,
    pass_code,
    receive,
    seed_passes,
    sign_in_en,
    tampered,
    visitor_in,
    visitor_out,
)
from tests.integration.office_keys_support import Estate


@pytest.fixture
async def de(factory: Any) -> Estate:
    return await desk_estate(factory)


PASSES = ("GP-001", "GP-002", "GP-003", "GP-004", "GP-005", "GP-FAKE", "GP-LATE", "GP-B")


def numbers(html: str) -> set[str]:
    return {n for n in PASSES if f">{n}<" in html}


async def test_the_passes_filter_by_what_happened_at_the_gate(client: Any, de: Estate) -> None:
    e = de
    found = await seed_passes(e)
    await sign_in_en(client, "boss")
    page = await client.get("/office/desk/passes")
    assert page.status_code == 200
    assert numbers(page.text) == {"GP-001", "GP-002", "GP-003", "GP-004", "GP-005", "GP-FAKE",
                                  "GP-LATE"}  # the passes, and the checks without theirs
    assert "5 found" in page.text and "Gate checks of passes not yet synced" in page.text
    assert page.text.count("Pass not yet synced</span>") == 2

    async def only(query: str) -> set[str]:
        r = await client.get(f"/office/desk/passes?{query}")
        assert r.status_code == 200, query
        return numbers(r.text)

    assert await only("outcome=waiting") == {"GP-002"}
    assert await only("outcome=passed") == {"GP-001", "GP-004", "GP-LATE"}
    assert await only("outcome=mismatch") == {"GP-003"}
    assert await only("outcome=refused") == {"GP-005", "GP-FAKE"}
    assert await only("outcome=twice") == {"GP-004"}
    assert await only("q=gp-00") == {"GP-001", "GP-002", "GP-003", "GP-004", "GP-005"}
    assert await only("q=fake") == {"GP-FAKE"}
    day = ago(30).astimezone(cutoff.estate_zone()).date().isoformat()  # GP-005's
    assert await only(f"date_from={day}&date_to={day}") == {"GP-005"}
    assert (await client.get(f"/office/desk/passes?site={e.b}")).status_code == 404
    assert (await client.get(f"/office/desk/passes/{found['GP-B'][0]}")).status_code == 404

    await sign_in_en(client, "root")
    assert await only(f"site={e.b}") == {"GP-B"}


async def test_the_passes_export_holds_passes_and_checks_without_theirs(client: Any,
                                                                        de: Estate) -> None:
    e = de
    await seed_passes(e)
    await sign_in_en(client, "boss")
    r = await client.get("/office/desk/passes/export.csv?outcome=refused")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8")[1:])))
    assert rows[0][:3] == ["Site", "Pass number", "Unit"]
    by_number = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {"GP-005", "GP-FAKE"}
    assert by_number["GP-005"]["Items"] == "雪櫃\n梳化"
    assert by_number["GP-005"]["At the gate"] == "Refused"
    assert "Expired" in by_number["GP-005"]["Gate checks"]
    assert by_number["GP-FAKE"]["At the gate"] == "Pass not yet synced"
    assert "Not a genuine pass" in by_number["GP-FAKE"]["Gate checks"]
    x = await client.get("/office/desk/passes/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert sorted(str(row[1].value) for row in sheet.iter_rows(min_row=2)) == [
        "GP-001", "GP-002", "GP-003", "GP-004", "GP-005", "GP-FAKE", "GP-LATE"]


async def test_a_pass_page_verifies_its_code_and_shows_each_gate_check(
        client: Any, de: Estate, settings: Any) -> None:
    e = de
    desk_phone = await a_phone(settings, e, "desk", "前台手機")
    gate_phone = await a_phone(settings, e, "guard", "大閘手機")
    key = await device_key(e, client=client, via=desk_phone)
    issued, checked = ago(3), ago(1)
    pid, code = await issue(e, key, "GP-100", basis="written", issued_at=issued,
                            client=client, via=desk_phone)
    await check(e, pid, "GP-100", code, at=checked, client=client, via=gate_phone)
    await check(e, pid, "GP-100", tampered(code, it=["鋼琴"]), outcome="refused",
                verdict="forged", at=ago(0.5), client=client, via=gate_phone)
    await sign_in_en(client, "boss")
    page = (await client.get(f"/office/desk/passes/{pid}")).text
    assert "Goods-out pass GP-100" in page
    assert "Signature verified" in page and "The signed code says what the record says." in page
    assert f"/office/blobs/{e.photo}" in page  # the written authorisation
    assert "前台手機" in page and "大閘手機" in page and "前台一號機" in page
    assert page.count('class="side"') == 2  # both gate checks side by side
    assert "Signature does not match" in page and "not the code issued" in page
    assert local_time(issued, seconds=True) in page  # the phones' own times
    assert local_time(checked, seconds=True) in page
    # a pass whose stored code was signed over other goods, and one edited after signing
    other, _c = await issue(e, key, "GP-101", items=("雪櫃",),
                            signed={"items": ["雪櫃", "鋼琴"]})
    diff = (await client.get(f"/office/desk/passes/{other}")).text
    assert "Signature verified" in diff and "does not say what the record says" in diff
    assert "雪櫃、鋼琴" in diff
    edited, _c = await issue(e, key, "GP-102", code=tampered(code, n="GP-102"))
    forged = (await client.get(f"/office/desk/passes/{edited}")).text
    assert "Signature does not match" in forged and "Signature verified" not in forged
    assert (await client.get(f"/office/desk/passes/{uuid.uuid4()}")).status_code == 404


async def test_a_gate_check_before_its_pass(client: Any, de: Estate) -> None:
    e = de
    key = await device_key(e)
    pid, at = str(uuid.uuid4()), ago(2)
    code = pass_code(key[0], {
        "pass_id": pid, "number": "GP-200", "site_id": e.a, "unit_id": e.u1,
        "items": ["雪櫃", "梳化"], "item_count": 2, "plate": "AB 1234",
        "basis": "owner_present", "valid_until": iso(at + timedelta(hours=8)),
        "issued_at": iso(at), "key_id": key[1]})
    cid = await check(e, pid, "GP-200", code, at=ago(1))
    await sign_in_en(client, "boss")
    listed = (await client.get("/office/desk/passes")).text
    assert "Gate checks of passes not yet synced" in listed and ">GP-200<" in listed
    early = await client.get(f"/office/desk/passes/{pid}")
    assert early.status_code == 200
    assert "Pass not yet synced" in early.text and "Signature verified" in early.text
    moved = await client.get(f"/office/desk/checks/{cid}", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/office/desk/passes/{pid}#check-{cid}"

    await issue(e, key, "GP-200", pass_id=pid, code=code, issued_at=at)
    listed = (await client.get("/office/desk/passes")).text
    assert "Gate checks of passes not yet synced" not in listed
    now_page = (await client.get(f"/office/desk/passes/{pid}")).text
    assert "Pass not yet synced" not in now_page
    assert "The signed code says what the record says." in now_page
    assert "the code issued" in now_page and "Let out" in now_page


# --- the desk's conflicts ------------------------------------------------------------------

async def test_the_desks_conflicts_read_side_by_side(client: Any, de: Estate) -> None:
    e = de
    vid = await visitor_in(e, "李小明", e.u2, ago(5), phone_number="91234567")
    await visitor_out(e, vid, ago(4))
    await visitor_out(e, vid, ago(3.5), who="guard")  # the gate signed them out too
    found = await seed_passes(e)  # GP-004 let out at two gates
    hid = await handover(e, SUMMARY, end=ago(6))
    await receive(e, hid, ago(5.9))
    await receive(e, hid, ago(5.8), who="guard2", name="何保安", own_phone=False)
    rows = {r["kind"]: r for r in await Conflict.select()}
    assert set(rows) == {"signed_out_twice", "pass_used_twice", "received_twice"}
    await sign_in_en(client, "boss")
    listed = (await client.get("/office/desk/conflicts")).text
    # each opens on the review console's conflict page
    assert all(f'href="/office/conflicts/{r["id"]}"' in listed for r in rows.values())
    assert (await client.get(f"/office/conflicts/{rows['received_twice']['id']}")
            ).status_code == 200

    async def page(kind: str) -> str:
        r = await client.get(f"/office/conflicts/{rows[kind]['id']}")
        assert r.status_code == 200
        return r.text

    out = await page("signed_out_twice")
    assert "First sign-out (kept)" in out and "Second sign-out" in out
    assert local_time(ago(4), seconds=True)[:13] in out
    assert f'href="/office/desk/visitors/{vid}"' in out
    used = await page("pass_used_twice")
    assert "First let out (kept)" in used and "Second let out" in used and "GP-004" in used
    first = str(json_value(rows["pass_used_twice"]["record_ids"])[0])  # the check kept
    assert f'href="/office/desk/checks/{first}"' in used
    shown_pass = await client.get(f"/office/desk/checks/{first}")
    assert shown_pass.status_code == 200 and "Goods-out pass GP-004" in shown_pass.text
    assert found["GP-004"][0] in str(shown_pass.url)
    twice = await page("received_twice")
    assert "First receipt (kept)" in twice and "何保安" in twice and "李保安" in twice
    assert f'href="/office/desk/handovers/{hid}"' in twice
