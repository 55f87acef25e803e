"""Push (steps 1–13 of :mod:`sync.engine`'s docstring), the office's writes through the same
rules, and the isolation of a mutation whose write fails."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sync import ACCEPTED_SCHEMA_VERSIONS, SCHEMA_VERSION, streams
from sync import hlc as hlc_mod
from sync.context import Context, Principal, View, iso
from sync.errors import (
    INVALID_HLC,
    MUTATION_FAILED,
    UNKNOWN_BLOB,
    UNKNOWN_MUTATION,
    ClientMismatch,
    MutationGap,
    Reject,
    SyncError,
    UpdateRequired,
)
from sync.protocol import Mutation, PushRequest, PushResponse
from sync.registry import MutationSpec, Registry
from sync.storage import (
    ClientState,
    Lookup,
    PushStore,
    PushWrite,
    Ref,
    RejectionRow,
)

log = logging.getLogger("sync.engine")

DEFAULT_MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000


class _Planned:
    """One mutation on its way through a push."""

    __slots__ = ("args", "device_hlc", "device_time", "hlc", "mutation", "refs", "reject",
                 "space", "spec")

    def __init__(self, mutation: Mutation) -> None:
        self.mutation = mutation
        self.spec: MutationSpec | None = None
        self.args: Any = None
        self.space = ""
        self.hlc = ""
        self.device_hlc = mutation.hlc
        self.device_time: str | None = None
        self.reject: Reject | None = None
        self.refs: list[Ref] = []


def _failed(m: Mutation, who: str, exc: BaseException | str) -> Reject:
    what = exc if isinstance(exc, str) else type(exc).__name__
    if not isinstance(exc, str):
        log.error("mutation %s #%s of %s failed", m.name, m.id, who, exc_info=exc)
    return Reject(MUTATION_FAILED,
                  f"the server could not apply {m.name} ({what}); the office is told")


def check_schema(version: int) -> None:
    if version not in ACCEPTED_SCHEMA_VERSIONS:
        raise UpdateRequired(version, ACCEPTED_SCHEMA_VERSIONS)


def _decode(p: _Planned, registry: Registry, schema_version: int, now_ms: int,
            max_ahead_ms: int, who: str) -> None:
    m = p.mutation
    spec = registry.get(m.name)
    if spec is None:
        p.reject = Reject(UNKNOWN_MUTATION, f"unknown mutation {m.name!r}")
        return
    p.spec = spec
    try:
        raw = m.args if schema_version == SCHEMA_VERSION else spec.upgrade(schema_version, m.args)
        p.args = spec.decode(raw)
        p.refs = spec.refs(p.args)
    except Reject as r:
        p.reject = r
        return
    except Exception as exc:  # an upgrade function with a bug
        p.reject = _failed(m, who, exc)
        return
    text = m.hlc
    try:
        wall = hlc_mod.parse_wall(text)
    except ValueError:
        p.reject = Reject(INVALID_HLC, f"invalid clock value {text[:40]!r}")
        return
    p.device_time = hlc_mod.wall_iso(wall)
    # the original stays in the audit (device_hlc, device_time); records get the clamped one
    # (hlc.clamp: wall capped at now + max_ahead, counter and node kept)
    limit = now_ms + max_ahead_ms
    p.hlc = text if wall <= limit else hlc_mod.encode(hlc_mod.parse(text)._replace(wall=limit))


async def _check_blobs(store: PushStore, actor: Principal, plan: Sequence[_Planned]) -> None:
    """Step 7, blobs: one store call for the whole batch."""
    named: dict[int, list[str]] = {}
    for i, p in enumerate(plan):
        if p.reject is None and p.spec is not None:
            found = p.spec.blobs(p.args)
            if found:
                named[i] = found
    if not named:
        return
    wanted = sorted({sha for shas in named.values() for sha in shas})
    readable = streams.blob_spaces(actor.role, actor.sites)
    known = await store.known_blobs(wanted, actor.staff_id, readable)
    for i, shas in named.items():
        missing = [sha for sha in shas if sha not in known]
        if missing:
            plan[i].reject = Reject(
                UNKNOWN_BLOB, f"blob {missing[0]} was never uploaded by this person, "
                "nor is it on a record they may read; upload it first")


def _followed(plan: Sequence[_Planned], loaded: Mapping[tuple[str, str], Any],
              refs: set[Ref]) -> set[Ref]:
    """The records named by fields of loaded records, where a spec ``follows`` them."""
    out: set[Ref] = set()
    for p in plan:
        if p.reject is not None or p.spec is None or not p.spec.follows:
            continue
        for arg, field_name in p.spec.follows:
            ref = next((r for r in p.refs if getattr(p.args, arg, None) == r.id), None)
            record = loaded.get((ref.type, ref.id)) if ref is not None else None
            if record is None:
                continue
            value = record.data.get(field_name)
            declared = _ref_types().get((record.type, field_name))
            if isinstance(value, str) and value and declared:
                target = Ref(declared, value)
                if target not in refs:
                    out.add(target)
    return out


@cache
def _ref_types() -> dict[tuple[str, str], str]:
    """(record type, field) -> the record type a declared reference names."""
    from sync.domains import default_registry

    return {(t.name, f.name): f.ref for t in default_registry().records for f in t.fields
            if f.kind == "uuid" and f.ref}


@dataclass
class _Outcome:
    versions: dict[str, int]
    ctx: Context
    applied: int
    conflicts: int
    rejected: list[_Planned]


async def _run(store: PushStore, actor: Principal, plan: list[_Planned], *, who: str,
               client_id: str, now: datetime) -> _Outcome:
    """Steps 6–11 over a decoded plan: spaces, authorisation, locks, loads, the rules,
    versions. Nothing is written yet."""
    # 6.–7. Resolve each space, in batch order, and authorise role and site; only an
    # authorised mutation's created records place the mutations after it (as if each were
    # applied alone: the phone's copy of the rules resolves them in order too)
    all_refs = {ref for p in plan for ref in p.refs}
    known = dict(await store.spaces_of(list(all_refs))) if all_refs else {}
    refs: set[Ref] = set()
    lookups: set[Lookup] = set()
    spaces: set[str] = set()
    for p in plan:
        if p.reject is not None or p.spec is None:
            continue
        try:
            p.space = p.spec.space(p.args, known)
            p.spec.authorize(actor, p.space)
            lookups.update(p.spec.lookups(p.args))
        except Reject as r:
            p.reject = r
            continue
        except Exception as exc:  # a bug in a rule must not wedge the queue
            p.reject = _failed(p.mutation, who, exc)
            continue
        if p.space:
            for ref in p.spec.created(p.args):
                known.setdefault(ref, p.space)
            spaces.add(p.space)
        refs.update(p.refs)
    await _check_blobs(store, actor, plan)

    # 8. Lock the spaces, sorted
    versions = await store.lock_spaces(sorted(spaces)) if spaces else {}

    # 9. Load refs and lookups in one call (and what they refer to, where a rule follows a
    # reference: one more call)
    loaded = await store.load(list(refs), list(lookups)) if refs or lookups else []
    followed = _followed(plan, {(r.type, r.id): r for r in loaded}, refs)
    if followed:
        refs |= followed
        loaded += await store.load(list(followed), [])
    view = View({(r.type, r.id): r for r in loaded},
                refs={(r.type, r.id) for r in refs},
                lookups={(lk.type, lk.field, lk.value) for lk in lookups})

    # 10. Apply in order over the overlay view
    ctx = Context(view, actor, client_id=client_id, server_time=iso(now))
    rejected: list[_Planned] = []
    applied = conflicts = 0
    for p in plan:
        m = p.mutation
        if p.reject is None and p.spec is not None:
            ctx.begin(m.id, m.name, p.space, p.hlc, p.device_hlc, p.device_time)
            try:
                p.spec.apply(ctx, p.args)
            except Reject as r:
                ctx.rollback()
                p.reject = r
            except SyncError:
                raise
            except Exception as exc:  # a bug in a rule must not wedge the queue
                ctx.rollback()
                p.reject = _failed(m, who, exc)
            else:
                conflicts += ctx.commit()
                applied += 1
                continue
        rejected.append(p)

    # 11. One new version per changed space; stamp the records
    new_versions = {space: versions[space] + 1 for space in ctx.changed_spaces}
    for rec in view.changed.values():
        rec.version = new_versions[rec.space]
    return _Outcome(new_versions, ctx, applied, conflicts, rejected)


async def push(
    store: PushStore,
    actor: Principal,
    request: PushRequest,
    *,
    registry: Registry,
    now: datetime,
    max_clock_ahead_ms: int = DEFAULT_MAX_CLOCK_AHEAD_MS,
    failed: Mapping[int, str] | None = None,
) -> PushResponse:
    """One push. ``failed`` (mutation id -> what went wrong): mutations that could not be
    written before (see :func:`push_isolating`); they become ``mutation_failed``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    # 1. Schema version
    check_schema(request.schema_version)

    # 2. The client's row (locked); new clients start at 0
    client = await store.load_client(request.client_id)
    if client is not None and client.staff_id != actor.staff_id:
        raise ClientMismatch(request.client_id)
    last_id = client.last_mutation_id if client is not None else 0

    # 3. Retries of applied mutations are acknowledged and skipped
    pending = [m for m in request.mutations if m.id > last_id]
    if not pending:
        return PushResponse(last_mutation_id=last_id, applied=0, rejected=0, conflicts=0)

    # 4. No gaps: nothing is written
    expected = last_id + 1
    for offset, m in enumerate(pending):
        if m.id != expected + offset:
            raise MutationGap(expected, m.id)

    # 5. Decode args, parse and clamp the HLC
    now_ms = int(now.timestamp() * 1000)
    who = f"client {request.client_id}"
    plan = [_Planned(m) for m in pending]
    for p in plan:
        if failed and p.mutation.id in failed:
            p.reject = _failed(p.mutation, who, failed[p.mutation.id])
            continue
        _decode(p, registry, request.schema_version, now_ms, max_clock_ahead_ms, who)

    # 6.–11.
    out = await _run(store, actor, plan, who=who, client_id=request.client_id, now=now)

    # 12. One write
    last_id = pending[-1].id
    server_time = out.ctx.server_time
    rejections = [RejectionRow(
        client_id=request.client_id, mutation_id=p.mutation.id, name=p.mutation.name,
        code=p.reject.code, reason=p.reject.reason, args=p.mutation.args,
        staff_id=actor.staff_id, space=p.space, created_at=server_time, field=p.reject.field,
    ) for p in out.rejected if p.reject is not None]
    await store.write(PushWrite(
        client=ClientState(client_id=request.client_id, staff_id=actor.staff_id,
                           device_id=actor.device_id, last_mutation_id=last_id),
        versions=out.versions, puts=list(out.ctx.view.changed.values()),
        audit=out.ctx.audit, conflicts=out.ctx.conflicts, rejections=rejections,
    ))

    # 13. Answer
    return PushResponse(last_mutation_id=last_id, applied=out.applied,
                        rejected=len(rejections), conflicts=out.conflicts)


# --- when a write fails --------------------------------------------------------------------

Transaction = Callable[[], AbstractAsyncContextManager[PushStore]]


async def push_isolating(
    transaction: Transaction,
    actor: Principal,
    request: PushRequest,
    *,
    registry: Registry,
    now: Callable[[], datetime],
    max_clock_ahead_ms: int = DEFAULT_MAX_CLOCK_AHEAD_MS,
    run: Callable[..., Any] | None = None,
    isolate: Callable[[BaseException], bool] = lambda exc: True,
) -> PushResponse:
    """A push whose write may fail on one mutation (an integrity error the rules did not
    foresee) without wedging the phone's queue: the whole batch first; if its write fails
    with an error ``isolate`` accepts (the data's fault, not the database being down), the
    batch is split in halves, each pushed in a transaction of its own, down to the one
    mutation that fails — which is then stored as a ``mutation_failed`` rejection with what
    went wrong, and the rest apply. ``run(attempt)`` wraps each transaction (the server
    retries serialization failures there). Request errors (a gap, an old schema…) are
    answers, never isolated."""

    async def attempt(mutations: list[Mutation], failed: dict[int, str]) -> PushResponse:
        async def once() -> PushResponse:
            async with transaction() as store:
                return await push(store, actor, PushRequest(
                    client_id=request.client_id, schema_version=request.schema_version,
                    mutations=mutations), registry=registry, now=now(),
                    max_clock_ahead_ms=max_clock_ahead_ms, failed=failed)
        return await (run(once) if run is not None else once())

    async def split(mutations: list[Mutation]) -> PushResponse:
        try:
            return await attempt(mutations, {})
        except Exception as exc:
            if isinstance(exc, SyncError) or not isolate(exc):
                raise
            if len(mutations) == 1:
                log.error("mutation %s #%s of client %s could not be written",
                          mutations[0].name, mutations[0].id, request.client_id, exc_info=exc)
                return await attempt(mutations, {mutations[0].id: type(exc).__name__})
        half = len(mutations) // 2
        first = await split(mutations[:half])
        second = await split(mutations[half:])
        return PushResponse(last_mutation_id=second.last_mutation_id,
                            applied=first.applied + second.applied,
                            rejected=first.rejected + second.rejected,
                            conflicts=first.conflicts + second.conflicts)

    return await split(list(request.mutations))
