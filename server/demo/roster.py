"""Who is on duty in the demo estate, shared by every part of the demo so that the same
person is never in two places at once: at each site a day shift and a night shift (08:00 and
20:00 local), a desk person and a gate guard on each — the supervisor covers the day desk's
day off at 海悅花園 — and the patrol rounds walked by the guard on duty.

And the one phone that has gone quiet: the guard on duty now at 海悅花園 has not synced for
about five hours (:func:`quiet_phone`). What that phone did since stayed on it, so the
server knows nothing of it: the guard's rounds since look missed, the passes they let out
look not yet taken out — the office's "phone not synced for long" exception, with the
guard on shift and a round assigned now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from server.demo.desk_texts import DESKS, GUARDS, SHIFT_HOURS

QUIET_SITE = 0  # 海悅花園 (the office's supervisor sees it)
QUIET_FOR = timedelta(hours=5, minutes=10)
DOUBLE_FINISH_DAYS = 3  # the car-park round finished on two phones: this many days ago
DOUBLE_FINISH_HOUR = 4  # its slot began at 04:00 local (walked as the night shift ends)


def is_day(at: datetime, zone: ZoneInfo) -> bool:
    return SHIFT_HOURS[0] <= at.astimezone(zone).hour < SHIFT_HOURS[1]


def guard_at(site: int, at: datetime, zone: ZoneInfo) -> str:
    """The gate guard (and patrol guard) on duty at site ``site`` (its index) at ``at``."""
    day, night = GUARDS[site]
    return day if is_day(at, zone) else night


def desk_at(site: int, at: datetime, zone: ZoneInfo, off_day: int) -> str:
    """The desk person on duty: the day desk (on ``off_day``, a weekday, their relief if the
    site has one), else the night desk."""
    day_desk, relief, night = DESKS[site]
    local = at.astimezone(zone)
    if not is_day(at, zone):
        return night
    return relief if relief and local.weekday() == off_day else day_desk


def off_day(today: date) -> int:
    """The day desk's day off (a weekday): three days ago's."""
    return (today - timedelta(days=3)).weekday()


def quiet_phone(now: datetime, zone: ZoneInfo) -> tuple[str, datetime]:
    """The guard whose phone has not synced since the moment returned (on duty now)."""
    return guard_at(QUIET_SITE, now, zone), (now - QUIET_FOR).replace(microsecond=0)


def walker(site: int, slot_at: datetime, zone: ZoneInfo, ids: dict[str, str],
           allowed: Sequence[str]) -> str | None:
    """The staff id of the guard on duty when a round's slot begins, if the round is theirs
    to walk (``allowed``: the schedule's guards); else None."""
    guard = ids.get(guard_at(site, slot_at, zone), "")
    return guard if guard in allowed else None


def is_double_finish(base: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Whether a slot beginning at ``base`` is the one of the double-finish set piece (a slot
    of the first site's car-park schedule; :mod:`server.demo.console_pieces`)."""
    local = base.astimezone(zone)
    return (local.date() == now.astimezone(zone).date() - timedelta(days=DOUBLE_FINISH_DAYS)
            and local.hour == DOUBLE_FINISH_HOUR and local.minute == 0)
