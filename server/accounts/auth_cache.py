"""A small per-process cache of "who is this token": token hash → CurrentUser, for a few
seconds, so that authenticating every ``/api`` request (and every office page) is not a
round of queries.

Invalidation is in-process only: revoking a device, deactivating a person, resetting a
password, changing a person's role or sites, signing out, or changing the list of sites
drops the affected entries at once in THIS process. Another worker process (``uvicorn
--workers N``) may keep accepting a revoked device or an ended session for up to
:data:`TTL_SECONDS`. Expiry (``expires_at``) is checked on every hit, so an expired token is
always refused.

A lookup that started before an invalidation must not put the old answer back: entries are
stored only if no invalidation happened since the lookup began (:func:`generation`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NamedTuple

from server.accounts.schemas import CurrentUser

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class _Entry(NamedTuple):
    user: CurrentUser
    expires_at: datetime  # the token's own expiry
    stored_at: float  # time.monotonic()


_entries: dict[str, _Entry] = {}
_generation = 0


def generation() -> int:
    """Take this before the lookup queries; pass it to :func:`put`."""
    return _generation


def get(key: str) -> CurrentUser | None:
    entry = _entries.get(key)
    if entry is None:
        return None
    if (time.monotonic() - entry.stored_at > TTL_SECONDS
            or entry.expires_at < datetime.now(UTC)):
        _entries.pop(key, None)
        return None
    return entry.user


def put(key: str, user: CurrentUser, expires_at: datetime, since_generation: int) -> None:
    if since_generation != _generation:
        return  # something was invalidated while we looked: the answer may be stale
    if len(_entries) >= MAX_ENTRIES:
        _evict()
    _entries[key] = _Entry(user, expires_at, time.monotonic())


def _evict() -> None:
    moment = time.monotonic()
    for key in [k for k, e in _entries.items() if moment - e.stored_at > TTL_SECONDS]:
        del _entries[key]
    while len(_entries) >= MAX_ENTRIES:
        # dicts keep insertion order: drop the oldest
        del _entries[next(iter(_entries))]


def forget(*, key: str | None = None, staff_id: str | None = None,
           device_id: str | None = None) -> None:
    """Drop the entries of a token, a person (all their devices and sessions) or a device."""
    global _generation
    _generation += 1
    if key is not None:
        _entries.pop(key, None)
    if staff_id is not None or device_id is not None:
        for k in [k for k, e in _entries.items()
                  if (staff_id is not None and e.user.id == str(staff_id))
                  or (device_id is not None and e.user.device_id == str(device_id))]:
            del _entries[k]


def clear() -> None:
    """Drop everything (e.g. the list of sites changed: every admin's ``site_ids``)."""
    global _generation
    _generation += 1
    _entries.clear()
