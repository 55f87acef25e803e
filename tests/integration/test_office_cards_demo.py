"""The demo estate's IC cards, as the office and the desk's phone see them: a stock in
batches, two years of issues (owners, household, tenants, a proxy or two), lost, damaged,
replaced, returned and revoked cards, a few expiring within 30 days, one card met at the desk
before the stock knew it, residents who moved out still holding cards, and exactly one lost
card the door system has not taken yet — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from server.cards.tables import Card, CardIssue


async def test_the_demo_estate_has_cards(client: Any, settings: Any) -> None:
    from server.accounts.tables import Staff
    from server.demo.loader import load_demo
    from server.estate.tables import Resident
    from tests.factories import sign_in
    from tests.integration.sync_support import phone, pull_all

    counts = await load_demo()
    assert counts["cards"] > 2000 and counts["card_issues"] > 1000
    pending = await Card.select().where(Card.status.is_in(["lost", "damaged", "revoked"])
                                        & Card.door_taken_at.is_null())
    assert len(pending) == 1 and pending[0]["status"] == "lost"
    relations = {r["relation"] for r in await CardIssue.select(CardIssue.relation)}
    assert relations == {"owner", "household", "tenant", "proxy"}
    reasons = {r["end_reason"] for r in await CardIssue.select(CardIssue.end_reason)}
    assert {"lost", "damaged", "returned", "revoked"} <= reasons
    assert await CardIssue.count().where(CardIssue.replaces_issue.is_not_null()) > 10
    assert await Card.count().where(Card.registered.eq(False)) == 1
    assert await Resident.count().where(Resident.active.eq(False)) == 2
    await sign_in(client, "admin", "caretaker-demo")
    home = (await client.get("/office")).text
    assert "/office/cards?expiry=30" in home
    for path in ("/office/cards", "/office/cards?expiry=30", "/office/cards/stock",
                 "/office/cards/figures", "/office/cards/to-revoke", "/office/cards/zones",
                 "/office/cards/policies", "/office/cards/quotas",
                 f"/office/cards/{pending[0]['id']}",
                 f"/office/cards/issues/{pending[0]['issue']}",
                 f"/office/cards/units/{pending[0]['unit']}"):
        r = await client.get(path)
        assert r.status_code == 200, path
    expiring = (await client.get("/office/cards?expiry=30")).text
    assert "8 found" in expiring or "找到 8" in expiring
    gone = [str(r["id"]) for r in await Resident.select(Resident.id).where(
        Resident.active.eq(False))]
    held = await CardIssue.count().where(CardIssue.ended_at.is_null()
                                         & CardIssue.resident.is_in(gone))
    moved = (await client.get("/office/cards/to-revoke")).text
    assert held >= 2 and moved.count("/revoke?from=to-revoke") == held
    # the front desk's phone at the first site receives the cards and their issues
    desk = await Staff.select(Staff.id).where(Staff.username == "desk").first()
    p = await phone(settings, str(desk["id"]))
    await pull_all(client, p)
    assert ("card", str(pending[0]["id"])) in p.replica
    assert ("card_issue", str(pending[0]["issue"])) in p.replica
    assert {"card_policy", "card_zone", "card_quota"} <= {t for t, _i in p.replica}
