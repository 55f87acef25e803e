# ruff: noqa: S608 - SQL assembled from the record mapping's names; values are bound.
"""The door controllers' change feed: the cards of one site changed since a cursor, each with
its latest state, in version order.

The cursor is the version of the site's ``cards`` space (:mod:`server.sync.spaces`): every
write to a card stamps it with a new version of its space in the transaction that makes the
change, so a change is in the feed the moment it is committed. A page is read exactly as a
phone's pull is (:func:`server.sync.service.pull_snapshot`): one snapshot (PostgreSQL
``REPEATABLE READ``; SQLite one read transaction) that first reads the space's version ``V``
and then only cards with a version up to ``V``. Writers take the space's version row lock
until they commit, so versions commit in order: when the snapshot sees ``V``, every version
below it is committed and visible too — a change allocated a version but not yet committed
is above ``V`` and comes in a later page, never skipped.

A page never splits one version (a cursor is a version): when a single change touched more
cards than the limit (an import), that version comes whole in its own page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.cards.door_state import door_state
from server.cards.door_tokens import Controller
from server.cards.tables import Card, CardIssue
from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.sync import service, sql
from server.sync.connections import Connection
from server.sync.pull_store import SqlPullStore
from server.sync.spaces import space_of
from server.sync.sql import BIGINT_MAX, Params, as_str, decode_records, id_out, q
from sync.domains.cards.records import CARD, ISSUE
from sync.storage import Record

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def _number(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    """A query parameter as an integer in ``low..high``, or a 400 naming it."""
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not low <= int(raw) <= high:
        raise ValidationFailed(
            _("{name} must be a whole number from {low} to {high}.", name=name, low=low,
              high=high), code=f"bad_{name}", detail={name: raw[:40]})
    return int(raw)


def cursor_of(raw: str | None) -> int:
    return _number("cursor", raw, 0, 0, BIGINT_MAX)


def limit_of(raw: str | None) -> int:
    return _number("limit", raw, DEFAULT_LIMIT, 1, MAX_LIMIT)


async def _keys(conn: Connection, space: str, cond: str, p: Params, limit: int | None
                ) -> list[tuple[int, str]]:
    # ``cond``'s parameters come first: SQLite's are positional
    where = f"{cond} AND space = {p.add(space)}"
    tail = f" LIMIT {p.add(limit)}" if limit is not None else ""
    rows = await conn.fetch(
        f"SELECT version, {id_out(conn.dialect)} FROM {q(Card._meta.tablename)} "
        f"WHERE {where} ORDER BY version, id{tail}", p.values)
    return [(int(v), as_str(i)) for v, i in rows]


async def _records(conn: Connection, type_: str, ids: list[str]) -> dict[str, Record]:
    if not ids:
        return {}
    d = conn.dialect
    p = Params(d)
    table = Card._meta.tablename if type_ == CARD else CardIssue._meta.tablename
    rows = await conn.fetch(
        f"SELECT {sql.cast_text(d, sql.record_json(d, type_))} FROM {q(table)} "
        f"WHERE {p.add_list('id', 'uuid', ids)}", p.values)
    return {r.id: r for r in decode_records([row[0] for row in rows])}


async def _page(conn: Connection, space: str, after: int, upto: int, limit: int
                ) -> tuple[list[tuple[int, str]], int, bool]:
    """The keys of the page after ``after`` (at most ``upto``), its next cursor and whether
    more follow."""
    p = Params(conn.dialect)
    keys = await _keys(conn, space, f"version > {p.add(after)} AND version <= {p.add(upto)}",
                       p, limit + 1)
    if len(keys) <= limit:
        return keys, upto, False  # everything up to the snapshot's version is in
    last = keys[limit - 1][0]
    if keys[limit][0] != last:
        return keys[:limit], last, True
    whole = [k for k in keys[:limit] if k[0] != last]
    if whole:  # the last version is cut: it starts the next page
        return whole, whole[-1][0], True
    p = Params(conn.dialect)  # one version bigger than the limit: the whole of it
    return await _keys(conn, space, f"version = {p.add(last)}", p, None), last, True


def _item(card: Record, issue: Record | None, at: datetime) -> dict[str, Any]:
    d = card.data
    i = issue.data if issue is not None else {}
    valid_until = i.get("valid_until")
    return {
        "id": card.id, "number": d.get("number", ""), "uid": d.get("uid", ""),
        "technology": d.get("technology", ""), "status": d.get("status", ""),
        "state": door_state(d.get("status", ""), valid_until, at),
        "valid_until": valid_until, "scope": list(i.get("scope") or []),
        "blacklisted_at": d.get("blacklisted_at"), "door_taken_at": d.get("door_taken_at"),
        "version": card.version,
    }


async def read(conn: Connection, site_id: str, cursor: int, limit: int, at: datetime
               ) -> dict[str, Any]:
    """One page of the feed, read in the snapshot ``conn`` is in."""
    space = space_of(CARD, site_id)
    upto = (await SqlPullStore(conn).space_versions([space])).get(space, 0)
    if cursor > upto:
        raise ValidationFailed(
            _("The cursor is ahead of this site's changes: start again from 0."),
            code="bad_cursor", detail={"cursor": cursor, "latest": upto})
    keys, next_cursor, more = await _page(conn, space, cursor, upto, limit)
    cards = await _records(conn, CARD, [i for _v, i in keys])
    issue_ids = sorted({str(c.data["issue_id"]) for c in cards.values()
                        if c.data.get("issue_id")})
    issues = await _records(conn, ISSUE, issue_ids)
    items = [_item(cards[i], issues.get(str(cards[i].data.get("issue_id"))), at)
             for _v, i in keys if i in cards]
    return {"site_id": site_id, "cursor": cursor, "next_cursor": next_cursor, "more": more,
            "latest": upto, "cards": items}


async def changes(controller: Controller, cursor: int, limit: int, at: datetime
                  ) -> dict[str, Any]:
    engine = service.engine_of()

    async def attempt() -> dict[str, Any]:
        async with service.pull_snapshot(engine) as conn:
            return await read(conn, controller.site_id, cursor, limit, at)

    return await service.with_retries(attempt, f"door feed of {controller.id}")
