"""The office's own writes through the phones' mutations and rules (step 5–11 of a push,
without a client): :func:`apply_office`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync import SCHEMA_VERSION
from sync import hlc as hlc_mod
from sync.context import Principal
from sync.protocol import Mutation
from sync.push import _decode, _Planned, _run
from sync.registry import Registry
from sync.storage import AuditRow, ConflictRow, PushStore, PushWrite


@dataclass(frozen=True)
class OfficeResult:
    """What an office action through the rules changed."""

    records: list[Any]
    audit: list[AuditRow]
    conflicts: list[ConflictRow]
    versions: dict[str, int]


async def apply_office(
    store: PushStore,
    actor: Principal,
    mutations: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    registry: Registry,
    now: datetime,
    write: bool = True,
) -> OfficeResult:
    """The office's own writes through the same mutations and rules as the phones': all of
    them apply, in one transaction (the caller's), or the first :class:`Reject` is raised
    and nothing is written. The office's clock stamps the corrections (an HLC later than
    every stored value: the office decided after seeing them). No client row is kept;
    audit rows carry the office user and no device."""
    who = f"office user {actor.staff_id}"
    office_hlc = hlc_mod.HLC(int(now.timestamp() * 1000), 0, hlc_mod.node_id(actor.staff_id))
    plan = []
    for n, (name, args) in enumerate(mutations, 1):
        p = _Planned(Mutation(id=n, name=name, args=dict(args), hlc=office_hlc.encode()))
        _decode(p, registry, SCHEMA_VERSION, int(now.timestamp() * 1000), 0, who)
        if p.reject is not None:
            raise p.reject
        p.device_time = None
        plan.append(p)
    loaded_hlcs = await _stored_hlcs(store, plan)
    stamp = office_hlc
    for text in loaded_hlcs:
        try:
            stamp = hlc_mod.receive(stamp, hlc_mod.parse(text), office_hlc.wall)
        except ValueError:
            continue
    for p in plan:
        p.hlc = p.device_hlc = stamp.encode()
    # a client id of its own per action: conflict ids are made from it
    out = await _run(store, actor, plan, who=who, client_id=f"office:{uuid.uuid4()}", now=now)
    for p in out.rejected:
        if p.reject is not None:
            raise p.reject
    puts = list(out.ctx.view.changed.values())
    audit = [_office_audit(a) for a in out.ctx.audit]
    if write:
        await store.write(PushWrite(client=None, versions=out.versions, puts=puts,
                                    audit=audit, conflicts=out.ctx.conflicts, rejections=[]))
    return OfficeResult(puts, audit, out.ctx.conflicts, out.versions)


def _office_audit(a: AuditRow) -> AuditRow:
    return AuditRow(a.record_type, a.record_id, a.space, a.action, a.changes, a.staff_id,
                    None, None, None, "", None, a.server_time)


async def _stored_hlcs(store: PushStore, plan: Sequence[_Planned]) -> list[str]:
    """The HLCs already stored on the records the office is about to correct."""
    refs = [ref for p in plan for ref in p.refs]
    if not refs:
        return []
    out = []
    for rec in await store.load(refs, []):
        out += list(rec.field_hlc.values())
    return out

