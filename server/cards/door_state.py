"""What a door controller must do with a card: the one rule, used by the change feed, the
CSV exports and the office's pages alike.

* ``blacklisted`` — the card's status is one of :data:`BLACKLISTED` (lost, damaged,
  revoked): it must not open any door;
* ``active`` — the card is issued and its current issue is valid after this moment;
* ``inactive`` — anything else (in stock, returned, an issue that has expired).

The validity and the access scope are the card's current issue's. A card that expires
changes state without any record changing: the feed and the exports give ``valid_until``
so that a controller enforces it on its own clock too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.lib.queries import to_datetime
from sync.domains.cards.records import BLACKLISTED

STATES = {"blacklisted": "Blacklisted", "active": "Active", "inactive": "Inactive"}
# a blacklist entry the door system has not taken after this long is an exception
PENDING_ALERT = timedelta(hours=1)


def door_state(status: str, valid_until: Any, at: datetime) -> str:
    """The state of a card of ``status`` whose current issue is valid until
    ``valid_until`` (None when it has no issue), at the moment ``at``."""
    if blacklisted(status):
        return "blacklisted"
    until = to_datetime(valid_until)
    if status == "issued" and until is not None and until > at:
        return "active"
    return "inactive"


def blacklisted(status: str) -> bool:
    """A card of ``status`` must not open any door."""
    return status in BLACKLISTED


def pending(status: str, door_taken_at: Any) -> bool:
    """A blacklisted card the door system has not taken yet."""
    return blacklisted(status) and door_taken_at is None


def waited(since: datetime | None, at: datetime) -> tuple[int, int]:
    """How long ago ``since`` was, as whole (hours, minutes) — never negative."""
    if since is None:
        return 0, 0
    minutes = max(0, int((at - since).total_seconds() // 60))
    return minutes // 60, minutes % 60
