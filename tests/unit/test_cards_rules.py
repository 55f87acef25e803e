"""The IC-card rules (sync/domains/cards) through the engine over the in-memory server: the
conflicts two offline desks produce (both orders of a loss report and an issue, one card
issued twice, a unit past its quota, a number the stock did not know), replacements,
the quota's sources, idempotent reports, returns and revocations of blacklisted cards, the
office's lifting and the door system's taking."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync.domains.cards.issue import quota_of, quota_state
from sync.domains.cards.records import CARD, DEFAULT_QUOTA, ISSUE, POLICY, QUOTA
from sync.domains.cards.scenario import scenario_id, setup_records
from sync.faults import FaultPlan
from sync.memory import MemoryDatabase
from sync.storage import Record
from sync.streams import space
from sync.testing import Step, memory_server_factory, run_convergence
from tests.unit.sync_helpers import NOW, OTHER, SIG, SITE, Phone, new_db, person, push

pytestmark = pytest.mark.unit

UNITS = [scenario_id(f"{SITE}:unit{i}") for i in range(3)]  # unit 0 may hold one card
CARDS = [scenario_id(f"{SITE}:card{i}") for i in range(5)]
NUMBERS = [f"S{SITE[:3].upper()}-{i:04d}" for i in range(5)]
OTHER_UNIT = scenario_id(f"{OTHER}:unit1")


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).astimezone(UTC).isoformat()


def estate() -> MemoryDatabase:
    """The scenario's set-up (site 2 allows two cards a unit; ``SITE`` is put second), unit
    0 allowed one card of its own."""
    db = new_db()
    db.office_write(setup_records([OTHER, SITE], NOW))
    db.office_write([Record(QUOTA, scenario_id(f"{SITE}:quota"), space(SITE, "cards"), 1, {
        "site_id": SITE, "unit_id": UNITS[0], "quota": 1, "notes": "車位一個"})])
    return db


def desk(role: str = "front_desk") -> Phone:
    return Phone(person(role, (SITE, OTHER) if role != "front_desk" else (SITE,)))


def issue_args(card: int = 1, unit: int = 1, minutes: float = 0, **over: Any) -> dict[str, Any]:
    return {"issue_id": str(uuid.uuid4()), "card_id": CARDS[card], "site_id": SITE,
            "number": NUMBERS[card], "unit_id": UNITS[unit], "holder_name": "陳大文",
            "relation": "owner", "id_type": "hkid", "id_last4": "123A",
            "issued_at": at(minutes), "valid_until": at(minutes + 60 * 24 * 730),
            "signature_blob": SIG, "fee": 50, "deposit": 100, "receipt_no": "R1", **over}


async def run(db: MemoryDatabase, ph: Phone, *steps: tuple[str, dict[str, Any]]) -> list[str]:
    """Push the steps; the rejection codes of this push, in order."""
    before = len(db.rejections.get(ph.client_id, []))
    await push(db, ph, [ph.m(name, args) for name, args in steps])
    return [r.code for r in db.rejections.get(ph.client_id, [])[before:]]


def card(db: MemoryDatabase, n: int) -> dict[str, Any]:
    return db.records[(CARD, CARDS[n])].data


def issue(db: MemoryDatabase, issue_id: str) -> dict[str, Any]:
    return db.records[(ISSUE, issue_id)].data


def kinds(db: MemoryDatabase) -> list[str]:
    return sorted(c.kind for c in db.conflicts.values())


def lost(n: int, minutes: float, issue_id: str | None = None, **over: Any) -> dict[str, Any]:
    return {"card_id": CARDS[n], "issue_id": issue_id, "reported_at": at(minutes), **over}


# --- two desks offline: issued while lost, in both orders ----------------------------------

@pytest.mark.parametrize("issue_first", [True, False])
async def test_a_card_issued_while_another_desk_reports_it_lost(issue_first: bool) -> None:
    db, one, two = estate(), desk(), desk()
    given = issue_args(card=1, unit=1, minutes=5)
    report = lost(1, 6, reported_by="管理員", notes="大堂拾獲")  # desk two saw it in stock
    first, second = ((one, ("card.issue", given)), (two, ("card.report_lost", report)))
    for ph, step in (first, second) if issue_first else (second, first):
        assert await run(db, ph, step) == []
    c = card(db, 1)
    assert (c["status"], c["issue_id"], c["unit_id"]) == ("lost", given["issue_id"], UNITS[1])
    assert c["blacklisted_at"] == at(6) and c["door_taken_at"] is None
    assert issue(db, given["issue_id"])["ended_at"] is None  # both facts stand
    assert kinds(db) == ["issued_while_lost"]
    (conflict,) = db.conflicts.values()
    assert conflict.record_type == CARD and conflict.record_ids == [CARDS[1]]
    assert [i["issue_id"] for i in conflict.details["issues"]] == [given["issue_id"]]
    assert conflict.details["number"] == NUMBERS[1]


async def test_a_report_of_the_issue_the_desk_saw_ends_it_and_a_second_report_changes_nothing(
) -> None:
    db, one, two = estate(), desk(), desk()
    given = issue_args(card=2, unit=2)
    assert await run(db, one, ("card.issue", given)) == []
    report = lost(2, 10, given["issue_id"], reported_by="陳太", notes="街市遺失")
    assert await run(db, one, ("card.report_lost", report), ("card.report_lost", report)) == []
    assert await run(db, two, ("card.report_lost", lost(2, 30, given["issue_id"]))) == []
    c, i = card(db, 2), issue(db, given["issue_id"])
    assert (c["status"], c["blacklisted_at"]) == ("lost", at(10))  # the first report stands
    assert (i["ended_at"], i["end_reason"], i["end_notes"]) == (at(10), "lost", "陳太: 街市遺失")
    assert kinds(db) == []
    assert await run(db, one, ("card.report_lost", lost(2, 1) | {"card_id": str(uuid.uuid4())})
                     ) == ["unknown_card"]


# --- one card issued twice, a number the stock did not know ---------------------------------

async def test_one_card_issued_from_two_desks_keeps_both_issues() -> None:
    db, one, two = estate(), desk(), desk()
    first, second = issue_args(card=3, unit=1), issue_args(card=3, unit=2, minutes=2)
    assert await run(db, one, ("card.issue", first)) == []
    assert await run(db, two, ("card.issue", second)) == []
    c = card(db, 3)
    assert (c["status"], c["issue_id"], c["unit_id"]) == ("issued", second["issue_id"], UNITS[2])
    assert kinds(db) == ["double_issue"]
    (conflict,) = db.conflicts.values()
    assert conflict.record_ids == [first["issue_id"], second["issue_id"]]
    assert [i["unit_id"] for i in conflict.details["issues"]] == [UNITS[1], UNITS[2]]
    assert set(conflict.staff_ids) == {one.actor.staff_id, two.actor.staff_id}
    # the first holder hands it back: the second still holds it
    assert await run(db, one, ("card.return", {
        "card_id": CARDS[3], "issue_id": first["issue_id"], "returned_at": at(20),
        "deposit_refunded": 100})) == []
    assert (card(db, 3)["status"], card(db, 3)["issue_id"]) == ("issued", second["issue_id"])


async def test_a_number_met_first_at_the_desk_becomes_an_unregistered_card() -> None:
    db, one, two = estate(), desk(), desk()
    first = issue_args(card_id=str(uuid.uuid4()), number="NEW-1", unit=1)
    second = issue_args(card_id=str(uuid.uuid4()), number="new-1", unit=2, minutes=1)
    assert await run(db, one, ("card.issue", first)) == []
    assert await run(db, two, ("card.issue", second)) == []  # the other desk's new card
    c = db.records[(CARD, first["card_id"])].data
    assert (c["number"], c["registered"], c["status"]) == ("NEW-1", False, "issued")
    assert (CARD, second["card_id"]) not in db.records
    assert issue(db, second["issue_id"])["card_id"] == first["card_id"]
    assert kinds(db) == ["double_issue", "unregistered_card"]
    stock = {"card_id": str(uuid.uuid4()), "site_id": SITE, "number": "NEW-1"}
    assert await run(db, one, ("card.stock", stock)) == ["number_in_use"]


# --- the quota ------------------------------------------------------------------------------

def test_the_quota_is_the_units_own_else_the_sites_else_the_default() -> None:
    assert quota_of({"quota": 2}, {"quota": 5}) == 5
    assert quota_of({"quota": 2}, {"quota": 0}) == 0
    assert quota_of({"quota": 2}, None) == 2
    assert quota_of(None, None) == DEFAULT_QUOTA
    assert quota_state({"quota": 2}, None, 1) == {"quota": 2, "held": 1, "left": 1,
                                                  "full": False}
    assert quota_state(None, {"quota": 1}, 3) == {"quota": 1, "held": 3, "left": 0,
                                                  "full": True}


async def test_a_unit_past_its_quota_keeps_its_cards_flagged() -> None:
    db, ph = estate(), desk()
    # unit 0 has its own quota of one; unit 1 the site's two
    assert await run(db, ph, ("card.issue", issue_args(card=0, unit=0)),
                     ("card.issue", issue_args(card=1, unit=1)),
                     ("card.issue", issue_args(card=2, unit=1))) == []
    assert kinds(db) == []
    assert await run(db, ph, ("card.issue", issue_args(card=3, unit=0)),
                     ("card.issue", issue_args(card=4, unit=1))) == []
    flagged = sorted((c.details["unit_id"], c.details["quota"], len(c.details["issues"]))
                     for c in db.conflicts.values())
    assert flagged == sorted([(UNITS[0], 1, 2), (UNITS[1], 2, 3)])


async def test_without_a_policy_the_default_quota_applies() -> None:
    db, ph = estate(), desk()
    del db.records[(POLICY, scenario_id(f"{SITE}:policy"))]
    for n in range(DEFAULT_QUOTA):
        assert await run(db, ph, ("card.issue", issue_args(card=n, unit=1))) == []
    assert kinds(db) == []
    extra = issue_args(card_id=str(uuid.uuid4()), number="X-9", unit=1)
    assert await run(db, ph, ("card.issue", extra)) == []
    assert kinds(db) == ["quota_exceeded", "unregistered_card"]


# --- replacement (補卡) ----------------------------------------------------------------------

async def test_a_replacement_ends_the_held_issue_and_blacklists_its_card() -> None:
    db, ph = estate(), desk()
    old = issue_args(card=1, unit=0)
    assert await run(db, ph, ("card.issue", old)) == []
    new = issue_args(card=2, unit=0, minutes=30, replaces_issue_id=old["issue_id"],
                     replace_reason="damaged")
    assert await run(db, ph, ("card.issue", new)) == []
    o = issue(db, old["issue_id"])
    assert (o["ended_at"], o["end_reason"], o["ended_by"]) == (at(30), "damaged",
                                                              ph.actor.staff_id)
    assert (card(db, 1)["status"], card(db, 1)["blacklisted_at"]) == ("damaged", at(30))
    assert card(db, 2)["status"] == "issued"
    assert kinds(db) == []  # the replaced card does not count against the quota of one


async def test_a_replacement_after_a_loss_report_links_and_refuses_what_it_cannot() -> None:
    db, ph = estate(), desk()
    old = issue_args(card=1, unit=1)
    assert await run(db, ph, ("card.issue", old),
                     ("card.report_lost", lost(1, 5, old["issue_id"]))) == []
    new = issue_args(card=2, unit=1, minutes=60, replaces_issue_id=old["issue_id"],
                     replace_reason="lost")
    codes = await run(db, ph,
                      ("card.issue", {**new, "issue_id": str(uuid.uuid4()), "unit_id": UNITS[2]}),
                      ("card.issue", {**new, "issue_id": str(uuid.uuid4()),
                                      "replaces_issue_id": str(uuid.uuid4())}),
                      ("card.issue", {**new, "replace_reason": ""}),
                      ("card.issue", new))
    assert codes == ["wrong_unit", "unknown_issue", "invalid_args"]
    o = issue(db, old["issue_id"])
    assert (o["ended_at"], o["end_reason"]) == (at(5), "lost")  # ended by the report
    assert issue(db, new["issue_id"])["replaces_issue_id"] == old["issue_id"]


# --- the desk's form checks -----------------------------------------------------------------

async def test_the_issue_forms_cross_field_checks() -> None:
    db, ph = estate(), desk()
    bad: list[dict[str, Any]] = [
        {"relation": "proxy", "owner_confirmation": "業主 14:20 確認"},
        {"relation": "proxy", "authorisation_blob": SIG},
        {"id_type": "none"},
        {"valid_until": at(0)},
    ]
    await push(db, ph, [ph.m("card.issue", issue_args(**over)) for over in bad])
    found = [(r.code, r.field) for r in db.rejections[ph.client_id]]
    assert found == [("invalid_args", "authorisation_blob"), ("invalid_args", "owner_confirmation"),
                     ("invalid_args", "id_last4"), ("invalid_args", "valid_until")]
    codes = await run(db, ph,
                      ("card.issue", issue_args(relation="proxy", authorisation_blob=SIG,
                                                owner_confirmation="業主 14:20 確認")),
                      ("card.issue", issue_args(card=2, unit_id=OTHER_UNIT)),
                      ("card.issue", issue_args(card=2, scope=["LOBBY", "ROOF"])),
                      ("card.issue", issue_args(card=2, resident_id=str(uuid.uuid4()))))
    assert codes == ["unknown_unit", "unknown_zone", "unknown_resident"]


# --- returns, revocations, the door system, the office's lifting ----------------------------

async def test_a_lost_card_brought_back_stays_blacklisted() -> None:
    db, one, two = estate(), desk(), desk()
    given = issue_args(card=1, unit=1)
    assert await run(db, one, ("card.issue", given)) == []
    assert await run(db, two, ("card.report_lost", lost(1, 5))) == []  # unseen: still held
    back = {"card_id": CARDS[1], "issue_id": given["issue_id"], "returned_at": at(9),
            "deposit_refunded": 80, "notes": "卡已尋回"}
    assert await run(db, one, ("card.return", back), ("card.return", back)) == ["issue_ended"]
    i = issue(db, given["issue_id"])
    assert (i["end_reason"], i["deposit_refunded"], i["end_notes"]) == ("returned", 80,
                                                                       "卡已尋回")
    assert (card(db, 1)["status"], card(db, 1)["blacklisted_at"]) == ("lost", at(5))


async def test_revoking_ends_every_held_issue_and_refuses_an_ended_one() -> None:
    db, ph = estate(), desk()
    given = issue_args(card=1, unit=1)
    assert await run(db, ph, ("card.issue", given)) == []
    revoke = {"card_id": CARDS[1], "issue_id": given["issue_id"], "revoked_at": at(9)}
    assert await run(db, ph, ("card.revoke", revoke)) == ["reason_required"]
    assert await run(db, ph, ("card.revoke", {**revoke, "reason": "已遷出"}),
                     ("card.revoke", {**revoke, "reason": "已遷出"})) == ["issue_ended"]
    i = issue(db, given["issue_id"])
    assert (i["end_reason"], i["end_notes"]) == ("revoked", "已遷出")
    assert (card(db, 1)["status"], card(db, 1)["blacklisted_at"]) == ("revoked", at(9))


async def test_the_door_system_takes_a_blacklisted_card_once() -> None:
    db, ph, office = estate(), desk(), desk("supervisor")
    taken = {"card_id": CARDS[1], "taken_at": at(20)}
    assert await run(db, office, ("card.door_taken", taken)) == ["card_not_blacklisted"]
    assert await run(db, ph, ("card.door_taken", taken)) == ["forbidden_role"]
    assert await run(db, ph, ("card.report_lost", lost(1, 5))) == []
    assert await run(db, office, ("card.door_taken", taken),
                     ("card.door_taken", {**taken, "taken_at": at(40)})) == []
    assert card(db, 1)["door_taken_at"] == at(20)
    # a second blacklisting (revoked after lost) keeps the first, and the door's taking
    assert await run(db, ph, ("card.revoke", {"card_id": CARDS[1], "reason": "遷出",
                                              "revoked_at": at(50)})) == []
    c = card(db, 1)
    assert (c["status"], c["blacklisted_at"], c["door_taken_at"]) == ("revoked", at(5), at(20))


async def test_lifting_a_blacklisting_gives_the_card_back_to_its_holder_or_the_stock() -> None:
    db, one, two, office = estate(), desk(), desk(), desk("supervisor")
    held = issue_args(card=1, unit=1)
    assert await run(db, one, ("card.issue", held)) == []
    assert await run(db, two, ("card.report_lost", lost(1, 5)),
                     ("card.report_lost", lost(2, 5))) == []
    lift = {"card_id": CARDS[1], "reason": "", "lifted_at": at(30)}
    assert await run(db, office, ("card.lift_blacklist", lift)) == ["reason_required"]
    assert await run(db, office, ("card.lift_blacklist", {**lift, "reason": "已核實"}),
                     ("card.lift_blacklist", {**lift, "card_id": CARDS[2], "reason": "拾回"}),
                     ("card.lift_blacklist", {**lift, "reason": "again"})
                     ) == ["card_not_blacklisted"]
    c1, c2 = card(db, 1), card(db, 2)
    assert (c1["status"], c1["issue_id"], c1["unit_id"], c1["blacklisted_at"]) == (
        "issued", held["issue_id"], UNITS[1], None)
    assert (c2["status"], c2["issue_id"], c2["blacklisted_at"]) == ("in_stock", None, None)
    assert await run(db, one, ("card.lift_blacklist", {**lift, "reason": "x"})
                     ) == ["forbidden_role"]


# --- the stock ------------------------------------------------------------------------------

async def test_stock_is_idempotent_and_keeps_numbers_unique_per_site() -> None:
    db, ph = estate(), desk("supervisor")
    new = {"card_id": str(uuid.uuid4()), "site_id": SITE, "number": "b-77", "batch": "B9"}
    codes = await run(db, ph, ("card.stock", new), ("card.stock", new),
                      ("card.stock", {**new, "batch": "other"}),
                      ("card.stock", {**new, "card_id": str(uuid.uuid4())}),
                      ("card.stock", {**new, "card_id": str(uuid.uuid4()), "site_id": OTHER}),
                      ("card.update", {"card_id": new["card_id"], "fields": {"uid": "04a1"}}))
    assert codes == ["already_exists", "number_in_use"]
    c = db.records[(CARD, new["card_id"])].data
    assert (c["number"], c["status"], c["registered"], c["uid"]) == ("B-77", "in_stock", True,
                                                                     "04A1")


# --- under faults: every card conflict is produced by the simulated desks ------------------

def test_the_desks_of_the_convergence_scenario_produce_every_card_conflict() -> None:
    kinds_seen: dict[str, int] = {}
    for seed in range(3):
        steps = [Step(("card_issue", "card_issue", "card_lost", "card_return", "card_office",
                       "sync", "tick")[(seed + i * 5) % 7], i % 4, (i * 7919 + seed) % 2**16,
                      (i * 104729 + seed * 17) % 2**16) for i in range(160)]
        report = asyncio.run(run_convergence(memory_server_factory(page_size=5), steps,
                                             seed=seed, faults=FaultPlan(0.1, 0.1, 0.1, 0.1)))
        for k, v in report.conflicts.items():
            kinds_seen[k] = kinds_seen.get(k, 0) + v
    assert {"issued_while_lost", "double_issue", "quota_exceeded",
            "unregistered_card"} <= set(kinds_seen), kinds_seen


def test_the_setup_records_are_in_the_sites_spaces() -> None:
    rows = setup_records([SITE], datetime(2025, 1, 6, tzinfo=UTC))
    assert {r.space for r in rows} == {space(SITE, "estate"), space(SITE, "cards")}
    assert all(isinstance(r, Record) for r in rows)
