"""The key domain's rules (sync/domains/keys/rules.py) through the engine: rejections of
the register/update/lend/return/void rules, references within the site, tag codes, blobs,
idempotent repeats, voids as tombstones."""

from __future__ import annotations

import uuid

import pytest

from sync.storage import Lookup, Record
from tests.unit.sync_helpers import (
    NOW,
    OTHER,
    REG,
    SIG,
    SITE,
    Phone,
    keys_space,
    lend_args,
    new_db,
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
    db, desk = new_db(), Phone(person())
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
    db, desk, other = new_db(), Phone(person()), Phone(person())
    args = register_args()
    await push(db, desk, [desk.m("key.register", args)])
    resp = await push(db, other, [other.m("key.register", args)])
    assert (resp.applied, resp.rejected) == (1, 0)
    assert db.versions[keys_space()] == 1  # nothing changed


async def test_void_needs_a_supervisor_and_a_reason_and_travels_as_a_tombstone() -> None:
    db, desk, boss = new_db(), Phone(person()), Phone(person("supervisor"))
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
    keys = [n for n in REG.names() if n.startswith("key.")]
    assert keys == ["key.lend", "key.register", "key.return", "key.update", "key.void_loan"]
    assert "key.lend" in REG and len(REG) == len(REG.names())
    with pytest.raises(ValueError, match="already registered"):
        REG.register(spec)


async def test_times_are_stored_in_utc_and_a_repeated_lend_matches_across_offsets() -> None:
    from datetime import timedelta, timezone

    db, desk, other = new_db(), Phone(person()), Phone(person())
    key_id, loan_id = await with_key(db, desk), uid()
    args = lend_args(key_id, loan_id, at=NOW.astimezone(timezone(timedelta(hours=8))))
    assert args["lent_at"] == "2025-01-06T17:00:00+08:00"
    await push(db, desk, [desk.m("key.lend", args)])
    assert db.records[("key_loan", loan_id)].data["lent_at"] == "2025-01-06T09:00:00+00:00"
    resp = await push(db, other, [other.m("key.lend", args)])  # the same loan, re-sent
    assert (resp.applied, resp.rejected, resp.conflicts) == (1, 0, 0)


async def test_a_key_refers_only_to_real_places_of_its_own_site() -> None:
    """A key may name a unit only of its own site, and neither its code nor its label may
    show that unit's number (the office form, the phone and sync apply one rule)."""
    ghost = str(uuid.UUID(int=7))  # assigned, but the office never created it
    db, desk = new_db(), Phone(person(sites=(SITE, OTHER, ghost)))
    unit_here, unit_there = uid(), uid()
    db.office_write([
        Record("unit", unit_here, f"{SITE}:estate", data={"site_id": SITE, "number": "A-12C"}),
        Record("unit", unit_there, f"{OTHER}:estate", data={"site_id": OTHER, "number": "B-1"}),
    ])
    key_id = await with_key(db, desk, code="HYG-K1", unit_id=unit_here)
    bad = [
        register_args(site=ghost),  # no such site
        register_args(unit_id=uid()),  # no such unit
        register_args(unit_id=unit_there),  # another site's unit
        register_args(unit_id=unit_here, code="HYG-A12C-1"),  # the code shows the flat
        register_args(unit_id=unit_here, label="a-12c spare"),  # so does the label
        register_args(code="hyg-k1"),  # the same code at this site (codes are upper case)
        register_args(code="ＨＹＧ-Ｋ１"),  # a full-width look-alike is the same code
    ]
    await push(db, desk, [desk.m("key.register", a) for a in bad] + [
        desk.m("key.update", {"key_id": key_id, "fields": {"unit_id": unit_there}}),
        desk.m("key.update", {"key_id": key_id, "fields": {"label": "spare A12C"}}),
    ])
    assert [(r.code, r.reason.split(" ")[0]) for r in db.rejections[desk.client_id]] == [
        ("unknown_site", "no"), ("unknown_unit", "no"), ("unknown_unit", "no"),
        ("code_shows_unit", "the"), ("label_shows_unit", "the"), ("code_in_use", "another"),
        ("code_in_use", "another"), ("unknown_unit", "no"), ("label_shows_unit", "the")]
    assert db.records[("key", key_id)].data["unit_id"] == unit_here
    # the same code at another site is another key
    assert (await push(db, desk, [desk.m("key.register", register_args(
        site=OTHER, code="HYG-K1"))])).applied == 1


async def test_a_mutation_names_only_blobs_its_author_uploaded_or_may_read() -> None:
    db, desk, guard_there = new_db(), Phone(person()), Phone(person(sites=(OTHER,)))
    key_id = await with_key(db, desk)
    loan_id = uid()
    await push(db, desk, [desk.m("key.lend", lend_args(key_id, loan_id))])
    never_uploaded = "9" * 64
    resp = await push(db, desk, [
        desk.m("key.lend", lend_args(key_id, signature_blob=never_uploaded)),
        desk.m("key.return", return_args(loan_id, return_photos=[SIG, never_uploaded]))])
    assert [r.code for r in db.rejections[desk.client_id]] == ["unknown_blob"] * 2
    assert resp.applied == 0
    # someone of another site cannot name this site's signature; someone who reads the
    # loan can (a supervisor correcting it)
    async with db.push_transaction() as store:
        assert await store.known_blobs([SIG], guard_there.actor.staff_id,
                                       frozenset({keys_space(OTHER)})) == set()
        assert await store.known_blobs([SIG], "nobody", frozenset({keys_space(SITE)})) == {SIG}


async def test_the_code_of_a_key_is_stored_normalised() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk, code="  ｈｙｇ-ｋ　７ ", label="  spare   key ")
    data = db.records[("key", key_id)].data
    assert (data["code"], data["label"]) == ("HYG-K 7", "spare key")
