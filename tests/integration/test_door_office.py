"""The door system's office side: the blacklist-pending page (mark an entry taken, through
``card.door_taken``, audited), the office home's counts (pending, and pending for more than
an hour), the CSV exports of a site's blacklist and active list, and the controller tokens
(created once shown, stored hashed, revoked, audited) — scoped to the person's sites."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.cards.door_queries import counts
from server.cards.door_tables import DoorControllerToken
from server.cards.tables import Card
from server.lib.security import token_hash
from server.sync import office
from server.sync.tables import AuditEntry
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in
from tests.integration import door_support as ds
from tests.integration.door_support import FEED, Desk, bearer

PAGE = "/office/cards/door"


class Door:
    def __init__(self, **ids: Any) -> None:
        self.__dict__.update(ids)


@pytest.fixture
async def door(factory: Any) -> Door:
    """Site A: a supervisor ``boss``, a front-desk ``desk``; site B: its supervisor. Cards
    of A: L1 lost two hours ago, L2 lost now, L3 lost and already taken, R1 issued (with
    scope), S1 in stock, E1 issued but expired; of B: one lost card."""
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    await factory.staff("desk", role="front_desk", sites=(a,))
    bboss = await factory.staff("bboss", role="supervisor", sites=(b,))
    for staff in (boss, bboss):
        await ds.can_sign(staff)
    unit = await factory.unit(a, number="A-12C")
    await ds.zone(a, "MAIN")
    await ds.zone(a, "CARPARK")
    d, db_ = Desk(ds.office_user(boss, a), a), Desk(ds.office_user(bboss, b), b)
    now = datetime.now(UTC)
    ids = dict(zip(("L1", "L2", "L3", "R1", "S1", "E1"),
                   await d.stock("L1", "L2", "L3", "R1", "S1", "E1"), strict=True))
    for n in ("L1", "L2", "L3"):
        await d.issue(ids[n], n, unit, at=now - timedelta(days=30))
    await d.lose(ids["L1"], now - timedelta(hours=2))
    await d.lose(ids["L2"])
    await d.lose(ids["L3"], now - timedelta(hours=3))
    await office.apply(d.user, [("card.door_taken", {"card_id": ids["L3"],
                                                        "taken_at": now.isoformat()})])
    await d.issue(ids["R1"], "R1", unit, scope=["MAIN", "CARPARK"])
    await d.issue(ids["E1"], "E1", unit, at=now - timedelta(days=800))
    (b1,) = await db_.stock("B1")
    await db_.lose(b1)
    return Door(a=a, b=b, boss=boss, ids=ids, b1=b1, desk=d, now=now)


async def test_the_pending_counts_and_the_blacklist_page(client: Any, door: Door) -> None:
    got = {c["label"]: (c["count"], c["alert"]) for c in await counts(door.desk.user)}
    assert got == {"Blacklist entries pending for more than an hour": (1, True),
                   "Blacklist pending for the door system": (2, False)}
    await sign_in(client, "boss", TEST_PASSWORD)
    home = await client.get("/office")
    assert "黑名單項目待接收超過一小時" in home.text and f'href="{PAGE}"' in home.text
    page = await client.get(PAGE)
    assert page.status_code == 200
    waiting = page.text.split('id="taken-title"')[0]
    assert re.findall(r"<strong[^>]*>([A-Z0-9]+)</strong>", waiting) == ["L1", "L2"]  # oldest
    assert "B1" not in page.text and "R1" not in page.text
    assert "L3" in page.text.split('id="taken-title"')[1]
    assert "2 小時" in waiting and "超過一小時" in waiting
    assert "style=" not in page.text and "<script>" not in page.text

    # mark L1 taken: through the mutation, audited under the supervisor's name
    r = await client.post(f"{PAGE}/cards/{door.ids['L1']}/taken",
                          data={"_csrf_token": csrf_from(page.text)})
    assert r.status_code == 200 and "已標示為門禁系統已接收" in r.text
    row = await Card.select(Card.door_taken_at, Card.version).where(
        Card.id == door.ids["L1"]).first()
    assert row["door_taken_at"] is not None and row["version"] == await ds.cards_version(
        door.a)
    audit = await AuditEntry.select().where((AuditEntry.record_id == door.ids["L1"])
                                           & (AuditEntry.action == "card.door_taken"))
    assert len(audit) == 1 and str(audit[0]["staff"]) == door.boss
    assert [c["count"] for c in await counts(door.desk.user)] == [0, 1]

    # a card that is not blacklisted: the page again with the rule's refusal, nothing stored
    before = await ds.cards_version(door.a)
    r = await client.post(f"{PAGE}/cards/{door.ids['R1']}/taken",
                          data={"_csrf_token": csrf_from(page.text)})
    assert r.status_code == 400 and "此卡已不在黑名單上" in r.text
    # another site's card does not exist for this supervisor
    r = await client.post(f"{PAGE}/cards/{door.b1}/taken",
                          data={"_csrf_token": csrf_from(page.text)})
    assert r.status_code == 404
    assert (await client.get(PAGE, params={"site": door.b})).status_code == 404
    assert await ds.cards_version(door.a) == before
    assert await Card.count().where(Card.door_taken_at.is_not_null()) == 2


async def test_front_desk_may_not_open_the_door_pages(client: Any, door: Door) -> None:
    await sign_in(client, "desk", TEST_PASSWORD)
    for path in (PAGE, f"{PAGE}/tokens", f"{PAGE}/blacklist.csv", f"{PAGE}/active.csv"):
        assert (await client.get(path)).status_code == 403, path


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


async def test_the_csv_exports(client: Any, door: Door) -> None:
    # a stored value a spreadsheet would run as a formula stays text
    await Card.update({Card.uid: "=1+2"}).where(Card.id == door.ids["L2"])
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get(f"{PAGE}/blacklist.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "door-blacklist-HYG-" in r.headers["content-disposition"]
    rows = _csv(r.content)
    assert rows[0] == ["card_number", "uid", "technology", "status", "valid_until", "scope"]
    assert sorted(row[0] for row in rows[1:]) == ["L1", "L2", "L3"]  # taken or not, no B1
    by = {row[0]: row for row in rows[1:]}
    assert by["L2"][1] == "'=1+2" and by["L1"][1:4] == ["UIDL1", "ic", "lost"]

    r = await client.get(f"{PAGE}/active.csv")
    rows = _csv(r.content)
    assert [row[0] for row in rows[1:]] == ["R1"]  # not in stock, not expired, not lost
    number, uid, tech, status, until, scope = rows[1]
    assert (number, uid, tech, status, scope) == ("R1", "UIDR1", "ic", "issued", "MAIN;CARPARK")
    assert datetime.fromisoformat(until) > door.now + timedelta(days=700)
    assert (await client.get(f"{PAGE}/active.csv", params={"site": door.b})).status_code == 404


async def test_controller_tokens_are_shown_once_stored_hashed_and_revoked(
        client: Any, door: Door) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    page = await client.get(f"{PAGE}/tokens")
    assert page.status_code == 200 and "尚未有權杖" in page.text
    csrf = csrf_from(page.text)
    r = await client.post(f"{PAGE}/tokens", data={"site": door.a, "name": "  ",
                                                  "_csrf_token": csrf})
    assert r.status_code == 400 and "必須填寫" in r.text
    r = await client.post(f"{PAGE}/tokens", data={"site": door.b, "name": "外人",
                                                  "_csrf_token": csrf})
    assert r.status_code == 404
    assert await DoorControllerToken.count() == 0

    r = await client.post(f"{PAGE}/tokens", data={"site": door.a, "name": "大堂門禁 ACS",
                                                  "_csrf_token": csrf})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', r.text).group(1)
    row = await DoorControllerToken.select().first()
    assert row["token_hash"] == token_hash(token) and token not in str(row)
    assert row["name"] == "大堂門禁 ACS" and str(row["site"]) == door.a
    assert str(row["created_by"]) == door.boss and row["last_used_at"] is None
    again = await client.get(f"{PAGE}/tokens")
    assert "大堂門禁 ACS" in again.text and token not in again.text
    assert (await client.get(FEED, headers=bearer(token))).status_code == 200
    assert (await DoorControllerToken.select().first())["last_used_at"] is not None

    r = await client.post(f"{PAGE}/tokens/{row['id']}/revoke",
                          data={"_csrf_token": csrf_from(again.text)})
    assert r.status_code == 200 and "權杖已撤銷" in r.text
    assert (await DoorControllerToken.select().first())["revoked_at"] is not None
    assert (await client.get(FEED, headers=bearer(token))).status_code == 401
    actions = [a["action"] for a in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.record_id == row["id"]).order_by(AuditEntry.server_time)]
    assert actions == ["office.door_token.create", "office.door_token.revoke"]
