"""Who may see and change the office's reference data: supervisors see only their own sites
(read-only); only administrators write, manage staff and import."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.tables import Device
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.security import token_hash
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in


async def two_sites(factory) -> dict[str, str]:
    """Site A (海悅花園) and site B (景華臺), each with a building, a unit and a resident."""
    ids: dict[str, str] = {}
    for key, name, code in (("a", "海悅花園", "HYG"), ("b", "景華臺", "JHT")):
        site = await factory.site(name=name, code=code)
        building = await factory.building(site, code=f"{code}B")
        unit = await factory.unit(site, building, number=f"{code}-1203")
        resident = await factory.resident(site, unit, name=f"{name}住戶")
        ids.update({key: site, f"{key}_building": building, f"{key}_unit": unit,
                    f"{key}_resident": resident})
    return ids


async def signed_in(client, factory, role: str, sites: tuple[str, ...]) -> str:
    username = f"{role}{uuid.uuid4().hex[:6]}"
    await factory.staff(username, role=role, sites=sites)
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, username, TEST_PASSWORD)
    page = await client.get("/login")  # any page with a form carries the CSRF token
    return csrf_from(page.text) if "_csrf_token" in page.text else ""


async def csrf(client) -> str:
    page = await client.get("/office/sites")
    m = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    if m:
        return m.group(1)
    return client.cookies.get("csrftoken", "")


async def test_supervisor_of_a_sees_nothing_of_b(client, factory) -> None:
    ids = await two_sites(factory)
    await signed_in(client, factory, "supervisor", (ids["a"],))
    for url in ("/office/sites", "/office/buildings", "/office/units", "/office/residents",
                "/office/devices"):
        r = await client.get(url)
        assert r.status_code == 200, url
        assert "景華臺" not in r.text and "JHT" not in r.text, url
    units = await client.get("/office/units")
    assert "HYG-1203" in units.text
    residents = await client.get("/office/residents")
    assert "海悅花園住戶" in residents.text
    # Search and filters do not reach site B either.
    for url in ("/office/units?q=JHT-1203", f"/office/units?site={ids['b']}",
                "/office/residents?q=景華臺", f"/office/residents?site={ids['b']}",
                "/office/sites?q=JHT", f"/office/buildings?site={ids['b']}"):
        r = await client.get(url, headers={"HX-Request": "true"})
        assert r.status_code == 200
        assert "JHT" not in r.text and "景華臺" not in r.text, url
        assert "0 found" in r.text, url
    # Detail URLs of site B's rows do not exist for this supervisor.
    for url in (f"/office/sites/{ids['b']}", f"/office/buildings/{ids['b_building']}",
                f"/office/units/{ids['b_unit']}", f"/office/residents/{ids['b_resident']}",
                "/office/units/not-a-uuid"):
        assert (await client.get(url)).status_code == 404, url
    # Their own site's rows open read-only.
    own = await client.get(f"/office/units/{ids['a_unit']}")
    assert own.status_code == 200
    assert "<fieldset disabled>" in own.text and ">Save<" not in own.text
    assert "Deactivate" not in own.text


async def test_supervisor_cannot_write_reference_data(client, factory) -> None:
    ids = await two_sites(factory)
    await signed_in(client, factory, "supervisor", (ids["a"],))
    token = await csrf(client)
    before = [await t.select().order_by(t.id) for t in (Site, Building, Unit, Resident)]
    writes = {
        "/office/sites": {"code": "NEW", "name": "新"},
        f"/office/sites/{ids['a']}": {"code": "X", "name": "X"},
        f"/office/sites/{ids['a']}/active": {"active": "0"},
        "/office/buildings": {"site": ids["a"], "code": "Z", "name": "Z"},
        f"/office/buildings/{ids['a_building']}": {"code": "Z", "name": "Z"},
        f"/office/buildings/{ids['a_building']}/active": {"active": "0"},
        "/office/units": {"building": ids["a_building"], "number": "Z-1"},
        f"/office/units/{ids['a_unit']}": {"building": ids["a_building"], "number": "Z-1"},
        f"/office/units/{ids['a_unit']}/active": {"active": "0"},
        "/office/residents": {"building": ids["a_building"], "unit_number": "HYG-1203",
                              "name": "新住戶"},
        f"/office/residents/{ids['a_resident']}": {"name": "改名"},
        f"/office/residents/{ids['a_resident']}/active": {"active": "0"},
        "/office/import/confirm": {"payload": "x", "signature": "y"},
    }
    for url, data in writes.items():
        r = await client.post(url, data={**data, "_csrf_token": token})
        assert r.status_code == 403, url
    for url in ("/office/sites/new", "/office/buildings/new", "/office/units/new",
                "/office/residents/new", "/office/import",
                "/office/import/template/units.csv"):
        assert (await client.get(url)).status_code == 403, url
    r = await client.post("/office/import", data={"site": ids["a"], "kind": "units",
                                                  "_csrf_token": token},
                          files={"file": ("u.csv", b"building code,unit number\n", "text/csv")})
    assert r.status_code == 403
    after = [await t.select().order_by(t.id) for t in (Site, Building, Unit, Resident)]
    assert after == before


@pytest.mark.parametrize("role", ["supervisor", "front_desk", "patrol", "technician"])
async def test_only_admins_manage_staff(client, factory, role: str) -> None:
    site = await factory.site()
    other = await factory.staff("someone", role="patrol", sites=(site,))
    await signed_in(client, factory, role, (site,))
    token = await csrf(client)
    for url in ("/office/staff", "/office/staff/new", f"/office/staff/{other}"):
        assert (await client.get(url)).status_code == 403, url
    for url, data in {
        "/office/staff": {"username": "newbie", "display_name": "新人", "role": "admin",
                          "password": "long enough password"},
        f"/office/staff/{other}": {"username": "someone", "display_name": "x",
                                   "role": "admin"},
        f"/office/staff/{other}/active": {"active": "0"},
        f"/office/staff/{other}/password": {"password": "long enough password"},
    }.items():
        r = await client.post(url, data={**data, "_csrf_token": token})
        assert r.status_code == 403, url


@pytest.mark.parametrize("role", ["front_desk", "patrol", "technician"])
async def test_field_roles_cannot_open_office_lists(client, factory, role: str) -> None:
    site = await factory.site()
    await signed_in(client, factory, role, (site,))
    for url in ("/office/sites", "/office/units", "/office/residents", "/office/devices",
                "/office/desk/visitors", "/office/desk/passes", "/office/desk/handovers"):
        assert (await client.get(url)).status_code == 403, url


async def _device(staff_id: str, name: str) -> str:
    d = Device(client_id=uuid.uuid4(), staff=staff_id, name=name,
               token_hash=token_hash(uuid.uuid4().hex),
               expires_at=datetime.now(UTC) + timedelta(days=30))
    await d.save()
    return str(d.id)


async def test_supervisor_revokes_only_own_sites_devices(client, factory) -> None:
    ids = await two_sites(factory)
    guard_a = await factory.staff("guard_a", role="patrol", sites=(ids["a"],))
    guard_b = await factory.staff("guard_b", role="patrol", sites=(ids["b"],))
    phone_a = await _device(guard_a, "Phone of A")
    phone_b = await _device(guard_b, "Phone of B")
    await signed_in(client, factory, "supervisor", (ids["a"],))
    token = await csrf(client)
    page = await client.get("/office/devices")
    assert "Phone of A" in page.text and "Phone of B" not in page.text
    r = await client.post(f"/office/devices/{phone_b}/revoke", data={"_csrf_token": token})
    assert r.status_code == 404
    r = await client.post(f"/office/devices/{phone_a}/revoke", data={"_csrf_token": token})
    assert r.status_code == 200
    rows = {str(d["id"]): d["revoked_at"] for d in await Device.select(Device.id,
                                                                       Device.revoked_at)}
    assert rows[phone_a] is not None and rows[phone_b] is None
