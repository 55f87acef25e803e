"""A fault-injecting transport for sync tests: wraps any ``send(path, body)`` and, with the
probabilities of a :class:`FaultPlan`, drops the request, drops the response, delivers the
request twice, or holds a push back and delivers it later (after newer requests: a reorder).
Decisions come from a seeded ``random.Random``, so a failing run replays exactly.
"""

from __future__ import annotations

import contextlib
import copy
import random
from typing import Any, NamedTuple

from sync.memory import PUSH_PATH, Send


class FaultPlan(NamedTuple):
    drop_request: float = 0.1  # the request never arrives
    drop_response: float = 0.1  # the server acted, the answer is lost
    duplicate: float = 0.1  # the request arrives twice (the client sees the second answer)
    delay: float = 0.1  # a push arrives later, after newer requests (its answer is lost)


NO_FAULTS = FaultPlan(0.0, 0.0, 0.0, 0.0)


class FaultyTransport:
    def __init__(self, inner: Send, rng: random.Random, plan: FaultPlan = FaultPlan()) -> None:
        self.inner = inner
        self.rng = rng
        self.plan = plan
        self.enabled = True
        self.delayed: list[tuple[str, Any]] = []
        self.counts = {"dropped_requests": 0, "dropped_responses": 0, "duplicates": 0,
                       "delayed": 0, "late_deliveries": 0}

    async def __call__(self, path: str, body: Any) -> tuple[int, Any]:
        if not self.enabled:
            return await self.inner(path, body)
        rng, plan = self.rng, self.plan
        if self.delayed and rng.random() < 0.5:
            await self._deliver_one(self.delayed.pop(rng.randrange(len(self.delayed))))
        if rng.random() < plan.drop_request:
            self.counts["dropped_requests"] += 1
            raise ConnectionError("fault: request dropped")
        if path == PUSH_PATH and rng.random() < plan.delay:
            self.counts["delayed"] += 1
            self.delayed.append((path, copy.deepcopy(body)))
            raise TimeoutError("fault: request delayed")
        answer = await self.inner(path, body)
        if rng.random() < plan.duplicate:
            self.counts["duplicates"] += 1
            answer = await self.inner(path, copy.deepcopy(body))
        if rng.random() < plan.drop_response:
            self.counts["dropped_responses"] += 1
            raise ConnectionError("fault: response dropped")
        return answer

    async def flush(self) -> None:
        """Deliver every held-back request (their answers are lost)."""
        while self.delayed:
            await self._deliver_one(self.delayed.pop(0))

    async def _deliver_one(self, request: tuple[str, Any]) -> None:
        self.counts["late_deliveries"] += 1
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await self.inner(*request)
