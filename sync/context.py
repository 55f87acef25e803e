"""What a mutator sees: the acting person, an overlay view of records, and the few verbs a
mutator may use (get, find, insert, update, correct, conflict).

The same :class:`Context` runs on the server (inside :func:`sync.engine.push`, with audit and
conflicts recorded) and in the reference client (optimistic apply over the local replica,
without them), so a domain writes its rules once.

Records are treated as immutable: :meth:`Context.update` makes a new :class:`Record` (a shallow
copy of its ``data``) and never touches the one it was given, so the rows a store handed to the
engine stay as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from sync.errors import TryAgain
from sync.lww import merge_fields
from sync.storage import AuditRow, ConflictRow, Record, Ref

Key = tuple[str, str]  # (record type, record id)

_CONFLICT_NS = uuid.UUID("6f1d0c3e-4b7a-5c2e-9a8d-3e1f2b4c5d6e")

def iso(dt: datetime) -> str:
    """The one spelling of a datetime in records: ISO-8601 in UTC, as
    ``datetime.astimezone(UTC).isoformat()`` writes it (``2025-01-06T01:00:00+00:00``) — the
    form the server's databases hand back, so a stored value compares equal after a round
    trip. Phones show local time."""
    return (dt if dt.tzinfo is UTC else dt.astimezone(UTC)).isoformat()


class Principal(msgspec.Struct, frozen=True):
    """Who is acting: the server builds it from the bearer token (never from the request
    body). ``sites`` are the site ids (spaces) the person may read and write; an office admin
    may be given every site."""

    staff_id: str
    role: str
    sites: frozenset[str]
    device_id: str | None = None


class View:
    """Records as of "now" within one push: ``base`` (what the store loaded, or the client's
    replica) overlaid with the records changed by the mutations applied so far.

    Strict views (the server's: ``refs``/``lookups`` given, as (type, id) and
    (type, field, value) tuples) know what was loaded and refuse other reads, because an
    answer from records that were never loaded would be silently wrong; a mutator declares
    what it reads in its spec's ``refs``/``lookups``.
    """

    __slots__ = ("_indexes", "_lookups", "_refs", "base", "changed")

    def __init__(
        self,
        base: Mapping[Key, Record],
        *,
        refs: set[Key] | None = None,
        lookups: set[tuple[str, str, Any]] | None = None,
    ) -> None:
        self.base = base
        self.changed: dict[Key, Record] = {}
        self._refs = refs
        self._lookups = lookups
        # (type, field) -> value -> ids (dict as an ordered set); built on first use
        self._indexes: dict[tuple[str, str], dict[Any, dict[str, None]]] = {}

    def get(self, type_: str, id_: str) -> Record | None:
        key = (type_, id_)
        rec = self.changed.get(key)
        if rec is not None:
            return rec
        if self._refs is not None and key not in self._refs:
            raise LookupError(f"{type_}/{id_} was not declared in the mutation's refs")
        return self.base.get(key)

    def find(self, type_: str, field: str, value: Any) -> list[Record]:
        if self._lookups is not None and (type_, field, value) not in self._lookups:
            raise LookupError(f"lookup {type_}.{field}={value!r} was not declared")
        index = self._indexes.get((type_, field))
        if index is None:
            index = self._build_index(type_, field)
        ids = index.get(value)
        if not ids:
            return []
        out = []
        for id_ in ids:
            key = (type_, id_)
            rec = self.changed.get(key) or self.base.get(key)
            if rec is not None:
                out.append(rec)
        return out

    def _build_index(self, type_: str, field: str) -> dict[Any, dict[str, None]]:
        index: dict[Any, dict[str, None]] = {}
        for rec in self.records():
            if rec.type == type_:
                index.setdefault(rec.data.get(field), {})[rec.id] = None
        self._indexes[(type_, field)] = index
        return index

    def put(self, rec: Record, before: Record | None) -> None:
        self.changed[(rec.type, rec.id)] = rec
        for (t, field), index in self._indexes.items():
            if t != rec.type:
                continue
            new = rec.data.get(field)
            if before is not None:
                old = before.data.get(field)
                if old == new:
                    continue
                ids = index.get(old)
                if ids is not None:
                    ids.pop(rec.id, None)
            index.setdefault(new, {})[rec.id] = None

    def records(self) -> Iterator[Record]:
        """Every record of the view, changed ones in their latest state."""
        for key, rec in self.base.items():
            if key not in self.changed:
                yield rec
        yield from self.changed.values()


class ViewSpaces(Mapping[Ref, str]):
    """A ``Mapping[Ref, str]`` (ref -> space) over a view, for ``spec.space`` on the client."""

    def __init__(self, view: View) -> None:
        self._view = view

    def __getitem__(self, ref: Ref) -> str:
        rec = self._view.get(ref.type, ref.id)
        if rec is None:
            raise KeyError(ref)
        return rec.space

    def __iter__(self) -> Iterator[Ref]:
        return (Ref(r.type, r.id) for r in self._view.records())

    def __len__(self) -> int:
        return sum(1 for _ in self._view.records())


class Context:
    """The mutator's handle. One per push; :meth:`begin` starts each mutation, then
    :meth:`commit` or :meth:`rollback` ends it (a rejected mutation leaves no trace)."""

    def __init__(
        self,
        view: View,
        actor: Principal,
        *,
        client_id: str,
        server_time: str = "",
        record_audit: bool = True,
    ) -> None:
        self.view = view
        self.actor = actor
        self.client_id = client_id
        self.server_time = server_time
        self.record_audit = record_audit
        # accumulated over the push
        self.audit: list[AuditRow] = []
        self.conflicts: list[ConflictRow] = []
        self.changed_spaces: set[str] = set()
        # the current mutation
        self.mutation_id = 0
        self.name = ""
        self.space = ""
        self.hlc = ""
        self.device_hlc = ""
        self.device_time: str | None = None
        self._staged: dict[Key, Record] = {}
        self._before: dict[Key, Record | None] = {}
        self._touched: dict[Key, set[str] | None] = {}
        self._conflicts: list[ConflictRow] = []

    # --- lifecycle (engine/client) ----------------------------------------------------------

    def begin(
        self,
        mutation_id: int,
        name: str,
        space: str,
        hlc: str,
        device_hlc: str = "",
        device_time: str | None = None,
    ) -> None:
        self.mutation_id = mutation_id
        self.name = name
        self.space = space
        self.hlc = hlc
        self.device_hlc = device_hlc or hlc
        self.device_time = device_time
        if self._staged or self._conflicts:
            self.rollback()

    def commit(self) -> int:
        """Make the current mutation's effects visible to the next ones; returns the number of
        conflicts it raised."""
        staged = self._staged
        if staged:
            view = self.view
            before_of = self._before
            audit = self.audit if self.record_audit else None
            for key, rec in staged.items():
                before = before_of[key]
                view.put(rec, before)
                self.changed_spaces.add(rec.space)
                if audit is not None:
                    audit.append(self._audit_row(rec, before, self._touched[key]))
            staged.clear()
            before_of.clear()
            self._touched.clear()
        raised = len(self._conflicts)
        if raised:
            for row in self._conflicts:
                self.changed_spaces.add(row.space)
            self.conflicts.extend(self._conflicts)
            self._conflicts.clear()
        return raised

    def rollback(self) -> None:
        self._staged.clear()
        self._before.clear()
        self._touched.clear()
        self._conflicts.clear()

    # --- what mutators use ------------------------------------------------------------------

    def get(self, type_: str, id_: str) -> Record | None:
        rec = self._staged.get((type_, id_))
        return rec if rec is not None else self.view.get(type_, id_)

    def find(self, type_: str, field: str, value: Any) -> list[Record]:
        found = self.view.find(type_, field, value)
        if not self._staged:
            return found
        out = {r.id: self._staged.get((type_, r.id), r) for r in found}
        for (t, id_), rec in self._staged.items():
            if t == type_ and rec.data.get(field) == value:
                out[id_] = rec
            elif t == type_ and id_ in out:
                del out[id_]  # staged change moved it out of the lookup
        return list(out.values())

    def insert(
        self, type_: str, id_: str, data: dict[str, Any], *, lww: Iterable[str] = ()
    ) -> Record:
        """A new record in the mutation's space. ``lww`` names the fields later corrections
        merge by last-writer-wins (their ``field_hlc`` starts at this mutation's HLC)."""
        space = self._writable_space(self.space)
        key = (type_, id_)
        if key in self._staged or self.view.get(type_, id_) is not None:
            raise ValueError(f"{type_}/{id_} exists; check before inserting")
        rec = Record(type_, id_, space, 0, data, dict.fromkeys(lww, self.hlc) if lww else {})
        self._staged[key] = rec
        self._before[key] = None
        self._touched[key] = None
        return rec

    def update(
        self,
        rec: Record,
        changes: Mapping[str, Any],
        *,
        deleted: bool | None = None,
        field_hlc: dict[str, str] | None = None,
    ) -> Record:
        """A new version of ``rec`` with ``changes`` applied (fields whose value is unchanged
        are ignored; with nothing to change, ``rec`` is returned as is)."""
        data = rec.data
        diff = {f: v for f, v in changes.items() if f not in data or data[f] != v}
        new_deleted = rec.deleted if deleted is None else deleted
        new_hlc = rec.field_hlc if field_hlc is None else field_hlc
        if not diff and new_deleted == rec.deleted and new_hlc == rec.field_hlc:
            return rec
        self._writable_space(rec.space)
        key = (rec.type, rec.id)
        new = Record(rec.type, rec.id, rec.space, rec.version, {**data, **diff}, new_hlc,
                     new_deleted)
        if key not in self._staged:
            self._before[key] = rec
            self._touched[key] = set(diff)
        else:
            touched = self._touched[key]
            if touched is not None:
                touched.update(diff)
        self._staged[key] = new
        return new

    def correct(self, rec: Record, fields: Mapping[str, Any]) -> Record:
        """Apply a correction field by field, last writer (by HLC) wins; each losing value is
        kept in a ``field_overwritten`` conflict."""
        merge = merge_fields(rec.data, rec.field_hlc, fields, self.hlc)
        new = self.update(rec, merge.changes, field_hlc=merge.field_hlc)
        if merge.lost:
            self.conflict(
                "field_overwritten",
                record_type=rec.type,
                record_ids=[rec.id],
                details={
                    "fields": {
                        o.field: {"lost": o.value, "lost_hlc": o.hlc,
                                  "kept": o.kept_value, "kept_hlc": o.kept_hlc}
                        for o in merge.lost
                    },
                    "by": self.actor.staff_id,
                    "device": self.actor.device_id,
                    "mutation": self.name,
                    "client_id": self.client_id,
                    "mutation_id": self.mutation_id,
                },
                staff_ids=[self.actor.staff_id],
            )
        return new

    def conflict(
        self,
        kind: str,
        *,
        record_type: str,
        record_ids: list[str],
        details: dict[str, Any],
        staff_ids: Sequence[str | None],
    ) -> None:
        """Flag an invariant break that was applied anyway (both facts are kept)."""
        if not self.record_audit:
            return
        self._writable_space(self.space)
        n = len(self.conflicts) + len(self._conflicts)
        cid = uuid.uuid5(_CONFLICT_NS, f"{self.client_id}:{self.mutation_id}:{n}")
        self._conflicts.append(ConflictRow(
            id=str(cid), kind=kind, space=self.space, record_type=record_type,
            record_ids=record_ids, details=details,
            staff_ids=list(dict.fromkeys(s for s in staff_ids if s)),
            created_at=self.server_time,
        ))

    # --- internals --------------------------------------------------------------------------

    def _writable_space(self, space: str) -> str:
        if space == self.space and space:
            return space
        if not self.space:
            # the mutation's space was unknown before the locks (its records did not exist
            # yet): a concurrent push created them; retry the whole push
            raise TryAgain("records changed during the push; retry")
        raise RuntimeError(
            f"{self.name} wrote into space {space!r} but its space is {self.space!r}"
        )

    def _audit_row(self, rec: Record, before: Record | None, touched: set[str] | None) -> AuditRow:
        if before is None or touched is None:
            changes = {f: [None, v] for f, v in rec.data.items()}
        else:
            changes = {f: [before.data.get(f), rec.data.get(f)] for f in touched}
            if before.deleted != rec.deleted:
                changes["deleted"] = [before.deleted, rec.deleted]
        actor = self.actor
        return AuditRow(
            rec.type, rec.id, rec.space, self.name, changes, actor.staff_id, actor.device_id,
            self.client_id, self.mutation_id, self.device_hlc, self.device_time,
            self.server_time,
        )
