"""A month of records at one site for the monthly report's tests (October 2026, estate time,
long past): patrol rounds on two routes and incidents, key loans, IC card issues, repair
requests, visits and follow-ups, and front-desk logs — each figure the report should show
written down in :data:`EXPECTED` — with records just outside the month (30 September 23:30
and 1 November 00:30, Hong Kong time) and at the other site, which it must leave out.

Rows are written as the server holds them (the patrol planner's rounds as the patrol
office's tests write them, key loans through the factory, the rest directly): the month is
fixed, so no rule's "not in the future" or deadline arithmetic moves a figure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.cards.tables import CardIssue
from server.desk.tables import GoodsPass, Handover, PassCheck, Visitor
from server.patrol.tables import PatrolIncident, PatrolRoute
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from server.sync.spaces import space_of
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import a_round, patrol_estate, patrol_space

MONTH = "2026-10"
HK = ZoneInfo("Asia/Hong_Kong")

EXPECTED: dict[str, dict[str, Any]] = {
    "patrol": {"planned": 9, "done": 6, "on_time": 5, "late": 1, "incomplete": 1,
               "missed": 2, "rate": 66.7, "on_time_rate": 55.6},
    "keys": {"lent": 4, "voided": 1, "returned": 3, "returned_late": 2, "went_overdue": 2,
             "overdue_at_end": 1},
    "cards": {"issued": 3, "replaced": 1, "lost": 2, "damaged": 1, "returned": 1,
              "revoked": 1},
    "requests": {"reported": 5, "complaints": 1, "responded_on_time": 2,
                 "responded_late": 2, "completed_on_time": 1, "completed_late": 2,
                 "still_open": 2, "response_rate": 40.0, "completion_rate": 20.0},
    "visits": {"total": 5, "closed": 4, "scored": 3, "average": 3.67},
    "follow_ups": {"done": 5, "reached": 4, "rated": 4, "satisfied_rate": 75.0, "due": 5,
                   "done_on_time": 4, "outstanding": 1},
    "desk": {"visitors": 3, "passes": 2, "passed": 2, "mismatch": 0, "refused": 1,
             "handovers": 2},
}


def hk(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 on the estate's clock, in UTC (as stored)."""
    return datetime(2026, month, day, hour, minute, tzinfo=HK).astimezone(UTC)


BEFORE = hk(9, 30, 23, 30)  # the last half hour of September
AFTER = hk(11, 1, 0, 30)  # the first half hour of November


async def _patrol(e: Estate) -> None:
    day = str(uuid.uuid4())
    await PatrolRoute.insert(PatrolRoute(id=day, site=e.a, name="日更路線",
                                         checkpoint_ids=[e.p1], space=patrol_space(e.a),
                                         version=1))
    e.day_route = day
    for d in (2, 3, 4):
        await a_round(e, slot=hk(10, d), status="done", finished=True)
    await a_round(e, slot=hk(10, 5), status="done", late=True, finished=True)
    await a_round(e, slot=hk(10, 6), status="incomplete", started=True)
    await a_round(e, slot=hk(10, 7), status="missed")
    await a_round(e, slot=hk(10, 8))  # never started: missed by its start-by time
    for d in (9, 10):
        await a_round(e, slot=hk(10, d), status="done", finished=True, route=day)
    await a_round(e, slot=BEFORE, status="missed")
    await a_round(e, slot=AFTER, status="missed")
    await a_round(e, slot=hk(10, 3), status="missed", site=e.b)
    for at, site in ((hk(10, 4), e.a), (hk(10, 12), e.a), (AFTER, e.a), (hk(10, 4), e.b)):
        await PatrolIncident.insert(PatrolIncident(
            id=uuid.uuid4(), site=site, checkpoint=e.p1, description="後樓梯燈壞",
            severity="low", reported_at=at, reported_by=e.guard, space=patrol_space(site),
            version=1))


async def _keys(factory: Any, e: Estate) -> None:
    key_a = await factory.key(e.a, code="HYG-K001")
    key_b = await factory.key(e.b, code="JHT-K001")

    async def loan(lent: datetime, due_hours: float, back: datetime | None = None,
                   kind: str = "contractor", key: str = key_a, voided: bool = False) -> str:
        return str(await factory.key_loan(key, e.desk, voided=voided, lent_at=lent,
                                          due_at=lent + timedelta(hours=due_hours),
                                          returned_at=back, borrower_kind=kind,
                                          created_at=lent))

    await loan(hk(10, 3), 4, hk(10, 3, 12))  # back in time
    await loan(hk(10, 5), 4, hk(10, 5, 16))  # back late
    await loan(hk(10, 20), 24, kind="resident")  # never back: overdue at the month's end
    await loan(hk(10, 10), 4, voided=True)
    await loan(hk(9, 25), 24, hk(10, 2))  # lent before, back late in October
    await loan(hk(10, 30), 72, hk(11, 5))  # due in November
    await loan(hk(10, 4), 4, key=key_b)


async def _cards(e: Estate) -> None:
    async def issue(site: str, at: datetime, *, ended: datetime | None = None,
                    reason: str = "", replaces: str | None = None) -> str:
        issue_id = str(uuid.uuid4())
        await CardIssue.insert(CardIssue(
            id=issue_id, site=site, card=uuid.uuid4(), unit=e.units[site],
            holder_name="陳大文", valid_until=at + timedelta(days=730), issued_at=at,
            replaces_issue=replaces, issued_by=e.desk, ended_at=ended, end_reason=reason,
            space=space_of("card_issue", site), version=1))
        return issue_id

    old = await issue(e.a, hk(8, 1), ended=hk(10, 6), reason="lost")
    await issue(e.a, hk(10, 6), replaces=old)
    await issue(e.a, hk(10, 7))
    await issue(e.a, hk(10, 8))
    await issue(e.a, hk(8, 2), ended=hk(10, 9), reason="lost")
    for reason in ("damaged", "returned", "revoked"):
        await issue(e.a, hk(8, 3), ended=hk(10, 11), reason=reason)
    await issue(e.a, BEFORE)
    await issue(e.a, hk(8, 4), ended=AFTER, reason="lost")
    await issue(e.b, hk(10, 6))


async def _requests(e: Estate) -> list[str]:
    far = datetime.now(UTC) + timedelta(days=60)

    async def request(reported: datetime, category: str, state: str, *,
                      started: datetime | None = None, finished: datetime | None = None,
                      complete_by: datetime | None = None, complaint: bool = False,
                      site: str = "") -> str:
        rid = str(uuid.uuid4())
        site = site or e.a
        await RepairRequest.insert(RepairRequest(
            id=rid, site=site, number=f"R{rid[:8]}", category=category, urgency="normal",
            complaint=complaint, description="廚房水喉漏水", reported_at=reported,
            reported_by=e.desk, respond_by=reported + timedelta(days=1),
            complete_by=complete_by or reported + timedelta(days=3), state=state,
            started_at=started, finished_at=finished, space=space_of("repair_request", site),
            version=1))
        return rid

    at = hk(10, 12)
    ids = [
        await request(at, "water", "done", started=at + timedelta(hours=2),
                      finished=at + timedelta(days=2)),
        await request(at, "water", "followed_up", started=at + timedelta(days=2),
                      finished=at + timedelta(days=5), complaint=True),
        await request(at, "electricity", "new"),
        await request(at, "lift", "in_progress", started=at + timedelta(hours=3),
                      complete_by=far),
        await request(at, "other", "closed"),
    ]
    await request(AFTER, "water", "new")
    await request(at, "water", "new", site=e.b)
    return ids


async def _visits(e: Estate, requests: list[str]) -> None:
    async def visit(arrived: datetime, outcome: str, score: int | None, site: str = "") -> None:
        site = site or e.a
        await RepairVisit.insert(RepairVisit(
            id=uuid.uuid4(), site=site, request=requests[0], technician=e.desk,
            arrived_at=arrived, outcome=outcome, satisfaction=score,
            closed_at=arrived + timedelta(hours=1) if outcome else None,
            space=space_of("repair_visit", site), version=1))

    for outcome, score in (("done", 5), ("done", 4), ("no_one_home", None), ("", None),
                           ("follow_up", 2)):
        await visit(hk(10, 14), outcome, score)
    await visit(AFTER, "done", 1)
    await visit(hk(10, 14), "done", 1, site=e.b)


async def _follow_ups(e: Estate, requests: list[str]) -> None:
    async def follow(due: datetime, done: datetime | None, rating: str = "",
                     reached: bool = True, site: str = "") -> None:
        site = site or e.a
        await FollowUp.insert(FollowUp(
            id=uuid.uuid4(), site=site, request=requests[0], due_at=due, done_at=done,
            rating=rating, reached=reached if done else False,
            space=space_of("follow_up", site), version=1))

    await follow(hk(10, 20), hk(10, 10), "A")
    await follow(hk(9, 28), hk(10, 2), "A")  # due in September, done late in October
    await follow(hk(10, 21), hk(10, 11), "B")
    await follow(hk(10, 22), hk(10, 12), "C")
    await follow(hk(10, 23), hk(10, 13), reached=False)
    await follow(hk(10, 24), None)  # not done, past due
    await follow(hk(11, 20), AFTER, "C")
    await follow(hk(10, 20), hk(10, 10), "C", site=e.b)


async def _desk(e: Estate) -> None:
    for at, site in ((hk(10, 1, 0, 30), e.a), (hk(10, 15), e.a), (hk(10, 31, 23, 30), e.a),
                     (AFTER, e.a), (hk(10, 15), e.b)):
        await Visitor.insert(Visitor(
            id=uuid.uuid4(), site=site, unit=e.units[site], name="訪客", time_in=at,
            signed_in_by=e.desk, space=space_of("visitor", site), version=1))
    passes = []
    for at in (hk(10, 16), hk(10, 17), BEFORE):
        pid = uuid.uuid4()
        passes.append(pid)
        await GoodsPass.insert(GoodsPass(
            id=pid, site=e.a, number=f"P{str(pid)[:6]}", unit=e.units[e.a],
            valid_until=at + timedelta(hours=12), issued_at=at, key=uuid.uuid4(),
            issued_by=e.desk, space=space_of("goods_pass", e.a), version=1))
    for pid, outcome, at in ((passes[0], "passed", hk(10, 16, 12)),
                             (passes[1], "passed", hk(10, 17, 12)),
                             (passes[1], "refused", hk(10, 17, 13)),
                             (passes[2], "refused", BEFORE)):
        await PassCheck.insert(PassCheck(
            id=uuid.uuid4(), site=e.a, pass_id=pid, outcome=outcome, checked_at=at,
            checked_by=e.guard, space=space_of("pass_check", e.a), version=1))
    for end in (hk(10, 2, 8), hk(10, 2, 20), AFTER):
        await Handover.insert(Handover(
            id=uuid.uuid4(), site=e.a, shift_start=end - timedelta(hours=12),
            shift_end=end, outgoing=e.guard, drafted_at=end, space=space_of("handover", e.a),
            version=1))


async def report_estate(factory: Any) -> Estate:
    """Sites A (海悅花園, HYG: October's records) and B (景華臺, JHT); ``boss`` supervises
    A only, ``root`` is an administrator."""
    e = await patrol_estate(factory)
    e.root = await factory.staff("root", role="admin")
    e.units = {e.a: await factory.unit(e.a, number="A-01A"),
               e.b: await factory.unit(e.b, number="J-01A")}
    await _patrol(e)
    await _keys(factory, e)
    await _cards(e)
    requests = await _requests(e)
    await _visits(e, requests)
    await _follow_ups(e, requests)
    await _desk(e)
    return e
