"""The office's writes to synced reference records (sites, buildings, units, residents): one
transaction that bumps the space version (phones pull by it), stamps the row with it, and
writes the audit trail (who, when, each field before and after) — the same audit rows the
sync engine writes for phones, so a record's history shows both."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from piccolo.table import Table

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.sync.spaces import bump, bump_for
from server.sync.tables import AuditEntry
from sync.kit.records import RecordType


class RefList(Protocol):
    """What a write needs of a list (:class:`server.refdata.spec.RefList`)."""

    @property
    def type(self) -> RecordType: ...

    @property
    def table(self) -> builtins.type[Table]: ...

    def db_column(self, name: str) -> str: ...

CREATE, UPDATE = "office.create", "office.update"
DEACTIVATE, REACTIVATE = "office.deactivate", "office.reactivate"


def now() -> datetime:
    return datetime.now(UTC)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


async def _audit(lst: RefList, user: CurrentUser, record_id: str, space: str, version: int,
                 action: str, changes: dict[str, list[Any]]) -> None:
    await AuditEntry.insert(AuditEntry(
        id=uuid.uuid4(), record_type=lst.type.name, record_id=record_id, space=space,
        version=version, action=action, staff=user.id, device=None, client_id=None,
        mutation_id=None, device_hlc="", device_time=None, server_time=now(),
        changes=changes))


async def save(lst: RefList, user: CurrentUser, row: Mapping[str, Any] | None,
               values: Mapping[str, Any], record_id: str = "") -> str:
    """Create (``row`` None; with ``record_id`` when the form chose it) or update a record
    with checked ``values`` (declared field names); an update that changes nothing writes
    nothing."""
    t, table = lst.type, lst.table
    async with write_transaction():
        if row is None:
            record_id = record_id or str(uuid.uuid4())
            site = record_id if not t.site_field else str(values[t.site_field])
            space, version = await bump_for(t.name, site)
            columns = {lst.db_column(k): v for k, v in values.items()}
            await table.insert(table(id=record_id, space=space, version=version, **columns))
            await _audit(lst, user, record_id, space, version, CREATE,
                         {k: [None, _plain(v)] for k, v in values.items()})
            return record_id
        record_id = str(row["id"])
        changed = {k: [_plain(row.get(lst.db_column(k))), _plain(v)] for k, v in values.items()
                   if _plain(row.get(lst.db_column(k))) != _plain(v)}
        if not changed:
            return record_id
        version = await bump(row["space"])
        update = {getattr(table, lst.db_column(k)): v for k, v in values.items()}
        update[table.version] = version  # type: ignore[attr-defined]
        update[table.updated_at] = now()  # type: ignore[attr-defined]
        await table.update(update).where(table._meta.primary_key == record_id)
        await _audit(lst, user, record_id, row["space"], version, UPDATE, changed)
        return record_id


async def set_active(lst: RefList, user: CurrentUser, row: Mapping[str, Any], active: bool
                     ) -> None:
    """Deactivate (a tombstone for the phones) or reactivate a record; never delete it."""
    tomb = lst.type.tombstone
    assert tomb is not None and not tomb.in_data, f"{lst.type.name} has no active flag"
    flag = getattr(lst.table, tomb.flag)
    table = lst.table
    async with write_transaction():
        version = await bump(row["space"])
        await table.update({flag: active, table.version: version,  # type: ignore[attr-defined]
                            table.updated_at: now()}).where(  # type: ignore[attr-defined]
            table._meta.primary_key == row["id"])
        await _audit(lst, user, str(row["id"]), row["space"], version,
                     REACTIVATE if active else DEACTIVATE, {tomb.flag: [row[tomb.flag], active]})
