"""Convergence under faults, against the in-memory reference server (the same scenario runs
against the HTTP server on SQLite and PostgreSQL in tests/integration).

``CARETAKER_HYPOTHESIS_EXAMPLES`` sets the number of generated scenarios (default 25)."""

from __future__ import annotations

import asyncio
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import engine
from sync.faults import NO_FAULTS, FaultPlan
from sync.testing import STEP_KINDS, Step, memory_server_factory, run_convergence, steps_strategy

pytestmark = pytest.mark.unit

EXAMPLES = int(os.environ.get("CARETAKER_HYPOTHESIS_EXAMPLES", "25"))
faults = st.builds(FaultPlan, *[st.sampled_from([0.0, 0.05, 0.15, 0.3])] * 4)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(steps=steps_strategy(max_steps=80), seed=st.integers(0, 2**32), plan=faults,
       page_size=st.sampled_from([3, 7, 1000]))
def test_phones_and_server_converge(steps: list[Step], seed: int, plan: FaultPlan,
                                    page_size: int) -> None:
    factory = memory_server_factory(page_size=page_size)
    asyncio.run(run_convergence(factory, steps, seed=seed, faults=plan))


def _random_steps(seed: int, n: int) -> list[Step]:
    rng = random.Random(seed)
    work = [k for k in STEP_KINDS if k not in ("server_restart",)]
    return [Step(rng.choice([*work, "register", "register", "server_restart"]),
                 rng.randrange(16), rng.randrange(2**16), rng.randrange(2**16))
            for _ in range(n)]


def test_a_long_busy_day_converges_and_exercises_every_path() -> None:
    """One long fixed scenario: it must see rejections, conflicts and faults of every kind,
    so a generator that stopped producing them would be noticed."""
    totals: dict[str, dict[str, int]] = {"rejections": {}, "conflicts": {}, "faults": {}}
    for seed in range(6):
        report = asyncio.run(run_convergence(
            memory_server_factory(page_size=5), _random_steps(seed, 400), seed=seed,
            faults=FaultPlan(0.1, 0.1, 0.1, 0.1)))
        for name in totals:
            for k, v in getattr(report, name).items():
                totals[name][k] = totals[name].get(k, 0) + v
    assert {"forbidden_role", "forbidden_site", "unknown_key", "invalid_args",
            "unknown_mutation", "owner_consent_required", "unknown_tag", "wrong_site",
            "not_on_route"} <= set(totals["rejections"])
    assert {"double_loan", "double_return", "return_before_loan",
            "double_finish"} <= set(totals["conflicts"])
    assert all(totals["faults"][k] > 0 for k in ("dropped_requests", "dropped_responses",
                                                  "duplicates", "delayed"))


def test_the_check_catches_a_server_that_applies_a_retry_twice(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenario can fail: a server that forgets one acknowledged mutation per push (so a
    retried or duplicated push applies it again) is caught."""
    real_push = engine.push

    async def forgetful_push(store, actor, request, **kw):  # type: ignore[no-untyped-def]
        client = await store.load_client(request.client_id)
        if client is not None and client.last_mutation_id:
            client.last_mutation_id -= 1
        return await real_push(store, actor, request, **kw)

    monkeypatch.setattr(engine, "push", forgetful_push)
    with pytest.raises(AssertionError, match="convergence broken"):
        asyncio.run(run_convergence(memory_server_factory(), _random_steps(1, 120), seed=1,
                                    faults=NO_FAULTS))
