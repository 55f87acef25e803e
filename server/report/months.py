"""A report's month: an estate-local calendar month (``2026-11``), the UTC moments it starts
and ends at, and the month shown when none is asked for (the last full month)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import FILTER_YEARS, now
from server.lib.timezone import estate_zone

MONTH_RE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})")


@dataclass(frozen=True)
class Month:
    key: str  # "2026-11"
    first: date  # its first day (local)
    start: datetime  # its first moment, UTC
    end: datetime  # the next month's first moment, UTC

    def cut(self, at: datetime) -> datetime:
        """The moment its figures are read at: its end, or ``at`` while it is running."""
        return max(self.start, min(self.end, at))


def _local_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=estate_zone()).astimezone(UTC)


def _shift(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(first: date) -> Month:
    first = first.replace(day=1)
    return Month(key=f"{first:%Y-%m}", first=first, start=_local_start(first),
                 end=_local_start(_shift(first, 1)))


def last_full_month(at: datetime | None = None) -> Month:
    today = (at or now()).astimezone(estate_zone()).date()
    return month_of(_shift(today.replace(day=1), -1))


def current_month(at: datetime | None = None) -> Month:
    return month_of((at or now()).astimezone(estate_zone()).date())


def parse_month(text: str, at: datetime | None = None) -> Month:
    """``YYYY-MM`` as people type it in the month picker, up to the running month; anything
    else is refused (400) with a message saying what is expected."""
    found = MONTH_RE.fullmatch(text.strip())
    if found is None or not 1 <= int(found["month"]) <= 12 \
            or not FILTER_YEARS[0] <= int(found["year"]) <= FILTER_YEARS[1]:
        message = _("Choose a month as year and month, like {example}.",
                    example=last_full_month(at).key)
        raise ValidationFailed(message, detail={"month": message})
    month = month_of(date(int(found["year"]), int(found["month"]), 1))
    if month.first > current_month(at).first:
        message = _("{month} has not begun yet: choose this month or an earlier one.",
                    month=month.key)
        raise ValidationFailed(message, detail={"month": message})
    return month
