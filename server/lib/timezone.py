"""The estate's time zone (``CARETAKER_TIMEZONE``): how the office reads and filters times.

Times are stored in UTC; pages show them in the estate's zone. ``create_app`` configures it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Hong_Kong"
_zone = ZoneInfo(DEFAULT_TIMEZONE)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def configure(name: str) -> None:
    global _zone
    _zone = parse_zone(name)


def estate_zone() -> ZoneInfo:
    return _zone


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    if moment is None:
        return ""
    return moment.astimezone(_zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
