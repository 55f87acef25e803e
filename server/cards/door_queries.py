"""What the office reads about the door system: the blacklist entries it has not taken yet
(the office home's exceptions, declared here, and the blacklist page), the CSV exports of a
site's blacklist and active list, and the controller tokens page. Scoped to the person's sites
like every office query; the card's door state is :func:`server.cards.door_state.door_state`
everywhere."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards.door_state import PENDING_ALERT, door_state, pending, waited
from server.cards.door_tokens import tokens_of
from server.cards.tables import Card, CardIssue
from server.lib.i18n import lazy
from server.lib.queries import (
    json_value,
    local_time,
    now,
    plain,
    site_and_sites,
    to_datetime,
)
from server.lib.spreadsheets import safe_cell
from server.lib.timezone import estate_zone
from server.office.exceptions import Ask, Kind, Rows, literal_in, totals
from sync.context import iso
from sync.domains.cards.records import BLACKLISTED, CARD, STATUSES

PAGE = "/office/cards/door"
RECENT = 20  # taken entries shown under the pending ones
EXPORTS = {"blacklist": "blacklisted", "active": "active"}  # export -> the state it lists
CSV_COLUMNS = ("card_number", "uid", "technology", "status", "valid_until", "scope")


def _blacklisted() -> Any:
    return Card.status.is_in(list(BLACKLISTED))


# the terms of the partial index of the pending entries (migration 2026-12-07T10:10), as
# written there (SQLite picks a partial index only for a query holding its terms as written)
PENDING = literal_in(Card.status, BLACKLISTED)


def _waiting(ask: Ask) -> Any:
    return PENDING & Card.door_taken_at.is_null()


def _waiting_long(ask: Ask) -> Any:
    return _waiting(ask) & (Card.blacklisted_at < ask.at - PENDING_ALERT)


# the door system's exceptions on the office home: blacklist entries not taken for more than
# an hour (an alert), and all not taken yet; a card blacklisted again after an
# acknowledgement is a new item (its blacklisting began after it)
EXCEPTIONS = tuple(
    Kind(key, label, alert, CARD, PAGE, when_label=lazy("Blacklisted at"),
         source=Rows(Card, where, (Card.number,), Card.blacklisted_at,
                     since=Card.blacklisted_at))
    for key, label, alert, where in (
        ("cards.door_overdue", lazy("Blacklist entries pending for more than an hour"), True,
         _waiting_long),
        ("cards.door_pending", lazy("Blacklist pending for the door system"), False,
         _waiting)))


async def counts(user: CurrentUser) -> list[dict[str, Any]]:
    """The door system's exceptions, all the person's sites together."""
    return await totals(EXCEPTIONS, Ask(user, now()))


CARD_COLUMNS = (Card.id, Card.number, Card.uid, Card.technology, Card.status, Card.issue,
                Card.blacklisted_at, Card.door_taken_at, Card.version,
                Card.unit.number.as_alias("unit_number"))


async def _issues(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The current issue (validity, scope) of each card of ``rows``."""
    ids = sorted({str(r["issue"]) for r in rows if r.get("issue")})
    if not ids:
        return {}
    found = await CardIssue.select(CardIssue.id, CardIssue.valid_until, CardIssue.scope).where(
        CardIssue.id.is_in(ids))
    return {str(i["id"]): plain(i) for i in found}


def _decorate(rows: list[dict[str, Any]], issues: dict[str, dict[str, Any]],
              at: datetime) -> list[dict[str, Any]]:
    for r in rows:
        issue = issues.get(str(r.get("issue")), {})
        r["valid_until"] = to_datetime(issue.get("valid_until"))
        r["scope"] = [s for s in json_value(issue.get("scope")) or [] if isinstance(s, str)]
        r["state"] = door_state(r["status"], r["valid_until"], at)
        r["pending"] = pending(r["status"], r["door_taken_at"])
        since = to_datetime(r["blacklisted_at"])
        r["since"] = local_time(since)
        r["age_hours"], r["age_minutes"] = waited(since, at)
        r["overdue"] = r["pending"] and since is not None and at - since > PENDING_ALERT
        r["taken"] = local_time(r["door_taken_at"])
    return rows


async def _cards(site_id: str, *clauses: Any, order: Any = Card.number,
                 ascending: bool = True, limit: int | None = None) -> list[dict[str, Any]]:
    where = Card.site == site_id
    for c in clauses:
        where = where & c
    query = Card.select(*CARD_COLUMNS).where(where).order_by(order, ascending=ascending)
    rows = [plain(r) for r in await (query.limit(limit) if limit else query)]
    return _decorate(rows, await _issues(rows), now())


async def blacklist_page(user: CurrentUser, site: str) -> dict[str, Any]:
    """A site's blacklist entries the door system has not taken (oldest first), and the
    last ones it took."""
    chosen, sites = await site_and_sites(user, site)
    waiting = await _cards(chosen["id"], _blacklisted(), Card.door_taken_at.is_null(),
                           order=Card.blacklisted_at)
    taken = await _cards(chosen["id"], _blacklisted(), Card.door_taken_at.is_not_null(),
                         order=Card.door_taken_at, ascending=False, limit=RECENT)
    return {"site": chosen, "sites": sites, "waiting": [r for r in waiting if r["pending"]],
            "taken": taken, "statuses": STATUSES,
            "overdue": sum(1 for r in waiting if r["overdue"])}


async def tokens_page(user: CurrentUser, site: str) -> dict[str, Any]:
    chosen, sites = await site_and_sites(user, site)
    return {"site": chosen, "sites": sites, "tokens": await tokens_of(chosen["id"])}


def _csv_row(r: dict[str, Any]) -> list[Any]:
    until = r["valid_until"]
    return [safe_cell(str(v)) for v in (
        r["number"], r["uid"] or "", r["technology"], r["status"],
        iso(until) if until is not None else "", ";".join(r["scope"]))]


async def export_csv(user: CurrentUser, site: str, which: str) -> tuple[str, bytes]:
    """A site's blacklist (every blacklisted card, taken or not) or active list as CSV for
    a door system: UTF-8, fixed column names (a machine reads them), codes as stored (the
    technology and the card's status), ``valid_until`` in ISO 8601 (UTC), the scope's zone
    codes separated by ``;``; every cell safe for a spreadsheet."""
    state = EXPORTS[which]
    chosen, _sites = await site_and_sites(user, site)
    clause = _blacklisted() if state == "blacklisted" else Card.status == "issued"
    rows = [r for r in await _cards(chosen["id"], clause) if r["state"] == state]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(_csv_row(r))
    stamp = now().astimezone(estate_zone())
    name = f"door-{which}-{chosen['code']}-{stamp:%Y%m%d-%H%M}.csv"
    return name, out.getvalue().encode("utf-8")
