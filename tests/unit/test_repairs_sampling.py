"""The follow-up (回訪): the seeded sample is reproducible (same seed, same sample; about the
percentage asked; another seed, another sample); complaints and low ratings are followed up
always, whatever the sample; one follow-up a request; the call's rating (a C reopens the
work), recorded twice offline (the first stands). And the other pieces the repair rules
compute on both sides: the phone's twins (web/static/app/repairs/sampling.js, common.js —
the sample, the request number, the deadlines, the charges and their total) give exactly
what the server's give, run under Node on the same inputs (the parity test's generated
cases draw no charges: they are compared here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sync.domains import default_registry
from sync.domains.repairs.common import (
    add_minutes,
    charges_total,
    clean_charges,
    deadlines,
    request_number,
    round_cents,
)
from sync.domains.repairs.records import DEFAULT_SAMPLE_PERCENT, FOLLOW_UP
from sync.domains.repairs.sampling import fnv1a32, sampled
from sync.kit.export import export
from sync.memory import MemoryDatabase
from tests.unit.test_repairs_rules import (
    SHA,
    UNITS,
    at,
    close,
    estate,
    follow_ups,
    phone,
    problems,
    report,
    req,
    run,
    start,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
IDS = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"repair/{i}")) for i in range(1000)]

# Node.js runs the phone's modules (the README's setup installs what needs it): no skip
assert shutil.which("node"), "Node.js is not installed"


# --- the sample -----------------------------------------------------------------------------

def test_fnv1a_gives_the_published_values() -> None:
    assert fnv1a32(b"") == 0x811C9DC5
    assert fnv1a32(b"a") == 0xE40C292C
    assert fnv1a32(b"foobar") == 0xBF9CF968
    assert fnv1a32("回訪".encode()) == fnv1a32(b"\xe5\x9b\x9e\xe8\xa8\xaa")


def test_the_same_seed_picks_the_same_requests() -> None:
    first = [i for i in IDS if sampled("caretaker", i, 30)]
    assert first == [i for i in IDS if sampled("caretaker", i, 30)]
    # pinned: a change of the hash or of the key's spelling ("seed:id") picks others
    assert fnv1a32(f"caretaker:{IDS[0]}".encode()) == 3512926679
    assert [sampled("caretaker", i, 30) for i in IDS[:8]] == [
        False, True, True, True, True, False, False, False]


def test_about_the_percentage_asked_is_sampled() -> None:
    for percent in (10, DEFAULT_SAMPLE_PERCENT, 50):
        n = sum(sampled("caretaker", i, percent) for i in IDS)
        assert abs(n - 10 * percent) <= 45, (percent, n)  # 1000 ids: within ±4.5 points
    assert not any(sampled("caretaker", i, 0) for i in IDS)
    assert all(sampled("caretaker", i, 100) for i in IDS)


def test_a_larger_percentage_keeps_the_smaller_ones_sample() -> None:
    small = {i for i in IDS if sampled("hyg", i, 20)}
    assert small <= {i for i in IDS if sampled("hyg", i, 40)}


def test_another_seed_picks_other_requests() -> None:
    one = {i for i in IDS if sampled("caretaker", i, 30)}
    two = {i for i in IDS if sampled("hyg-2026", i, 30)}
    assert one != two
    assert len(one & two) < 0.6 * min(len(one), len(two))  # not the same sample shifted


# --- when a follow-up is due -----------------------------------------------------------------

async def closed_request(db: MemoryDatabase, *, complaint: bool = False,
                         satisfaction: int | None = 4, outcome: str = "done",
                         **over: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A request reported, visited and closed by a technician: (request, closing)."""
    desk, tech = phone(), phone("technician")
    a = report(complaint=complaint)
    v = start(a)
    shut = close(v, a, satisfaction=satisfaction, outcome=outcome, **over)
    assert await run(db, desk, ("repair.report", a)) == []
    assert await run(db, tech, ("repair.start_visit", v), ("repair.close_visit", shut)) == []
    return a, shut


@pytest.mark.parametrize(("complaint", "satisfaction", "reason"), [
    (True, 5, "complaint"), (False, 1, "unsatisfied"), (False, 2, "unsatisfied"),
    (True, 1, "complaint"), (False, 3, None), (False, None, None),
])
async def test_complaints_and_low_ratings_are_always_followed_up(
        complaint: bool, satisfaction: int | None, reason: str | None) -> None:
    db = estate(sample_percent=0)  # the sample takes nothing
    a, shut = await closed_request(db, complaint=complaint, satisfaction=satisfaction)
    found = follow_ups(db)
    assert [f["reason"] for f in found] == ([reason] if reason else [])
    if reason:
        f = found[0]
        assert (f["request_id"], f["visit_id"], f["unit_id"], f["due_at"]) == (
            a["request_id"], shut["visit_id"], UNITS[0], at(60 + 3 * 24 * 60))
        assert (f["method"], f["reached"], f["rating"], f["done_at"]) == ("call", False, "",
                                                                          None)


async def test_the_sample_takes_every_request_at_100_percent_and_none_at_0() -> None:
    db = estate(sample_percent=100)
    await closed_request(db)
    await closed_request(db, outcome="follow_up", follow_request_id=str(uuid.uuid4()))
    assert [f["reason"] for f in follow_ups(db)] == ["sampled", "sampled"]
    db = estate(sample_percent=0)
    await closed_request(db)
    await closed_request(db, outcome="cannot_complete", outcome_reason="x", satisfaction=1)
    await closed_request(db, outcome="no_one_home", notice_photo=SHA, satisfaction=1)
    assert follow_ups(db) == []  # not sampled; and what was not done is not followed up


async def test_one_follow_up_a_request_and_none_without_its_id() -> None:
    db, tech = estate(sample_percent=100), phone("technician")
    a, _ = await closed_request(db)
    again = start(a, minutes=100)  # another visit of the finished request
    assert await run(db, tech, ("repair.start_visit", again),
                     ("repair.close_visit", close(again, a, minutes=120))) == []
    assert req(db, a)["state"] == "done" and len(follow_ups(db)) == 1
    await closed_request(db, follow_up_id=None)
    assert [f["request_id"] for f in follow_ups(db)] == [a["request_id"]]


async def test_a_follow_up_call_rates_the_work_and_a_c_reopens_it() -> None:
    db, desk = estate(), phone()
    a, _ = await closed_request(db, complaint=True)
    b, _ = await closed_request(db, complaint=True)
    fa, fb = (next(i for (t, i), r in db.records.items() if t == FOLLOW_UP
                   and r.data["request_id"] == x["request_id"]) for x in (a, b))
    call = {"method": "call", "reached": False, "notes": "無人接聽", "done_at": at(200)}
    assert problems("repair.follow_up", {**call, "follow_up_id": fa, "rating": "A"}) == [
        ("rating", "No rating when the resident was not reached.")]
    assert problems("repair.follow_up", {**call, "follow_up_id": fa, "reached": True}) == [
        ("rating", "Give the rating the resident gave.")]
    assert await run(db, desk, ("repair.follow_up", {**call, "follow_up_id": fa})) == []
    f = db.records[(FOLLOW_UP, fa)].data
    assert (f["notes"], f["done_at"], f["reached"]) == ("無人接聽", None, False)  # still due
    reached = {**call, "reached": True, "notes": ""}
    assert await run(db, desk, ("repair.follow_up", {**reached, "follow_up_id": fa,
                                                     "rating": "B"}),
                     ("repair.follow_up", {**reached, "follow_up_id": fb, "rating": "C"})) == []
    assert req(db, a)["state"] == "followed_up"
    assert req(db, b)["state"] == "assigned"  # unsatisfied: back to its technician
    f = db.records[(FOLLOW_UP, fa)].data
    assert (f["rating"], f["done_at"], f["done_by"]) == ("B", at(200), desk.actor.staff_id)


async def test_a_follow_up_recorded_twice_keeps_the_first() -> None:
    db, one, two = estate(), phone(), phone()
    a, _ = await closed_request(db, complaint=True)
    (fid,) = [i for (t, i) in db.records if t == FOLLOW_UP]
    call = {"follow_up_id": fid, "method": "call", "reached": True, "notes": ""}
    assert await run(db, one, ("repair.follow_up", {**call, "rating": "A",
                                                    "done_at": at(300)})) == []
    assert await run(db, two, ("repair.follow_up", {**call, "rating": "C",
                                                    "done_at": at(310)})) == []
    f = db.records[(FOLLOW_UP, fid)].data
    assert (f["rating"], f["done_by"]) == ("A", one.actor.staff_id)
    assert req(db, a)["state"] == "followed_up"  # the C did not reopen it
    (c,) = db.conflicts.values()
    assert c.kind == "double_follow_up" and c.record_ids == [fid]
    assert [(x["rating"], x["staff_id"]) for x in c.details["follow_ups"]] == [
        ("A", one.actor.staff_id), ("C", two.actor.staff_id)]


# --- deadlines and numbers ---------------------------------------------------------------------

def test_deadlines_follow_the_urgency_the_policy_and_the_defaults() -> None:
    policy = {"respond_urgent": 45, "complete_urgent": 600}
    assert deadlines(policy, "urgent", at(0)) == (at(45), at(600))
    assert deadlines(policy, "emergency", at(0)) == (at(30), at(240))  # fields it lacks
    assert deadlines(None, "normal", at(0)) == (at(1440), at(4320))
    assert deadlines(None, "urgent", "2026-03-02T23:59:30.250000+00:00") == (
        "2026-03-03T01:59:30.250000+00:00", "2026-03-03T23:59:30.250000+00:00")


def test_the_request_number_is_the_utc_day_and_the_ids_end() -> None:
    rid = "01a24ea2-f26a-7afe-805a-869feb691bde"
    assert request_number(rid, "2026-03-02T23:30:00-05:00") == "R-260303-691BDE"
    assert request_number(rid, "2026-03-03T07:59:59+08:00") == "R-260302-691BDE"
    # the estate's day where the number is made (a phone's clock, the office's zone): 07:59
    # in Hong Kong is that day, not the UTC one
    hk = ZoneInfo("Asia/Hong_Kong")
    assert request_number(rid, "2026-03-03T07:59:59+08:00", hk) == "R-260303-691BDE"
    assert request_number(rid, "2026-03-02T23:30:00-05:00", hk) == "R-260303-691BDE"
    # two time-ordered ids made the same hour start alike: their numbers do not
    other = "01a24ea3-21e0-75b8-b9ab-35f513321b4d"
    assert request_number(other, "2026-03-03T07:59:59+08:00") != request_number(
        rid, "2026-03-03T07:59:59+08:00")


# --- the phone's twins ------------------------------------------------------------------------

CHARGES: list[Any] = [
    [], [{"item": "喉管", "qty": 2, "amount": 35.5}],
    [{"item": "x", "qty": 1, "amount": 1.125}], [{"item": "x", "qty": 1, "amount": 0.125}],
    [{"item": "x", "qty": 3, "amount": 0.1}, {"item": "y", "qty": 0.333, "amount": 19.99}],
    [{"item": "墊圈", "qty": 7, "amount": 1.005}, {"item": "人工", "qty": 1, "amount": 250}],
    [{"item": "x", "qty": 10000, "amount": 100}], [{"item": "x", "qty": 10000, "amount": 101}],
    [{"item": "  two   spaces ", "qty": 1, "amount": 0}],
    [{"item": "", "qty": 1, "amount": 1}], [{"item": "\u200b", "qty": 1, "amount": 1}],
    [{"item": "a\tb", "qty": 1, "amount": 1}], [{"item": "x" * 121, "qty": 1, "amount": 1}],
    [{"item": "x", "qty": 0, "amount": 1}], [{"item": "x", "qty": 1, "amount": -1}],
    [{"item": "x", "qty": True, "amount": 1}], [{"item": "x", "qty": 1, "amount": "1"}],
    [{"item": "x", "qty": 1}], [{"item": "x", "qty": 1, "amount": 1, "note": ""}],
    [{"item": "x", "qty": 1, "amount": 1}] * 31, [["x", 1, 1]], {}, "x", None,
    [{"item": "x", "qty": 10001, "amount": 1}], [{"item": "x", "qty": 1, "amount": 1000001}],
]
MOMENTS = ["2026-03-02T01:00:00+00:00", "2026-03-02T23:59:30.250000+00:00",
           "2026-12-31T23:30:00+00:00", "2028-02-28T20:00:00+00:00"]
POLICIES: list[Any] = [None, {"respond_urgent": 45, "complete_urgent": 600},
                       {"respond_emergency": 1, "complete_emergency": 86400}]

NODE_TWINS = """
import { readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(process.env.TWINS_INPUT, "utf8"));
const { configureKit } = await import("./web/static/app/kit/declarations.js");
configureKit(input.kit);
const s = await import("./web/static/app/repairs/sampling.js");
const c = await import("./web/static/app/repairs/common.js");
const enc = new TextEncoder();
const out = {
  vectors: ["", "a", "foobar", "回訪"].map((x) => s.fnv1a32(enc.encode(x))),
  sampled: input.seeds.map((seed) => input.ids.map((id) => s.sampled(seed, id, 30))),
  numbers: input.numbers.map(([id, at]) => c.requestNumber(id, at)),
  local_numbers: input.numbers.map(([id, at]) => c.requestNumber(id, at, true)),
  minutes: input.moments.map((at) => [1, 59, 1440, 86400].map((m) => c.addMinutes(at, m))),
  deadlines: input.policies.flatMap((p) => ["emergency", "urgent", "normal", "odd"]
    .map((u) => c.deadlines(p, u, input.moments[1]))),
  charges: input.charges.map((v) => {
    const [stored, problems] = c.cleanCharges(v);
    return [stored, problems.map((p) => [p.field, p.message, p.params]),
      c.chargesTotal(stored)];
  }),
  cents: input.cents.map((x) => c.roundCents(x)),
};
console.log(JSON.stringify(out));
"""

NUMBERS = [("abcd1234-0000-4000-8000-0000000abcd1", "2026-03-02T23:30:00-05:00"),
           ("0f9e8d7c-0000-4000-8000-0000000f9e8d", "2026-03-03T07:59:59+08:00"),
           ("1234abcd-0000-4000-8000-000000000000", "2026-12-31T23:59:59Z")]
CENTS = [0.0, 0.005, 0.015, 1.005, 2.675, 0.125, 1e-9, 12345.675, 999999.995, 0.1 + 0.2]


def _node(payload: dict[str, Any]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payload, f, ensure_ascii=False)
    try:
        done = subprocess.run(["node", "--input-type=module", "-e", NODE_TWINS], cwd=ROOT,
                              capture_output=True, text=True, check=False, timeout=120,
                              env={**os.environ, "TWINS_INPUT": f.name,
                                   "TZ": "Asia/Hong_Kong"})
    finally:
        os.unlink(f.name)
    assert done.returncode == 0, done.stderr[-2000:]
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def test_the_phone_computes_what_the_server_computes() -> None:
    seeds = ["caretaker", "hyg", "hyg-2026", "屋苑"]
    out = _node({"kit": export(default_registry()), "ids": IDS, "seeds": seeds,
                 "numbers": NUMBERS, "moments": MOMENTS, "policies": POLICIES,
                 "charges": CHARGES, "cents": CENTS})
    assert out["vectors"] == [fnv1a32(x.encode()) for x in ["", "a", "foobar", "回訪"]]
    assert out["sampled"] == [[sampled(seed, i, 30) for i in IDS] for seed in seeds]
    assert out["numbers"] == [request_number(i, at) for i, at in NUMBERS]
    assert out["numbers"][:2] == ["R-260303-0ABCD1", "R-260302-0F9E8D"]
    # a phone in the estate (its clock's zone) numbers by the estate's day, as the office does
    hk = ZoneInfo("Asia/Hong_Kong")
    assert out["local_numbers"] == [request_number(i, at, hk) for i, at in NUMBERS]
    assert out["local_numbers"][1] == "R-260303-0F9E8D"
    assert out["minutes"] == [[add_minutes(at, m) for m in (1, 59, 1440, 86400)]
                              for at in MOMENTS]
    assert out["deadlines"] == [list(deadlines(p, u, MOMENTS[1])) for p in POLICIES
                                for u in ("emergency", "urgent", "normal", "odd")]
    expected = []
    for value in CHARGES:
        stored, problems = clean_charges(value)
        expected.append([stored, [[p.field, p.message, dict(p.params)] for p in problems],
                         charges_total(stored)])
    assert out["charges"] == expected
    assert out["cents"] == [round_cents(x) for x in CENTS]
