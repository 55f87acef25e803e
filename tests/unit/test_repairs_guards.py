"""Who may record what in repairs: a technician records only on their own visits (or one
they are the second staff member of), a supervisor on any of their sites'; a key loan of
another site cannot be linked to a request (its borrower would show at this site)."""

from __future__ import annotations

import uuid

import pytest

from sync.memory import MemoryDatabase
from sync.storage import Record
from sync.streams import space
from tests.unit.sync_helpers import OTHER, SITE, Phone, person
from tests.unit.test_repairs_rules import close, estate, phone, report, run, start, vis

pytestmark = pytest.mark.unit


def technician() -> Phone:
    return Phone(person("technician", (SITE, OTHER)))


async def test_a_technician_records_only_on_their_own_visits() -> None:
    db: MemoryDatabase = estate()
    desk, mine, other, boss = phone(), technician(), technician(), phone("supervisor")
    a = report()
    v = start(a)
    assert await run(db, desk, ("repair.report", a)) == []
    assert await run(db, mine, ("repair.start_visit", v)) == []
    work = {"visit_id": v["visit_id"], "fields": {"found": "漏水"}}
    assert await run(db, other, ("repair.update_visit", work),
                     ("repair.close_visit", close(v, a))) == ["not_your_visit"] * 2
    assert vis(db, v)["found"] == "" and vis(db, v)["closed_at"] is None
    # named as the second staff member: they may
    helper = {"visit_id": v["visit_id"], "fields": {"second_staff_id": other.actor.staff_id}}
    assert await run(db, mine, ("repair.update_visit", helper)) == []
    assert await run(db, other, ("repair.update_visit", work)) == []
    assert vis(db, v)["found"] == "漏水"
    # the office's supervisor closes it
    assert await run(db, boss, ("repair.close_visit", close(v, a))) == []
    assert vis(db, v)["closed_at"] is not None


async def test_a_key_loan_of_another_site_is_not_linked() -> None:
    db, desk = estate(), phone()
    here, there = str(uuid.uuid4()), str(uuid.uuid4())
    db.office_write([Record("key_loan", here, space(SITE, "keys"), 1, {"site_id": SITE}),
                     Record("key_loan", there, space(OTHER, "keys"), 1, {"site_id": OTHER})])
    a = report()
    assert await run(db, desk, ("repair.report", a),
                     ("repair.link_key", {"request_id": a["request_id"], "key_loan_id": there}),
                     ("repair.link_key", {"request_id": a["request_id"], "key_loan_id": here})
                     ) == ["unknown_loan"]
    assert db.records[("repair_request", a["request_id"])].data["key_loan_id"] == here
