"""Pull (steps 1–10 of :mod:`sync.engine`'s docstring) and how a record is sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sync import SCHEMA_VERSION, buckets, streams
from sync.context import Principal
from sync.cookie import SpaceProgress, decode_cookie, encode_cookie
from sync.protocol import PatchOp, PullRequest, PullResponse, RejectionOut
from sync.push import check_schema
from sync.registry import Registry
from sync.storage import PullStore, Record

DEFAULT_PAGE_SIZE = 1000

RESERVED = ("space", "version", "hlc", "field_hlc")
"""Keys a pull adds to a record's data (no declared field may use them)."""


def render(rec: Record, reason_field: str = "") -> PatchOp:
    """A record as the pull sends it: ``put`` with its data plus ``space``, ``version`` and,
    for records with corrected fields, ``field_hlc`` (field -> HLC of its last write) and
    ``hlc`` (the newest of them); a tombstone as ``del`` (``data.reason`` when known)."""
    if rec.deleted:
        reason = rec.data.get(reason_field) if reason_field else None
        return PatchOp(op="del", type=rec.type, id=rec.id,
                       data={"reason": reason} if reason else None)
    data = {**rec.data, "space": rec.space, "version": rec.version}
    if rec.field_hlc:
        data["hlc"] = max(rec.field_hlc.values())
        data["field_hlc"] = rec.field_hlc
    return PatchOp(op="put", type=rec.type, id=rec.id, data=data)


async def pull(
    store: PullStore,
    actor: Principal,
    request: PullRequest,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    now: datetime | None = None,  # which finished jobs still count (sync.buckets)
    registry: Registry | None = None,
) -> PullResponse:
    # 1. Schema version
    check_schema(request.schema_version)

    # 2. The cookie (a bad one starts from nothing; another schema's restarts its spaces)
    cookie = decode_cookie(request.cookie, SCHEMA_VERSION)

    if registry is None:
        from sync.domains import default_registry

        registry = default_registry()

    # 3. The actor's spaces, and the buckets of the streams it reads filtered (its jobs' units)
    assigned = sorted(streams.readable_spaces(actor.role, actor.sites))
    if streams.filtered_streams(actor.role) and registry.jobs:
        units = await store.job_units(registry.jobs, actor.staff_id, sorted(actor.sites),
                                      now or datetime.now(UTC))
        assigned += buckets.buckets_of(actor.role, actor.sites, units)

    # 4. Spaces no longer assigned: delete them on the phone
    patch: list[PatchOp] = []
    for space in sorted(set(cookie.spaces) - set(assigned)):
        patch.append(PatchOp(op="del", type="space", id=space))
        del cookie.spaces[space]

    # 5. One snapshot: last mutation id and versions
    last_id = await store.last_mutation_id(request.client_id)
    parents = {b: buckets.parse(b) for b in assigned}
    current = await store.space_versions(sorted({space for space, _ in parents.values()}))
    current.update({b: current.get(space, 0) for b, (space, unit) in parents.items()
                    if unit is not None})

    reasons = _tombstone_reasons(registry)

    # 6. A new sync round resets the progress counters
    if not any(p.in_round for p in cookie.spaces.values()):
        cookie.total = cookie.sent = 0

    # 7. Per space: start rounds, send pages within the budget
    budget = max(1, page_size)
    staff = actor.staff_id
    for space in assigned:
        parent, unit = parents[space]
        cur = current.get(space, 0)
        prog = cookie.spaces.get(space)
        if prog is None or prog.done > cur or prog.target > cur:
            if prog is not None:  # the server is behind the cookie: resend the space
                patch.append(PatchOp(op="del", type="space", id=space))
            prog = cookie.spaces[space] = SpaceProgress(0, 0, None)
        if not prog.in_round and cur > prog.done:
            prog.target = cur
            prog.cursor = None
            cookie.total += await store.count_changed(parent, prog.done, cur, unit, staff)
        if not prog.in_round or budget == 0:
            continue
        got = await store.changed(parent, prog.done, prog.target, prog.cursor, budget + 1,
                                  unit, staff)
        page = got[:budget]
        patch.extend(render(rec, reasons.get(rec.type, "")) for rec in page)
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
                               reason=r.reason, field=r.field)
                  for r in rows if r.staff_id in (None, actor.staff_id)]
    if rows:
        cookie.rejections = max(cookie.rejections, *(r.mutation_id for r in rows))

    # 10. Answer
    return PullResponse(cookie=encode_cookie(cookie), last_mutation_id=last_id, patch=patch,
                        rejections=rejections, more=more, total=cookie.total, sent=cookie.sent)


def _tombstone_reasons(registry: Registry | None) -> dict[str, str]:
    if registry is None:
        from sync.domains import default_registry

        registry = default_registry()
    return {t.name: t.tombstone.reason for t in registry.records
            if t.tombstone is not None and t.tombstone.reason}


def render_all(records: Sequence[Record]) -> dict[tuple[str, str], dict[str, Any]]:
    """Live records as a pull would leave them on a phone: (type, id) -> put data."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        op = render(rec)
        if op.op == "put" and op.data is not None:
            out[(rec.type, rec.id)] = op.data
    return out

