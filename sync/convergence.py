"""The promises the convergence scenario (:mod:`sync.testing`) checks at its end, over what
the phones hold and what the server stored (:class:`ServerState`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from sync import ORG_SPACE
from sync.client import SyncClient
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
    sites: Sequence[str]
    made: Sequence[Mutation]  # every mutation the phone ever queued


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _shape(rec: Record) -> tuple[str, int, dict[str, Any]]:
    return rec.space, rec.version, rec.data


def check(phones: Sequence[PhoneOutcome], observer: SyncClient, state: ServerState) -> None:
    """Raise AssertionError listing every broken promise."""
    problems: list[str] = []
    server_live = render_all(state.records)
    seen = {k: {f: v for f, v in d.items() if f != "hlc"} for k, d in server_live.items()}
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
        spaces = {*ph.sites, ORG_SPACE}
        want = {k: _shape(r) for k, r in observer.replica.items() if r.space in spaces}
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
    a = m.args
    where = f"{cid} #{m.id} {m.name}"
    if m.name == "key.register":
        return [] if ("key", a["key_id"]) in records else [f"{where}: key missing"]
    if m.name in ("key.lend", "key.return", "key.void_loan"):
        loan = records.get(("key_loan", a["loan_id"]))
        if loan is None:
            return [f"{where}: loan missing"]
        d = loan.data
        if m.name == "key.lend" and (d["borrower_name"] != a["borrower_name"]
                                     or _instant(d["lent_at"]) != _instant(a["lent_at"])):
            return [f"{where}: loan differs"]
        if m.name == "key.return" and _instant(d["returned_at"]) != _instant(a["returned_at"]):
            second = [c for c in state.conflicts if c.kind == "double_return"
                      and c.details.get("loan_id") == a["loan_id"]
                      and _instant(c.details["second"]["returned_at"])
                      == _instant(a["returned_at"])]
            if not second:
                return [f"{where}: return lost"]
        if m.name == "key.void_loan" and not (d["voided"] and loan.deleted):
            return [f"{where}: void lost"]
        return []
    if m.name == "key.update":
        key = records.get(("key", a["key_id"]))
        if key is None:
            return [f"{where}: key missing"]
        out = []
        for field, value in a["fields"].items():
            if key.data.get(field) == value:
                continue
            lost = any(c.kind == "field_overwritten" and c.details.get("client_id") == cid
                       and c.details.get("mutation_id") == m.id
                       and c.details["fields"].get(field, {}).get("lost") == value
                       for c in state.conflicts)
            before = any(r.record_id == a["key_id"] and field in r.changes
                         and r.changes[field][0] == value for r in state.audit)
            if not (lost or before):
                out.append(f"{where}: {field}={value!r} silently lost")
        return out
    return []
