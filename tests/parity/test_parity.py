"""Parity of rules: generated sequences of mutations (tests/parity/cases.py, drawn from the
declarations) run through the server's Python engine (the authority) and through the phone's
own JavaScript modules under Node (tests/parity/phone.mjs: kit, domain rules, apply.js over
db.js on fake-indexeddb); the records, the rejections (code and field) and the conflicts must
be the same. Every declared mutation of every domain is drawn.

CI runs ``CARETAKER_PARITY_EXAMPLES`` cases (default 400); run more locally. A last test
proves the comparison can fail: a copy of the phone's app with one rule changed is caught.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from sync import SCHEMA_VERSION, engine
from sync.context import Principal
from sync.domains import DOMAINS, default_registry
from sync.kit.export import export
from sync.memory import MemoryDatabase
from sync.protocol import Mutation, PushRequest
from sync.storage import Record
from tests.parity.cases import ACTORS, BLOBS, T0, estate, steps

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "web" / "static" / "app"
NODE = shutil.which("node")
EXAMPLES = int(os.environ.get("CARETAKER_PARITY_EXAMPLES", "400"))
BATCH = 50  # cases per Node run

# Node.js runs the phone's modules: a machine without it fails here (tests/prepare.sh and
# the README's setup need it anyway), rather than skipping the comparison
assert NODE is not None, "Node.js is not installed: the parity tests run the phone's modules"


def _numbers(value: Any) -> Any:
    """JSON has one kind of number (JavaScript writes 0.0 as 0): compare numbers as floats
    (booleans stay booleans)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value) + 0.0  # -0.0 is 0.0
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(v) for v in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(_numbers(value), sort_keys=True, ensure_ascii=False)


# --- the server ------------------------------------------------------------------------------

def principal(i: int) -> Principal:
    a = ACTORS[i]
    return Principal(a.staff_id, a.role, frozenset(a.sites), device_id=a.device_id)


async def server_run(case: list[dict[str, Any]]) -> dict[str, Any]:
    """The steps through the engine over the memory store: consecutive steps of one person
    in one push (a phone pushes its outbox in batches)."""
    db = MemoryDatabase()
    db.office_write(Record(r["type"], r["id"], r["space"], data=r["data"],
                           field_hlc=r["field_hlc"], deleted=r["deleted"]) for r in estate())
    for sha in BLOBS:
        db.blobs[sha] = {a.staff_id for a in ACTORS}
    registry = default_registry()
    next_id = [1] * len(ACTORS)
    where: dict[tuple[str, int], int] = {}  # (client, mutation id) -> step
    batches: list[tuple[int, list[Mutation]]] = []
    for i, step in enumerate(case):
        who = step["actor"]
        m = Mutation(id=next_id[who], name=step["name"], args=step["args"], hlc=step["hlc"])
        where[(ACTORS[who].client_id, m.id)] = i
        next_id[who] += 1
        if batches and batches[-1][0] == who:
            batches[-1][1].append(m)
        else:
            batches.append((who, [m]))
    now = T0 + timedelta(days=3650)  # no clock is clamped
    for who, muts in batches:
        request = PushRequest(client_id=ACTORS[who].client_id, schema_version=SCHEMA_VERSION,
                              mutations=muts)
        async with db.push_transaction() as store:
            await engine.push(store, principal(who), request, registry=registry, now=now)
    rejections = {}
    for client, rows in db.rejections.items():
        for r in rows:
            rejections[where[(client, r.mutation_id)]] = {"code": r.code, "field": r.field}
    return {
        "rejections": rejections,
        "conflicts": sorted(canonical(_conflict(c)) for c in db.conflicts.values()),
        "records": {(r.type, r.id): canonical(_record(r.space, r.data, r.field_hlc, r.deleted))
                    for r in db.records.values() if r.type != "conflict"},
    }


def _conflict(c: Any) -> dict[str, Any]:
    get = c.get if isinstance(c, dict) else lambda k: getattr(c, k)
    return {k: get(k) for k in ("kind", "space", "record_type", "record_ids", "details",
                                "staff_ids")}


def _record(space: str, data: dict[str, Any], field_hlc: dict[str, str],
            deleted: bool) -> dict[str, Any]:
    return {"space": space, "data": data, "field_hlc": field_hlc, "deleted": deleted}


# --- the phone -------------------------------------------------------------------------------

def phone_runs(cases: list[list[dict[str, Any]]], app: Path = APP) -> list[dict[str, Any]]:
    payload = {"kit": export(default_registry()), "cases": []}
    for case in cases:
        next_id = [1] * len(ACTORS)
        out = []
        for step in case:
            who = step["actor"]
            out.append({"actor": ACTORS[who].js(), "mutation": {
                "client_id": ACTORS[who].client_id, "id": next_id[who], "name": step["name"],
                "args": step["args"], "hlc": step["hlc"]}})
            next_id[who] += 1
        payload["cases"].append({"records": estate(), "blobs": BLOBS, "steps": out})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payload, f, ensure_ascii=False)
    try:
        done = subprocess.run([NODE or "node", str(ROOT / "tests" / "parity" / "phone.mjs"),
                               f.name, str(app)], capture_output=True, text=True, check=False,
                              cwd=ROOT, timeout=600)
    finally:
        os.unlink(f.name)
    assert done.returncode == 0, done.stderr[-3000:]
    results = []
    for res in json.loads(done.stdout):
        results.append({
            "rejections": {i: s["reject"] for i, s in enumerate(res["steps"]) if s["reject"]},
            "conflicts": sorted(canonical(_conflict(c)) for s in res["steps"]
                                for c in s["conflicts"]),
            "records": {(r["type"], r["id"]): canonical(_record(r["space"], r["data"],
                                                                r["field_hlc"], r["deleted"]))
                        for r in res["records"]},
        })
    return results


def differences(case: list[dict[str, Any]], server: dict[str, Any],
                phone: dict[str, Any]) -> list[str]:
    out = []
    for i in sorted(set(server["rejections"]) | set(phone["rejections"])):
        s, p = server["rejections"].get(i), phone["rejections"].get(i)
        if s != p:
            out.append(f"step {i} {case[i]['name']} {case[i]['args']}: server {s}, phone {p}")
    if server["conflicts"] != phone["conflicts"]:
        out.append(f"conflicts: server {server['conflicts']}, phone {phone['conflicts']}")
    for key in sorted(set(server["records"]) | set(phone["records"])):
        s, p = server["records"].get(key), phone["records"].get(key)
        if s != p:
            out.append(f"record {key}: server {s}, phone {p}")
    return out


def compare(cases: list[list[dict[str, Any]]], app: Path = APP) -> list[str]:
    problems = []
    for start in range(0, len(cases), BATCH):
        chunk = cases[start:start + BATCH]
        phones = phone_runs(chunk, app)
        for case, phone in zip(chunk, phones, strict=True):
            server = asyncio.run(server_run(case))
            found = differences(case, server, phone)
            if found:
                problems.append("\n  ".join(found[:6]))
    return problems


# --- the tests -------------------------------------------------------------------------------

@cache
def generated(n: int, seed: int) -> list[list[dict[str, Any]]]:
    """``n`` cases from the strategy, reproducibly."""
    import random

    from hypothesis.strategies._internal.core import DataObject  # noqa: F401 (doc)

    rng = random.Random(seed)
    out: list[list[dict[str, Any]]] = []

    @hypothesis_seed(seed)  # the seed decides the cases (derandomize would ignore it)
    @settings(max_examples=n, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data: Any) -> None:
        out.append(data.draw(steps()))

    collect()
    rng.shuffle(out)
    return out


def outcomes(case: list[dict[str, Any]]) -> set[str]:
    """The rejection codes and conflict kinds the server's rules give in ``case``."""
    server = asyncio.run(server_run(case))
    return ({r["code"] for r in server["rejections"].values()}
            | {json.loads(c)["kind"] for c in server["conflicts"]})


def every_outcome() -> set[str]:
    """Every refusal of every domain's rules and of the engine, every conflict kind."""
    out = {"invalid_args", "forbidden_role", "forbidden_site", "unknown_blob",
           "field_overwritten"}
    for name in DOMAINS:
        module = importlib.import_module(name)
        out |= set(getattr(getattr(module, "rules", module), "CODES", ()))
    return out | {k for t in default_registry().records for k in t.conflict_kinds}


SEARCH_BATCHES = 30  # of 250 cases: how far to look for a case giving each outcome


@cache
def targeted() -> dict[str, list[dict[str, Any]]]:
    """For every outcome of :func:`every_outcome`, a generated case in which the server's
    rules give it (searched on the server alone, which is fast), so the comparison meets
    every rule's refusal and every conflict however the random cases fall."""
    wanted = every_outcome()
    found: dict[str, list[dict[str, Any]]] = {}
    for batch in range(SEARCH_BATCHES):
        for case in generated(250, seed=100 + batch):
            for outcome in outcomes(case) & (wanted - set(found)):
                found[outcome] = case
            if set(found) == wanted:
                return found
    return found


def covering(cases: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """``cases``, plus generated cases (searched like :func:`targeted`) naming each mutation
    the random ones happened not to draw: a rarely drawn mutation is compared all the same,
    whatever the process's draws (set orders differ from one process to the next)."""
    missing = set(default_registry().names()) - {s["name"] for c in cases for s in c}
    extra: list[list[dict[str, Any]]] = []
    for batch in range(SEARCH_BATCHES):
        if not missing:
            break
        for case in generated(250, seed=500 + batch):
            if {s["name"] for s in case} & missing:
                extra.append(case)
                missing -= {s["name"] for s in case}
    return cases + extra


def test_the_phone_applies_every_mutation_as_the_server_does() -> None:
    cases = covering(generated(EXAMPLES, seed=1))
    drawn = Counter(step["name"] for case in cases for step in case)
    assert set(drawn) == set(default_registry().names()), drawn  # every mutation, every domain
    cases = cases + [c for c in targeted().values() if c not in cases]
    problems = compare(cases)
    assert not problems, f"{len(problems)} of {len(cases)} cases differ:\n" + "\n".join(
        problems[:5])


def test_the_cases_reach_past_the_checks() -> None:
    """Not only refusals: the compared cases apply, conflict and refuse in every way the
    rules can — every rejection code and conflict kind of every domain (so a rule changed on
    one side only meets a case that shows it)."""
    cases = generated(EXAMPLES, seed=1)
    applied = 0
    for case in cases:
        server = asyncio.run(server_run(case))
        applied += len(case) - len(server["rejections"])
    assert applied > len(cases) // 2  # about one step in four applies, of many steps
    missing = every_outcome() - set(targeted())
    assert not missing, f"no generated case gives {sorted(missing)}"


def test_a_rule_changed_on_one_side_only_is_caught(tmp_path: Path) -> None:
    """The phone's copy of the retired-key rule removed: the comparison must notice."""
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    rules = app / "keys" / "rules.js"
    text = rules.read_text()
    changed = text.replace("if (k.retired) return", "if (false) return")
    assert changed != text
    rules.write_text(changed)
    # the cases where the server's copy of the rule speaks (a retired key lent)
    cases: list[list[dict[str, Any]]] = []
    for seed in range(3, 3 + SEARCH_BATCHES):
        if len(cases) >= 3:
            break
        cases += [case for case in generated(250, seed=seed)
                  if any(r["code"] == "key_retired"
                         for r in asyncio.run(server_run(case))["rejections"].values())]
    assert len(cases) >= 3, "the generated cases never lend a retired key"
    assert compare(cases, app), "a one-sided change of a rule went unnoticed"


def test_every_field_check_agrees_on_odd_text() -> None:
    """Normalisation, forbidden and invisible characters, lengths, patterns and times of every
    declared field, on text drawn from all of Unicode (assigned characters), through
    sync/kit/fields.py and web/static/app/kit/fields.js."""
    from sync.kit.fields import check_value

    declared = [(t.name, f) for t in default_registry().records for f in t.fields
                if f.kind in ("text", "ts", "uuid")]
    texts = st.text(st.characters(exclude_categories=("Cn", "Cs", "Co")), max_size=24)
    found: list[tuple[str, str, str]] = []

    @settings(max_examples=max(EXAMPLES * 4, 200), database=None, derandomize=True,
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(declared), st.one_of(texts, st.sampled_from([
        " ＡＢＣ－１２ ", "\u3000x\u3000", "\u200bA", "a\u0301", "ß", "ﬁ", "(12３a)", "\u2028",
        "2026-03-02T09:00:00.5+08:00", "2099-12-31T23:59:59-14:00"])))
    def collect(pair: tuple[str, Any], text: str) -> None:
        found.append((pair[0], pair[1].name, text))

    collect()
    # numbers of every ranged field (and of every field with a choice message, as text)
    numeric = [(t.name, f) for t in default_registry().records for f in t.fields
               if f.kind in ("float", "int") and (f.minimum is not None or f.maximum is not None)]
    assert numeric, "no ranged number is declared: the check below would be vacuous"

    @settings(max_examples=max(EXAMPLES, 100), database=None, derandomize=True,
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(numeric), st.one_of(
        st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**9, 10**9),
        st.sampled_from([0, 0.0, -0.0, 1e-9, 100000, 100000.5, 5e-324])))
    def collect_numbers(pair: tuple[str, Any], value: float) -> None:
        found.append((pair[0], pair[1].name, value))

    collect_numbers()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"kit": export(default_registry()), "values": found}, f)
    try:
        done = subprocess.run([NODE or "node", str(ROOT / "tests" / "parity" / "phone.mjs"),
                               f.name], capture_output=True, text=True, check=False, cwd=ROOT,
                              timeout=600)
    finally:
        os.unlink(f.name)
    assert done.returncode == 0, done.stderr[-2000:]
    differ = []
    for (type_, name, text), (stored, problem) in zip(found, json.loads(done.stdout),
                                                      strict=True):
        py_stored, py_problem = check_value(default_registry().records[type_].field(name), text)
        py = [py_stored, None if py_problem is None else {
            "field": py_problem.field, "message": py_problem.message,
            "params": dict(py_problem.params)}]
        if canonical(py) != canonical([stored, problem]):
            differ.append(f"{type_}.{name} {text!r}: python {py}, phone {[stored, problem]}")
    assert not differ, f"{len(differ)} of {len(found)} differ:\n" + "\n".join(differ[:10])
