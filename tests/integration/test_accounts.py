"""Sign-in, sessions, CSRF and the sign-in rate limit."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in


async def test_sign_in_lands_on_role_home(client, factory) -> None:
    site = await factory.site()
    await factory.staff("boss", role="supervisor", sites=(site,))
    await factory.staff("desk1", role="front_desk", sites=(site,))
    r = await sign_in(client, "boss", TEST_PASSWORD)
    assert r.status_code == 200 and str(r.url).endswith("/office")
    cookie = r.history[0].headers["set-cookie"] if r.history else ""
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    client.cookies.clear()
    r = await sign_in(client, "desk1", TEST_PASSWORD)
    assert str(r.url).endswith("/m/")


async def test_wrong_password_and_unknown_user_same_message(client, factory) -> None:
    await factory.staff("alice")
    wrong = await sign_in(client, "alice", "not the password")
    unknown = await sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    import re

    def message(html: str) -> str:
        m = re.search(r'role="alert"[^>]*>([^<]+)<', html)
        assert m
        return m.group(1)

    assert message(wrong.text) == message(unknown.text)


async def test_sixth_failed_sign_in_in_a_minute_is_refused(client, factory) -> None:
    await factory.staff("bob")
    for _ in range(5):
        r = await sign_in(client, "bob", "wrong")
        assert r.status_code == 401
    r = await sign_in(client, "bob", TEST_PASSWORD)  # even the right password
    assert r.status_code == 429


async def test_form_without_csrf_token_is_refused(client, factory) -> None:
    await factory.staff("carol")
    await client.get("/login")
    r = await client.post("/login", data={"username": "carol", "password": TEST_PASSWORD})
    assert r.status_code == 403


async def test_signed_out_session_cannot_reach_office(client, factory) -> None:
    site = await factory.site()
    await factory.staff("dave", role="admin", sites=(site,))
    r = await sign_in(client, "dave", TEST_PASSWORD)
    assert str(r.url).endswith("/office")
    page = await client.get("/office")
    assert page.status_code == 200
    r = await client.post("/logout", data={"_csrf_token": csrf_from(page.text)})
    assert r.status_code == 200 and "/login" in str(r.url)
    r = await client.get("/office", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


async def test_non_office_role_cannot_open_office(client, factory) -> None:
    site = await factory.site()
    await factory.staff("guard1", role="patrol", sites=(site,))
    await sign_in(client, "guard1", TEST_PASSWORD)
    r = await client.get("/office")
    assert r.status_code == 403


async def test_control_characters_in_user_name_are_a_wrong_sign_in(client, factory) -> None:
    # Found by fuzzing: a NUL in the name gave a 500 on PostgreSQL (text cannot hold NUL).
    import re
    import uuid

    from server.accounts.tables import SignInFailure

    await factory.staff("erin")
    expected = await sign_in(client, "nobody", "not the password")
    # (each counts against the address, as any failure: four here, one under the limit)
    for name, api in (("erin\x00", True), ("er\x01in\n\x1b[2J", False)):
        r = await sign_in(client, name, TEST_PASSWORD)
        assert r.status_code == 401, (name, r.text)
        assert (re.search(r'role="alert"[^>]*>([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
                == re.search(r'role="alert"[^>]*>([^<]+)<', expected.text).group(1))  # type: ignore[union-attr]
        if not api:
            continue
        r = await client.post("/api/v1/devices", json={
            "username": name, "password": TEST_PASSWORD, "client_id": str(uuid.uuid4()),
            "name": "phone"})
        assert r.status_code == 401, (name, r.text)
        assert r.json()["code"] == "bad_credentials"
    # the raw names never reached the database
    assert not await SignInFailure.exists().where(SignInFailure.username.like("%\x01%"))
    r = await sign_in(client, "erin", TEST_PASSWORD)  # the person herself is not locked out
    assert r.status_code == 200
