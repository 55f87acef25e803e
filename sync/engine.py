"""Push and pull of sync protocol v1: pure orchestration over :mod:`sync.storage`.

Each call is one transaction that the server opens around it (and retries on a serialization
failure or :class:`sync.errors.TryAgain`). The numbered comments in the code match these steps.

Push (``POST /api/v1/sync/push``)
  1. Check ``schema_version`` (current or previous) — else ``UpdateRequired`` (426).
  2. Load the client's row, locked; a new client starts at last_mutation_id 0. A client of
     another staff member — ``ClientMismatch`` (403).
  3. Drop mutations with id <= last_mutation_id: retries, already applied, acknowledged.
  4. The first remaining id must be last_mutation_id + 1 and the ids consecutive — else
     ``MutationGap`` (409, expected id) and nothing is written. Nothing left: answer at once.
  5. Per mutation: find its spec (``unknown_mutation``), upgrade args of the previous schema
     version, decode them (``invalid_args``), parse its HLC (``invalid_hlc``) and clamp an HLC
     running more than ``max_clock_ahead_ms`` ahead of the server clock.
  6. Resolve each mutation's space: ``spaces_of`` all refs in one call, then ``spec.space`` in
     batch order (records a mutation ``creates`` resolve the mutations after it).
  7. Authorise: role in ``spec.roles`` (``forbidden_role``), space among the actor's sites
     (``forbidden_site``).
  8. Lock the authorised mutations' spaces in sorted order and read their versions.
  9. Load every ref and lookup of the authorised mutations in one call.
  10. Apply the mutations in order over one overlay view (each sees the effects of the ones
      before it). A ``Reject`` from the rules discards that mutation's effects and becomes a
      rejection row; it still counts. Effects give audit rows (before/after per changed
      field, user, device, device HLC and time, server time) and conflict rows.
  11. Each space with changes gets ONE new version (old + 1); every changed record is stamped
      with it (conflicts too).
  12. ONE ``store.write``: records, audit, conflicts, rejections, versions and the client's
      new last_mutation_id — in the push's transaction.
  13. Answer ``PushResponse`` (last_mutation_id, applied, rejected, conflicts).

Pull (``POST /api/v1/sync/pull``)
  1. Check ``schema_version`` — else ``UpdateRequired``.
  2. Decode the cookie; a bad one means "from nothing" (never an error).
  3. The actor's spaces: their sites plus ``org``.
  4. Spaces in the cookie no longer assigned: send ``del space <id>`` (the phone drops every
     record of it) and forget them. Newly assigned spaces start at version 0.
  5. Read the client's last_mutation_id and the spaces' current versions (one snapshot).
  6. When no round is in progress, reset the progress counters (total, sent).
  7. Per space, in sorted order: a cookie ahead of the server (a restored database) restarts
     the space with ``del space`` and version 0; an idle space behind the current version
     starts a round with a fixed target (the current version) and adds ``count_changed`` to
     ``total``; then records in (done, target] after the cursor, in (version, type, id) order,
     up to the page budget: ``put`` with the record's data plus ``space``, ``version`` (and
     ``hlc``, the newest field HLC, when the record has any), or ``del`` for a tombstone (data
     ``{"reason": …}`` when known). A round that ran out of records completes (done = target).
  8. ``more`` while any round is in progress or any space is past its ``done`` version, so
     a pull answered with ``more=False`` is complete up to the snapshot that read
     ``last_mutation_id`` (the phone drops confirmed mutations only then).
  9. The client's rejections after the cookie's last delivered mutation id (only rows of the
     acting staff member: a borrowed client id shows nobody else's args).
  10. Answer ``PullResponse`` with the new cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sync import ACCEPTED_SCHEMA_VERSIONS, ORG_SPACE, SCHEMA_VERSION
from sync import hlc as hlc_mod
from sync.context import Context, Principal, View, iso
from sync.cookie import Cookie, SpaceProgress, decode_cookie, encode_cookie
from sync.errors import (
    INVALID_HLC,
    MUTATION_FAILED,
    UNKNOWN_MUTATION,
    ClientMismatch,
    MutationGap,
    Reject,
    SyncError,
    UpdateRequired,
)
from sync.protocol import (
    Mutation,
    PatchOp,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RejectionOut,
)
from sync.registry import AnySpec, Registry
from sync.storage import (
    ClientState,
    Lookup,
    PullStore,
    PushStore,
    PushWrite,
    Record,
    Ref,
    RejectionRow,
)

log = logging.getLogger(__name__)

DEFAULT_MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000
DEFAULT_PAGE_SIZE = 1000


class _Planned:
    """One mutation on its way through a push."""

    __slots__ = ("args", "device_hlc", "device_time", "hlc", "mutation", "refs", "reject",
                 "space", "spec")

    def __init__(self, mutation: Mutation) -> None:
        self.mutation = mutation
        self.spec: AnySpec | None = None
        self.args: Any = None
        self.space = ""
        self.hlc = ""
        self.device_hlc = mutation.hlc
        self.device_time: str | None = None
        self.reject: Reject | None = None
        self.refs: list[Ref] = []


def _failed(m: Mutation, client_id: str, exc: Exception) -> Reject:
    log.error("mutation %s #%s of client %s failed", m.name, m.id, client_id, exc_info=exc)
    return Reject(MUTATION_FAILED,
                  f"the server could not apply {m.name} ({type(exc).__name__}); the office is told")


def _check_schema(version: int) -> None:
    if version not in ACCEPTED_SCHEMA_VERSIONS:
        raise UpdateRequired(version, ACCEPTED_SCHEMA_VERSIONS)


def _decode(p: _Planned, registry: Registry, schema_version: int, now_ms: int,
            max_ahead_ms: int, client_id: str) -> None:
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
    except Exception as exc:  # an upgrade or refs function with a bug
        p.reject = _failed(m, client_id, exc)
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


async def push(
    store: PushStore,
    actor: Principal,
    request: PushRequest,
    *,
    registry: Registry,
    now: datetime,
    max_clock_ahead_ms: int = DEFAULT_MAX_CLOCK_AHEAD_MS,
) -> PushResponse:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    # 1. Schema version
    _check_schema(request.schema_version)

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
    plan = [_Planned(m) for m in pending]
    for p in plan:
        _decode(p, registry, request.schema_version, now_ms, max_clock_ahead_ms,
                request.client_id)

    # 6. Resolve spaces
    all_refs = {ref for p in plan for ref in p.refs}
    known = dict(await store.spaces_of(list(all_refs))) if all_refs else {}
    for p in plan:
        if p.reject is None and p.spec is not None:
            try:
                p.space = p.spec.space(p.args, known)
                for ref in p.spec.creates(p.args) if p.space else ():
                    known.setdefault(ref, p.space)
            except Exception as exc:  # a bug in a rule must not wedge the queue
                p.reject = _failed(p.mutation, request.client_id, exc)

    # 7. Authorise role and site
    refs: set[Ref] = set()
    lookups: set[Lookup] = set()
    spaces: set[str] = set()
    for p in plan:
        if p.reject is not None or p.spec is None:
            continue
        try:
            p.spec.authorize(actor, p.space)
            lookups.update(p.spec.lookups(p.args))
        except Reject as r:
            p.reject = r
            continue
        except Exception as exc:
            p.reject = _failed(p.mutation, request.client_id, exc)
            continue
        refs.update(p.refs)
        if p.space:
            spaces.add(p.space)

    # 8. Lock the spaces, sorted
    versions = await store.lock_spaces(sorted(spaces)) if spaces else {}

    # 9. Load refs and lookups in one call
    loaded = await store.load(list(refs), list(lookups)) if refs or lookups else []
    view = View({(r.type, r.id): r for r in loaded},
                refs={(r.type, r.id) for r in refs},
                lookups={(lk.type, lk.field, lk.value) for lk in lookups})

    # 10. Apply in order over the overlay view
    server_time = iso(now)
    ctx = Context(view, actor, client_id=request.client_id, server_time=server_time)
    rejections: list[RejectionRow] = []
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
                p.reject = _failed(m, request.client_id, exc)
            else:
                conflicts += ctx.commit()
                applied += 1
                continue
        assert p.reject is not None
        rejections.append(RejectionRow(
            client_id=request.client_id, mutation_id=m.id, name=m.name, code=p.reject.code,
            reason=p.reject.reason, args=m.args, staff_id=actor.staff_id, space=p.space,
            created_at=server_time,
        ))

    # 11. One new version per changed space; stamp the records
    new_versions = {space: versions[space] + 1 for space in ctx.changed_spaces}
    puts = list(view.changed.values())
    for rec in puts:
        rec.version = new_versions[rec.space]

    # 12. One write
    last_id = pending[-1].id
    await store.write(PushWrite(
        client=ClientState(client_id=request.client_id, staff_id=actor.staff_id,
                           device_id=actor.device_id, last_mutation_id=last_id),
        versions=new_versions, puts=puts, audit=ctx.audit, conflicts=ctx.conflicts,
        rejections=rejections,
    ))

    # 13. Answer
    return PushResponse(last_mutation_id=last_id, applied=applied, rejected=len(rejections),
                        conflicts=conflicts)


# --- pull ----------------------------------------------------------------------------------

def render(rec: Record) -> PatchOp:
    """A record as the pull sends it. ``space``, ``version`` and ``hlc`` are reserved keys
    (no domain field may use them)."""
    if rec.deleted:
        reason = rec.data.get("void_reason") or rec.data.get("reason")
        return PatchOp(op="del", type=rec.type, id=rec.id,
                       data={"reason": reason} if reason else None)
    data = {**rec.data, "space": rec.space, "version": rec.version}
    if rec.field_hlc:
        data["hlc"] = max(rec.field_hlc.values())
    return PatchOp(op="put", type=rec.type, id=rec.id, data=data)


async def pull(
    store: PullStore,
    actor: Principal,
    request: PullRequest,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    now: datetime | None = None,  # reserved: pulls read no clock today
) -> PullResponse:
    # 1. Schema version
    _check_schema(request.schema_version)

    # 2. The cookie (a bad one starts from nothing)
    cookie = decode_cookie(request.cookie, request.schema_version)

    # 3. The actor's spaces
    assigned = sorted({*actor.sites, ORG_SPACE})

    # 4. Spaces no longer assigned: delete them on the phone
    patch: list[PatchOp] = []
    for space in sorted(set(cookie.spaces) - set(assigned)):
        patch.append(PatchOp(op="del", type="space", id=space))
        del cookie.spaces[space]

    # 5. One snapshot: last mutation id and versions
    last_id = await store.last_mutation_id(request.client_id)
    current = await store.space_versions(assigned)

    # 6. A new sync round resets the progress counters
    if not any(p.in_round for p in cookie.spaces.values()):
        cookie.total = cookie.sent = 0

    # 7. Per space: start rounds, send pages within the budget
    budget = max(1, page_size)
    for space in assigned:
        cur = current.get(space, 0)
        prog = cookie.spaces.get(space)
        if prog is None or prog.done > cur or prog.target > cur:
            if prog is not None:  # the server is behind the cookie: resend the space
                patch.append(PatchOp(op="del", type="space", id=space))
            prog = cookie.spaces[space] = SpaceProgress(0, 0, None)
        if not prog.in_round and cur > prog.done:
            prog.target = cur
            prog.cursor = None
            cookie.total += await store.count_changed(space, prog.done, cur)
        if not prog.in_round or budget == 0:
            continue
        got = await store.changed(space, prog.done, prog.target, prog.cursor, budget + 1)
        page = got[:budget]
        patch.extend(render(rec) for rec in page)
        budget -= len(page)
        cookie.sent += len(page)
        if len(got) > len(page):
            last = page[-1]
            prog.cursor = (last.version, last.type, last.id)
        else:
            prog.done, prog.cursor = prog.target, None

    # 8. More while a round is in progress or a space moved on since its round started
    more = any(p.in_round or current.get(space, 0) > p.done
               for space, p in cookie.spaces.items())

    # 9. Rejections not yet delivered (only the actor's own)
    rows = await store.rejections(request.client_id, cookie.rejections)
    rejections = [RejectionOut(mutation_id=r.mutation_id, name=r.name, code=r.code,
                               reason=r.reason)
                  for r in rows if r.staff_id in (None, actor.staff_id)]
    if rows:
        cookie.rejections = max(cookie.rejections, *(r.mutation_id for r in rows))

    # 10. Answer
    return PullResponse(cookie=encode_cookie(cookie), last_mutation_id=last_id, patch=patch,
                        rejections=rejections, more=more, total=cookie.total, sent=cookie.sent)


def render_all(records: Sequence[Record]) -> dict[tuple[str, str], dict[str, Any]]:
    """Live records as a pull would leave them on a phone: (type, id) -> put data."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        op = render(rec)
        if op.op == "put" and op.data is not None:
            out[(rec.type, rec.id)] = op.data
    return out


__all__ = ["Cookie", "pull", "push", "render", "render_all"]
