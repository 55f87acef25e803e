"""Seeding for the office home's exception tests: one item (or a known few) of every
exception kind at a site, written straight into the tables as the rules leave them (the rules
themselves are tested in each domain's tests), and a stale phone of a guard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import Device
from server.cards.tables import Card, CardIssue
from server.desk.tables import Handover, PassCheck, Visitor
from server.lib.queries import local_day_start
from server.lib.timezone import estate_zone
from server.patrol.tables import PatrolIncident, PatrolRound, PatrolScan
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from server.sync.spaces import space_of
from server.sync.tables import Conflict

SIG = "5" * 64
# what seed_site leaves at its site, per kind (both loans of the chain that are still out
# count as out; the one whose visit closed is overdue too; the cards' quota conflict is an
# open conflict as well)
EXPECTED = {
    "keys.overdue": 2, "keys.out": 4,
    "patrol.missed": 1, "patrol.late": 1, "patrol.skips": 1, "patrol.incidents": 1,
    "cards.quota": 1, "cards.unregistered": 1, "cards.expiring": 1,
    "cards.door_overdue": 1, "cards.door_pending": 1,
    "repairs.overdue": 1, "repairs.follow_ups_overdue": 1, "repairs.chain_no_visit": 1,
    "repairs.chain_key_still_out": 1, "repairs.chain_no_owner_consent": 1,
    "repairs.unsatisfied": 1, "repairs.unsigned": 1, "repairs.new": 1,
    "desk.late_inside": 1, "desk.refused": 1, "desk.mismatch": 1,
    "desk.handovers_waiting": 1, "review.conflicts": 2, "review.rejections": 1,
    "phones.stale": 0,
}


def now() -> datetime:
    return datetime.now(UTC)


def day_start() -> datetime:
    today = now().astimezone(estate_zone()).date().isoformat()
    start = local_day_start(today)
    assert start is not None
    return start


def earlier_today(minutes: float = 1) -> datetime:
    """A moment of today (the estate's) before now: ``minutes`` ago, or the day's start."""
    return max(day_start(), now() - timedelta(minutes=minutes))


async def _request(site: str, number: str, *, state: str, overdue: bool = False,
                   loan: str | None = None, unit: str | None = None) -> str:
    rid = str(uuid.uuid4())
    at = now()
    deadline = at - timedelta(hours=1) if overdue else at + timedelta(days=2)
    await RepairRequest.insert(RepairRequest(
        id=rid, site=site, number=number, unit=unit, area="" if unit else "大堂",
        description="漏水", reported_at=at - timedelta(days=3), reported_by=uuid.uuid4(),
        respond_by=deadline, complete_by=deadline, state=state, key_loan=loan,
        space=space_of("repair_request", site), version=1))
    return rid


async def _visit(site: str, request: str, *, closed: bool, signed: bool = True,
                 unit: str | None = None, technician: str | None = None) -> str:
    vid = str(uuid.uuid4())
    at = now()
    await RepairVisit.insert(RepairVisit(
        id=vid, site=site, request=request, unit=unit, technician=technician or uuid.uuid4(),
        arrived_at=at - timedelta(hours=2), closed_at=at - timedelta(hours=1) if closed else None,
        left_at=at - timedelta(hours=1) if closed else None,
        signature_blob=SIG if signed else "", refused_reason="" if signed else "住戶趕時間",
        outcome="done" if closed else "", space=space_of("repair_visit", site), version=1))
    return vid


async def seed_site(f: Any, site: str, staff: str, tag: str) -> dict[str, str]:
    """One item of each kind at ``site`` (see :data:`EXPECTED`); the ids that matter."""
    ids: dict[str, str] = {}
    at = now()
    unit = await f.unit(site, number=f"{tag}-01A")
    owners = await f.key(site, code=f"{tag}-K1", category="owner_deposited", unit=unit)
    public = await f.key(site, code=f"{tag}-K2")
    ids["unit"], ids["key"] = unit, public
    ids["overdue_loan"] = await f.key_loan(public, staff, borrower="陳大文", hours_ago=30,
                                           due_in_hours=2)
    ids["out_loan"] = await f.key_loan(public, staff, borrower="李小明", hours_ago=1,
                                       due_in_hours=8)
    await _patrol(site, ids)
    await _cards(site, unit, ids)
    # repairs: an overdue request with a C follow-up, a new one with an overdue follow-up,
    # a visit closed without a signature, and the three entry chain exceptions
    ids["overdue_request"] = await _request(site, f"{tag}-R1", state="assigned", overdue=True)
    ids["new_request"] = await _request(site, f"{tag}-R2", state="new")
    for request, done, rating in ((ids["new_request"], None, ""),
                                  (ids["overdue_request"], at - timedelta(hours=1), "C")):
        await FollowUp.insert(FollowUp(
            site=site, request=request, due_at=at - timedelta(hours=3), done_at=done,
            rating=rating, space=space_of("follow_up", site), version=1))
    ids["unsigned_visit"] = await _visit(site, ids["overdue_request"], closed=True,
                                         signed=False)
    returned = await f.key_loan(public, staff, hours_ago=5, returned=True)
    ids["no_visit"] = await _request(site, f"{tag}-R3", state="done", loan=returned)
    still_out = await f.key_loan(public, staff, hours_ago=6, due_in_hours=2)
    ids["key_still_out"] = await _request(site, f"{tag}-R4", state="done", loan=still_out)
    await _visit(site, ids["key_still_out"], closed=True)
    no_consent = await f.key_loan(owners, staff, hours_ago=1, due_in_hours=8)
    ids["no_owner_consent"] = await _request(site, f"{tag}-R5", state="done",
                                             loan=no_consent, unit=unit)
    await _visit(site, ids["no_owner_consent"], closed=False, unit=unit)
    await _desk(site, unit, ids)
    await f.conflict(space_of("key_loan", site), [ids["out_loan"]])
    ids["rejection"] = await f.rejection(site, staff=staff)
    return ids


async def _patrol(site: str, ids: dict[str, str]) -> None:
    slot = earlier_today(90)
    space = space_of("round", site)
    for name, status, late in (("missed", "missed", False), ("late", "done", True),
                               ("on_time", "done", False)):
        ids[f"{name}_round"] = rid = str(uuid.uuid4())
        await PatrolRound.insert(PatrolRound(
            id=rid, site=site, route=uuid.uuid4(), slot_at=slot,
            start_by=slot + timedelta(minutes=30), due_by=slot + timedelta(minutes=60),
            status=status, late=late, space=space, version=1))
    ids["skip"] = str(uuid.uuid4())
    await PatrolScan.insert(PatrolScan(
        id=ids["skip"], site=site, round=ids["late_round"], checkpoint=uuid.uuid4(),
        method="skip", scanned_at=slot, skip_reason="門鎖上", review="pending",
        scanned_by=uuid.uuid4(), space=space_of("scan", site), version=1))
    ids["incident"] = str(uuid.uuid4())
    await PatrolIncident.insert(PatrolIncident(
        id=ids["incident"], site=site, checkpoint=uuid.uuid4(), description="消防喉轆漏水",
        reported_at=slot, reported_by=uuid.uuid4(), space=space_of("incident", site),
        version=1))


async def _cards(site: str, unit: str, ids: dict[str, str]) -> None:
    at = now()
    space = space_of("card", site)
    ids["unregistered"] = str(uuid.uuid4())
    await Card.insert(Card(id=ids["unregistered"], site=site, number=f"U{ids['unregistered'][:6]}",
                           status="in_stock", registered=False, space=space, version=1))
    ids["expiring"], ids["expiring_issue"] = str(uuid.uuid4()), str(uuid.uuid4())
    await CardIssue.insert(CardIssue(
        id=ids["expiring_issue"], site=site, card=ids["expiring"], unit=unit,
        holder_name="陳大文", valid_until=at + timedelta(days=10),
        issued_at=at - timedelta(days=720), issued_by=uuid.uuid4(), space=space, version=1))
    await Card.insert(Card(id=ids["expiring"], site=site, number=f"E{ids['expiring'][:6]}",
                           status="issued", issue=ids["expiring_issue"], unit=unit,
                           space=space, version=1))
    ids["lost"] = str(uuid.uuid4())
    await Card.insert(Card(id=ids["lost"], site=site, number=f"L{ids['lost'][:6]}",
                           status="lost", blacklisted_at=at - timedelta(hours=2), space=space,
                           version=1))
    await Conflict.insert(Conflict(
        id=uuid.uuid4(), kind="quota_exceeded", space=space, version=1,
        record_type="card_issue", record_ids=[ids["expiring_issue"]], status="open"))


async def _desk(site: str, unit: str, ids: dict[str, str]) -> None:
    at = now()
    came = (day_start() - timedelta(hours=14))  # yesterday, 10:00 in the estate
    ids["late_visitor"] = str(uuid.uuid4())
    await Visitor.insert(Visitor(
        id=ids["late_visitor"], site=site, unit=unit, name="張訪客", time_in=came,
        signed_in_by=uuid.uuid4(), space=space_of("visitor", site), version=1))
    for outcome in ("refused", "mismatch", "passed"):
        ids[f"check_{outcome}"] = str(uuid.uuid4())
        await PassCheck.insert(PassCheck(
            id=ids[f"check_{outcome}"], site=site, pass_id=uuid.uuid4(), number=f"P-{outcome}",
            outcome=outcome, checked_at=earlier_today(), checked_by=uuid.uuid4(),
            space=space_of("pass_check", site), version=1))
    ids["handover"] = str(uuid.uuid4())
    await Handover.insert(Handover(
        id=ids["handover"], site=site, shift_start=at - timedelta(hours=9),
        shift_end=at - timedelta(hours=1), outgoing=uuid.uuid4(), outgoing_name="黃嘉欣",
        drafted_at=at - timedelta(hours=1), space=space_of("handover", site), version=1))


async def a_device(staff: str, *, seen_hours_ago: float | None, name: str = "巡更手機"
                   ) -> str:
    """A phone of ``staff`` last seen ``seen_hours_ago`` (None: never synced, registered a
    day ago)."""
    device = str(uuid.uuid4())
    at = now()
    await Device.insert(Device(
        id=device, client_id=uuid.uuid4(), staff=staff, name=name,
        token_hash=uuid.uuid4().hex, created_at=at - timedelta(days=1),
        expires_at=at + timedelta(days=30),
        last_seen_at=None if seen_hours_ago is None else at - timedelta(hours=seen_hours_ago)))
    return device


async def round_now(site: str, guards: list[str]) -> str:
    """A round of ``guards`` at ``site`` whose window includes now."""
    rid = str(uuid.uuid4())
    slot = now() - timedelta(minutes=20)
    await PatrolRound.insert(PatrolRound(
        id=rid, site=site, route=uuid.uuid4(), slot_at=slot,
        start_by=slot + timedelta(minutes=30), due_by=slot + timedelta(minutes=60),
        guard_ids=guards, status="in_progress", started_at=slot, started_by=guards[0],
        space=space_of("round", site), version=1))
    return rid
