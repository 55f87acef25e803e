# ruff: noqa: S608 - SQL assembled from the record mapping's names; values are bound.
"""The pull side of the SQL sync store (:class:`sync.storage.PullStore`): one pull, read in
one snapshot. The push side and the helpers both share: :mod:`server.sync.store`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from server.sync import sql
from server.sync.connections import Connection
from server.sync.records import TABLES, TYPES_SORTED
from server.sync.sql import (
    NIL_UUID,
    POSTGRES,
    Params,
    as_str,
    clamp_bigint,
    decode_records,
    decode_rejections,
    id_out,
    is_uuid,
    q,
)
from sync.buckets import PEOPLE_FIELD, UNIT_FIELD, Jobs
from sync.storage import Record, RejectionRow


def _has_unit(type_: str) -> bool:
    return any(c.name == UNIT_FIELD for c in TABLES[type_].fields)


def _has_people(type_: str) -> bool:
    return any(c.name == PEOPLE_FIELD for c in TABLES[type_].fields)


def _types(unit: str | None) -> tuple[str, ...]:
    """The record types a page of a space (``unit`` None) or of a unit's bucket reads: types
    without a unit field belong to the bucket with no unit only (:mod:`sync.buckets`)."""
    if not unit:
        return TYPES_SORTED
    return tuple(t for t in TYPES_SORTED if _has_unit(t))


class SqlPullStore:
    """One pull, read in one snapshot (PostgreSQL REPEATABLE READ READ ONLY; SQLite one
    read transaction), opened by the caller."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.d = conn.dialect

    async def client_staff(self, client_id: str) -> str | None:
        rows = await self.conn.fetch(
            f"SELECT staff FROM sync_client WHERE client_id = {self.d.ph(1)}", [client_id])
        return as_str(rows[0][0]) if rows else None

    async def last_mutation_id(self, client_id: str) -> int:
        rows = await self.conn.fetch(
            f"SELECT last_mutation_id FROM sync_client WHERE client_id = {self.d.ph(1)}",
            [client_id])
        return int(rows[0][0]) if rows else 0

    async def space_versions(self, spaces: Sequence[str]) -> dict[str, int]:
        if not spaces:
            return {}
        p = Params(self.d)
        cond = p.add_list("space", "text", list(spaces))
        rows = await self.conn.fetch(
            f"SELECT space, version FROM space_version WHERE {cond}", p.values)
        return {s: int(v) for s, v in rows}

    def _range(self, p: Params, space: str, after_version: int, upto_version: int,
               type_: str = "", unit: str | None = None, staff: str = "") -> str:
        cond = (f"space = {p.add(space)} AND version > {p.add(clamp_bigint(after_version))} "
                f"AND version <= {p.add(clamp_bigint(upto_version))}")
        if unit is not None and _has_unit(type_):
            cond += f" AND unit = {p.add(unit)}" if unit else " AND unit IS NULL"
        elif unit is not None and staff and _has_people(type_):
            # a conflict reaches a bucket's reader only when it names them (sync.buckets)
            people = ("json_each(staff_ids)" if self.d is not POSTGRES
                      else "json_array_elements_text(staff_ids) AS value")
            cond += f" AND EXISTS (SELECT 1 FROM {people} WHERE value = {p.add(staff)})"
        return cond

    async def job_units(self, jobs: Sequence[Jobs], staff_id: str, sites: Sequence[str],
                        now: datetime) -> set[tuple[str, str]]:
        d = self.d
        out: set[tuple[str, str]] = set()
        for j in jobs:
            t = TABLES[j.record_type]
            col = {c.name: c for c in t.fields}
            recent = col[j.recent_field]
            p = Params(d)
            where = (f"{q(col[j.person_field].column)} = {p.add(staff_id)} "
                     f"AND {p.add_list(col[j.site_field].column, 'uuid', list(sites))} "
                     f"AND {q(col[j.unit_field].column)} IS NOT NULL "
                     f"AND ({p.add_list(col[j.open_field].column, 'text', list(j.open_values))}"
                     f" OR {q(recent.column)} >= {p.add(d.converter(recent)(j.since(now)))})")
            rows = await self.conn.fetch(
                f"SELECT DISTINCT {q(col[j.site_field].column)}, "
                f"{q(col[j.unit_field].column)} FROM {q(t.table)} WHERE {where}", p.values)
            out |= {(as_str(site), as_str(unit)) for site, unit in rows}
        return out

    async def changed(
        self,
        space: str,
        after_version: int,
        upto_version: int,
        after: tuple[int, str, str] | None,
        limit: int,
        unit: str | None = None,
        staff: str = "",
    ) -> list[Record]:
        d = self.d
        # 1. the page's keys, in (version, type, id) order, without building any JSON
        p = Params(d)
        parts = []
        for type_ in _types(unit):
            cond = self._range(p, space, after_version, upto_version, type_, unit, staff)
            if after is not None:
                cv, ct, cid = clamp_bigint(after[0]), after[1], after[2]
                if type_ < ct:
                    cond += f" AND version > {p.add(cv)}"
                elif type_ > ct:
                    cond += f" AND version >= {p.add(cv)}"
                else:
                    cid = cid if is_uuid(cid) else NIL_UUID
                    cond += (f" AND (version > {p.add(cv)} OR "
                             f"(version = {p.add(cv)} AND id > {p.add(cid)}))")
            parts.append(f"SELECT version AS v, '{type_}' AS t, {id_out(d)} AS i "
                         f"FROM {q(TABLES[type_].table)} WHERE {cond}")
        collate = ' COLLATE "C"' if d is POSTGRES else ""
        keys = await self.conn.fetch(
            f"SELECT v, t, i FROM ({' UNION ALL '.join(parts)}) AS page "
            f"ORDER BY v, t{collate}, i LIMIT {p.add(max(0, min(limit, 1_000_000)))}",
            p.values)
        if not keys:
            return []
        # 2. those records as JSON, in one statement
        ids: dict[str, list[str]] = {}
        for _v, t, i in keys:
            ids.setdefault(t, []).append(as_str(i))
        p = Params(d)
        parts = [
            f"SELECT {sql.cast_text(d, sql.record_json(d, t))} FROM {q(TABLES[t].table)} "
            f"WHERE {p.add_list('id', 'uuid', type_ids)}"
            for t, type_ids in sorted(ids.items())
        ]
        rows = await self.conn.fetch(" UNION ALL ".join(parts), p.values)
        found = {(r.type, r.id): r for r in decode_records([r[0] for r in rows])}
        out = []
        for _v, t, i in keys:
            rec = found.get((t, as_str(i)))
            if rec is not None:
                out.append(rec)
        return out

    async def count_changed(self, space: str, after_version: int, upto_version: int,
                            unit: str | None = None, staff: str = "") -> int:
        p = Params(self.d)
        parts = [
            f"(SELECT count(*) FROM {q(TABLES[t].table)} "
            f"WHERE {self._range(p, space, after_version, upto_version, t, unit, staff)})"
            for t in _types(unit)
        ]
        rows = await self.conn.fetch("SELECT " + " + ".join(parts), p.values)
        return int(rows[0][0])

    async def rejections(self, client_id: str, after_mutation_id: int) -> list[RejectionRow]:
        d = self.d
        created = sql.Column("", "created_at", "ts")
        obj = d.obj([
            ("client_id", "client_id"), ("mutation_id", "mutation_id"), ("name", "name"),
            ("code", "code"), ("reason", "reason"), ("field", "field"),
            ("args", "args" if d is POSTGRES else "json(args)"),
            ("staff_id", "staff"), ("space", "space"), ("created_at", d.value(created)),
        ])
        rows = await self.conn.fetch(
            f"SELECT {sql.cast_text(d, obj)} FROM sync_rejection "
            f"WHERE client_id = {d.ph(1)} AND mutation_id > {d.ph(2)} ORDER BY mutation_id",
            [client_id, clamp_bigint(after_mutation_id)])
        if not rows:
            return []
        return decode_rejections.decode("[" + ",".join(r[0] for r in rows) + "]")
