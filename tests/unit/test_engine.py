"""The push engine over the in-memory store: every outcome of a mutation (applied, retried,
gap, rejected, clamped, schema versions); conflicts and last-writer-wins:
``test_engine_conflicts.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from sync import SCHEMA_VERSION, engine, hlc
from sync.context import Context
from sync.domains import build_registry
from sync.errors import ClientMismatch, MutationGap, Reject, TryAgain, UpdateRequired
from sync.kit.args import id_arg
from sync.memory import MemoryPushStore
from sync.protocol import PushRequest, PushResponse
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Ref
from tests.unit.sync_helpers import (
    NOW,
    NOW_MS,
    OTHER,
    REG,
    SITE,
    Phone,
    keys_space,
    lend_args,
    new_db,
    person,
    pull,
    push,
    register_args,
    return_args,
    uid,
    with_key,
)

pytestmark = pytest.mark.unit
KS = keys_space()


# --- applied ------------------------------------------------------------------------------

async def test_register_and_lend_in_one_push_later_mutations_see_earlier_ones() -> None:
    db, desk = new_db(), Phone(person())
    key_id, loan_id = uid(), uid()
    resp = await push(db, desk, [desk.m("key.register", register_args(key_id)),
                                 desk.m("key.lend", lend_args(key_id, loan_id))])
    assert resp == PushResponse(last_mutation_id=2, applied=2, rejected=0, conflicts=0)
    loan = db.records[("key_loan", loan_id)]
    assert loan.space == KS and loan.version == 1 == db.versions[KS]
    assert loan.data["lent_by"] == desk.actor.staff_id  # from the actor, not from args
    assert loan.data["lent_device"] == desk.actor.device_id
    assert loan.data["site_id"] == SITE and loan.data["returned_at"] is None
    audit = {a.record_id: a for a in db.audit}
    assert audit[loan_id].changes["borrower_name"] == [None, "陳大文"]
    assert audit[loan_id].mutation_id == 2 and audit[loan_id].client_id == desk.client_id
    assert audit[loan_id].server_time == "2025-01-06T09:00:00+00:00"
    assert audit[loan_id].device_time is not None
    assert audit[loan_id].device_time.startswith("2025-01-06T08:59")


async def test_one_version_per_space_per_push() -> None:
    db, desk = new_db(), Phone(person())
    keys = [uid() for _ in range(3)]
    await push(db, desk, [desk.m("key.register", register_args(k)) for k in keys])
    await push(db, desk, [desk.m("key.lend", lend_args(k)) for k in keys])
    assert {s: v for s, v in db.versions.items() if s == KS} == {KS: 2}
    assert {r.version for r in db.records.values() if r.type == "key_loan"} == {2}


# --- retries and gaps ---------------------------------------------------------------------

async def test_a_retried_push_is_acknowledged_and_skipped() -> None:
    db, desk = new_db(), Phone(person())
    muts = [desk.m("key.register", register_args()), desk.m("key.register", register_args())]
    first = await push(db, desk, muts)
    audit_rows, version = len(db.audit), db.versions[KS]
    again = await push(db, desk, muts)
    assert first.applied == 2
    assert again == PushResponse(last_mutation_id=2, applied=0, rejected=0, conflicts=0)
    assert len(db.audit) == audit_rows and db.versions[KS] == version
    third = desk.m("key.register", register_args())
    resp = await push(db, desk, [*muts, third])  # an old batch grown by one
    assert resp.applied == 1 and resp.last_mutation_id == 3


@pytest.mark.parametrize("ids", [[2], [1, 3], [2, 1], [1, 1]])
async def test_a_gap_is_a_409_and_nothing_is_written(ids: list[int]) -> None:
    db, desk = new_db(), Phone(person())
    muts = [desk.m("key.register", register_args(), id_=i) for i in ids]
    with pytest.raises(MutationGap) as exc:
        await push(db, desk, muts)
    assert exc.value.status == 409 and exc.value.code == "mutation_gap"
    assert exc.value.expected_id == 1
    assert exc.value.body().expected_mutation_id == 1
    assert db.commits == 0 and not db.clients
    assert not [k for k in db.records if k[0] != "site"]


async def test_a_crash_before_commit_loses_nothing_committed_and_the_retry_applies_once() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)
    before = (dict(db.records), dict(db.versions), len(db.audit))
    lend = desk.m("key.lend", lend_args(key_id))
    db.crash_commits = 1
    with pytest.raises(ConnectionError):
        await push(db, desk, [lend])
    assert (db.records, db.versions, len(db.audit)) == before
    assert (await push(db, desk, [lend])).applied == 1
    assert (await push(db, desk, [lend])).applied == 0
    assert sum(r.type == "key_loan" for r in db.records.values()) == 1


# --- rejections ---------------------------------------------------------------------------

async def test_a_rejection_advances_the_client_and_the_next_pull_returns_it_once() -> None:
    db, desk = new_db(), Phone(person())
    resp = await push(db, desk, [desk.m("key.lend", lend_args(uid()))])
    assert resp == PushResponse(last_mutation_id=1, applied=0, rejected=1, conflicts=0)
    page = await pull(db, desk)
    assert [(r.mutation_id, r.name, r.code) for r in page.rejections] == [
        (1, "key.lend", "unknown_key")]
    assert page.last_mutation_id == 1 and "no key" in page.rejections[0].reason
    assert (await pull(db, desk, page.cookie)).rejections == []
    other = Phone(desk.actor)  # another phone of the same person sees none of them
    assert (await pull(db, other)).rejections == []


async def test_a_rejected_mutation_leaves_no_partial_effect() -> None:
    def half_then_reject(ctx: Context, args: Any) -> None:
        ctx.insert("key", args.key_id, {"site_id": SITE})
        raise Reject("nope", "changed my mind")

    registry = build_registry()
    registry.register(MutationSpec(
        name="test.half", args=(id_arg("key_id", "key"), id_arg("site_id", "site")),
        space_from=(SpaceFrom("site_id", stream="keys"),), apply=half_then_reject,
        roles=frozenset({"front_desk"})))
    db, desk = new_db(), Phone(person())
    ok = uid()
    resp = await push(db, desk, [desk.m("test.half", {"key_id": uid(), "site_id": SITE}),
                                 desk.m("key.register", register_args(ok))], registry=registry)
    assert (resp.applied, resp.rejected, resp.last_mutation_id) == (1, 1, 2)
    assert [k for k in db.records if k[0] == "key"] == [("key", ok)]
    assert db.rejections[desk.client_id][0].code == "nope"


@pytest.mark.parametrize(("name", "args", "code", "reason"), [
    ("key.fly", {}, "unknown_mutation", "unknown mutation"),
    ("key.lend", {"loan_id": "x"}, "invalid_args", "key_id: Required."),
    ("key.lend", {**lend_args(uid()), "loan_id": "x"}, "invalid_args",
     "loan_id: Not a valid id."),
    ("key.lend", lend_args(uid(), extra=1), "invalid_args", "extra: Unknown field."),
    ("key.lend", lend_args(uid(), due_at=(NOW - timedelta(hours=1)).isoformat()),
     "invalid_args", "due_at: The key must be due back after it is lent."),
    ("key.lend", lend_args(uid(), id_last4="12345"), "invalid_args",
     "id_last4: Only the last 4 characters of an ID number are kept"),
    ("key.lend", lend_args(uid(), id_type="none"), "invalid_args",
     "id_last4: Choose the ID type, or leave the last 4 characters empty."),
    ("key.lend", lend_args(uid(), id_last4="12"), "invalid_args",
     "id_last4: Enter exactly the last 4 characters of the ID."),
    ("key.lend", lend_args(uid(), lent_at="2025-01-06T09:00:00"), "invalid_args",
     "lent_at: Not a valid date and time."),
    ("key.lend", lend_args(uid(), due_at="9999-01-06T09:00:00+08:00"), "invalid_args",
     "due_at: Enter a date between 2000 and 2099."),
    ("key.lend", lend_args(uid(), lent_at="0001-01-01T00:00:00+14:00"), "invalid_args",
     "lent_at: Enter a date between 2000 and 2099."),
    ("key.lend", lend_args(uid(), borrower_name="x" * 121), "invalid_args",
     "borrower_name: At most 120 characters."),
    ("key.lend", lend_args(uid(), borrower_name="\u200b \u200b"), "invalid_args",
     "borrower_name: Required."),
    ("key.lend", lend_args(uid(), borrower_name="a\x00b"), "invalid_args",
     "borrower_name: Remove control characters"),
    ("key.lend", lend_args(uid(), signature_blob=""), "invalid_args",
     "signature_blob: Required."),
    ("key.register", register_args(category="garage"), "invalid_args",
     "category: Choose one of the listed values."),
    ("key.register", register_args(code="K\u202e1-TAG"), "invalid_args",
     "code: Remove control characters"),
    ("key.update", {"key_id": uid(), "fields": {}}, "invalid_args",
     "fields: Nothing to change."),
    ("key.update", {"key_id": uid(), "fields": {"site_id": "X"}}, "invalid_args",
     "fields.site_id: Unknown field."),
    ("key.update", {"key_id": uid(), "fields": {"retired": "yes"}}, "invalid_args",
     "fields.retired: Wrong type of value."),
])
async def test_invalid_mutations_become_readable_rejections(
        name: str, args: dict[str, Any], code: str, reason: str) -> None:
    db, desk = new_db(), Phone(person())
    resp = await push(db, desk, [desk.m(name, args)])
    assert resp.rejected == 1 and resp.last_mutation_id == 1
    row = db.rejections[desk.client_id][0]
    assert row.code == code and reason in row.reason, row.reason
    assert row.args == args and row.staff_id == desk.actor.staff_id


async def test_an_invalid_hlc_is_rejected() -> None:
    db, desk = new_db(), Phone(person())
    await push(db, desk, [desk.m("key.register", register_args(), stamp="yesterday")])
    assert db.rejections[desk.client_id][0].code == "invalid_hlc"


async def test_forbidden_role_and_site_are_rejections() -> None:
    db, desk, guard = new_db(), Phone(person()), Phone(person("patrol"))
    key_id = await with_key(db, desk)
    loan_id = uid()
    await push(db, desk, [desk.m("key.lend", lend_args(key_id, loan_id))])
    other_site = Phone(person(sites=(OTHER,)))
    resp = await push(db, other_site, [
        other_site.m("key.register", register_args(site=SITE)),
        other_site.m("key.lend", lend_args(key_id)),
        other_site.m("key.return", return_args(loan_id)),
    ])
    assert resp.rejected == 3
    assert {r.code for r in db.rejections[other_site.client_id]} == {"forbidden_site"}
    await push(db, guard, [guard.m("key.lend", lend_args(key_id))])
    await push(db, desk, [desk.m("key.void_loan", {"loan_id": loan_id, "reason": "x"})])
    assert db.rejections[guard.client_id][0].code == "forbidden_role"
    assert db.rejections[desk.client_id][0].code == "forbidden_role"
    assert db.records[("key_loan", loan_id)].data["returned_at"] is None


async def test_an_hlc_far_ahead_is_clamped_and_both_values_are_kept() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)
    ahead = hlc.HLC(NOW_MS + 86_400_000, 3, "cccccccccccc").encode()
    loan_id = uid()
    await push(db, desk, [desk.m("key.lend", lend_args(key_id, loan_id), stamp=ahead)])
    loan = db.records[("key_loan", loan_id)].data
    clamped = hlc.parse(loan["lent_hlc"])
    assert clamped == hlc.HLC(NOW_MS + engine.DEFAULT_MAX_CLOCK_AHEAD_MS, 3, "cccccccccccc")
    row = next(a for a in db.audit if a.record_id == loan_id)
    assert row.device_hlc == ahead and row.device_time == "2025-01-07T09:00:00+00:00"
    # a far-ahead correction cannot win against an honest later one forever
    await push(db, desk, [desk.m("key.update", {"key_id": key_id, "fields": {"label": "a"}},
                                 stamp=ahead)])
    honest = hlc.HLC(NOW_MS + 3_600_000, 0, "dddddddddddd").encode()
    await push(db, desk, [desk.m("key.update", {"key_id": key_id, "fields": {"label": "b"}},
                                 stamp=honest)], now=NOW + timedelta(hours=1))
    assert db.records[("key", key_id)].data["label"] == "b"


# --- schema versions and clients ----------------------------------------------------------

async def test_schema_versions_current_and_previous_accepted_others_update_required(
        monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded = []

    def upgrade(version: int, args: dict[str, Any]) -> dict[str, Any]:
        upgraded.append(version)
        return {k: v for k, v in args.items() if k != "legacy"}

    registry = build_registry()
    spec = registry.get("key.register")
    assert spec is not None
    registry._specs["key.register"] = MutationSpec(**{
        f: getattr(spec, f) for f in spec.__dataclass_fields__ if f != "decoder"}
        | {"upgrade": upgrade})
    db, desk = new_db(), Phone(person())
    old = await push(db, desk, [desk.m("key.register", register_args(legacy=1))], schema=1,
                     registry=registry)
    new = await push(db, desk, [desk.m("key.register", register_args())],
                     schema=SCHEMA_VERSION, registry=registry)
    assert (old.applied, new.applied, upgraded) == (1, 1, [1])
    for bad in (0, SCHEMA_VERSION + 1):
        with pytest.raises(UpdateRequired) as exc:
            await push(db, desk, [desk.m("key.register", register_args())], schema=bad)
        assert exc.value.code == "update_required" and exc.value.status == 426
        with pytest.raises(UpdateRequired):
            await pull(db, desk, schema=bad)
    assert (await pull(db, desk, schema=1)).last_mutation_id == 2


def test_the_accepted_versions_are_current_and_previous() -> None:
    from sync import ACCEPTED_SCHEMA_VERSIONS

    assert SCHEMA_VERSION in ACCEPTED_SCHEMA_VERSIONS
    assert {SCHEMA_VERSION, SCHEMA_VERSION - 1} >= ACCEPTED_SCHEMA_VERSIONS


async def test_a_client_of_another_staff_member_is_refused() -> None:
    db, desk = new_db(), Phone(person())
    await push(db, desk, [desk.m("key.register", register_args())])
    thief = Phone(person())
    thief.client_id = desk.client_id
    with pytest.raises(ClientMismatch) as exc:
        await push(db, thief, [thief.m("key.register", register_args())])
    assert exc.value.status == 403 and exc.value.code == "client_not_yours"


async def test_a_bug_in_a_rule_becomes_a_rejection_and_the_queue_moves_on() -> None:
    def buggy(ctx: Context, args: Any) -> None:
        ctx.get("key", uid())  # reads a record it never declared

    registry = build_registry()
    spec = registry.get("key.update")
    assert spec is not None
    registry.register(MutationSpec(name="test.buggy", args=spec.args,
                                   space_from=spec.space_from, apply=buggy, roles=spec.roles))
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)
    resp = await push(db, desk, [
        desk.m("test.buggy", {"key_id": key_id, "fields": {"label": "x"}}),
        desk.m("key.lend", lend_args(key_id))], registry=registry)
    assert (resp.applied, resp.rejected) == (1, 1)
    assert db.rejections[desk.client_id][0].code == "mutation_failed"


async def test_a_record_created_concurrently_in_an_unknown_space_retries_the_push() -> None:
    db, desk = new_db(), Phone(person())
    key_id = await with_key(db, desk)

    class Racy(MemoryPushStore):
        async def spaces_of(self, refs: Sequence[Ref]) -> dict[Ref, str]:
            return {}  # as if the key was committed right after this read

    async with db.lock:
        store = Racy(db)
    request = PushRequest(client_id=desk.client_id, schema_version=SCHEMA_VERSION,
                          mutations=[desk.m("key.lend", lend_args(key_id))])
    with pytest.raises(TryAgain) as exc:
        await engine.push(store, desk.actor, request, registry=REG, now=NOW)
    assert exc.value.status == 503 and store.batch is None
