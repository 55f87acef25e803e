"""The visitors' cut-off hour (``CARETAKER_VISITOR_CUTOFF``, HH:MM in the estate's time,
23:00 unless set): a visitor signed in on a day and not signed out by that day's cut-off is
an exception for the office — still inside now that the cut-off has passed, or signed out
after it. A visitor who came after the cut-off is inside after it too, so is flagged.

``create_app`` configures it (like the estate's time zone). The rule is one inequality,
``cut-off of the sign-in day < (time out, or now)``, written three times: in Python
(:func:`is_late`, the row's flag) and in each database's SQL (:func:`late_clause`, the
list's filter and the office home's count), so a filter never reads the whole table into
Python. PostgreSQL computes the sign-in day in the estate's named zone (exact, summer time
included); SQLite has no time zones, so it shifts by the zone's offset now — exact for
zones without summer time (Hong Kong), up to an hour off on a changeover night elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.lib.queries import now, to_datetime
from server.lib.timezone import estate_zone

DEFAULT = "23:00"
_cutoff = time(23, 0)


def parse(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes))


def configure(text: str) -> None:
    global _cutoff
    _cutoff = parse(text)


def hour() -> time:
    return _cutoff


def label() -> str:
    """The cut-off as people read it: ``23:00``."""
    return _cutoff.strftime("%H:%M")


def cutoff_of(moment: datetime) -> datetime:
    """The cut-off of the estate's day ``moment`` falls on (an aware datetime)."""
    zone = estate_zone()
    day = moment.astimezone(zone).date()
    return datetime.combine(day, _cutoff, tzinfo=zone)


def is_late(time_in: Any, time_out: Any, at: datetime | None = None) -> bool:
    """Still inside after the cut-off of the day the visitor came (or signed out after it)."""
    came = to_datetime(time_in)
    if came is None:
        return False
    left = to_datetime(time_out) or at or now()
    try:
        return cutoff_of(came) < left
    except (OverflowError, ValueError):
        return False


def late_clause(engine_type: str, table: str = "visitor", at: datetime | None = None
                ) -> WhereRaw:
    """The rows of ``table`` (a visitor table's name) :func:`is_late` flags, as SQL."""
    moment = at or now()
    time_in, time_out = f'"{table}"."time_in"', f'"{table}"."time_out"'
    after_midnight = timedelta(hours=_cutoff.hour, minutes=_cutoff.minute)
    if engine_type in ("postgres", "cockroach"):
        zone = estate_zone().key
        return WhereRaw(
            f"((date_trunc('day', {time_in} AT TIME ZONE {{}}) + {{}}) AT TIME ZONE {{}})"
            f" < COALESCE({time_out}, {{}})", zone, after_midnight, zone, moment)
    offset = estate_zone().utcoffset(moment) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    cut = int(after_midnight.total_seconds() // 60) - minutes
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return WhereRaw(
        f"datetime(date({time_in}, {{}}), {{}}) < datetime(COALESCE({time_out}, {{}}))",
        f"{minutes:+d} minutes", f"{cut:+d} minutes", stamp)
