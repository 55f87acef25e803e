"""What a phone reports on its sync requests (X-Caretaker-App-Version, X-Caretaker-Pending:
server/accounts/device_reports.py, docs/protocol.md): stored on its device row without a
write per request, shown on the office's list of devices and in its exports; bad values are
ignored and a phone that reports nothing syncs as before."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from server.accounts import auth_cache
from server.accounts.staff_service import current_build
from server.accounts.tables import Device
from sync import SCHEMA_VERSION
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.sync_support import PULL, PUSH, Phone, lend_args, phone

VERSION, PENDING = "X-Caretaker-App-Version", "X-Caretaker-Pending"


@pytest.fixture
async def desk(factory: Any, settings: Any) -> tuple[Phone, str, str]:
    site = await factory.site(code="HYG")
    staff = await factory.staff("deskrep", role="front_desk", sites=(site,))
    return await phone(settings, staff), await factory.key(site), site


async def _row(p: Phone) -> dict[str, Any]:
    row = await Device.select(Device.app_version, Device.pending_count, Device.reported_at,
                              Device.last_seen_at).where(Device.id == p.device_id).first()
    assert row is not None
    return row


async def _push(client: Any, p: Phone, mutations: list[dict], **report: str) -> Any:
    r = await client.post(PUSH, headers={**p.headers, **report}, json=p.body(mutations))
    assert r.status_code == 200, r.text
    return r.json()


async def _pull(client: Any, p: Phone, **report: str) -> Any:
    r = await client.post(PULL, headers={**p.headers, **report}, json={
        "client_id": p.client_id, "schema_version": SCHEMA_VERSION, "cookie": p.cookie})
    assert r.status_code == 200, r.text
    return r.json()


async def _office(client: Any, factory: Any, role: str = "admin",
                  sites: tuple[str, ...] = ()) -> None:
    await factory.staff(f"{role}rep", role=role, sites=sites)
    client.cookies.set("caretaker_lang", "en")
    assert (await sign_in(client, f"{role}rep", TEST_PASSWORD)).status_code == 200


def _device_row(html: str, device_id: str) -> str:
    m = re.search(rf'<tr data-device="{device_id}">(.*?)</tr>', html, re.S)
    assert m, "the device is not listed"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))


async def test_push_and_pull_report_and_the_page_shows_it(client, factory, desk) -> None:
    p, key, _site = desk
    build = current_build()
    answer = await _push(client, p, [p.mutation("key.lend", lend_args(key)),
                                     p.mutation("key.lend", lend_args(key))],
                         **{VERSION: build, PENDING: "2"})
    assert answer["last_mutation_id"] == 2
    row = await _row(p)
    assert (row["app_version"], row["pending_count"]) == (build, 2)
    assert row["reported_at"] is not None and row["reported_at"] == row["last_seen_at"]

    await _office(client, factory)
    page = await client.get(f"/office/devices?staff={p.staff_id}")
    assert page.status_code == 200
    text = _device_row(page.text, p.device_id)
    assert "deskrep" in text and build in text and "Current version" in text
    assert "2 waiting to sync" in text and "reported just now" in text
    assert re.search(rf'<tr data-device="{p.device_id}">.*?class="badge warn">2 waiting',
                     page.text, re.S)

    # the pull after the push: nothing waits any more
    await _pull(client, p, **{VERSION: build, PENDING: "0"})
    row = await _row(p)
    assert (row["app_version"], row["pending_count"]) == (build, 0)
    text = _device_row((await client.get(f"/office/devices?staff={p.staff_id}")).text,
                       p.device_id)
    assert "waiting to sync" not in text and "Current version" in text


async def test_an_older_build_and_an_old_report_show_their_age(client, factory, desk) -> None:
    p, _key, _site = desk
    await _pull(client, p, **{VERSION: "0123456789abcdef", PENDING: "5"})
    earlier = (await _row(p))["reported_at"] - timedelta(hours=3, minutes=1)
    await Device.update({Device.reported_at: earlier}).where(Device.id == p.device_id)
    await _office(client, factory)
    text = _device_row((await client.get("/office/devices")).text, p.device_id)
    assert "0123456789abcdef" in text and "Older version" in text
    assert "5 waiting to sync" in text and "reported 3 h ago" in text


@pytest.mark.parametrize(("headers", "version", "pending"), [
    ({VERSION: "x" * 41, PENDING: "3"}, "", 3),  # too long
    ({VERSION: "build <script>", PENDING: "3"}, "", 3),  # not a version's characters
    ({VERSION: "-starts-with-a-dash", PENDING: "3"}, "", 3),
    ({VERSION: "v1.2.3", PENDING: "-1"}, "v1.2.3", None),  # negative
    ({VERSION: "v1.2.3", PENDING: "1.5"}, "v1.2.3", None),
    ({VERSION: "v1.2.3", PENDING: "lots"}, "v1.2.3", None),
    ({VERSION: "v1.2.3", PENDING: "1000000000"}, "v1.2.3", None),  # ten digits
    ({VERSION: "", PENDING: ""}, "", None),
])
async def test_bad_values_are_ignored_and_the_sync_goes_on(client, desk, headers, version,
                                                           pending) -> None:
    p, key, _site = desk
    answer = await _push(client, p, [p.mutation("key.lend", lend_args(key))], **headers)
    assert answer["applied"] == 1  # a bad report never refuses a sync
    await _pull(client, p, **headers)
    row = await _row(p)
    assert (row["app_version"], row["pending_count"]) == (version, pending)
    assert (row["reported_at"] is not None) == (pending is not None)


async def test_a_phone_that_reports_nothing_syncs_as_before(client, desk) -> None:
    p, key, _site = desk
    answer = await _push(client, p, [p.mutation("key.lend", lend_args(key))])
    assert answer["applied"] == 1
    page = await _pull(client, p)
    assert any(op["type"] == "key_loan" for op in page["patch"])
    row = await _row(p)
    assert (row["app_version"], row["pending_count"], row["reported_at"]) == ("", None, None)
    assert row["last_seen_at"] is not None
    # what an earlier report said stays when a later request carries none
    await _pull(client, p, **{VERSION: "abc", PENDING: "4"})
    await _pull(client, p)
    row = await _row(p)
    assert (row["app_version"], row["pending_count"]) == ("abc", 4)


@pytest.mark.parametrize("cached", [True, False])
async def test_the_same_report_again_writes_nothing(client, desk, cached: bool) -> None:
    p, _key, _site = desk
    report = {VERSION: "abc", PENDING: "1"}
    await _pull(client, p, **report)
    first = await _row(p)
    if not cached:
        auth_cache.clear()  # the token is looked up again: compared with the row it reads
    await _pull(client, p, **report)
    assert await _row(p) == first  # not even last_seen_at: no write at all
    await _pull(client, p, **{VERSION: "abc", PENDING: "0"})  # a change is written at once
    changed = await _row(p)
    assert changed["pending_count"] == 0 and changed["reported_at"] > first["reported_at"]
    assert changed["last_seen_at"] == changed["reported_at"]


async def test_the_minutes_last_seen_write_stamps_the_report_again(client, desk) -> None:
    p, _key, _site = desk
    report = {VERSION: "abc", PENDING: "2"}
    await _pull(client, p, **report)
    old = (await _row(p))["reported_at"] - timedelta(minutes=5)
    await Device.update({Device.last_seen_at: old, Device.reported_at: old}).where(
        Device.id == p.device_id)
    auth_cache.clear()
    await _pull(client, p, **report)
    row = await _row(p)
    assert row["pending_count"] == 2 and row["reported_at"] > old
    assert row["reported_at"] == row["last_seen_at"]


async def test_a_revoked_phone_reports_nothing(client, desk) -> None:
    p, _key, _site = desk
    await Device.update({Device.revoked_at: datetime.now(UTC)}).where(
        Device.id == p.device_id)
    auth_cache.clear()
    r = await client.post(PULL, headers={**p.headers, VERSION: "abc", PENDING: "9"}, json={
        "client_id": p.client_id, "schema_version": SCHEMA_VERSION, "cookie": None})
    assert r.status_code == 401
    assert (await _row(p))["pending_count"] is None


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_exports_hold_exactly_the_filtered_list(client, factory, settings,
                                                      desk) -> None:
    p, _key, site = desk
    other_site = await factory.site(code="JHT")
    other = await phone(settings, await factory.staff("otherrep", role="patrol",
                                                      sites=(other_site,)))
    await _pull(client, p, **{VERSION: "abc", PENDING: "3"})
    await _pull(client, other)
    await _office(client, factory)

    everything = _csv_rows((await client.get("/office/devices/export.csv")).content)
    header = everything[0]
    assert header[:5] == ["Staff", "User name", "Device", "Last sync", "App version"]
    assert "Waiting to sync" in header and "Status" in header
    assert sorted(r[1] for r in everything[1:]) == ["deskrep", "otherrep"]

    r = await client.get(f"/office/devices/export.csv?site={site}")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv_rows(r.content)
    assert [row[1] for row in rows[1:]] == ["deskrep"]
    mine = dict(zip(header, rows[1], strict=True))
    assert (mine["App version"], mine["Waiting to sync"], mine["Status"]) == ("abc", "3",
                                                                             "Active")
    assert mine["Version"] == "Older version" and mine["Reported at"]

    r = await client.get(f"/office/devices/export.xlsx?staff={other.staff_id}")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["Staff", "User name"] and len(values) == 2
    assert values[1][1] == "otherrep"
    # the list's links carry its filters to the exports
    page = await client.get(f"/office/devices?site={site}")
    assert f'href="/office/devices/export.csv?site={site}&amp;staff="' in page.text


async def test_a_supervisor_exports_only_their_sites_devices(client, factory, settings,
                                                             desk) -> None:
    _p, _key, site = desk
    other_site = await factory.site(code="JHT")
    await phone(settings, await factory.staff("otherrep", role="patrol", sites=(other_site,)))
    await _office(client, factory, "supervisor", (site,))
    rows = _csv_rows((await client.get("/office/devices/export.csv")).content)
    assert [r[1] for r in rows[1:]] == ["deskrep"]
    rows = _csv_rows((await client.get(f"/office/devices/export.csv?site={other_site}")
                      ).content)
    assert rows[1:] == []
