"""The office's writes through the phones' mutations: one transaction, the same rules, the
same audit, versions, conflicts and blob references as a push (:func:`sync.engine.
apply_office`). A form checks its values with :func:`check` (every problem at once, in the
office's words), then :func:`apply` runs the mutations; a rule that refuses raises
:class:`sync.errors.Reject`, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.db import is_postgres, write_transaction
from server.lib.i18n import gettext
from server.sync import service
from server.sync.connections import AioSqliteConnection, Connection, PgConnection
from server.sync.store import SqlPushStore
from sync import engine as sync_engine
from sync.domains import default_registry
from sync.engine import OfficeResult
from sync.kit.fields import Problem


def check(name: str, args: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
    """The mutation's arguments as the rules would store them, and every problem."""
    spec = default_registry().get(name)
    if spec is None:
        raise KeyError(name)
    return spec.decoder.problems(args)


def translated(problems: Sequence[Problem], fields: Mapping[str, str] | None = None
               ) -> dict[str, str]:
    """Problems as a form's errors: field -> message in the person's language (the first
    problem of each field). ``fields`` renames argument paths to form field names."""
    out: dict[str, str] = {}
    for p in problems:
        field = (fields or {}).get(p.field, p.field)
        out.setdefault(field, gettext(p.message, **p.params))
    return out


Then = Callable[[OfficeResult], Awaitable[None]]


class _DryRun(Exception):
    def __init__(self, result: OfficeResult) -> None:
        self.result = result


async def apply(user: CurrentUser, mutations: Sequence[tuple[str, Mapping[str, Any]]], *,
                then: Then | None = None, dry_run: bool = False) -> OfficeResult:
    """Run ``mutations`` as the office user, all in one transaction (the office's write
    transaction: ``then`` may write more in it with Piccolo, e.g. resolve the conflict a
    void settles), or none of them. ``dry_run``: only ask the rules (a form with other
    errors still learns what the rules would refuse); nothing is written."""
    actor = service.principal(user)
    engine = service.engine_of()

    async def attempt() -> OfficeResult:
        at = datetime.now(UTC)
        async with write_transaction() as tx:
            conn: Connection = (PgConnection(tx.connection) if is_postgres(engine)
                                else AioSqliteConnection(tx.connection))
            result = await sync_engine.apply_office(
                SqlPushStore(conn, actor, at), actor, mutations, registry=default_registry(),
                now=at, write=not dry_run)
            if dry_run:
                raise _DryRun(result)  # rolls the transaction back
            if then is not None:
                await then(result)
            return result

    try:
        return await service.with_retries(attempt, f"office action of {user.username}")
    except _DryRun as done:
        return done.result
