"""The storage interface the server implements (and :mod:`sync.memory` implements in memory).

The engine (:mod:`sync.engine`) drives one push or one pull through these calls; each push
and each pull is one database transaction that the storage opens and commits. Calls are
batch-shaped on purpose: a push of 1,000 mutations makes a handful of queries, not thousands.

Records are seen by the engine as :class:`Record`: a type name, a UUID string, the space it
lives in, its version stamp, and its fields as JSON-compatible values (datetimes as ISO-8601
strings with offset, UUIDs as strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from sync.kit.records import matches

if TYPE_CHECKING:
    from sync.buckets import Jobs


class Record(msgspec.Struct):
    type: str
    id: str
    space: str
    version: int = 0
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    # field -> HLC string of the write that set it (last-writer-wins on corrections)
    field_hlc: dict[str, str] = msgspec.field(default_factory=dict)
    # True for records the office deactivated or voided: pulls send them as tombstones
    deleted: bool = False


class Ref(msgspec.Struct, frozen=True):
    """A record by type and id."""

    type: str
    id: str


class Lookup(msgspec.Struct, frozen=True):
    """Records of ``type`` whose ``field`` equals ``value`` (e.g. loans of one key).

    ``where`` narrows the lookup to records whose fields also match: ``(field, None)`` is
    "null/missing", ``(field, True|False)`` "truthy/falsy", anything else equality — e.g. only
    the key's OPEN loans instead of its whole history. It only bounds what a store loads: the
    view may still hold other records of the type (loaded by ref, or changed by the batch),
    so a rule re-checks the conditions on what :meth:`sync.context.Context.find` returns."""

    type: str
    field: str
    value: str
    where: tuple[tuple[str, Any], ...] = ()

    def matches(self, data: dict[str, Any]) -> bool:
        """Whether a record's ``data`` meets ``where`` (``field``/``value`` not checked)."""
        return all(matches(data.get(f), want) for f, want in self.where)


class ClientState(msgspec.Struct):
    client_id: str
    staff_id: str
    device_id: str | None
    last_mutation_id: int


class AuditRow(msgspec.Struct):
    record_type: str
    record_id: str
    space: str
    action: str
    changes: dict[str, list[Any]]  # field -> [before, after]
    staff_id: str | None
    device_id: str | None
    client_id: str | None
    mutation_id: int | None
    device_hlc: str
    device_time: str | None  # ISO-8601, from the HLC's physical part
    server_time: str  # ISO-8601


class ConflictRow(msgspec.Struct):
    id: str
    kind: str  # double_loan, double_return, return_before_loan, field_overwritten, …
    space: str
    record_type: str
    record_ids: list[str]
    details: dict[str, Any]  # both values, both times, who
    staff_ids: list[str]
    created_at: str


class RejectionRow(msgspec.Struct):
    client_id: str
    mutation_id: int
    name: str
    code: str
    reason: str
    args: dict[str, Any]
    staff_id: str | None
    space: str
    created_at: str
    field: str = ""  # the argument at fault, when one is


class PushWrite(msgspec.Struct):
    """Everything one push transaction writes, in one go."""

    client: ClientState | None  # with the new last_mutation_id (None: an office action)
    versions: dict[str, int]  # space -> its new version (only spaces that changed)
    puts: list[Record]  # inserts and updates, each stamped with its space's new version
    audit: list[AuditRow]
    conflicts: list[ConflictRow]
    rejections: list[RejectionRow]


class PushStore(Protocol):
    """One push transaction (the caller opens it: PostgreSQL READ COMMITTED + row locks,
    SQLite ``BEGIN IMMEDIATE``)."""

    async def load_client(self, client_id: str) -> ClientState | None:
        """The client's row, locked for the rest of the transaction (PostgreSQL FOR UPDATE)."""
        ...

    async def spaces_of(self, refs: Sequence[Ref]) -> dict[Ref, str]:
        """The space of each existing record among ``refs`` (missing ones are left out).
        A record's space never changes, so this may be read before the space locks."""
        ...

    async def lock_spaces(self, spaces: Sequence[str]) -> dict[str, int]:
        """Lock the version rows of ``spaces`` in sorted order (creating missing ones at 0)
        and return their current versions."""
        ...

    async def load(self, refs: Sequence[Ref], lookups: Sequence[Lookup]) -> list[Record]:
        """The current state of the records named by ``refs`` and matched by ``lookups``."""
        ...

    async def known_blobs(self, shas: Sequence[str], staff_id: str,
                          spaces: frozenset[str]) -> set[str]:
        """Those of ``shas`` that ``staff_id`` uploaded, or that a record in one of
        ``spaces`` names."""
        ...

    async def write(self, batch: PushWrite) -> None:
        """Write all effects of the push (records, audit, conflicts, rejections, versions,
        the client's last_mutation_id) in the open transaction."""
        ...


class PullStore(Protocol):
    """One pull, read in one snapshot."""

    async def last_mutation_id(self, client_id: str) -> int: ...

    async def space_versions(self, spaces: Sequence[str]) -> dict[str, int]: ...

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
        """Records of ``space`` with ``after_version < version <= upto_version`` in
        (version, type, id) order, strictly after the cursor ``after`` when given; with
        ``unit``, only those of that unit's bucket as ``staff`` reads it
        (:func:`sync.buckets.matches`)."""
        ...

    async def count_changed(self, space: str, after_version: int, upto_version: int,
                            unit: str | None = None, staff: str = "") -> int: ...

    async def job_units(self, jobs: Sequence[Jobs], staff_id: str, sites: Sequence[str],
                        now: datetime) -> set[tuple[str, str]]:
        """(site, unit) of the person's jobs at ``sites`` (:class:`sync.buckets.Jobs`)."""
        ...

    async def rejections(self, client_id: str, after_mutation_id: int) -> list[RejectionRow]: ...


def conflict_record(row: ConflictRow, version: int, status: str = "open") -> Record:
    """A conflict as the record that pulls send (type ``conflict``) to the devices of its
    space. The server stamps a conflict with ``PushWrite.versions[row.space]`` and returns it
    from :meth:`PullStore.changed` in this shape (again, with a new version, when the office
    resolves it)."""
    return Record(
        type="conflict",
        id=row.id,
        space=row.space,
        version=version,
        data={
            "kind": row.kind,
            "record_type": row.record_type,
            "record_ids": row.record_ids,
            "details": row.details,
            "staff_ids": row.staff_ids,
            "created_at": row.created_at,
            "status": status,
        },
    )
