"""The office's reference data: sites, buildings, units, residents and staff — forms,
validation, deactivation, lists, and the space-version bump on every synced write."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from server.accounts.tables import Device, Staff, StaffSite, WebSession
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.security import token_hash, verify_password
from server.sync.tables import SpaceVersion
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in


async def as_admin(client, factory, *sites: str) -> str:
    """Sign in as a new admin (English pages); returns a CSRF token."""
    admin = f"admin{uuid.uuid4().hex[:6]}"
    await factory.staff(admin, role="admin", sites=sites)
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, admin, TEST_PASSWORD)
    page = await client.get("/office/sites")
    assert page.status_code == 200
    return csrf_from(page.text)


async def space_version(site: str, stream: str = "estate") -> int:
    row = await SpaceVersion.select(SpaceVersion.version).where(
        SpaceVersion.space == f"{site}:{stream}").first()
    return int(row["version"]) if row else 0


async def post(client, url: str, token: str, **data):
    return await client.post(url, data={**data, "_csrf_token": token})


def field_error(html: str, name: str) -> str:
    """The message shown next to field ``name`` (and check it is wired for assistive tech)."""
    m = re.search(rf'<[a-z]+ id="f-{name}" [^>]*>', html)
    assert m, f"no field {name}"
    tag = m.group(0)
    assert 'aria-invalid="true"' in tag, tag
    assert f"f-{name}-error" in tag, tag
    err = re.search(rf'<p class="field-error" id="f-{name}-error">([^<]+)</p>', html)
    assert err, f"no error text for {name}"
    return err.group(1)


async def test_new_site_is_its_own_space(client, factory) -> None:
    token = await as_admin(client, factory)
    r = await post(client, "/office/sites", token, code="HYG", name="海悅花園",
                   address="香港九龍紅磡海悅道8號")
    assert r.status_code == 200 and r.history and r.history[0].status_code == 303
    assert "done=created" in str(r.url)
    assert "Created." in r.text
    site = await Site.select().where(Site.code == "HYG").first()
    assert site["space"] == f"{site['id']}:estate"  # the site's estate stream
    assert site["version"] == 1 == await space_version(str(site["id"]))


async def test_every_write_bumps_the_space_version(client, factory) -> None:
    site = await factory.site(name="海悅花園")
    token = await as_admin(client, factory)
    before = {s: await space_version(site, s) for s in ("estate", "residents")}

    async def bumped(table, row_id: str) -> None:
        stream = "residents" if table is Resident else "estate"
        now = await space_version(site, stream)
        assert now == before[stream] + 1, "the write did not bump its stream's space version"
        row = await table.select(table.version, table.space).where(table.id == row_id).first()
        assert row["version"] == now and row["space"] == f"{site}:{stream}"
        before[stream] = now

    await post(client, f"/office/sites/{site}", token, code="HYG2", name="海悅花園 (新)")
    await bumped(Site, site)
    await post(client, f"/office/sites/{site}/active", token, active="0")
    await bumped(Site, site)
    await post(client, f"/office/sites/{site}/active", token, active="1")
    await bumped(Site, site)

    r = await post(client, "/office/buildings", token, site=site, code="A", name="第1座")
    building = str(r.url).split("/office/buildings/")[1].split("?")[0]
    await bumped(Building, building)
    await post(client, f"/office/buildings/{building}", token, code="A", name="第一座")
    await bumped(Building, building)
    await post(client, f"/office/buildings/{building}/active", token, active="0")
    await bumped(Building, building)
    await post(client, f"/office/buildings/{building}/active", token, active="1")
    await bumped(Building, building)

    r = await post(client, "/office/units", token, building=building, number="A-0101",
                   floor="1", area="56.5", use="residential")
    unit = str(r.url).split("/office/units/")[1].split("?")[0]
    await bumped(Unit, unit)
    await post(client, f"/office/units/{unit}", token, building=building, number="A-0101",
               floor="1", area="60", use="commercial")
    await bumped(Unit, unit)
    assert (await Unit.select(Unit.use, Unit.area).where(Unit.id == unit).first()) == {
        "use": "commercial", "area": 60.0}
    await post(client, f"/office/units/{unit}/active", token, active="0")
    await bumped(Unit, unit)

    r = await post(client, "/office/residents", token, building=building, unit_number="a-0101",
                   name="陳大文", phone="9123 4567", relation="tenant", id_type="hkid",
                   id_last4="567(8)")
    resident = str(r.url).split("/office/residents/")[1].split("?")[0]
    await bumped(Resident, resident)
    row = await Resident.select().where(Resident.id == resident).first()
    assert (row["unit"], row["id_last4"], row["relation"]) == (uuid.UUID(unit), "5678", "tenant")
    await post(client, f"/office/residents/{resident}", token, building=building,
               unit_number="A-0101", name="陳大文", relation="owner", id_type="none")
    await bumped(Resident, resident)
    await post(client, f"/office/residents/{resident}/active", token, active="0")
    await bumped(Resident, resident)
    # Deactivated, never deleted.
    assert await Resident.count().where(Resident.id == resident) == 1
    assert await Unit.count().where(Unit.id == unit) == 1


async def test_invalid_unit_rerenders_with_field_errors_and_stores_nothing(client,
                                                                         factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    await factory.unit(site, building, number="A-0101")
    token = await as_admin(client, factory)
    before = (await space_version(site), await Unit.count())
    r = await post(client, "/office/units", token, building=building, number="a-0101",
                   floor="1", area="-5", use="castle")
    assert r.status_code == 400
    assert "already has a unit" in field_error(r.text, "number")
    assert "more than 0" in field_error(r.text, "area")
    assert field_error(r.text, "use")
    assert 'role="alert"' in r.text and 'value="a-0101"' in r.text  # input kept
    assert (await space_version(site), await Unit.count()) == before

    r = await post(client, "/office/units", token, building=str(uuid.uuid4()), number="X")
    assert r.status_code == 400 and field_error(r.text, "building")


async def test_editing_with_errors_changes_nothing(client, factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    unit = await factory.unit(site, building, number="A-0101")
    token = await as_admin(client, factory)
    before = await Unit.select().where(Unit.id == unit).first()
    r = await post(client, f"/office/units/{unit}", token, building=building, number="",
                   area="many")
    assert r.status_code == 400
    assert field_error(r.text, "number") == "Required."
    assert field_error(r.text, "area")
    assert await Unit.select().where(Unit.id == unit).first() == before
    r = await post(client, f"/office/sites/{site}", token, code="bad code!", name="")
    assert r.status_code == 400 and field_error(r.text, "code") and field_error(r.text, "name")


async def test_resident_id_number_longer_than_4_is_refused_and_not_echoed(client,
                                                                           factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    await factory.unit(site, building, number="A-0101")
    token = await as_admin(client, factory)
    r = await post(client, "/office/residents", token, building=building, unit_number="A-0101",
                   name="李小明", id_type="hkid", id_last4="A1234567")
    assert r.status_code == 400
    assert "only the last 4 characters of an id number are kept" in field_error(
        r.text, "id_last4").lower()
    assert "A1234567" not in r.text
    assert await Resident.count() == 0
    r = await post(client, "/office/residents", token, building=building, unit_number="Z-9",
                   name="李小明")
    assert r.status_code == 400 and "has no unit Z-9" in field_error(r.text, "unit_number")


async def test_site_and_building_codes_are_unique(client, factory) -> None:
    site = await factory.site(code="HYG")
    await factory.building(site, code="A")
    token = await as_admin(client, factory)
    r = await post(client, "/office/sites", token, code="hyg", name="另一個")
    assert r.status_code == 400 and "already uses" in field_error(r.text, "code")
    r = await post(client, "/office/buildings", token, site=site, code="a", name="重複")
    assert r.status_code == 400 and "already uses" in field_error(r.text, "code")
    assert await Site.count() == 1 and await Building.count() == 1


async def test_lists_page_by_50_search_and_answer_htmx_with_the_partial(client,
                                                                        factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    for i in range(120):
        await factory.unit(site, building, number=f"A-{i:04d}")
    await as_admin(client, factory)
    page1 = await client.get("/office/units")
    row_link = re.compile(r'href="/office/units/[0-9a-f-]{36}"')
    assert len(row_link.findall(page1.text)) == 50
    assert "<html" in page1.text and "120 found" in page1.text
    page3 = await client.get("/office/units?page=3")
    assert len(row_link.findall(page3.text)) == 20
    assert "Page 3 of 3" in page3.text
    found = await client.get("/office/units?q=a-011", headers={"HX-Request": "true"})
    assert "<html" not in found.text and "<table" in found.text
    assert found.headers.get("vary") == "HX-Request"
    numbers = re.findall(r'href="/office/units/[^"]+">([^<]+)<', found.text)
    assert sorted(numbers) == [f"A-{i:04d}" for i in range(110, 120)]
    empty = await client.get("/office/units?q=nothing-like-this")
    assert "Nothing found." in empty.text


async def test_search_input_uses_htmx_search_as_you_type(client, factory) -> None:
    await as_admin(client, factory)
    for url in ("/office/sites", "/office/buildings", "/office/units", "/office/residents",
                "/office/staff"):
        html = (await client.get(url)).text
        assert 'hx-trigger="input changed delay:300ms, search"' in html
        assert "hx-on" not in html and "style=" not in html and "<script>" not in html


async def test_staff_create_edit_and_password(client, factory) -> None:
    site_a = await factory.site(code="A1")
    site_b = await factory.site(code="B1")
    token = await as_admin(client, factory)
    r = await post(client, "/office/staff", token, username="Wong.TaiMan",
                   display_name="黃大文", role="patrol", phone="61234567",
                   sites=[site_a, site_b], password="long enough pw")
    assert r.status_code == 200 and "done=created" in str(r.url)
    row = await Staff.select().where(Staff.username == "wong.taiman").first()
    assert row and row["role"] == "patrol"
    assert verify_password(row["password_hash"], "long enough pw")
    assert await StaffSite.count().where(StaffSite.staff == row["id"]) == 2
    listed = await client.get(f"/office/staff?site={site_b}&role=patrol",
                              headers={"HX-Request": "true"})
    assert "wong.taiman" in listed.text and "A1, B1" in listed.text

    r = await post(client, "/office/staff", token, username="wong.taiman", display_name="x",
                   role="wizard", password="short")
    assert r.status_code == 400
    assert "already uses" in field_error(r.text, "username")
    assert field_error(r.text, "role") and field_error(r.text, "password")
    assert "short" not in re.findall(r'name="password"[^>]*', r.text)[0]
    assert await Staff.count().where(Staff.username == "wong.taiman") == 1

    staff_id = str(row["id"])
    r = await post(client, f"/office/staff/{staff_id}", token, username="wong.taiman",
                   display_name="黃大文", role="technician", sites=site_a)
    assert r.status_code == 200 and "done=saved" in str(r.url)
    assert (await Staff.select(Staff.role).where(Staff.id == staff_id).first())["role"] == \
        "technician"
    assert await StaffSite.count().where(StaffSite.staff == staff_id) == 1

    r = await post(client, f"/office/staff/{staff_id}/password", token, password="123")
    assert r.status_code == 400 and field_error(r.text, "password")
    r = await post(client, f"/office/staff/{staff_id}/password", token,
                   password="a brand new password")
    assert r.status_code == 200
    row = await Staff.select(Staff.password_hash).where(Staff.id == staff_id).first()
    assert verify_password(row["password_hash"], "a brand new password")


async def add_device(staff_id: str, name: str = "Pixel") -> str:
    device = Device(client_id=uuid.uuid4(), staff=staff_id, name=name,
                    token_hash=token_hash(uuid.uuid4().hex),
                    expires_at=datetime.now(UTC) + timedelta(days=30),
                    last_seen_at=datetime.now(UTC))
    await device.save()
    return str(device.id)


async def test_deactivating_staff_ends_sessions_and_revokes_devices(client, factory,
                                                                    app) -> None:
    import httpx

    site = await factory.site()
    guard = await factory.staff("guard9", role="supervisor", sites=(site,))
    device = await add_device(guard)
    # The guard is signed in elsewhere.
    transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local",
                                 follow_redirects=True) as other:
        await sign_in(other, "guard9", TEST_PASSWORD)
        assert (await other.get("/office")).status_code == 200
        token = await as_admin(client, factory)
        r = await post(client, f"/office/staff/{guard}/active", token, active="0")
        assert r.status_code == 200 and "done=deactivated" in str(r.url)
        assert (await other.get("/office", follow_redirects=False)).status_code in (302, 303)
    assert await WebSession.count().where(WebSession.staff == guard) == 0
    dev = await Device.select(Device.revoked_at).where(Device.id == device).first()
    assert dev["revoked_at"] is not None
    r = await post(client, f"/office/staff/{guard}/active", token, active="1")
    assert (await Staff.select(Staff.active).where(Staff.id == guard).first())["active"]


async def test_admin_cannot_deactivate_or_demote_themselves(client, factory) -> None:
    await factory.staff("boss1", role="admin")
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, "boss1", TEST_PASSWORD)
    me = await Staff.select(Staff.id).where(Staff.username == "boss1").first()
    page = await client.get(f"/office/staff/{me['id']}")
    token = csrf_from(page.text)
    r = await post(client, f"/office/staff/{me['id']}/active", token, active="0")
    assert r.status_code == 400 and "cannot deactivate your own account" in r.text
    r = await post(client, f"/office/staff/{me['id']}", token, username="boss1",
                   display_name="Boss", role="patrol")
    assert r.status_code == 400 and "administrator role" in field_error(r.text, "role")
    row = await Staff.select(Staff.active, Staff.role).where(Staff.id == me["id"]).first()
    assert row == {"active": True, "role": "admin"}


async def test_create_admin_validates_like_the_staff_form(db) -> None:
    import pytest

    from server.accounts.staff_list import create_admin
    from server.lib.errors import ValidationFailed

    staff_id = await create_admin("Root", "系統管理員", "a good long password")
    row = await Staff.select().where(Staff.id == staff_id).first()
    assert (row["username"], row["role"], row["active"]) == ("root", "admin", True)
    with pytest.raises(ValidationFailed) as e:
        await create_admin("root", "", "short")
    assert set(e.value.detail) == {"username", "display_name", "password"}


async def test_devices_list_and_revoke(client, factory) -> None:
    site = await factory.site()
    guard = await factory.staff("guard7", role="patrol", sites=(site,))
    device = await add_device(guard, name="Galaxy A15")
    token = await as_admin(client, factory)
    page = await client.get(f"/office/devices?site={site}")
    assert "Galaxy A15" in page.text and "guard7" in page.text
    r = await post(client, f"/office/devices/{device}/revoke", token)
    assert r.status_code == 200 and "done=revoked" in str(r.url)
    assert (await Device.select(Device.revoked_at).where(Device.id == device).first())[
        "revoked_at"] is not None
