"""The office's repair pages: the request board's tabs, counts, filters and search (scoped to
the user's sites), a request's page (deadlines, visits with device and receipt times,
photos, charges in the site's currency, follow-ups, history), a visit's full record, and the
office's own writes through the mutations — assign, close, log a request — with a refused
one shown on the re-rendered form; on SQLite and PostgreSQL. Exports:
``test_repairs_exports.py``; the entry chain and figures: ``test_repairs_chain.py``."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from server.repairs.tables import RepairPolicy, RepairRequest, RepairVisit
from server.sync import office
from server.sync.spaces import space_of
from server.sync.tables import AuditEntry, Conflict
from sync.context import iso
from tests.integration.office_keys_support import Estate, post_form
from tests.integration.repairs_office_support import (
    ago,
    assign,
    close_visit,
    number_of,
    repairs_estate,
    report,
    sign_in_en,
    start_visit,
    update_visit,
    user_of,
)


@pytest.fixture
async def re_(factory: Any) -> Estate:
    return await repairs_estate(factory)


def shown(html: str, numbers: dict[str, str]) -> set[str]:
    return {k for k, n in numbers.items() if n in html}


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/office/repairs", "/office/repairs/new",
                                  "/office/repairs/workload", "/office/repairs/follow-ups",
                                  "/office/repairs/satisfaction", "/office/repairs/chain",
                                  "/office/repairs/export.csv", "/office/repairs/policies",
                                  "/office/repairs/technicians", "/office/repairs/conflicts"])
async def test_the_front_desk_cannot_open_office_repair_pages(client: Any, re_: Estate,
                                                              path: str) -> None:
    await sign_in_en(client, "desk")
    assert (await client.get(path)).status_code == 403


# --- the board -----------------------------------------------------------------------------

async def test_the_board_filters_searches_counts_and_scopes(client: Any, re_: Estate) -> None:
    e = re_
    leak = await report(e, unit=e.u1, description="廚房水喉漏水")
    lights = await report(e, unit=e.u3, category="electricity", urgency="urgent",
                          complaint=True, description="走廊燈不亮")
    lift = await report(e, area="A座升降機", category="lift", urgency="emergency",
                        at=ago(5), description="升降機困人")  # past its deadlines
    other = await report(e, unit=e.ub, site=e.b, description="景華臺漏水")
    await assign(e, lights)
    numbers = {k: await number_of(v) for k, v in
               {"leak": leak, "lights": lights, "lift": lift, "other": other}.items()}
    await sign_in_en(client, "boss")

    page = await client.get("/office/repairs")
    assert page.status_code == 200
    assert shown(page.text, numbers) == {"leak", "lights", "lift"}  # not site B's
    assert "Past deadline" in page.text
    tabs = re.findall(r'aria-current="page">([^<]+)</a>', page.text)
    assert "All (3)" in tabs

    async def only(query: str) -> set[str]:
        r = await client.get(f"/office/repairs?{query}")
        assert r.status_code == 200
        return shown(r.text, numbers)

    assert await only("state=overdue") == {"lift"}
    assert await only("state=new") == {"leak", "lift"}
    assert await only("state=assigned") == {"lights"}
    assert await only("state=open") == {"leak", "lights", "lift"}
    assert await only("state=done") == set()
    assert await only("category=electricity") == {"lights"}
    assert await only("urgency=emergency") == {"lift"}
    assert await only(f"technician={e.tech}") == {"lights"}
    assert await only(f"building={e.bb}") == {"lights"}
    assert await only(f"unit={e.u1}") == {"leak"}
    assert await only("q=升降機") == {"lift"}  # the description and the public area
    assert await only("q=a-01") == {"leak"}  # the unit, ignoring case
    assert await only(f"q={numbers['lights'][-4:]}") == {"lights"}  # the number
    assert await only(f"site={e.b}") == set()  # another site: nothing
    counted = (await client.get("/office/repairs?category=water")).text
    assert "Still open (1)" in counted and "New (1)" in counted and "Assigned (0)" in counted
    assert (await client.get(f"/office/repairs/{other}")).status_code == 404

    await sign_in_en(client, "root")
    assert shown((await client.get(f"/office/repairs?site={e.b}")).text, numbers) == {"other"}


# --- a request and a visit -----------------------------------------------------------------

async def test_a_request_page_shows_its_visits_charges_follow_ups_and_history(
        client: Any, re_: Estate) -> None:
    e = re_
    await RepairPolicy.insert(RepairPolicy(site=e.a, sample_seed="hyg", currency="MOP",
                                           space=space_of("repair_policy", e.a), version=1))
    rid = await report(e, unit=e.u1, complaint=True, photos=(e.photo,))
    await assign(e, rid)
    visit = await start_visit(e, rid, at=ago(2))  # the phone sent it two hours later
    await update_visit(e, visit, {
        "found": "喉管老化", "work_done": "更換喉管", "after_photos": [e.photo],
        "charges": [{"item": "喉管", "qty": 2, "amount": 45.5},
                    {"item": "人工", "qty": 1, "amount": 300}]})
    await close_visit(e, visit, satisfaction=4, follow_up=True)
    await sign_in_en(client, "boss")
    page = await client.get(f"/office/repairs/{rid}")
    assert page.status_code == 200, page.text
    html = page.text
    assert await number_of(rid) in html
    assert "Done" in html and "Deadline met" in html
    assert "MOP 391.00" in html  # 2 × 45.50 + 300, in the site's currency
    assert "喉管" in html and "人工" in html
    assert f"/office/blobs/{e.photo}" in html  # the request's photo and the after photo
    assert "more than 5 minutes apart" in html  # arrived two hours before it was received
    assert "Not signed: 住戶趕時間" in html
    assert "Complaint" in html  # a complaint is always followed up
    assert f"/office/repairs/{rid}/assign" not in html  # done: nothing to assign
    assert f"/office/repairs/{rid}/close" in html
    assert f"/office/repairs/visits/{visit}" in html
    assert "History" in html and "repair.report" in html

    full = await client.get(f"/office/repairs/visits/{visit}")
    assert full.status_code == 200
    assert all(t in full.text for t in ("喉管老化", "更換喉管", "Uniform and badge",
                                        "Photos after", "MOP 391.00", "住戶趕時間",
                                        "repair.close_visit"))
    assert (await client.get(f"/office/repairs/visits/{uuid.uuid4()}")).status_code == 404


# --- the office's writes -------------------------------------------------------------------

async def test_assign_goes_through_the_mutation_and_a_refusal_shows_on_the_form(
        client: Any, re_: Estate) -> None:
    e = re_
    rid = await report(e, unit=e.u1)
    await sign_in_en(client, "boss")
    page = f"/office/repairs/{rid}"
    r = await post_form(client, page, f"{page}/assign",
                        {"assignee": e.techb, "appointment": "2026-03-02T14:30"})
    assert r.status_code == 400  # B's technician
    assert "Choose a technician of this site." in r.text and 'aria-invalid="true"' in r.text
    r = await post_form(client, page, f"{page}/assign",
                        {"assignee": e.tech2, "appointment": "not a time"})
    assert r.status_code == 400 and "Enter a date and time" in r.text
    r = await post_form(client, page, f"{page}/assign",
                        {"assignee": e.tech2, "appointment": "2026-03-02T14:30"})
    assert r.status_code == 200 and "Request assigned." in r.text
    row = await RepairRequest.select().where(RepairRequest.id == rid).first()
    assert row["state"] == "assigned" and str(row["assignee"]) == e.tech2
    assert row["appointment_at"] is not None
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.staff).where(
        AuditEntry.record_id == rid).order_by(AuditEntry.server_time)
    assert audit[-1]["action"] == "repair.assign" and str(audit[-1]["staff"]) == e.boss

    # closed by someone else after the page was opened: the rule refuses, nothing changes
    form = await client.get(page)
    await office.apply(user_of(e), [("repair.close", {
        "request_id": rid, "reason": "重複報修", "closed_at": iso(ago(0))})])
    from tests.factories import csrf_from

    r = await client.post(f"{page}/assign", data={
        "assignee": e.tech, "appointment": "", "_csrf_token": csrf_from(form.text)})
    assert r.status_code == 400
    assert "This request is closed: it can no longer be assigned." in r.text
    row = await RepairRequest.select().where(RepairRequest.id == rid).first()
    assert str(row["assignee"]) == e.tech2 and row["state"] == "closed"


async def test_close_needs_a_reason_and_flags_a_technician_at_work(client: Any,
                                                                   re_: Estate) -> None:
    e = re_
    rid = await report(e, unit=e.u2)
    await assign(e, rid)
    visit = await start_visit(e, rid)
    await sign_in_en(client, "boss")
    page = f"/office/repairs/{rid}"
    r = await post_form(client, page, f"{page}/close", {"reason": "  "})
    assert r.status_code == 400 and "Say why the request is closed." in r.text
    assert (await RepairRequest.select(RepairRequest.state).where(
        RepairRequest.id == rid).first())["state"] == "in_progress"
    r = await post_form(client, page, f"{page}/close", {"reason": "住戶已自行找人維修"})
    assert r.status_code == 200 and "Request closed." in r.text
    row = await RepairRequest.select().where(RepairRequest.id == rid).first()
    assert row["state"] == "closed" and row["close_reason"] == "住戶已自行找人維修"
    conflict = await Conflict.select().where(Conflict.kind == "closed_while_working").first()
    assert conflict is not None
    assert (await RepairVisit.select(RepairVisit.closed_at).where(
        RepairVisit.id == visit).first())["closed_at"] is None  # the visit goes on
    c = await client.get(f"/office/conflicts/{conflict['id']}")
    assert c.status_code == 200
    assert "Closed by the office" in c.text and "住戶已自行找人維修" in c.text
    assert "Technician at work" in c.text
    assert "A-02A" in c.text and e.u2 not in c.text  # the record's unit by its number
    listed = await client.get("/office/repairs/conflicts")
    # the domain's list opens each on the review console's conflict page
    assert listed.status_code == 200 and f'href="/office/conflicts/{conflict["id"]}"' in listed.text


async def test_logging_a_request_at_the_office(client: Any, re_: Estate) -> None:
    e = re_
    await sign_in_en(client, "boss")
    page = await client.get("/office/repairs/new")
    assert page.status_code == 200
    once = re.search(r'name="once" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    data = {"once": once, "site": e.a, "unit_number": "", "area": "", "category": "water",
            "urgency": "urgent", "description": "天花滲水", "contact_name": "李太",
            "contact_phone": "98765432", "contact_pref": "call_first", "source": "office"}
    r = await post_form(client, "/office/repairs/new", "/office/repairs/new", data)
    assert r.status_code == 400 and "Choose a unit or name the public area." in r.text
    r = await post_form(client, "/office/repairs/new", "/office/repairs/new",
                        {**data, "unit_number": "Z-99"})
    assert r.status_code == 400 and "No unit Z-99 at this site." in r.text
    assert await RepairRequest.count() == 0
    r = await post_form(client, "/office/repairs/new", "/office/repairs/new",
                        {**data, "unit_number": "A-0_A"})  # a typed _ is no wildcard
    assert r.status_code == 400 and "No unit A-0_A at this site." in r.text
    r = await post_form(client, "/office/repairs/new", "/office/repairs/new",
                        {**data, "unit_number": "a-02a", "complaint": "1"})  # any case
    assert r.status_code == 200 and "Request logged." in r.text
    row = await RepairRequest.select().where(RepairRequest.id == once).first()
    assert row["source"] == "office" and str(row["unit"]) == e.u2 and row["complaint"]
    assert row["state"] == "new" and str(row["reported_by"]) == e.boss
    assert re.fullmatch(r"R-\d{6}-" + once[-6:].upper(), row["number"])
    # the same form again makes no second request
    r = await post_form(client, "/office/repairs/new", "/office/repairs/new",
                        {**data, "unit_number": "A-02A", "complaint": "1"})
    assert r.status_code == 200 and await RepairRequest.count() == 1
