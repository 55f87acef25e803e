"""The per-process identity cache: expiry on hits, invalidation, the stale-answer guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.accounts import auth_cache
from server.accounts.schemas import CurrentUser


def _user(staff: str = "s1", device: str | None = "d1") -> CurrentUser:
    return CurrentUser(id=staff, username="u", display_name="U", role="front_desk",
                       site_ids=(), device_id=device)


def test_an_expired_token_is_not_served_from_the_cache() -> None:
    auth_cache.clear()
    late = datetime.now(UTC) - timedelta(seconds=1)
    auth_cache.put("d:y", _user(), late, auth_cache.generation())
    assert auth_cache.get("d:y") is None
    later = datetime.now(UTC) + timedelta(hours=1)
    auth_cache.put("d:z", _user(), later, auth_cache.generation())
    assert auth_cache.get("d:z") == _user()


def test_forget_by_device_staff_and_key() -> None:
    auth_cache.clear()
    later = datetime.now(UTC) + timedelta(hours=1)
    for key, user in [("d:1", _user("a", "d1")), ("d:2", _user("a", "d2")),
                      ("s:3", _user("a", None)), ("d:4", _user("b", "d4"))]:
        auth_cache.put(key, user, later, auth_cache.generation())
    auth_cache.forget(device_id="d1")
    assert auth_cache.get("d:1") is None and auth_cache.get("d:2") is not None
    auth_cache.forget(staff_id="a")
    assert auth_cache.get("d:2") is None and auth_cache.get("s:3") is None
    assert auth_cache.get("d:4") is not None
    auth_cache.forget(key="d:4")
    assert auth_cache.get("d:4") is None


def test_a_lookup_overtaken_by_an_invalidation_is_not_stored() -> None:
    auth_cache.clear()
    since = auth_cache.generation()
    auth_cache.forget(device_id="d1")  # e.g. a revoke committed while we were querying
    auth_cache.put("d:1", _user(), datetime.now(UTC) + timedelta(hours=1), since)
    assert auth_cache.get("d:1") is None


def test_the_cache_is_bounded(monkeypatch) -> None:
    auth_cache.clear()
    monkeypatch.setattr(auth_cache, "MAX_ENTRIES", 3)
    later = datetime.now(UTC) + timedelta(hours=1)
    for i in range(5):
        auth_cache.put(f"d:{i}", _user(device=str(i)), later, auth_cache.generation())
    assert len(auth_cache._entries) == 3
    assert auth_cache.get("d:0") is None and auth_cache.get("d:4") is not None
