"""The key-loan domain's rules (sync/mutations/keys.py) through the engine: rejections of
the register/lend/return/void rules, idempotent repeats, voids as tombstones."""

from __future__ import annotations

import pytest

from sync.memory import MemoryDatabase
from sync.storage import Lookup
from tests.unit.sync_helpers import (
    NOW,
    REG,
    SITE,
    Phone,
    lend_args,
    person,
    pull_all,
    push,
    register_args,
    return_args,
    uid,
    with_key,
)

pytestmark = pytest.mark.unit


async def test_key_rules() -> None:
    db, desk = MemoryDatabase(), Phone(person())
    owner_key = await with_key(db, desk, category="owner_deposited")
    retired = await with_key(db, desk)
    await push(db, desk, [desk.m("key.update", {"key_id": retired, "fields": {"retired": True}})])
    key_id = await with_key(db, desk)
    loan_id = uid()
    same_register = register_args(key_id)
    same_register["key_id"] = key_id
    resp = await push(db, desk, [
        desk.m("key.lend", lend_args(owner_key)),  # no owner consent
        desk.m("key.lend", lend_args(owner_key, owner_consent="owner phoned 09:00")),
        desk.m("key.lend", lend_args(retired)),
        desk.m("key.register", register_args(key_id, label="different")),
        desk.m("key.register", {**db.records[("key", key_id)].data, "key_id": key_id,
                                "retired": None} | {"notes": ""}),
        desk.m("key.lend", lend_args(key_id, loan_id)),
        desk.m("key.lend", lend_args(key_id, loan_id)),  # the same loan again: applied once
        desk.m("key.lend", lend_args(key_id, loan_id, borrower_name="someone else")),
        desk.m("key.return", return_args(uid())),
        desk.m("key.update", {"key_id": uid(), "fields": {"label": "x"}}),
    ])
    codes = [(r.mutation_id, r.code) for r in db.rejections[desk.client_id]]
    first = resp.last_mutation_id - 9
    assert codes == [
        (first, "owner_consent_required"), (first + 2, "key_retired"),
        (first + 3, "already_exists"), (first + 4, "invalid_args"),
        (first + 7, "already_exists"), (first + 8, "unknown_loan"),
        (first + 9, "unknown_key"),
    ]
    assert sum(r.type == "key_loan" for r in db.records.values()) == 2


async def test_an_identical_register_is_a_no_op() -> None:
    db, desk, other = MemoryDatabase(), Phone(person()), Phone(person())
    args = register_args()
    await push(db, desk, [desk.m("key.register", args)])
    resp = await push(db, other, [other.m("key.register", args)])
    assert (resp.applied, resp.rejected) == (1, 0)
    assert db.versions[SITE] == 1  # nothing changed


async def test_void_needs_a_supervisor_and_a_reason_and_travels_as_a_tombstone() -> None:
    db, desk, boss = MemoryDatabase(), Phone(person()), Phone(person("supervisor"))
    key_id = await with_key(db, desk)
    loan_id = uid()
    await push(db, desk, [desk.m("key.lend", lend_args(key_id, loan_id))])
    _, cookie = await pull_all(db, desk)
    resp = await push(db, boss, [
        boss.m("key.void_loan", {"loan_id": loan_id, "reason": "  "}),
        boss.m("key.void_loan", {"loan_id": loan_id, "reason": "wrong key"}),
        boss.m("key.void_loan", {"loan_id": loan_id, "reason": "again"}),
    ])
    assert [r.code for r in db.rejections[boss.client_id]] == ["reason_required",
                                                                "loan_voided"]
    loan = db.records[("key_loan", loan_id)]
    assert loan.deleted and loan.data["voided"] and loan.data["voided_by"] == boss.actor.staff_id
    assert resp.applied == 1
    await push(db, desk, [desk.m("key.return", return_args(loan_id))])
    assert db.rejections[desk.client_id][0].code == "loan_voided"
    pages, _ = await pull_all(db, desk, cookie)
    ops = [op for p in pages for op in p.patch]
    assert [(op.op, op.type, op.id, op.data) for op in ops] == [
        ("del", "key_loan", loan_id, {"reason": "wrong key"})]
    # a new lend of the key is fine: the voided loan is not open
    assert (await push(db, desk, [desk.m("key.lend", lend_args(key_id))])).conflicts == 0


async def test_lookups_are_declared_and_loaded() -> None:
    spec = REG.get("key.lend")
    assert spec is not None
    args = spec.decode(lend_args(key_id := uid()))
    assert spec.lookups(args) == [Lookup("key_loan", "key_id", key_id,
                                         (("returned_at", None), ("voided", False)))]
    assert REG.names() == ["key.lend", "key.register", "key.return", "key.update",
                           "key.void_loan"]
    assert "key.lend" in REG and len(REG) == 5
    with pytest.raises(ValueError, match="already registered"):
        REG.register(spec)


async def test_times_are_stored_in_utc_and_a_repeated_lend_matches_across_offsets() -> None:
    from datetime import timedelta, timezone

    db, desk, other = MemoryDatabase(), Phone(person()), Phone(person())
    key_id, loan_id = await with_key(db, desk), uid()
    args = lend_args(key_id, loan_id, at=NOW.astimezone(timezone(timedelta(hours=8))))
    assert args["lent_at"] == "2025-01-06T17:00:00+08:00"
    await push(db, desk, [desk.m("key.lend", args)])
    assert db.records[("key_loan", loan_id)].data["lent_at"] == "2025-01-06T09:00:00+00:00"
    resp = await push(db, other, [other.m("key.lend", args)])  # the same loan, re-sent
    assert (resp.applied, resp.rejected, resp.conflicts) == (1, 0, 0)
