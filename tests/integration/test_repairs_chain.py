"""The entry chain (key → visit → follow-up) on the office's pages: a complete chain, and each
of its three exceptions — a key lent with no visit, a visit closed with the key still out past
its due time, an owner-deposited key lent without the owner's consent — on the exceptions
page, the request's page and the office home; on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from server.keys.tables import KeyLoan
from server.repairs import chain
from tests.integration.office_keys_support import Estate
from tests.integration.repairs_office_support import (
    close_visit,
    link_key,
    number_of,
    repairs_estate,
    report,
    sign_in_en,
    start_visit,
    user_of,
)


@pytest.fixture
async def re_(factory: Any) -> Estate:
    return await repairs_estate(factory)


async def _lent(factory: Any, e: Estate, request_id: str, *, category: str = "public_area",
                unit: str | None = None, **loan: Any) -> str:
    key = await factory.key(e.a, category=category, unit=unit)
    loan_id = await factory.key_loan(key, e.desk, **loan)
    await link_key(e, request_id, loan_id)
    return str(loan_id)


async def _kinds(e: Estate) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for x in await chain.exceptions(user_of(e, "boss")):
        out.setdefault(x["request"]["id"], set()).add(x["kind"])
    return out


async def test_a_complete_chain_raises_nothing(client: Any, factory: Any, re_: Estate) -> None:
    e = re_
    rid = await report(e, unit=e.u1)
    await _lent(factory, e, rid, category="owner_deposited", unit=e.u1, hours_ago=3,
                returned=True, owner_consent="業主電話同意")
    visit = await start_visit(e, rid)
    await close_visit(e, visit)
    assert await _kinds(e) == {}
    await sign_in_en(client, "boss")
    page = (await client.get(f"/office/repairs/{rid}")).text
    assert "Key and entry chain" in page and ">Complete<" in page
    listed = (await client.get("/office/repairs/chain")).text
    assert "No exceptions" in listed


async def test_a_key_lent_without_a_visit(client: Any, factory: Any, re_: Estate) -> None:
    e = re_
    late = await report(e, unit=e.u1, description="三小時前借匙")
    recent = await report(e, unit=e.u2, description="剛借匙")
    back = await report(e, unit=e.u3, description="已還匙")
    voided = await report(e, unit=e.u3, description="作廢借匙")
    await _lent(factory, e, late, hours_ago=3, due_in_hours=8)
    await _lent(factory, e, recent, hours_ago=1, due_in_hours=8)
    await _lent(factory, e, back, hours_ago=1, returned=True)
    void = await _lent(factory, e, voided, hours_ago=5)
    await KeyLoan.update({KeyLoan.voided: True}).where(KeyLoan.id == void)  # voided later
    assert await _kinds(e) == {late: {"no_visit"}, back: {"no_visit"}}
    await start_visit(e, late)  # a visit recorded: the chain goes on
    assert await _kinds(e) == {back: {"no_visit"}}
    await sign_in_en(client, "boss")
    listed = (await client.get("/office/repairs/chain")).text
    assert "Key lent, no visit recorded" in listed
    assert await number_of(back) in listed and await number_of(recent) not in listed
    page = (await client.get(f"/office/repairs/{back}")).text
    assert "Key lent, no visit recorded" in page and ">Exception<" in page


async def test_a_visit_closed_with_the_key_still_out(client: Any, factory: Any,
                                                     re_: Estate) -> None:
    e = re_
    overdue = await report(e, unit=e.u1)
    not_yet = await report(e, unit=e.u2)
    open_visit = await report(e, unit=e.u3)
    await _lent(factory, e, overdue, hours_ago=5, due_in_hours=2)
    await _lent(factory, e, not_yet, hours_ago=5, due_in_hours=8)
    await _lent(factory, e, open_visit, hours_ago=5, due_in_hours=2)
    for rid in (overdue, not_yet):
        await close_visit(e, await start_visit(e, rid))
    await start_visit(e, open_visit)  # still inside: not yet an exception
    assert await _kinds(e) == {overdue: {"key_still_out"}}
    await sign_in_en(client, "boss")
    listed = (await client.get("/office/repairs/chain")).text
    assert "Visit closed, key still out past its due time" in listed
    assert "Still out" in listed


async def test_an_owner_deposited_key_without_consent(client: Any, factory: Any,
                                                      re_: Estate) -> None:
    e = re_
    bare = await report(e, unit=e.u1)
    agreed = await report(e, unit=e.u2)
    public = await report(e, unit=e.u3)
    await _lent(factory, e, bare, category="owner_deposited", unit=e.u1, hours_ago=0.5)
    await _lent(factory, e, agreed, category="owner_deposited", unit=e.u2, hours_ago=0.5,
                owner_consent="業主書面同意")
    await _lent(factory, e, public, hours_ago=0.5)
    for rid in (bare, agreed, public):
        await start_visit(e, rid)
    assert await _kinds(e) == {bare: {"no_owner_consent"}}
    await sign_in_en(client, "boss")
    home = (await client.get("/office")).text
    assert "Entry chain exceptions" in home
    listed = (await client.get("/office/repairs/chain")).text
    assert "Owner-deposited key lent without the owner&#39;s consent" in listed
    await sign_in_en(client, "root")
    assert len(await chain.exceptions(user_of(e, "root"), e.b)) == 0
