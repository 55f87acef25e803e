"""The promises the convergence scenario (:mod:`sync.testing`) checks at its end, over what
the phones hold and what the server stored (:class:`ServerState`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec

from sync.buckets import matches
from sync.buckets import parse as parse_bucket
from sync.client import SyncClient
from sync.domains import scenarios
from sync.engine import render_all
from sync.errors import MUTATION_FAILED
from sync.protocol import Mutation
from sync.storage import AuditRow, ConflictRow, Record, RejectionRow


class ServerState(msgspec.Struct):
    """Everything stored, for the checks. ``records`` include tombstones and conflicts (as
    :func:`sync.storage.conflict_record` shapes them)."""

    records: list[Record]
    last_mutation_ids: dict[str, int]
    rejections: list[RejectionRow]
    audit: list[AuditRow]
    conflicts: list[ConflictRow]


class PhoneOutcome(NamedTuple):
    client: SyncClient
    spaces: frozenset[str]  # what the phone's person may read (sync.streams)
    made: Sequence[Mutation]  # every mutation the phone ever queued
    # the buckets of the streams it reads filtered to its jobs' units (sync.buckets)
    buckets: frozenset[str] = frozenset()

    def sees(self, rec: Record) -> bool:
        if rec.space in self.spaces:
            return True
        has_unit = self.client.registry.has_unit(rec.type)
        for b in self.buckets:
            space, unit = parse_bucket(b)
            if rec.space == space and unit is not None and matches(
                    unit, has_unit, rec.data, self.client.actor.staff_id):
                return True
        return False


def _shape(rec: Record) -> tuple[str, int, dict[str, Any]]:
    return rec.space, rec.version, rec.data


def check(phones: Sequence[PhoneOutcome], observer: SyncClient, state: ServerState) -> None:
    """Raise AssertionError listing every broken promise."""
    problems: list[str] = []
    server_live = render_all(state.records)
    seen = {k: {f: v for f, v in d.items() if f not in ("hlc", "field_hlc")}
            for k, d in server_live.items()}
    obs = {k: {**r.data, "space": r.space, "version": r.version}
           for k, r in observer.replica.items()}
    if obs != seen:
        problems.append(f"observer != server: {sorted(set(obs) ^ set(seen))[:5]} differ")

    records = {(r.type, r.id): r for r in state.records}
    audit_keys = [(a.client_id, a.mutation_id, a.record_type, a.record_id) for a in state.audit]
    if len(audit_keys) != len(set(audit_keys)):
        problems.append("a mutation changed the same record twice (applied twice?)")
    rejected = {(r.client_id, r.mutation_id): r for r in state.rejections}
    if len(rejected) != len(state.rejections):
        problems.append("a mutation was rejected twice")
    applied = {(a.client_id, a.mutation_id) for a in state.audit}
    if applied & set(rejected):
        problems.append(f"applied and rejected: {sorted(applied & set(rejected))[:3]}")
    problems += [f"rule failed: {r.name}: {r.reason}" for r in state.rejections
                 if r.code == MUTATION_FAILED]

    for ph in phones:
        cid = ph.client.state.client_id
        c = ph.client
        if c.status != "synced" or c.state.outbox:
            problems.append(f"{cid}: {c.status} {c.error}, {len(c.state.outbox)} pending")
        want = {k: _shape(r) for k, r in observer.replica.items() if ph.sees(r)}
        have = {k: _shape(r) for k, r in c.replica.items()}
        if have != want:
            diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
            problems.append(f"{cid}: replica differs from the server at {diff[:3]}")
        last = ph.made[-1].id if ph.made else 0
        if state.last_mutation_ids.get(cid, 0) != last:
            problems.append(f"{cid}: server last_mutation_id "
                            f"{state.last_mutation_ids.get(cid)} != {last}")
        got = {r.mutation_id for r in c.state.rejections}
        if got != {mid for (client, mid) in rejected if client == cid}:
            problems.append(f"{cid}: rejections delivered {sorted(got)}")
        for m in ph.made:
            if (cid, m.id) not in rejected:
                problems += _event_kept(m, cid, records, state)
    if problems:
        raise AssertionError("convergence broken:\n  " + "\n  ".join(problems[:20]))


def _event_kept(m: Mutation, cid: str, records: dict[tuple[str, str], Record],
                state: ServerState) -> list[str]:
    where = f"{cid} #{m.id} {m.name}"
    for scenario in scenarios():
        found = scenario.kept(m.name, m.args, where, records, state, cid, m.id)
        if found is not None:
            return list(found)
    return []
