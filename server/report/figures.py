"""The monthly report's figures, one function per section, each counted by the database:
COUNT and SUM(CASE …) grouped by a column, over one site's rows whose time falls in the
month — a (site, time) range that never loads the rows themselves (a month of a large
estate is tens of thousands of records; the report answers in well under 2 s at 1,000,000).

The SQL is the portable subset SQLite and PostgreSQL share: values (times, booleans, states)
are parameters, never text in the statement; no date functions (the month's bounds are UTC
moments computed in Python from the estate's calendar, server/report/months.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from server.cards.tables import CardIssue
from server.desk.tables import Visitor
from server.keys.tables import KeyLoan
from server.lib.named_sql import bind
from server.patrol.tables import PatrolIncident, PatrolRound, PatrolRoute
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from server.report.months import Month
from sync.domains.repairs.records import CATEGORIES, OPEN_STATES
from sync.domains.repairs.records import OUTCOMES as VISIT_OUTCOMES


def _number(value: Any) -> int:
    """A count as the database returns it (None for a SUM over no rows)."""
    return int(value or 0)


async def _rows(table: Any, sql: str, **values: Any) -> list[dict[str, Any]]:
    """The rows of ``sql`` (its ``:name`` marks bound to ``values``)."""
    query, args = bind(sql, **values)
    return [{k: (_number(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
            for r in await table.raw(query, *args)]


def _counted(row: dict[str, Any], *names: str) -> dict[str, int]:
    return {n: _number(row.get(n)) for n in names}


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent (one decimal), None when there is nothing."""
    return round(100 * part / whole, 1) if whole else None


# --- patrol: rounds whose slot began in the month, by route ------------------------------

ROUNDS_SQL = """
SELECT route, COUNT(*) AS planned,
  SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done,
  SUM(CASE WHEN status = 'done' AND late = :no THEN 1 ELSE 0 END) AS on_time,
  SUM(CASE WHEN status = 'incomplete' THEN 1 ELSE 0 END) AS incomplete,
  SUM(CASE WHEN status = 'missed' OR (status = 'planned' AND start_by < :now)
      THEN 1 ELSE 0 END) AS missed
FROM patrol_round WHERE site = :site AND slot_at >= :start AND slot_at < :cut
GROUP BY route"""
ROUND_FIGURES = ("planned", "done", "on_time", "incomplete", "missed")

INCIDENTS_SQL = """
SELECT COUNT(*) AS incidents FROM patrol_incident
WHERE site = :site AND reported_at >= :start AND reported_at < :end"""


def _round_line(name: str, row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {"name": name, **_counted(row, *ROUND_FIGURES)}
    line["late"] = line["done"] - line["on_time"]
    line["rate"] = share(line["done"], line["planned"])
    line["on_time_rate"] = share(line["on_time"], line["planned"])
    return line


async def patrol(site: str, month: Month, at: datetime) -> dict[str, Any]:
    """Rounds planned (their slot has begun), done, done on time, done late, incomplete
    and missed (marked missed, or never started by their start-by time) — in all and by
    route — and the incidents reported in the month."""
    rows = await _rows(PatrolRound, ROUNDS_SQL, no=False, now=at, site=site,
                       start=month.start, cut=month.cut(at))
    names = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name).where(PatrolRoute.site == site)}
    routes = sorted((_round_line(names.get(str(r["route"]), str(r["route"])), r)
                     for r in rows), key=lambda line: line["name"])
    total = _round_line("", {k: sum(line[k] for line in routes) for k in ROUND_FIGURES})
    found = await _rows(PatrolIncident, INCIDENTS_SQL, site=site, start=month.start,
                        end=month.end)
    incidents = _number(found[0]["incidents"]) if found else 0
    return {"total": total, "routes": routes, "incidents": incidents,
            "empty": not total["planned"] and not incidents}


# --- keys: loans made, returned and overdue, by kind of borrower -------------------------

LOANS_SQL = """
SELECT borrower_kind,
  SUM(CASE WHEN lent_at >= :start AND voided = :no THEN 1 ELSE 0 END) AS lent,
  SUM(CASE WHEN lent_at >= :start AND voided = :yes THEN 1 ELSE 0 END) AS voided,
  SUM(CASE WHEN returned_at >= :start AND returned_at < :cut AND voided = :no
      THEN 1 ELSE 0 END) AS returned,
  SUM(CASE WHEN returned_at >= :start AND returned_at < :cut AND returned_at > due_at
      AND voided = :no THEN 1 ELSE 0 END) AS returned_late,
  SUM(CASE WHEN due_at >= :start AND due_at < :cut AND voided = :no
      AND (returned_at IS NULL OR returned_at > due_at) THEN 1 ELSE 0 END) AS went_overdue,
  SUM(CASE WHEN voided = :no AND due_at < :cut
      AND (returned_at IS NULL OR returned_at >= :cut) THEN 1 ELSE 0 END) AS overdue_at_end
FROM key_loan
WHERE site = :site AND lent_at < :cut AND (returned_at IS NULL OR returned_at >= :start)
GROUP BY borrower_kind"""
LOAN_FIGURES = ("lent", "voided", "returned", "returned_late", "went_overdue",
                "overdue_at_end")


async def keys(site: str, month: Month, at: datetime) -> dict[str, Any]:
    """Loans made in the month (and voided), loans returned in it (and returned after their
    due time), loans that fell due in it and were not back in time, and loans still out
    past their due time when the month ended (or now, for the running month) — in all and
    by kind of borrower. Only loans still out at the month's start or lent in it are read."""
    rows = await _rows(KeyLoan, LOANS_SQL, site=site, start=month.start, cut=month.cut(at),
                       no=False, yes=True)
    kinds: list[dict[str, Any]] = sorted(
        ({"kind": str(r["borrower_kind"]), **_counted(r, *LOAN_FIGURES)} for r in rows),
        key=lambda line: str(line["kind"]))
    kinds = [k for k in kinds if any(k[n] for n in LOAN_FIGURES)]
    total: dict[str, Any] = {n: sum(k[n] for k in kinds) for n in LOAN_FIGURES}
    total["returned_on_time_rate"] = share(total["returned"] - total["returned_late"],
                                           total["returned"])
    return {"total": total, "kinds": kinds, "empty": not kinds}


# --- IC cards: issued, replaced, and issues ended (lost, damaged, returned, revoked) ------

ISSUED_SQL = """
SELECT COUNT(*) AS issued,
  SUM(CASE WHEN replaces_issue IS NOT NULL THEN 1 ELSE 0 END) AS replaced
FROM card_issue WHERE site = :site AND issued_at >= :start AND issued_at < :end"""
ENDED_SQL = """
SELECT end_reason, COUNT(*) AS n FROM card_issue
WHERE site = :site AND ended_at >= :start AND ended_at < :end GROUP BY end_reason"""
ENDINGS = ("lost", "damaged", "returned", "revoked")
CARD_FIGURES = ("issued", "replaced", *ENDINGS)


async def cards(site: str, month: Month) -> dict[str, Any]:
    """Cards issued in the month (of them, replacements of an earlier card) and the issues
    that ended in it because the card was reported lost, damaged, returned or revoked."""
    bounds = {"site": site, "start": month.start, "end": month.end}
    issued = await _rows(CardIssue, ISSUED_SQL, **bounds)
    ended = {str(r["end_reason"]): _number(r["n"])
             for r in await _rows(CardIssue, ENDED_SQL, **bounds)}
    total = {**_counted(issued[0] if issued else {}, "issued", "replaced"),
             **{n: ended.get(n, 0) for n in ENDINGS}}
    return {"total": total, "empty": not any(total.values())}


# --- repairs: requests by category against their deadlines --------------------------------

REQUESTS_SQL = """
SELECT category, COUNT(*) AS reported,
  SUM(CASE WHEN complaint = :yes THEN 1 ELSE 0 END) AS complaints,
  SUM(CASE WHEN started_at <= respond_by THEN 1 ELSE 0 END) AS responded_on_time,
  SUM(CASE WHEN started_at > respond_by OR (started_at IS NULL AND state IN (:open)
      AND respond_by < :now) THEN 1 ELSE 0 END) AS responded_late,
  SUM(CASE WHEN finished_at <= complete_by THEN 1 ELSE 0 END) AS completed_on_time,
  SUM(CASE WHEN finished_at > complete_by OR (finished_at IS NULL AND state IN (:open)
      AND complete_by < :now) THEN 1 ELSE 0 END) AS completed_late,
  SUM(CASE WHEN state IN (:open) THEN 1 ELSE 0 END) AS still_open
FROM repair_request WHERE site = :site AND reported_at >= :start AND reported_at < :end
GROUP BY category"""
REQUEST_FIGURES = ("reported", "complaints", "responded_on_time", "responded_late",
                   "completed_on_time", "completed_late", "still_open")


def _request_line(category: str, row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {"category": category, **_counted(row, *REQUEST_FIGURES)}
    line["response_rate"] = share(line["responded_on_time"], line["reported"])
    line["completion_rate"] = share(line["completed_on_time"], line["reported"])
    return line


async def requests(site: str, month: Month, at: datetime) -> dict[str, Any]:
    """Requests reported in the month, by category: complaints among them, work started by
    the response deadline or after it (or not started and past it, as of now), finished by
    the completion deadline or after it (or open and past it), and still open now."""
    rows = await _rows(RepairRequest, REQUESTS_SQL, yes=True, open=OPEN_STATES, now=at,
                       site=site, start=month.start, end=month.end)
    found = {str(r["category"]): r for r in rows}
    lines = [_request_line(c, found.get(c, {})) for c in CATEGORIES]
    lines += [_request_line(c, r) for c, r in sorted(found.items()) if c not in CATEGORIES]
    total = _request_line("", {n: sum(line[n] for line in lines) for n in REQUEST_FIGURES})
    return {"total": total, "categories": lines, "empty": not total["reported"]}


# --- repairs: in-home visits and the residents' scores -------------------------------------

VISITS_SQL = """
SELECT satisfaction, outcome, COUNT(*) AS n FROM repair_visit
WHERE site = :site AND arrived_at >= :start AND arrived_at < :end
GROUP BY satisfaction, outcome"""
SCORES = (1, 2, 3, 4, 5)


async def visits(site: str, month: Month) -> dict[str, Any]:
    """Visits begun in the month, how they ended ("" = not closed yet), and the 1–5 scores
    residents gave when they closed: how many of each and the average."""
    rows = await _rows(RepairVisit, VISITS_SQL, site=site, start=month.start, end=month.end)
    outcomes = {o: 0 for o in VISIT_OUTCOMES}
    scores = {s: 0 for s in SCORES}
    for r in rows:
        n, outcome = _number(r["n"]), str(r["outcome"] or "")
        outcomes[outcome] = outcomes.get(outcome, 0) + n
        if r["satisfaction"] is not None and int(r["satisfaction"]) in scores:
            scores[int(r["satisfaction"])] += n
    scored, total = sum(scores.values()), sum(outcomes.values())
    average = round(sum(s * n for s, n in scores.items()) / scored, 2) if scored else None
    return {"total": total, "closed": total - outcomes.get("", 0), "outcomes": outcomes,
            "scores": scores, "scored": scored, "average": average, "empty": not total}


# --- repairs: follow-up calls (回訪) and their ratings -------------------------------------

FOLLOWED_SQL = """
SELECT rating, reached, COUNT(*) AS n FROM follow_up
WHERE site = :site AND done_at >= :start AND done_at < :end GROUP BY rating, reached"""
DUE_SQL = """
SELECT COUNT(*) AS due,
  SUM(CASE WHEN done_at <= due_at THEN 1 ELSE 0 END) AS done_on_time,
  SUM(CASE WHEN done_at IS NULL AND due_at < :now THEN 1 ELSE 0 END) AS outstanding
FROM follow_up WHERE site = :site AND due_at >= :start AND due_at < :end"""
RATINGS = ("A", "B", "C")


async def follow_ups(site: str, month: Month, at: datetime) -> dict[str, Any]:
    """Follow-ups done in the month (resident reached or not) with their A/B/C ratings and
    the share of A and B; follow-ups due in the month, done by their due time, and still
    not done past it (as of now)."""
    bounds = {"site": site, "start": month.start, "end": month.end}
    done = await _rows(FollowUp, FOLLOWED_SQL, **bounds)
    due = await _rows(FollowUp, DUE_SQL, now=at, **bounds)
    ratings = {r: 0 for r in RATINGS}
    reached = total = 0
    for r in done:
        n = _number(r["n"])
        total += n
        reached += n if r["reached"] else 0
        if r["rating"] in ratings:
            ratings[str(r["rating"])] += n
    rated = sum(ratings.values())
    dues = _counted(due[0] if due else {}, "due", "done_on_time", "outstanding")
    return {"done": total, "reached": reached, "ratings": ratings, "rated": rated,
            "satisfied_rate": share(ratings["A"] + ratings["B"], rated), **dues,
            "empty": not total and not dues["due"]}


# --- front desk: visitors, goods-out passes and their gate checks, handovers --------------

DESK_SQL = """
SELECT 'visitors' AS what, COUNT(*) AS n FROM visitor
WHERE site = :site AND time_in >= :start AND time_in < :end
UNION ALL SELECT 'passes', COUNT(*) FROM goods_pass
WHERE site = :site AND issued_at >= :start AND issued_at < :end
UNION ALL SELECT outcome, COUNT(*) FROM pass_check
WHERE site = :site AND checked_at >= :start AND checked_at < :end GROUP BY outcome
UNION ALL SELECT 'handovers', COUNT(*) FROM handover
WHERE site = :site AND shift_end >= :start AND shift_end < :end"""
DESK_FIGURES = ("visitors", "passes", "passed", "mismatch", "refused", "handovers")


async def desk(site: str, month: Month) -> dict[str, Any]:
    """Visitors signed in during the month, goods-out passes issued, gate checks by outcome
    (let out, goods not matching, refused) and shift handovers."""
    rows = await _rows(Visitor, DESK_SQL, site=site, start=month.start, end=month.end)
    total = dict.fromkeys(DESK_FIGURES, 0)
    for r in rows:
        if r["what"] in total:
            total[str(r["what"])] += _number(r["n"])
    return {"total": total, "empty": not any(total.values())}
