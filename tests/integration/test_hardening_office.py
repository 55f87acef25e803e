"""Hardening, sign-in, sessions, pages and forms (issue 8, defects 7–17), on SQLite and
PostgreSQL: each test names its defect and fails on the release before the fix."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import httpx
import pytest

from server.accounts.tables import Device, SignInFailure, Staff
from server.estate.tables import Resident
from server.keys.tables import KeyTag
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in
from tests.integration.sync_support import PULL, PUSH, lend_args, phone

DEVICES = "/api/v1/devices"


def _other_browser(app: Any, address: str = "127.0.0.9") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40009))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local",
                             follow_redirects=True)


async def _as_admin(client: Any, factory: Any, *sites: str) -> str:
    name = f"admin{uuid.uuid4().hex[:6]}"
    await factory.staff(name, role="admin", sites=sites)
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, name, TEST_PASSWORD)
    return csrf_from((await client.get("/office/sites")).text)


# --- 7. the sign-in rate limit under concurrency ------------------------------------------

async def test_7_the_sign_in_limit_holds_for_concurrent_attempts(app, factory, settings,
                                                                  db) -> None:
    await factory.staff("erin")

    async def attempt(n: int) -> int:
        async with _other_browser(app, f"127.0.1.{n}") as browser:
            page = await browser.get("/login")
            r = await browser.post("/login", data={
                "username": "erin", "password": f"wrong {n}",
                "_csrf_token": csrf_from(page.text)})
            return r.status_code

    statuses = await asyncio.gather(*(attempt(n) for n in range(12)))
    assert statuses.count(401) <= settings.signin_max_failures, statuses
    assert statuses.count(429) >= 12 - settings.signin_max_failures, statuses


# --- 8. user names no account can have ----------------------------------------------------

async def test_8_control_character_user_names_are_counted_and_cost_no_hash(client,
                                                                           db) -> None:
    times = []
    statuses = []
    for n in range(6):
        name = ["guard\x01", "\x7f", "a\x00b"][n % 3]
        start = time.perf_counter()
        r = await client.post(DEVICES, json={"username": name, "password": "x" * 20,
                                             "client_id": str(uuid.uuid4()), "name": "p"})
        times.append(time.perf_counter() - start)
        statuses.append(r.status_code)
    assert statuses == [401] * 5 + [429], statuses  # counted against the address
    # refused before any password hash (~0.3 s each): all well under one hash, even on a
    # loaded machine, and the typical one far under
    assert max(times) < 0.25 and sorted(times)[len(times) // 2] < 0.05, times
    assert await SignInFailure.count() == 6


# --- 9. a password reset revokes the person's phones -------------------------------------

async def test_9_a_password_reset_revokes_phone_tokens(client, factory, settings) -> None:
    site = await factory.site()
    guard = await factory.staff("guard9", role="patrol", sites=(site,))
    p = await phone(settings, guard)
    r = await client.post(PULL, headers=p.headers, json={"client_id": p.client_id,
                                                         "schema_version": 2})
    assert r.status_code == 200
    token = await _as_admin(client, factory)
    page = await client.get(f"/office/staff/{guard}")
    assert "phones must sign in again" in page.text
    r = await client.post(f"/office/staff/{guard}/password", data={
        "password": "a brand new password", "_csrf_token": token})
    assert r.status_code == 200 and "phones must sign in again" in r.text
    r = await client.post(PULL, headers=p.headers, json={"client_id": p.client_id,
                                                         "schema_version": 2})
    assert r.status_code == 401
    assert (await Device.select(Device.revoked_at).where(Device.id == p.device_id).first())[
        "revoked_at"] is not None


# --- 10. the CSRF token belongs to the session --------------------------------------------

async def test_10_a_csrf_token_from_another_browser_is_refused(client, app, factory,
                                                               db) -> None:
    await _as_admin(client, factory)
    async with _other_browser(app) as stranger:  # anonymous: a valid token/cookie pair
        page = await stranger.get("/login")
        planted = stranger.cookies.get("csrftoken")
        foreign = csrf_from(page.text)
    assert planted and foreign
    for cookie in [c for c in client.cookies.jar if c.name == "csrftoken"]:
        client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    client.cookies.set("csrftoken", planted)  # planted in the admin's browser
    assert [c.value for c in client.cookies.jar if c.name == "csrftoken"] == [planted]
    r = await client.post("/office/sites", data={"code": "EVIL", "name": "x",
                                                  "_csrf_token": foreign},
                          follow_redirects=False)
    assert r.status_code == 403
    # the admin's own page carries the session's token, which works
    token = csrf_from((await client.get("/office/sites/new")).text)
    assert token != foreign
    r = await client.post("/office/sites", data={"code": "GOOD", "name": "x",
                                                  "_csrf_token": token},
                          follow_redirects=False)
    assert r.status_code == 303


# --- 11. personal data is never stored by browsers or proxies ------------------------------

async def test_11_signed_in_pages_and_pulls_are_no_store(client, factory, settings) -> None:
    site = await factory.site()
    await _as_admin(client, factory, site)
    for url in ("/office", "/office/sites", f"/office/sites/{site}", "/office/keys/loans",
                "/office/residents", "/office/staff", "/m/"):
        r = await client.get(url)
        assert r.status_code == 200, url
        assert r.headers.get("cache-control") == "no-store", (url, r.headers)
    desk = await factory.staff("desk11", role="front_desk", sites=(site,))
    p = await phone(settings, desk)
    r = await client.post(PULL, headers=p.headers, json={"client_id": p.client_id,
                                                         "schema_version": 2})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"


# --- 12. unmatched routes carry the security headers --------------------------------------

@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/office/nope", 404), ("PUT", "/office", 405), ("GET", "/api/v1/nope", 404),
    ("DELETE", "/login", 405),
])
async def test_12_404_and_405_carry_the_security_headers(client, db, method: str, url: str,
                                                         status: int) -> None:
    r = await client.request(method, url)
    assert r.status_code == status
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


# --- 13. concurrent and repeated submissions ----------------------------------------------

async def test_13_one_user_name_created_four_times_at_once(client, factory) -> None:
    token = await _as_admin(client, factory)
    forms = []
    for _ in range(4):  # four different forms (four tabs), one user name
        page = await client.get("/office/staff/new")
        once = re.search(r'name="_once" value="([^"]+)"', page.text)
        assert once
        forms.append({"username": "twin", "display_name": "雙", "role": "patrol",
                      "password": "long enough pw", "_once": once.group(1),
                      "_csrf_token": token})
    responses = await asyncio.gather(*(client.post("/office/staff", data=f,
                                                   follow_redirects=False) for f in forms))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303, 400, 400, 400], statuses
    for r in responses:
        if r.status_code == 400:
            assert "already uses this user name" in r.text
    assert await Staff.count().where(Staff.username == "twin") == 1


async def test_13_a_form_sent_twice_makes_one_record(client, factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    await factory.unit(site, building, number="A-1")
    token = await _as_admin(client, factory)
    page = await client.get("/office/residents/new")
    once = re.search(r'name="_once" value="([^"]+)"', page.text)
    assert once
    form = {"building": building, "unit_number": "A-1", "name": "陳大文", "relation": "owner",
            "id_type": "none", "_once": once.group(1), "_csrf_token": token}
    responses = await asyncio.gather(*(client.post("/office/residents", data=form,
                                                   follow_redirects=False) for _ in range(4)))
    assert {r.status_code for r in responses} == {303}
    assert {r.headers["location"].split("?")[0] for r in responses} == {
        f"/office/residents/{once.group(1)}"}
    assert await Resident.count() == 1


# --- 14. control characters in office text -------------------------------------------------

async def test_14_a_nul_is_refused_with_a_message_in_forms_and_sync(client, factory, settings,
                                                                    db) -> None:
    site = await factory.site()
    token = await _as_admin(client, factory, site)
    before = await KeyTag.count()
    r = await client.post("/office/keys", data={
        "site": site, "code": "K-1", "label": "a\x00b", "category": "public_area",
        "_csrf_token": token})
    assert r.status_code == 400
    assert "control characters" in r.text
    r = await client.post("/office/sites", data={"code": "S\x00", "name": "x\x01y",
                                                  "_csrf_token": token})
    assert r.status_code == 400 and "control characters" in r.text
    assert await KeyTag.count() == before
    for url in ("/office/residents?q=a%00b", "/office/keys/loans?q=a%00b",
                "/office/keys?q=%00", "/office/staff?q=%01"):
        assert (await client.get(url)).status_code == 200, url
    # the same rule through sync, on both databases: refused, named, never stored
    key = await factory.key(site, code="K-14")
    desk = await factory.staff("desk14", role="front_desk", sites=(site,))
    p = await phone(settings, desk)
    r = await client.post(PUSH, headers=p.headers, json=p.body([p.mutation(
        "key.lend", lend_args(key, borrower_name="a\x00b"))]))
    assert r.status_code == 200 and r.json()["rejected"] == 1
    r = await client.post(PULL, headers=p.headers, json={"client_id": p.client_id,
                                                         "schema_version": 2})
    (rejection,) = r.json()["rejections"]
    assert (rejection["code"], rejection["field"]) == ("invalid_args", "borrower_name")


# --- 15. LIKE wildcards ---------------------------------------------------------------------

async def test_15_percent_and_underscore_are_searched_as_text(client, factory) -> None:
    site = await factory.site()
    building = await factory.building(site, code="A")
    await factory.unit(site, building, number="A-1")
    await factory.unit(site, building, number="B_2")
    await _as_admin(client, factory, site)
    for q, found in (("%", []), ("_", ["B_2"]), ("B_", ["B_2"])):
        r = await client.get(f"/office/units?q={q.replace('%', '%25')}",
                             headers={"HX-Request": "true"})
        numbers = re.findall(r'href="/office/units/[^"]+">([^<]+)<', r.text)
        assert numbers == found, (q, numbers)


# --- 16. codes and names people could not tell apart ---------------------------------------

async def test_16_codes_are_normalised_and_invisible_text_refused(client, factory,
                                                                  settings) -> None:
    site = await factory.site(code="HYG")
    await factory.key(site, code="HYG-K001")
    token = await _as_admin(client, factory, site)

    async def key_form(**fields: str) -> httpx.Response:
        return await client.post("/office/keys", data={
            "site": site, "label": "大堂", "category": "public_area", **fields,
            "_csrf_token": token})

    r = await key_form(code="ＨＹＧ-Ｋ001")  # a full-width look-alike of a used code
    assert r.status_code == 400 and "already has this code" in r.text
    r = await key_form(code="K\u202e1-TAG")  # a right-to-left override
    assert r.status_code == 400 and "invisible direction marks" in r.text
    r = await key_form(code="HYG-K900", label="\u200b\u200b")  # zero-width only
    assert r.status_code == 400 and "Required." in r.text
    r = await key_form(code=" hyg-k901 ")
    assert r.status_code == 303 or r.status_code == 200
    assert await KeyTag.count().where(KeyTag.code == "HYG-K901") == 1
    desk = await factory.staff("desk16", role="front_desk", sites=(site,))
    p = await phone(settings, desk)
    key = (await KeyTag.select(KeyTag.id).where(KeyTag.code == "HYG-K001").first())["id"]
    r = await client.post(PUSH, headers=p.headers, json=p.body([p.mutation(
        "key.lend", lend_args(str(key), borrower_name="   "))]))
    assert r.json()["rejected"] == 1
    r = await client.post(PULL, headers=p.headers, json={"client_id": p.client_id,
                                                         "schema_version": 2})
    (rejection,) = r.json()["rejections"]
    assert (rejection["code"], rejection["field"]) == ("invalid_args", "borrower_name")


# --- 17. CSV charset, favicon --------------------------------------------------------------

async def test_17_csv_says_its_charset_once_and_there_is_a_favicon(client, factory) -> None:
    site = await factory.site()
    await _as_admin(client, factory, site)
    for url in ("/office/keys/loans/export", "/office/import/template/units.csv"):
        r = await client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"] == "text/csv; charset=utf-8", url
    r = await client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
