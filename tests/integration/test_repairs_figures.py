"""The office's repair figures and set-up: the technicians' workload, the follow-up queue
(due, overdue, done with A/B/C), satisfaction by month and by category, the office home's
repair counts, a visit closed twice read side by side, and the set-up lists — each site's
repair policy (its deadlines reach the next request; its seed is shown) and the repair team;
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.repairs import figures
from server.repairs.tables import FollowUp, RepairPolicy, RepairRequest, RepairTechnician
from server.sync import office
from server.sync.tables import Conflict
from sync.context import iso
from tests.integration.office_keys_support import Estate, post_form
from tests.integration.repairs_office_support import (
    ago,
    assign,
    close_visit,
    repairs_estate,
    report,
    sign_in_en,
    start_visit,
    user_of,
)


@pytest.fixture
async def re_(factory: Any) -> Estate:
    return await repairs_estate(factory)


async def test_workload_counts_each_technicians_jobs(client: Any, re_: Estate) -> None:
    e = re_
    for _n in range(2):
        await assign(e, await report(e, unit=e.u1))
    late = await report(e, unit=e.u2, urgency="emergency", at=ago(6))
    await assign(e, late)
    done = await report(e, unit=e.u3)
    await assign(e, done, "tech2")
    await close_visit(e, await start_visit(e, done, who="tech2"), who="tech2")
    by_id = {line["id"]: line for line in await figures.workload(e.a)}
    assert (by_id[e.tech]["open"], by_id[e.tech]["overdue"], by_id[e.tech]["finished"]) == (
        3, 1, 0)
    assert (by_id[e.tech2]["open"], by_id[e.tech2]["finished"], by_id[e.tech2]["visits"]) == (
        0, 1, 1)
    assert e.techb not in by_id  # another site's technician
    await sign_in_en(client, "boss")
    page = await client.get("/office/repairs/workload")
    assert page.status_code == 200
    assert f"technician={e.tech}&amp;state=overdue" in page.text


async def test_follow_ups_queue_and_satisfaction(client: Any, re_: Estate) -> None:
    e = re_
    # complaints are always followed up; three days after the visit closed
    old = await report(e, unit=e.u1, complaint=True, at=ago(120))
    fresh = await report(e, unit=e.u2, complaint=True, category="electricity", at=ago(3))
    rated = await report(e, unit=e.u3, complaint=True, at=ago(100))
    for rid, left in ((old, 96), (fresh, 1), (rated, 90)):
        visit = await start_visit(e, rid, at=ago(left + 1))
        await close_visit(e, visit, at=ago(left), satisfaction=4 if rid != fresh else 2,
                          follow_up=True)
    follow = await FollowUp.select(FollowUp.id).where(FollowUp.request == rated).first()
    await office.apply(user_of(e, "boss"), [("repair.follow_up", {
        "follow_up_id": str(follow["id"]), "method": "call", "reached": True, "rating": "A",
        "notes": "住戶滿意", "done_at": iso(ago(1))})])
    await sign_in_en(client, "boss")
    numbers = {k: (await RepairRequest.select(RepairRequest.number).where(
        RepairRequest.id == v).first())["number"] for k, v in
        {"old": old, "fresh": fresh, "rated": rated}.items()}

    async def queue(show: str) -> set[str]:
        html = (await client.get(f"/office/repairs/follow-ups?show={show}")).text
        return {k for k, n in numbers.items() if n in html}

    assert await queue("due") == {"fresh"}
    assert await queue("overdue") == {"old"}
    assert await queue("done") == {"rated"}
    page = (await client.get("/office/repairs/follow-ups?show=done")).text
    assert "A Satisfied" in page and "住戶滿意" in page and "To call (1)" in page

    by_month, by_category, total = await figures.satisfaction(e.a)
    assert (total["scored"], total["average"], total["A"], total["satisfied"]) == (
        3, round(10 / 3, 2), 1, 100)
    categories = {line["key"]: line for line in by_category}
    assert categories["electricity"]["scored"] == 1 and categories["electricity"]["A"] == 0
    assert categories["water"]["scored"] == 2 and categories["water"]["A"] == 1
    assert sum(line["scored"] for line in by_month) == 3
    page = (await client.get("/office/repairs/satisfaction")).text
    assert "By month" in page and "By category" in page and "3.33" in page

    # a C (不滿意) reopens the request: an exception on the office's home until it is done again
    assert await queue("unsatisfied") == set()
    follow = await FollowUp.select(FollowUp.id).where(FollowUp.request == old).first()
    await office.apply(user_of(e, "boss"), [("repair.follow_up", {
        "follow_up_id": str(follow["id"]), "method": "call", "reached": True, "rating": "C",
        "notes": "仍然漏水", "done_at": iso(ago(0.5))})])
    assert await queue("unsatisfied") == {"old"}
    home = (await client.get("/office")).text
    assert "Follow-ups rated C, request reopened" in home
    assert "/office/repairs/follow-ups?show=unsatisfied" in home
    visit = await start_visit(e, old, at=ago(0.4))
    await close_visit(e, visit, at=ago(0.3), satisfaction=5)
    assert await queue("unsatisfied") == set()  # done again: the exception is gone


async def test_office_home_counts_and_a_visit_closed_twice(client: Any, re_: Estate) -> None:
    e = re_
    await report(e, area="大堂", urgency="emergency", at=ago(6))
    rid = await report(e, unit=e.u1)
    visit = await start_visit(e, rid)
    # closed on the phone, and by the office (which did not see it yet)
    await close_visit(e, visit, at=ago(0.2), satisfaction=5)
    await close_visit(e, visit, at=ago(0.1), satisfaction=3, who="boss")
    await sign_in_en(client, "boss")
    home = (await client.get("/office")).text
    assert "Overdue repair requests" in home and "Repair requests not assigned" in home
    assert 'href="/office/repairs"' in home  # the top bar
    conflict = await Conflict.select(Conflict.id).where(Conflict.kind == "double_close").first()
    page = await client.get(f"/office/conflicts/{conflict['id']}")
    assert page.status_code == 200
    assert "First closing (kept)" in page.text and "Second closing" in page.text
    assert "職員" in page.text  # who closed, by name


async def test_the_repair_policy_and_team_lists(client: Any, re_: Estate) -> None:
    e = re_
    await sign_in_en(client, "boss")
    new = await client.get("/office/repairs/policies/new")
    assert new.status_code == 200 and 'value="caretaker"' in new.text and "HKD" in new.text
    form = {"site": e.a, "respond_emergency": "15", "complete_emergency": "120",
            "respond_urgent": "60", "complete_urgent": "600", "respond_normal": "600",
            "complete_normal": "2880", "sample_percent": "50", "sample_seed": "bad seed!",
            "currency": "hkd"}
    r = await post_form(client, "/office/repairs/policies/new", "/office/repairs/policies", form)
    assert r.status_code == 400 and "Letters, digits, - and _ only." in r.text
    r = await post_form(client, "/office/repairs/policies/new", "/office/repairs/policies",
                        {**form, "sample_seed": "HYG-2026", "currency": "HKD"})
    assert r.status_code == 200 and "HYG-2026" in r.text
    policy = await RepairPolicy.select().where(RepairPolicy.site == e.a).first()
    assert policy["respond_emergency"] == 15 and policy["sample_seed"] == "HYG-2026"
    listed = (await client.get("/office/repairs/policies")).text
    assert "HYG-2026" in listed  # the seed is shown
    at = ago(0)
    rid = await report(e, area="大堂", urgency="emergency", at=at)
    row = await RepairRequest.select().where(RepairRequest.id == rid).first()
    assert abs(row["respond_by"] - (at + timedelta(minutes=15))) < timedelta(seconds=1)

    r = await post_form(client, "/office/repairs/technicians/new",
                        "/office/repairs/technicians",
                        {"site": e.a, "staff": e.techb, "name": "何師傅", "trade": "水喉"})
    assert r.status_code == 400 and "Choose a technician of this site." in r.text
    r = await post_form(client, "/office/repairs/technicians/new",
                        "/office/repairs/technicians",
                        {"site": e.a, "staff": e.tech, "name": "何師傅", "trade": "水喉"})
    assert r.status_code == 200
    row = await RepairTechnician.select().where(RepairTechnician.site == e.a).first()
    assert str(row["staff"]) == e.tech and row["active"] and row["name"] == "何師傅"
    r = await post_form(client, "/office/repairs/technicians/new",
                        "/office/repairs/technicians",
                        {"site": e.a, "staff": e.tech, "name": "何師傅", "trade": ""})
    assert r.status_code == 400 and "already in the site" in r.text
