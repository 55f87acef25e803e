"""The push engine over the in-memory store: invariant breaks kept as conflicts (both facts
stand) and corrections by last-writer-wins (the loser kept) — the rest of the outcomes are in
``test_engine.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync import hlc
from tests.unit.sync_helpers import (
    NOW,
    NOW_MS,
    Phone,
    keys_space,
    lend_args,
    new_db,
    person,
    pull_all,
    push,
    return_args,
    uid,
    with_key,
)

pytestmark = pytest.mark.unit
KS = keys_space()


# --- conflicts ----------------------------------------------------------------------------

async def test_double_loan_keeps_both_loans_and_flags_a_conflict() -> None:
    db, desk1, desk2 = new_db(), Phone(person()), Phone(person())
    key_id = await with_key(db, desk1)
    first, second = uid(), uid()
    await push(db, desk1, [desk1.m("key.lend", lend_args(key_id, first))])
    resp = await push(db, desk2, [desk2.m("key.lend", lend_args(
        key_id, second, borrower_name="李小姐", at=NOW + timedelta(minutes=5)))])
    assert (resp.applied, resp.conflicts) == (1, 1)
    assert ("key_loan", first) in db.records and ("key_loan", second) in db.records
    (conflict,) = db.conflicts.values()
    assert conflict.kind == "double_loan" and conflict.record_ids == [first, second]
    assert [lo["borrower_name"] for lo in conflict.details["loans"]] == ["陳大文", "李小姐"]
    assert [lo["lent_by"] for lo in conflict.details["loans"]] == [
        desk1.actor.staff_id, desk2.actor.staff_id]
    assert conflict.staff_ids == [desk1.actor.staff_id, desk2.actor.staff_id]
    assert conflict.space == KS and conflict.created_at == "2025-01-06T09:00:00+00:00"
    # the conflict travels to the site's phones, stamped with the push's version
    pages, _ = await pull_all(db, desk1)
    sent = {(op.type, op.id): op.data for p in pages for op in p.patch}
    assert sent[("conflict", conflict.id)]["kind"] == "double_loan"
    assert sent[("conflict", conflict.id)]["version"] == db.versions[KS]


async def test_double_loan_within_one_batch() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)
    resp = await push(db, desk, [desk.m("key.lend", lend_args(key_id)),
                                 desk.m("key.lend", lend_args(key_id))])
    assert (resp.applied, resp.conflicts) == (2, 1)


async def test_double_return_keeps_the_first_and_records_the_second() -> None:
    db, desk1, desk2 = new_db(), Phone(person()), Phone(person())
    key_id = await with_key(db, desk1)
    loan_id = uid()
    await push(db, desk1, [desk1.m("key.lend", lend_args(key_id, loan_id)),
                           desk1.m("key.return", return_args(loan_id))])
    later = NOW + timedelta(hours=2)
    resp = await push(db, desk2, [desk2.m("key.return", return_args(
        loan_id, at=later, returned_by="陳太", return_notes="left at desk"))])
    assert (resp.applied, resp.conflicts) == (1, 1)
    loan = db.records[("key_loan", loan_id)].data
    assert loan["returned_at"] == "2025-01-06T10:00:00+00:00"
    assert loan["return_recorded_by"] == desk1.actor.staff_id
    (conflict,) = db.conflicts.values()
    assert conflict.kind == "double_return" and conflict.record_ids == [loan_id]
    assert conflict.details["first"]["returned_at"] == "2025-01-06T10:00:00+00:00"
    assert conflict.details["second"]["returned_at"] == "2025-01-06T11:00:00+00:00"
    assert conflict.details["second"]["returned_by"] == "陳太"
    assert conflict.details["second"]["return_recorded_by"] == desk2.actor.staff_id
    assert conflict.staff_ids == [desk1.actor.staff_id, desk2.actor.staff_id]


async def test_return_before_loan_is_applied_and_flagged() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)
    loan_id = uid()
    resp = await push(db, desk, [
        desk.m("key.lend", lend_args(key_id, loan_id)),
        desk.m("key.return", return_args(loan_id, at=NOW - timedelta(minutes=30)))])
    assert (resp.applied, resp.conflicts) == (2, 1)
    assert db.records[("key_loan", loan_id)].data["returned_at"] == "2025-01-06T08:30:00+00:00"
    (conflict,) = db.conflicts.values()
    assert conflict.kind == "return_before_loan"
    assert conflict.details["lent_at"] == "2025-01-06T09:00:00+00:00"


# --- corrections: field last-writer-wins --------------------------------------------------

async def test_field_lww_the_later_hlc_wins_whatever_the_arrival_order_and_the_loser_is_kept() \
        -> None:
    db, desk1, desk2 = new_db(), Phone(person()), Phone(person())
    key_id = await with_key(db, desk1)
    early = hlc.HLC(NOW_MS - 5000, 0, "aaaaaaaaaaaa").encode()
    late = hlc.HLC(NOW_MS - 1000, 0, "bbbbbbbbbbbb").encode()
    # the later correction arrives first
    await push(db, desk2, [desk2.m("key.update", {"key_id": key_id, "fields": {
        "label": "late label", "notes": "late"}}, stamp=late)])
    resp = await push(db, desk1, [desk1.m("key.update", {"key_id": key_id, "fields": {
        "label": "early label", "unit_id": None, "retired": False}}, stamp=early)])
    assert (resp.applied, resp.conflicts) == (1, 1)
    key = db.records[("key", key_id)]
    assert key.data["label"] == "late label" and key.data["notes"] == "late"
    assert key.field_hlc["label"] == late
    (conflict,) = db.conflicts.values()
    assert conflict.kind == "field_overwritten"
    # unit_id and retired did not differ: no information was lost, nothing to flag
    assert conflict.details["fields"] == {"label": {
        "lost": "early label", "lost_hlc": early, "kept": "late label", "kept_hlc": late}}
    assert conflict.details["mutation_id"] == 2  # desk1 registered the key first
    # the winner's audit row has before/after
    row = next(a for a in db.audit if a.action == "key.update")
    assert row.changes["label"] == ["spare", "late label"]
