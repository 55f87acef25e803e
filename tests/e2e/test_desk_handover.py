"""The shift handover (交接班) in real Chromium: the outgoing person's phone drafts it from its
records (keys out, visitors inside…), offline, and both people sign — the incoming one on the
same phone (their name typed) or on their own phone once it synced (as themselves)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from sync import SCHEMA_VERSION
from sync.hlc import node_id
from tests.e2e.conftest import PASSWORD, Phone, Phones, Server
from tests.e2e.test_screens import NO_SIDEWAYS_SCROLL, _axe


def _id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def _visitor_inside(server: Server, name: str) -> None:
    """A visitor signed in at 海悅花園 by another desk phone (through the sync API)."""
    (site_id, unit_id), = server.query(
        "select s.id, u.id from unit u join site s on s.id = u.site where s.code = 'HYG'"
        " order by u.number limit 1")
    client_id = str(uuid.uuid4())
    with httpx.Client(base_url=server.url) as http:
        r = http.post("/api/v1/devices", json={"username": "desk2", "password": PASSWORD,
                                               "client_id": client_id, "name": "e2e"})
        assert r.status_code == 201, r.text
        now = int(time.time() * 1000)
        args = {"visitor_id": str(uuid.uuid4()), "site_id": _id(site_id), "unit_id": _id(unit_id),
                "name": name, "id_type": "hkid", "purpose": "探訪", "confirmed_by": "phone",
                "called_number": "9123 4567", "badge": "V7",
                "time_in": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now / 1000 - 600))}
        r = http.post("/api/v1/sync/push", headers={"authorization": f"Bearer {r.json()['token']}"},
                      json={"client_id": client_id, "schema_version": SCHEMA_VERSION, "mutations": [
                          {"id": 1, "name": "visitor.sign_in", "args": args,
                           "hlc": f"{now:013d}-0000-{node_id(client_id)}"}]})
        assert r.status_code == 200 and r.json()["applied"] == 1, r.text


def _sign(phone: Phone, name: str) -> None:
    """Draw a signature on the pad of `name` and wait until its blob is stored."""
    page = phone.page
    pad = page.locator(f"canvas[data-signature-for='{name}']")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for i in range(12):
        page.mouse.move(box["x"] + 20 + i * 14, box["y"] + 40 + (i % 3) * 25)
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('#f-{name}').value.length === 64")


def _count(phone: Phone, key: str) -> int:
    return int(phone.page.get_attribute(f"#handover-summary li[data-count='{key}']", "data-n")
               or -1)


def _open_loans(server: Server) -> int:
    return int(server.query(
        "select count(*) from key_loan l join site s on s.id = l.site"
        " where s.code = 'HYG' and l.returned_at is null and not l.voided")[0][0])


def _open_draft(phone: Phone) -> None:
    phone.goto("/m/desk/handover")
    phone.page.click("#new-handover")
    phone.page.wait_for_selector("#handover-form")


def _hand_over(phone: Phone, notes: str) -> str:
    """Sign the open draft with these notes; the new handover's id."""
    page = phone.page
    page.fill("#f-notes", notes)
    _sign(phone, "outgoing_signature")
    page.click("#handover-submit")
    # the handover's page (online, a sync may already have refreshed away its confirmation)
    page.wait_for_selector("#handover")
    handover_id = str(page.get_attribute("#handover", "data-handover-id"))
    page.wait_for_url(f"**/m/desk/handover/{handover_id}")
    return handover_id


def _row(server: Server, handover_id: str) -> dict[str, Any]:
    cols = ("outgoing_name", "outgoing_signature", "outgoing", "incoming_name",
            "incoming_signature", "incoming", "received_at", "summary", "notes")
    rows = server.query(f"select {', '.join(cols)} from handover where id = ?",
                        handover_id)
    assert len(rows) == 1
    row = dict(zip(cols, rows[0], strict=True))
    row["summary"] = json.loads(row["summary"])
    return row


def _blob_stored(server: Server, sha: str) -> bool:
    return bool(sha) and server.query("select count(*) from blob where sha256 = ?", sha)[0][0] == 1


def test_drafted_offline_and_signed_by_both_on_the_same_phone(phones: Phones,
                                                              server: Server) -> None:
    _visitor_inside(server, "陳訪客")
    phone = phones()
    phone.sign_in("desk")
    phone.offline()
    phone.lend("HYG-K008", "交班測試")  # a key out, saved on this phone only (K004: sign_in_again)
    out = _open_loans(server) + 1
    _open_draft(phone)
    page = phone.page
    assert _count(phone, "keys_out") == out
    assert _count(phone, "visitors_inside") >= 1
    assert "陳訪客" in page.inner_text("#handover-summary")
    assert _count(phone, "cards_in_stock") > 0  # a desk's phone holds the cards
    # … and no patrol records: no rounds section
    assert page.locator("#handover-summary li[data-count='rounds_done']").count() == 0
    handover_id = _hand_over(phone, "後門鎖壞了，已報修")
    assert "後門鎖壞了" in page.inner_text("#handover-notes")
    assert page.locator("#receive-form #f-incoming_name").count() == 1  # typed on this phone
    page.fill("#f-incoming_name", "梁接班")
    _sign(phone, "incoming_signature")
    page.click("#receive-submit")
    page.wait_for_selector("#handover[data-received='1']")
    assert page.locator("#receive-form").count() == 0
    assert page.locator("figure.signature-view img").count() == 2
    phone.goto("/m/desk/handover")
    recent = phone.page.locator(f"#handovers-recent li[data-handover-id='{handover_id}']")
    assert recent.count() == 1
    # the loan, the handover, its receipt (and the phone's device key, if it had not synced)
    assert int(phone.status()["pending"]) >= 3
    assert not server.query("select id from handover where id = ?", handover_id)

    phone.online()
    phone.wait_pending(0)
    row = _row(server, handover_id)
    assert row["outgoing_name"] == "黃嘉欣" and row["incoming_name"] == "梁接班"
    assert row["incoming"] is None and row["received_at"] is not None
    assert _blob_stored(server, row["outgoing_signature"])
    assert _blob_stored(server, row["incoming_signature"])
    summary = row["summary"]
    assert summary["keys_out"] == out == _open_loans(server)
    assert summary["cards_in_stock"] > 0
    assert "陳訪客" in [v["label"] for v in summary["visitors_inside"]]
    assert "rounds_done" not in summary and "rounds_missed" not in summary
    assert not phone.errors, phone.errors


def test_received_on_the_incoming_persons_own_phone(phones: Phones, server: Server) -> None:
    screens: dict[str, list[dict[str, Any]]] = {}

    def check(phone: Phone, name: str) -> None:
        assert phone.page.evaluate(NO_SIDEWAYS_SCROLL), name
        screens[name] = _axe(phone.page)

    outgoing = phones()
    outgoing.sign_in("desk")
    _open_draft(outgoing)
    check(outgoing, "draft")
    # not signed: refused by the rules' own check, beside the pad
    outgoing.page.click("#handover-submit")
    outgoing.page.wait_for_selector("#form-errors")
    assert outgoing.page.locator("#e-outgoing_signature").count() == 1
    check(outgoing, "draft with its problems")
    handover_id = _hand_over(outgoing, "交給何小姐")
    outgoing.wait_pending(0)

    incoming = phones()
    incoming.sign_in("desk2")
    page = incoming.page
    incoming.goto("/m/desk/handover")
    check(incoming, "the handovers")
    page.click(f"#handovers-waiting li[data-handover-id='{handover_id}'] a")
    page.wait_for_selector("#receive-form")
    check(incoming, "a handover to receive")
    assert "何詠詩" in page.inner_text("#receiving-as")  # signs as themselves: no name typed
    assert page.locator("#f-incoming_name").count() == 0
    # the outgoing signature, fetched from the server
    page.wait_for_function("() => [...document.querySelectorAll('figure.signature-view img')]"
                           ".some((i) => i.complete && i.naturalWidth > 0)")
    _sign(incoming, "incoming_signature")
    page.click("#receive-submit")
    page.wait_for_selector("#handover[data-received='1']")
    check(incoming, "a handover received")
    incoming.wait_pending(0)
    row = _row(server, handover_id)
    (desk2_id,), = server.query("select id from staff where username = 'desk2'")
    assert row["incoming"] is not None and _id(row["incoming"]) == _id(desk2_id)
    assert row["incoming_name"] == "何詠詩 (前台)"
    assert row["outgoing_name"] == "黃嘉欣" and _blob_stored(server, row["incoming_signature"])

    # the outgoing phone sees it received after its next sync
    outgoing.wait_synced()
    outgoing.goto(f"/m/desk/handover/{handover_id}")
    assert outgoing.page.get_attribute("#handover", "data-received") == "1"
    assert "何詠詩" in outgoing.page.inner_text("main")
    assert not any(screens.values()), screens
    assert not incoming.errors and not outgoing.errors, incoming.errors + outgoing.errors
