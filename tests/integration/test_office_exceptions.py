"""The office home's exceptions, per site: every kind counted from the records at each site
(another site's invisible), each count a link to the kind's items at that site, and each item
acknowledged with a note (audited) — after which it no longer counts while its cause lasts,
until a new occurrence; an item whose cause is gone is gone without anyone acknowledging it.
Phones not synced for long count only while their person is on shift."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device
from server.cards.tables import Card
from server.desk.tables import Handover
from server.keys.tables import KeyLoan
from server.office.exceptions import Ask, totals
from server.office.kinds import kind_of, kinds
from server.office.phones import on_shift
from server.office.tables import ExceptionAck
from server.repairs import chain
from server.repairs.tables import RepairRequest
from server.sync.tables import AuditEntry
from tests.factories import csrf_from
from tests.integration.office_exceptions_support import (
    EXPECTED,
    a_device,
    now,
    round_now,
    seed_site,
)
from tests.integration.office_keys_support import Estate
from tests.integration.patrol_office_support import sign_in_en

# a search by the site (or space) alone: every row of a site read to count a few
BY_SITE_ONLY = re.compile(r"USING (COVERING )?INDEX \w+ \((site|space)=\?\)$")
COUNT_LINK = re.compile(r'href="/office/exceptions/([\w.]+)\?site=([0-9a-f-]+)">(\d+)<')


@pytest.fixture
async def ex(factory: Any) -> Estate:
    """Site A (HYG) and site B (JHT), each with one item of every kind; ``boss`` supervises
    A, ``root`` administers both, ``guard`` patrols A."""
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    root = await factory.staff("root", role="admin", sites=(a, b))
    guard = await factory.staff("guard", role="patrol", sites=(a,))
    return Estate(a=a, b=b, boss=boss, root=root, guard=guard,
                  ia=await seed_site(factory, a, boss, "HYG"),
                  ib=await seed_site(factory, b, root, "JHT"))


def user(e: Estate, who: str = "boss") -> CurrentUser:
    sites = (e.a, e.b) if who == "root" else (e.a,)
    return CurrentUser(id=getattr(e, who), username=who, display_name=who,
                       role="admin" if who == "root" else "supervisor", site_ids=sites)


async def per_site(e: Estate, who: str = "boss", **kw: Any) -> dict[str, dict[str, int]]:
    """Each kind's counts, by site."""
    return {c["key"]: c["sites"] for c in await totals(kinds(), Ask(user(e, who), now(), **kw))}


def home_counts(html: str) -> dict[tuple[str, str], int]:
    return {(k, s): int(n) for k, s, n in COUNT_LINK.findall(html)}


async def acknowledge(client: Any, kind: str, record_id: str, note: str, site: str = "") -> Any:
    page = await client.get(f"/office/exceptions/{kind}" + (f"?site={site}" if site else ""))
    return await client.post(f"/office/exceptions/{kind}/acknowledge", data={
        "_csrf_token": csrf_from(page.text), "record_id": record_id, "note": note,
        "site": site})


async def test_every_kind_is_counted_at_its_site_and_only_there(client: Any, ex: Estate
                                                                 ) -> None:
    assert {k.key for k in kinds()} == set(EXPECTED)
    counted = await per_site(ex, "root")
    assert {k: c.get(ex.a, 0) for k, c in counted.items()} == EXPECTED
    assert {k: c.get(ex.b, 0) for k, c in counted.items()} == EXPECTED
    mine = await per_site(ex, "boss")
    assert all(ex.b not in c for c in mine.values())  # another site's: invisible
    assert {k: c.get(ex.a, 0) for k, c in mine.items()} == EXPECTED
    # the entry chain's SQL is the chain page's rule
    listed = await chain.exceptions(user(ex, "boss"))
    assert {(x["kind"], x["request"]["id"]) for x in listed} == {
        (k, ex.ia[k]) for k in ("no_visit", "key_still_out", "no_owner_consent")}

    await sign_in_en(client, "boss")
    home = await client.get("/office")
    assert home.status_code == 200
    links = home_counts(home.text)
    assert links == {(k, ex.a): n for k, n in EXPECTED.items() if n}  # zero rows left out
    assert ex.b not in home.text and "JHT" not in home.text
    # alerts first in the site's table
    table = home.text.split('id="by-site-title"', 1)[1]
    order = [m.group(1) for m in COUNT_LINK.finditer(table)]
    alerts = [k.key for k in kinds() if k.alert]
    assert order.index("keys.overdue") < order.index("keys.out")
    assert max(order.index(k) for k in order if k in alerts) < min(
        order.index(k) for k in order if k not in alerts)
    # the totals of all my sites keep linking to each domain's own list
    assert '<a href="/office/keys/loans?status=overdue"><strong>2</strong>' in home.text
    assert 'href="/office/cards/door"' in home.text


async def test_a_kinds_list_links_each_record_and_other_sites_are_404(client: Any, ex: Estate
                                                                       ) -> None:
    await sign_in_en(client, "boss")
    page = await client.get(f"/office/exceptions/keys.overdue?site={ex.a}")
    assert page.status_code == 200
    assert f'href="/office/keys/loans/{ex.ia["overdue_loan"]}"' in page.text
    assert "HYG-K2 · 陳大文" in page.text
    assert ex.ib["overdue_loan"] not in page.text
    skips = (await client.get(f"/office/exceptions/patrol.skips?site={ex.a}")).text
    assert f'href="/office/patrol/rounds/{ex.ia["late_round"]}"' in skips and "門鎖上" in skips
    chain_page = (await client.get("/office/exceptions/repairs.chain_no_visit")).text
    assert f'href="/office/repairs/{ex.ia["no_visit"]}"' in chain_page
    conflicts = (await client.get("/office/exceptions/review.conflicts")).text
    assert "Same key lent twice" in conflicts and "/office/conflicts/" in conflicts
    assert (await client.get(f"/office/exceptions/keys.overdue?site={ex.b}")).status_code \
        == 404
    assert (await client.get("/office/exceptions/keys.nope")).status_code == 404
    assert "style=" not in page.text and "<script>" not in page.text


async def test_acknowledged_with_a_note_it_no_longer_counts_and_is_audited(
        client: Any, ex: Estate) -> None:
    await sign_in_en(client, "boss")
    loan = ex.ia["overdue_loan"]
    r = await acknowledge(client, "keys.overdue", loan, "已致電借用人，明早歸還", ex.a)
    assert r.status_code == 200 and "done=acknowledged" in str(r.url)
    assert "Acknowledged" in r.text and loan not in r.text
    assert (await per_site(ex))["keys.overdue"] == {ex.a: 1}
    assert (await per_site(ex))["keys.out"] == {ex.a: 4}  # its own (kind, record) only
    home = home_counts((await client.get("/office")).text)
    assert home[("keys.overdue", ex.a)] == 1
    (ack,) = await ExceptionAck.select().where(ExceptionAck.record_id == loan)
    assert ack["kind"] == "keys.overdue" and str(ack["site"]) == ex.a
    assert ack["note"] == "已致電借用人，明早歸還" and str(ack["staff"]) == ex.boss
    (entry,) = await AuditEntry.select().where(AuditEntry.record_id == ack["id"])
    assert entry["action"] == "office.exception.acknowledge" and str(entry["staff"]) == ex.boss
    listed = (await client.get("/office/exceptions/acknowledged")).text
    assert "已致電借用人，明早歸還" in listed and "Overdue keys" in listed
    assert f"/office/keys/loans/{loan}" in listed
    # acknowledged already: a second try is refused, nothing more stored
    again = await acknowledge(client, "keys.overdue", loan, "再次", ex.a)
    assert again.status_code == 400 and "no longer needs attention" in again.text
    assert await ExceptionAck.count() == 1


async def test_an_acknowledgement_without_a_note_is_the_form_again(client: Any, ex: Estate
                                                                    ) -> None:
    await sign_in_en(client, "boss")
    r = await acknowledge(client, "patrol.incidents", ex.ia["incident"], "   ", ex.a)
    assert r.status_code == 400
    assert "Required." in r.text and 'aria-invalid="true"' in r.text
    assert "消防喉轆漏水" in r.text  # the list is shown again, the item still on it
    assert await ExceptionAck.count() == 0 and await AuditEntry.count().where(
        AuditEntry.action == "office.exception.acknowledge") == 0
    # another site's item, or a record that is no exception: refused, nothing stored
    for kind, record in (("patrol.incidents", ex.ib["incident"]),
                         ("keys.overdue", ex.ia["out_loan"]), ("keys.overdue", "not-an-id")):
        r = await acknowledge(client, kind, record, "看過")
        assert r.status_code == 400 and "no longer needs attention" in r.text
    assert await ExceptionAck.count() == 0


async def test_cause_gone_is_gone_and_a_new_occurrence_counts_again(
        client: Any, factory: Any, ex: Estate) -> None:
    await sign_in_en(client, "boss")
    # the overdue loan comes back: no longer overdue nor out, nobody acknowledged it
    await KeyLoan.update({KeyLoan.returned_at: now()}).where(
        KeyLoan.id == ex.ia["overdue_loan"])
    counted = await per_site(ex)
    assert counted["keys.overdue"] == {ex.a: 1} and counted["keys.out"] == {ex.a: 3}
    # the request with no visit gets one: the chain's exception is gone
    await RepairRequest.update({RepairRequest.key_loan: None}).where(
        RepairRequest.id == ex.ia["no_visit"])
    assert (await per_site(ex))["repairs.chain_no_visit"] == {}
    # acknowledged, then a new loan of the same key runs overdue: that one counts
    r = await acknowledge(client, "keys.overdue", ex.ia["overdue_loan"], "x", ex.a)
    assert r.status_code == 400  # returned: nothing to acknowledge any more
    await factory.key_loan(ex.ia["key"], ex.boss, hours_ago=10, due_in_hours=1)
    assert (await per_site(ex))["keys.overdue"] == {ex.a: 2}
    # a card's blacklisting acknowledged, lifted, and the card lost again later: counts again
    lost = ex.ia["lost"]
    assert (await acknowledge(client, "cards.door_pending", lost, "已通知保安", ex.a)
            ).status_code == 200
    assert (await per_site(ex))["cards.door_pending"] == {}
    await Card.update({Card.blacklisted_at: now() + timedelta(seconds=1)}).where(
        Card.id == lost)
    assert (await per_site(ex))["cards.door_pending"] == {ex.a: 1}
    # a handover received: no longer waiting
    await Handover.update({Handover.received_at: now()}).where(
        Handover.id == ex.ia["handover"])
    assert (await per_site(ex))["desk.handovers_waiting"] == {}


async def test_a_stale_phone_counts_only_while_its_person_is_on_shift(
        client: Any, ex: Estate) -> None:
    stale = await a_device(ex.guard, seen_hours_ago=6, name="夜更手機")
    await a_device(ex.guard, seen_hours_ago=1, name="後備手機")  # synced lately
    revoked = await a_device(ex.guard, seen_hours_ago=9)
    await Device.update({Device.revoked_at: now()}).where(Device.id == revoked)
    assert (await per_site(ex))["phones.stale"] == {}  # off shift: no exception
    await round_now(ex.a, [ex.guard])
    assert (await on_shift(Ask(user(ex), now())))[ex.guard] == {ex.a}
    assert (await per_site(ex))["phones.stale"] == {ex.a: 1}
    assert (await per_site(ex, stale_hours=8))["phones.stale"] == {}  # the setting
    await sign_in_en(client, "boss")
    listed = (await client.get(f"/office/exceptions/phones.stale?site={ex.a}")).text
    assert "夜更手機" in listed and "後備手機" not in listed
    assert f"/office/devices?staff={ex.guard}" in listed
    assert "not synced for more than 4 hours" in listed
    # acknowledged: it holds until the phone syncs; its next silence is a new item
    assert (await acknowledge(client, "phones.stale", stale, "手機壞了，已換機", ex.a)
            ).status_code == 200
    assert (await per_site(ex))["phones.stale"] == {}
    # ten hours later (the clock moved back instead): still silent since before the
    # acknowledgement, still acknowledged; silent again after a sync since: counts again
    await ExceptionAck.update({ExceptionAck.acked_at: now() - timedelta(hours=10)}).where(
        ExceptionAck.record_id == stale)
    await Device.update({Device.last_seen_at: now() - timedelta(hours=16)}).where(
        Device.id == stale)
    assert (await per_site(ex))["phones.stale"] == {}
    await Device.update({Device.last_seen_at: now() - timedelta(hours=5)}).where(
        Device.id == stale)
    assert (await per_site(ex))["phones.stale"] == {ex.a: 1}


async def test_on_shift_from_a_handover_and_from_a_repair_job_today(ex: Estate) -> None:
    tech = ex.boss  # any staff member: the records say who is on shift
    ask = Ask(user(ex, "root"), now())

    async def shifts(a: Ask = ask) -> dict[str, set[str]]:
        """Of the estate's staff (the seeded visits' technicians are nobody's)."""
        return {k: v for k, v in (await on_shift(a)).items() if k in (ex.guard, tech, ex.root)}

    assert await shifts() == {}
    await Handover.update({Handover.incoming: ex.guard}).where(Handover.id == ex.ia["handover"])
    assert await shifts() == {ex.guard: {ex.a}}
    await RepairRequest.update({RepairRequest.assignee: tech,
                                RepairRequest.appointment_at: now()}).where(
        RepairRequest.id == ex.ib["new_request"])
    assert await shifts() == {ex.guard: {ex.a}, tech: {ex.b}}
    assert await shifts(replace(ask, user=user(ex, "boss"))) == {ex.guard: {ex.a}}
    # a later handover at the site names someone else: the guard's shift is over
    await Handover.insert(Handover(site=ex.a, shift_start=now() - timedelta(hours=1),
                                   shift_end=now() - timedelta(minutes=5), outgoing=ex.guard,
                                   incoming=ex.root, drafted_at=now()))
    assert await shifts() == {ex.root: {ex.a}, tech: {ex.b}}


def test_every_kind_has_a_page_for_its_items() -> None:
    for kind in kinds():
        assert kind_of(kind.key) is kind
        assert kind.link("00000000-0000-0000-0000-000000000001").startswith("/office/")


async def test_every_count_reads_through_an_index(db: Any, ex: Estate) -> None:
    """At a million records the home answers in one indexed query a kind: on SQLite (never
    ANALYZEd) each kind's count query searches an index of its table, or reads a partial
    index of the kind's candidates — never a scan of the table or of a whole index; on both
    databases the migration's indexes exist."""
    import importlib

    migration = importlib.import_module("migrations.caretaker_2026_12_07t10_10_00_000000")
    engine = KeyLoan._meta.db
    if db.kind == "postgres":
        found = {r["indexname"] for r in await KeyLoan.raw(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    else:
        found = {r["name"] for r in await KeyLoan.raw(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {name for name, _ in migration.INDEXES} <= found
    partial = "|".join(name for name, on in migration.INDEXES if " WHERE " in on)
    # a partial index holds only the kind's candidates: searched or read whole
    partial_scan = re.compile(rf"^(SEARCH|SCAN) \w+ USING (COVERING )?INDEX ({partial})\b")
    if db.kind == "postgres":
        return  # PostgreSQL plans by its statistics (a test table is seq-scanned anyway)
    for who in ("boss", "root"):
        ask = Ask(user(ex, who), now())
        for kind in kinds():
            source = kind.source
            if not hasattr(source, "count_query"):
                continue
            query = await source.count_query(kind, ask)
            sql, args = query.querystrings[0].compile_string(engine_type=engine.engine_type)
            plan = _plan(engine.path, sql, args)
            table = source.table._meta.tablename
            main = [p for p in plan if re.match(rf"(SEARCH|SCAN) {table}\b", p)]
            assert main and all((p.startswith("SEARCH") and not BY_SITE_ONLY.search(p))
                                or partial_scan.search(p) for p in main), (who, kind.key, plan)


def _plan(path: str, sql: str, args: list[Any]) -> list[str]:
    """SQLite's plan of ``sql``, its arguments as Piccolo binds them (times and ids as
    text)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        return [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, [
            a if isinstance(a, (int, float, str, bytes, type(None))) else str(a)
            for a in args])]
