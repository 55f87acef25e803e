# ruff: noqa: S608 - SQL here is assembled from the record mapping's own table and column
# names and numbered placeholders; every value travels as a bound parameter.
"""The sync store: :class:`sync.storage.PushStore` (here) and :class:`sync.storage.PullStore`
(:mod:`server.sync.pull_store`) on
SQLite and PostgreSQL, through the connection of the transaction that
:mod:`server.sync.service` opened (:mod:`server.sync.connections`).

Statements per push (whatever its size; a key.lend batch of 1,000 is the same handful):

  1. ``load_client``  — the sync_client row, created if missing, locked (PG ``FOR UPDATE``)
  2. ``spaces_of``    — one UNION ALL over the record tables named by the refs
  3. ``lock_spaces``  — one ``SELECT … ORDER BY space FOR UPDATE`` (+ one INSERT of missing
                        rows); SQLite holds its one write lock since ``BEGIN IMMEDIATE``
  4. ``load``         — one UNION ALL: by id and by lookup field, rows as Record JSON
  5. ``known_blobs``  — (only when mutations name blobs) one UNION: the person's uploads,
                        the declared blob columns and blob_ref rows of readable spaces
  6. ``write``        — one statement per table touched: sync_client, space_version, each
                        record table, blob_ref, audit_entry, sync_conflict, sync_rejection

A pull page is three or four statements: versions, keys of the page, its records as JSON,
rejections. Record ↔ table mapping: :mod:`server.sync.records`; SQL: :mod:`server.sync.sql`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from server.sync import sql, sql_write
from server.sync.connections import Connection, Op
from server.sync.records import TABLES, RecordTable, table_of
from server.sync.sql import (
    BIGINT_MAX,
    NIL_UUID,
    POSTGRES,
    Params,
    as_str,
    clamp_bigint,
    decode_records,
    id_out,
    is_sha256,
    is_uuid,
    json_text,
    parse_time,
    printable,
    q,
)
from sync.context import Principal
from sync.storage import ClientState, Lookup, PushWrite, Record, Ref

BLOB_REF_NS = uuid.UUID("2d0c6c1e-7f2a-5b8e-9c3d-4a5b6c7d8e9f")

# blobs looked up among the records by one query (a push naming more makes more queries)
BLOB_LOOKUPS_PER_QUERY = 100


class SqlPushStore:
    """One push transaction (PostgreSQL READ COMMITTED with row locks, SQLite
    ``BEGIN IMMEDIATE``), opened by the caller."""

    def __init__(self, conn: Connection, actor: Principal, server_time: datetime) -> None:
        self.conn = conn
        self.d = conn.dialect
        self.actor = actor
        self.server_time = server_time
        self._uuids: set[str] = set()  # ids already checked by is_uuid in this push
        # records looked up by id in this transaction and not found (SQLite: nobody else can
        # write until it ends, so they are inserts, not upserts)
        self._absent: set[tuple[str, str]] = set()

    def _is_uuid(self, value: str) -> bool:
        if value in self._uuids:
            return True
        if is_uuid(value):
            self._uuids.add(value)
            return True
        return False

    def _time(self, value: Any) -> Any:
        dt = parse_time(value)
        return dt if self.d is POSTGRES or dt is None else str(dt)

    async def load_client(self, client_id: str) -> ClientState | None:
        """The client's row, locked. A client seen for the first time gets its row now
        (last_mutation_id 0), so that two first pushes of one client serialise on it."""
        d = self.d
        lock = " FOR UPDATE" if d is POSTGRES else ""
        select = (f"SELECT staff, device, last_mutation_id FROM sync_client "
                  f"WHERE client_id = {d.ph(1)}{lock}")
        rows = await self.conn.fetch(select, [client_id])
        if not rows:
            await self.conn.execute(
                f"INSERT INTO sync_client (client_id, staff, device, last_mutation_id, "
                f"created_at) VALUES ({d.ph(1)}, {d.ph(2)}, {d.ph(3)}, 0, {d.ph(4)}) "
                f"ON CONFLICT (client_id) DO NOTHING",
                [client_id, self.actor.staff_id, self.actor.device_id,
                 self._time(self.server_time)])
            rows = await self.conn.fetch(select, [client_id])
        staff, device, last = rows[0]
        return ClientState(client_id=client_id, staff_id=as_str(staff),
                           device_id=None if device is None else as_str(device),
                           last_mutation_id=int(last))

    async def spaces_of(self, refs: Sequence[Ref]) -> dict[Ref, str]:
        by_type: dict[str, list[str]] = {}
        check = self._is_uuid
        for ref in refs:
            if ref.type in TABLES and check(ref.id):
                by_type.setdefault(ref.type, []).append(ref.id)
        if not by_type:
            return {}
        p = Params(self.d)
        parts = [
            f"SELECT '{t}', {id_out(self.d)}, space FROM {q(TABLES[t].table)} "
            f"WHERE {p.add_list('id', 'uuid', ids)}"
            for t, ids in sorted(by_type.items())
        ]
        rows = await self.conn.fetch(" UNION ALL ".join(parts), p.values)
        return {Ref(t, as_str(i)): s for t, i, s in rows}

    async def lock_spaces(self, spaces: Sequence[str]) -> dict[str, int]:
        wanted = sorted(set(spaces))
        if not wanted:
            return {}
        found = await self._select_versions(wanted, lock=True)
        missing = [s for s in wanted if s not in found]
        if missing:
            d = self.d
            if d is POSTGRES:
                insert = ("INSERT INTO space_version (space, version) "
                          "SELECT unnest($1::text[]), 0 ON CONFLICT (space) DO NOTHING")
            else:
                insert = ("INSERT INTO space_version (space, version) SELECT value, 0 "
                          "FROM json_each(?) WHERE true ON CONFLICT (space) DO NOTHING")
            await self.conn.execute(insert, [d.list_param(missing)])
            found.update(await self._select_versions(missing, lock=True))
        return found

    async def _select_versions(self, spaces: list[str], *, lock: bool) -> dict[str, int]:
        p = Params(self.d)
        cond = p.add_list("space", "text", spaces)
        tail = " ORDER BY space FOR UPDATE" if lock and self.d is POSTGRES else ""
        rows = await self.conn.fetch(
            f"SELECT space, version FROM space_version WHERE {cond}{tail}", p.values)
        return {s: int(v) for s, v in rows}

    async def load(self, refs: Sequence[Ref], lookups: Sequence[Lookup]) -> list[Record]:
        ids: dict[str, list[str]] = {}
        check = self._is_uuid
        for ref in refs:
            if ref.type in TABLES and check(ref.id):
                ids.setdefault(ref.type, []).append(ref.id)
        # type -> (column, where) -> values
        by_field: dict[str, dict[tuple[str, tuple[tuple[str, Any], ...]], list[Any]]] = {}
        for lk in lookups:
            t = table_of(lk.type)
            f = t.field(lk.field)
            if f.kind == "uuid" and not check(lk.value):
                continue  # no row can match
            by_field.setdefault(lk.type, {}).setdefault((f.column, lk.where), []).append(
                lk.value)
        p = Params(self.d)
        parts = []
        for type_ in sorted(set(ids) | set(by_field)):
            t = TABLES[type_]
            conds = []
            if type_ in ids:
                conds.append(p.add_list("id", "uuid", ids[type_]))
            for (column, where), values in sorted(by_field.get(type_, {}).items(),
                                                  key=lambda kv: repr(kv[0])):
                kind = next(f.kind for f in t.fields if f.column == column)
                cond = p.add_list(column, kind, values)
                if where:
                    cond = "(" + " AND ".join([cond, *(self._where(p, t, f, v)
                                                       for f, v in where)]) + ")"
                conds.append(cond)
            parts.append(f"SELECT {sql.cast_text(self.d, sql.record_json(self.d, type_))} "
                         f"FROM {q(t.table)} WHERE {' OR '.join(conds)}")
        if not parts:
            return []
        rows = await self.conn.fetch(" UNION ALL ".join(parts), p.values)
        records = decode_records([r[0] for r in rows])
        if self.d is not POSTGRES:
            # PostgreSQL (READ COMMITTED) could see another transaction insert one of them
            found = {(r.type, r.id) for r in records}
            self._absent.update(key for type_, type_ids in ids.items() for i in type_ids
                                if (key := (type_, i)) not in found)
        return records

    def _where(self, p: Params, t: RecordTable, field: str, want: Any) -> str:
        """One condition of :attr:`sync.storage.Lookup.where` (as ``Lookup.matches``)."""
        f = t.field(field)
        c = q(f.column)
        if want is None:
            return f"{c} IS NULL"
        if want is True or want is False:
            if f.kind != "bool":
                raise ValueError(f"Lookup.where: {t.type}.{field} is not a bool")
            if self.d is POSTGRES:
                return f"COALESCE({c}, false)" if want else f"NOT COALESCE({c}, false)"
            return f"COALESCE({c}, 0) {'<>' if want else '='} 0"
        if f.kind != "text":
            raise ValueError(f"Lookup.where: only null, bool and text conditions ({field})")
        return f"{c} = {p.add(want)}"

    async def known_blobs(self, shas: Sequence[str], staff_id: str,
                          spaces: frozenset[str]) -> set[str]:
        wanted = sorted({sha for sha in shas if is_sha256(sha)})
        if not wanted:
            return set()
        # 1. what the person uploaded (the usual case: a phone uploads what it names)
        p = Params(self.d)
        rows = await self.conn.fetch(
            f"SELECT sha256 FROM blob_upload WHERE {p.add_list('sha256', 'text', wanted)} "
            f"AND staff = {p.add(staff_id if is_uuid(staff_id) else NIL_UUID)}", p.values)
        found = {str(r[0]) for r in rows}
        missing = [sha for sha in wanted if sha not in found]
        if not missing:
            return found
        # 2. the rest: named by a record the person may read — one row each at most (a
        # photo named by thousands of records must not be read thousands of times)
        readable = sorted(spaces)
        for start in range(0, len(missing), BLOB_LOOKUPS_PER_QUERY):
            p = Params(self.d)
            parts = []
            for sha in missing[start:start + BLOB_LOOKUPS_PER_QUERY]:
                for t in TABLES.values():
                    for column in t.blob_columns:
                        parts.append(
                            f"SELECT * FROM (SELECT {q(column)} FROM {q(t.table)} "
                            f"WHERE {q(column)} = {p.add(sha)} "
                            f"AND {p.add_list('space', 'text', readable)} LIMIT 1) AS b")
                parts.append(f"SELECT * FROM (SELECT sha256 FROM blob_ref "
                             f"WHERE sha256 = {p.add(sha)} "
                             f"AND {p.add_list('space', 'text', readable)} LIMIT 1) AS b")
            rows = await self.conn.fetch(" UNION ALL ".join(parts), p.values)
            found |= {str(r[0]) for r in rows}
        return found

    async def write(self, batch: PushWrite) -> None:
        """Every effect of the push as one batch of statements (one per table)."""
        d = self.d
        now = self._time(self.server_time)
        c = batch.client
        ops: list[Op] = []
        if c is not None:
            ops.append((
                # the client's last_mutation_id, in the same transaction as the effects
                "exec",
                f"INSERT INTO sync_client (client_id, staff, device, last_mutation_id, "
                f"created_at, last_push_at) VALUES ({d.ph(1)}, {d.ph(2)}, {d.ph(3)}, "
                f"{d.ph(4)}, {d.ph(5)}, {d.ph(6)}) ON CONFLICT (client_id) DO UPDATE SET "
                f"last_mutation_id = excluded.last_mutation_id, device = excluded.device, "
                f"last_push_at = excluded.last_push_at",
                [c.client_id, c.staff_id, c.device_id, clamp_bigint(c.last_mutation_id), now,
                 now],
            ))
        # the spaces' new versions (their rows are locked since lock_spaces)
        if batch.versions:
            rows = [(v, s) for s, v in sorted(batch.versions.items())]
            if d is POSTGRES:
                ops.append(("exec", "UPDATE space_version AS s SET version = v.version "
                            "FROM unnest($1::int8[], $2::text[]) AS v(version, space) "
                            "WHERE s.space = v.space",
                            [[r[0] for r in rows], [r[1] for r in rows]]))
            else:
                ops.append(("rows", "UPDATE space_version SET version = ? WHERE space = ?",
                            rows))
        # records, one upsert per table
        by_type: dict[str, dict[str, Record]] = {}
        for rec in batch.puts:
            if not table_of(rec.type).writable:
                raise ValueError(f"records of type {rec.type!r} are not written by pushes")
            by_type.setdefault(rec.type, {})[rec.id] = rec
        pg = d is POSTGRES

        def rows_op(query: str, json_query: str, columns: Sequence[sql.Column],
                    rows: list[tuple[Any, ...]]) -> Op:
            # PostgreSQL: the rows as one jsonb parameter when they have an exact JSON form
            payload = sql_write.pg_json_rows(rows, columns) if pg and rows else None
            return ("rows", query, rows) if payload is None else ("exec", json_query,
                                                                   [payload])

        absent = self._absent
        for type_, recs in sorted(by_type.items()):
            upsert = sql_write.upsert_for(d, type_)
            # SQLite: records this transaction found missing are plain INSERTs (an upsert
            # costs about twice as much with foreign keys on), the others upserts
            new = [r for r in recs.values() if (type_, r.id) in absent] if absent else []
            old = [r for r in recs.values() if (type_, r.id) not in absent] if new else list(
                recs.values())
            if new:
                ops.append(("rows", upsert.insert_sql, upsert.rows(new, self.server_time, d)))
            if old:
                ops.append(rows_op(upsert.sql, upsert.json_sql, upsert.columns,
                                   upsert.rows(old, self.server_time, d)))
        refs = self._blob_refs(by_type)
        if refs:
            ops.append(("rows", sql_write.insert_sql(d, "blob_ref"), refs))
        ops.append(rows_op(sql_write.insert_sql(d, "audit_entry"),
                           sql_write.insert_json_sql("audit_entry") if pg else "",
                           sql_write.insert_columns("audit_entry"),
                           self._audit_rows(batch, now)))
        ops.append(("rows", sql_write.insert_sql(d, "sync_conflict"), [
            (r.id, r.kind, r.space, batch.versions.get(r.space, 0), r.record_type,
             json_text(r.record_ids), json_text(r.details), json_text(r.staff_ids), "open",
             "", "", self._time(r.created_at) or now)
            for r in batch.conflicts
        ]))
        ops.append(("rows", sql_write.insert_sql(d, "sync_rejection"), [
            (rid, r.client_id, clamp_bigint(r.mutation_id), printable(r.name),
             r.code, printable(r.reason), json_text(r.args),
             r.staff_id if is_uuid(r.staff_id) else None, r.space, "open", "",
             self._time(r.created_at) or now, printable(r.field)[:120])
            for rid, r in zip(sql.uuid7_batch(len(batch.rejections)), batch.rejections,
                              strict=True)
        ]))
        await self.conn.run_all(ops)

    def _blob_refs(self, by_type: dict[str, dict[str, Record]]) -> list[tuple[Any, ...]]:
        """blob_ref rows for the hashes in list fields (a record's photos): who may see a
        blob is decided by the records that name it."""
        out = []
        for type_, recs in by_type.items():
            lists = TABLES[type_].blob_lists
            if not lists:
                continue
            for rec in recs.values():
                for name in lists:
                    for sha in rec.data.get(name) or ():
                        if is_sha256(sha):
                            out.append((str(uuid.uuid5(BLOB_REF_NS, f"{type_}:{rec.id}:{sha}")),
                                        sha, type_, rec.id, rec.space))
        return out

    def _audit_rows(self, batch: PushWrite, now: Any) -> list[tuple[Any, ...]]:
        versions = batch.versions
        time = sql.sqlite_time if self.d is not POSTGRES else parse_time
        ids = sql.uuid7_batch(len(batch.audit))
        encode = sql.json_encode
        # the same for every row of a push (server time), or for runs of rows (a mutation's
        # records share space, action, staff, device, client, device time)
        server_times: dict[str, Any] = {}
        device_times: dict[str | None, Any] = {}
        space_versions: dict[str, int] = {}
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        for id_, a in zip(ids, batch.audit, strict=True):
            server_time = server_times.get(a.server_time)
            if server_time is None:
                server_time = server_times[a.server_time] = time(a.server_time) or now
            device_time = a.device_time
            dt = device_times.get(device_time, device_times)
            if dt is device_times:
                dt = device_times[device_time] = time(device_time)
            space = a.space
            version = space_versions.get(space)
            if version is None:
                version = space_versions[space] = versions.get(space, 0)
            mid = a.mutation_id
            action = a.action
            hlc = a.device_hlc
            append((
                id_, a.record_type, a.record_id, space, version,
                action if len(action) <= 60 else action[:60], a.staff_id, a.device_id,
                a.client_id,
                None if mid is None else (mid if -BIGINT_MAX <= mid <= BIGINT_MAX
                                          else clamp_bigint(mid)),
                hlc if len(hlc) <= 32 else hlc[:32], dt, server_time,
                encode(a.changes).decode(),
            ))
        return rows
