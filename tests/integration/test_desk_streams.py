"""The front-desk logs' stream (``desk``), proven on SQLite and PostgreSQL: the device keys,
visitors, goods-out passes, gate checks and handovers a site's desks and guards recorded
reach the front desk, the patrol guards (the gate) and the supervisors of that site — never
a technician, nor the staff of another site — and the pushes that made them are refused to
the roles that may not make them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from sync import SCHEMA_VERSION
from sync.domains.desk.records import DEVICE_KEY, GOODS_PASS, HANDOVER, PASS_CHECK, VISITOR
from sync.domains.desk.scenario import pass_code, public_key
from tests.integration.sync_support import PULL, PUSH, SIG, T0, Phone, phone, pull_all

DESK_TYPES = {DEVICE_KEY, VISITOR, GOODS_PASS, PASS_CHECK, HANDOVER}


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


async def _push(client: Any, p: Phone, *steps: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    r = await client.post(PUSH, headers=p.headers, json=p.body(
        [p.mutation(name, args) for name, args in steps]))
    assert r.status_code == 200, r.text
    return r.json()


async def _site_logs(client: Any, desk: Phone, guard: Phone, site: str,
                     unit: str) -> dict[str, str]:
    """What one site's desk and guard record in a shift: the desk phone's key, a visitor, a
    pass, the guard's check of it, the handover; the ids by record type."""
    ids = {t: str(uuid.uuid4()) for t in DESK_TYPES}
    content = {"id": ids[GOODS_PASS], "s": site}
    assert (await _push(client, desk, (
        "desk.register_key", {"key_id": ids[DEVICE_KEY], "site_id": site,
                              "public_key": public_key(7), "holder": "黃嘉欣",
                              "registered_at": at(0)}),
        ("visitor.sign_in", {"visitor_id": ids[VISITOR], "site_id": site, "unit_id": unit,
                             "name": "張先生", "id_type": "hkid", "purpose": "探訪",
                             "confirmed_by": "phone", "called_number": "9876 5432",
                             "time_in": at(5)}),
        ("pass.issue", {"pass_id": ids[GOODS_PASS], "site_id": site, "number": "P-0001",
                        "unit_id": unit, "items": ["雪櫃"], "item_count": 1,
                        "issued_at": at(10), "valid_until": at(600),
                        "basis": "owner_present", "owner_name": "黃太",
                        "key_id": ids[DEVICE_KEY], "code": pass_code(content, 7)}),
        ("handover.draft", {"handover_id": ids[HANDOVER], "site_id": site,
                            "shift_start": at(-480), "shift_end": at(20),
                            "summary": {"visitors_inside": 1}, "outgoing_name": "黃嘉欣",
                            "outgoing_signature": SIG, "drafted_at": at(20)})))["applied"] == 4
    assert (await _push(client, guard, ("pass.check", {
        "check_id": ids[PASS_CHECK], "site_id": site, "pass_id": ids[GOODS_PASS],
        "number": "P-0001", "code": pass_code(content, 7), "verdict": "valid",
        "outcome": "passed", "checked_at": at(30)})))["applied"] == 1
    return ids


@pytest.fixture
async def logs(client: Any, settings: Any, factory: Any) -> dict[str, Any]:
    s1, s2 = await factory.site(code="ONE"), await factory.site(code="TWO")
    unit1, unit2 = await factory.unit(s1), await factory.unit(s2)
    people = {
        "desk": await factory.staff("desk1", role="front_desk", sites=(s1,)),
        "guard": await factory.staff("guard1", role="patrol", sites=(s1,)),
        "tech": await factory.staff("tech1", role="technician", sites=(s1,)),
        "far_desk": await factory.staff("desk3", role="front_desk", sites=(s2,)),
        "far_guard": await factory.staff("guard3", role="patrol", sites=(s2,)),
        "super": await factory.staff("super1", role="supervisor", sites=(s1, s2)),
        "far_super": await factory.staff("super2", role="supervisor", sites=(s2,)),
        "admin": await factory.staff("admin1", role="admin"),
    }
    one = await _site_logs(client, await phone(settings, people["desk"]),
                           await phone(settings, people["guard"]), s1, unit1)
    two = await _site_logs(client, await phone(settings, people["far_desk"]),
                           await phone(settings, people["far_guard"]), s2, unit2)
    return {"s1": s1, "s2": s2, "people": people, "one": one, "two": two}


def _desk_records(p: Phone) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for (type_, id_) in p.replica:
        if type_ in DESK_TYPES:
            out.setdefault(type_, set()).add(id_)
    return out


def _of(*sites: dict[str, str]) -> dict[str, set[str]]:
    return {t: {ids[t] for ids in sites} for t in DESK_TYPES}


@pytest.mark.parametrize(("who", "sites"), [
    ("desk", ("one",)), ("guard", ("one",)), ("tech", ()), ("far_desk", ("two",)),
    ("far_guard", ("two",)), ("super", ("one", "two")), ("far_super", ("two",)),
    ("admin", ("one", "two")),
])
async def test_the_desk_logs_reach_the_desk_the_gate_and_the_supervisors_of_their_site(
        client, settings, logs, who: str, sites: tuple[str, ...]) -> None:
    p = await phone(settings, logs["people"][who])
    await pull_all(client, p)
    assert _desk_records(p) == (_of(*(logs[s] for s in sites)) if sites else {})
    spaces = {data["space"] for (type_, _), data in p.replica.items() if type_ in DESK_TYPES}
    assert spaces == {f"{logs['s' + ('1' if s == 'one' else '2')]}:desk" for s in sites}


async def test_what_the_gate_receives_is_what_the_desk_recorded(client, settings, logs) -> None:
    """The guard's phone has the issuing phone's key (to verify passes offline) and the pass
    with its code, as the desk signed it."""
    guard = await phone(settings, logs["people"]["guard"])
    await pull_all(client, guard)
    one = logs["one"]
    key = guard.replica[(DEVICE_KEY, one[DEVICE_KEY])]
    assert key["public_key"] == public_key(7) and key["holder"] == "黃嘉欣"
    got = guard.replica[(GOODS_PASS, one[GOODS_PASS])]
    assert got["code"] == pass_code({"id": one[GOODS_PASS], "s": logs["s1"]}, 7)
    assert got["key_id"] == one[DEVICE_KEY]
    check = guard.replica[(PASS_CHECK, one[PASS_CHECK])]
    assert (check["pass_id"], check["outcome"]) == (one[GOODS_PASS], "passed")


async def test_roles_outside_the_desk_may_not_write_its_logs(client, settings, logs) -> None:
    """A technician may not sign a visitor out nor check a pass; a guard may not issue a
    pass; a desk of the other site may not sign out a visitor of this one."""
    people, one, s1 = logs["people"], logs["one"], logs["s1"]
    tech = await phone(settings, people["tech"])
    guard = await phone(settings, people["guard"])
    far = await phone(settings, people["far_desk"])
    out = {"visitor_id": one[VISITOR], "time_out": at(90)}
    await _push(client, tech, ("visitor.sign_out", out), ("pass.check", {
        "check_id": str(uuid.uuid4()), "site_id": s1, "pass_id": one[GOODS_PASS],
        "number": "P-0001", "code": "x", "verdict": "valid", "outcome": "passed",
        "checked_at": at(90)}))
    await _push(client, guard, ("pass.issue", {
        "pass_id": str(uuid.uuid4()), "site_id": s1, "number": "P-0002",
        "unit_id": str(uuid.uuid4()), "items": ["x"], "item_count": 1, "issued_at": at(0),
        "valid_until": at(60), "basis": "owner_present", "owner_name": "x",
        "key_id": one[DEVICE_KEY], "code": "CTP1.e30.AAAA"}))
    await _push(client, far, ("visitor.sign_out", out))
    codes = {}
    for who, p in (("tech", tech), ("guard", guard), ("far", far)):
        r = await client.post(PULL, headers=p.headers, json={
            "client_id": p.client_id, "schema_version": SCHEMA_VERSION})
        codes[who] = [x["code"] for x in r.json()["rejections"]]
    assert codes == {"tech": ["forbidden_role", "forbidden_role"], "guard": ["forbidden_role"],
                     "far": ["forbidden_site"]}
    # the visitor is still inside
    desk = await phone(settings, people["desk"])
    await pull_all(client, desk)
    assert desk.replica[(VISITOR, one[VISITOR])]["time_out"] is None
