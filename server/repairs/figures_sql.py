"""The SQL behind the office's repair figures (:mod:`server.repairs.figures`): COUNT and
SUM(CASE …) grouped by local month, category, rating or technician, over one site's rows —
only the counts leave the database, never a year of visits and follow-ups.

Months are the estate's (a month in Hong Kong begins at 16:00 UTC on the day before): their
bounds are UTC moments computed here from the estate's calendar, and a row's month is the
index of the first bound it falls before — a CASE over parameters, the same statement on
SQLite and PostgreSQL (no date functions, which the two do not share; SQLite keeps times as
Piccolo's UTC text, which sorts as the moments do). A visit's or follow-up's category is its
request's, when the request is the site's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from server.lib.named_sql import bind
from server.lib.timezone import estate_zone
from server.repairs.tables import RepairRequest
from sync.domains.repairs.records import OPEN_STATES


def local_start(first: date) -> datetime:
    """The UTC moment the estate's day ``first`` begins at."""
    return datetime(first.year, first.month, first.day, tzinfo=estate_zone()).astimezone(UTC)


def month_bounds(firsts: Sequence[date]) -> list[datetime]:
    """The UTC bounds of consecutive local months given by their first days: where each
    begins, then where the month after the last begins."""
    last = firsts[-1]
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return [local_start(d) for d in (*firsts, following)]


def _month_of(column: str, months: int) -> str:
    """The index of the month ``column`` falls in (``:end_0`` … bound the months' ends);
    NULL after the last — before the first is left out by the WHERE."""
    whens = " ".join(f"WHEN {column} < :end_{i} THEN {i}" for i in range(months))
    return f"CASE {whens} END"


async def _rows(sql: str, **values: Any) -> list[dict[str, Any]]:
    query, args = bind(sql, **values)
    return list(await RepairRequest.raw(query, *args))


def _count(value: Any) -> int:
    return int(value or 0)


def _in_months(bounds: Sequence[datetime]) -> dict[str, Any]:
    """The values of a statement counting by month over ``bounds``."""
    return {"start": bounds[0], **{f"end_{i}": b for i, b in enumerate(bounds[1:])}}


# --- satisfaction: scores of closed visits, ratings of follow-ups ----------------------------

SCORED_SQL = """
SELECT {month} AS month, r.category AS category, COUNT(*) AS scored,
  SUM(v.satisfaction) AS score_sum
FROM repair_visit v
LEFT JOIN repair_request r ON r.id = v.request AND r.site = v.site
WHERE v.site = :site AND v.closed_at >= :start AND v.satisfaction IS NOT NULL
GROUP BY 1, 2"""

RATED_SQL = """
SELECT {month} AS month, r.category AS category, f.rating AS rating, COUNT(*) AS n
FROM follow_up f
LEFT JOIN repair_request r ON r.id = f.request AND r.site = f.site
WHERE f.site = :site AND f.done_at >= :start AND f.rating IN (:rated)
GROUP BY 1, 2, 3"""


def _month_row(row: dict[str, Any]) -> dict[str, Any]:
    month = row["month"]
    category = row["category"]
    return {"month": None if month is None else int(month),
            "category": "" if category is None else str(category)}


async def scored_counts(site: str, bounds: Sequence[datetime]) -> list[dict[str, Any]]:
    """Visits closed with a score since ``bounds[0]``, per (month index — None after the
    last month —, request's category — "" when the request is not the site's): how many
    and their scores' sum."""
    sql = SCORED_SQL.format(month=_month_of("v.closed_at", len(bounds) - 1))
    return [{**_month_row(r), "scored": _count(r["scored"]),
             "score_sum": _count(r["score_sum"])}
            for r in await _rows(sql, site=site, **_in_months(bounds))]


async def rated_counts(site: str, bounds: Sequence[datetime], ratings: Sequence[str]
                       ) -> list[dict[str, Any]]:
    """Follow-ups done since ``bounds[0]`` with one of ``ratings``, per (month index,
    request's category, rating): how many."""
    sql = RATED_SQL.format(month=_month_of("f.done_at", len(bounds) - 1))
    return [{**_month_row(r), "rating": str(r["rating"]), "n": _count(r["n"])}
            for r in await _rows(sql, site=site, rated=tuple(ratings),
                                 **_in_months(bounds))]


# --- workload: jobs and visits per technician ------------------------------------------------

JOBS_SQL = """
SELECT assignee AS staff,
  SUM(CASE WHEN state IN (:open) THEN 1 ELSE 0 END) AS open_jobs,
  SUM(CASE WHEN state IN (:open) AND state = :busy THEN 1 ELSE 0 END) AS in_progress,
  SUM(CASE WHEN state IN (:open) AND ((started_at IS NULL AND respond_by < :now)
      OR complete_by < :now) THEN 1 ELSE 0 END) AS overdue,
  SUM(CASE WHEN finished_at >= :month_start THEN 1 ELSE 0 END) AS finished
FROM repair_request
WHERE site = :site AND assignee IS NOT NULL
  AND (state IN (:open) OR finished_at >= :month_start)
GROUP BY assignee ORDER BY assignee"""

VISITS_SQL = """
SELECT technician AS staff, COUNT(*) AS visits FROM repair_visit
WHERE site = :site AND arrived_at >= :month_start
GROUP BY technician ORDER BY technician"""


async def technician_jobs(site: str, month_start: datetime, at: datetime
                          ) -> list[dict[str, Any]]:
    """Per assignee of the site's requests still open or finished since ``month_start``:
    open, in progress, overdue at ``at`` (not started by the response deadline, or not
    finished by the completion one — :func:`server.repairs.board.is_overdue`), finished
    since ``month_start``."""
    rows = await _rows(JOBS_SQL, open=OPEN_STATES, busy="in_progress", now=at,
                       month_start=month_start, site=site)
    return [{"staff": str(r["staff"]), "open": _count(r["open_jobs"]),
             "in_progress": _count(r["in_progress"]), "overdue": _count(r["overdue"]),
             "finished": _count(r["finished"])} for r in rows]


async def technician_visits(site: str, month_start: datetime) -> list[dict[str, Any]]:
    """Per technician: the site's visits begun since ``month_start``."""
    rows = await _rows(VISITS_SQL, site=site, month_start=month_start)
    return [{"staff": str(r["staff"]), "visits": _count(r["visits"])} for r in rows]
