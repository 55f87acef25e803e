"""What the IC-card domain adds to the office's generic pages (registered in
server/domains.py): how its conflicts read side by side, where its records are shown, the
"lift the blacklist" action of an ``issued_while_lost`` conflict, its exceptions on the
office home and its entry in the top bar.

A conflict's details name units by id: the records' decoration adds their numbers to the
page's names (ids -> what people read), which the sides then show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from server.cards.door_queries import EXCEPTIONS as door_exceptions
from server.cards.schemas import EXPIRING_DAYS
from server.cards.tables import Card, CardIssue
from server.estate.tables import Site, Unit
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.office.core_kinds import OPEN_CONFLICT, conflict_titles
from server.office.exceptions import Kind, Rows
from server.review import present
from server.sync.tables import Conflict
from sync.domains.cards.records import BLACKLISTED, CARD, ISSUE, STATUSES

ISSUE_SIDE = ("holder_name", "relation", "unit_id", "issued_at", "issued_by")
ISSUED_WHILE_LOST = "issued_while_lost"


def _row(record: str, name: str, value: Any, names: dict[str, str]) -> dict[str, str]:
    if name == "unit_id" and value:
        shown = names.get(str(value), str(value))
    else:
        shown = present.display_value(record, name, value, names)
    return {"label": present.field_label(record, name), "value": shown}


def _issue_rows(issue: dict[str, Any], names: dict[str, str]) -> list[dict[str, str]]:
    return [_row(ISSUE, f, issue.get(f), names) for f in ISSUE_SIDE
            if issue.get(f) is not None or f == "unit_id"]


def _issues(details: dict[str, Any], names: dict[str, str], title: str
            ) -> list[dict[str, Any]]:
    return [{"title": _(title, n=i + 1), "rows": _issue_rows(issue, names)}
            for i, issue in enumerate(details.get("issues") or []) if isinstance(issue, dict)]


def _issued_while_lost(details: dict[str, Any], names: dict[str, str]
                       ) -> list[dict[str, Any]]:
    report = details.get("report") if isinstance(details.get("report"), dict) else {}
    status = str(details.get("status") or "")
    rows = [{"label": lazy("Card number"), "value": str(details.get("number") or "—")},
            {"label": lazy("Status"), "value": _(STATUSES.get(status, status or "—"))},
            _row(CARD, "blacklisted_at", details.get("blacklisted_at"), names)]
    if report:
        rows += [{"label": lazy("Reported by"), "value": str(report.get("reported_by") or "—")},
                 {"label": lazy("Notes"), "value": str(report.get("notes") or "—")},
                 {"label": lazy("Recorded by"),
                  "value": names.get(str(report.get("staff_id")), "—")}]
    return [{"title": _("Blacklisted"), "rows": rows},
            *_issues(details, names, lazy("Issued while blacklisted ({n})"))]


def _double_issue(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return _issues(details, names, lazy("Issue {n}"))


def _quota_exceeded(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    unit = details.get("unit_id")
    head = {"title": _("Quota"), "rows": [
        {"label": lazy("Unit"), "value": names.get(str(unit), str(unit or "—"))},
        {"label": lazy("Cards per unit"), "value": str(details.get("quota", "—"))},
        {"label": lazy("Cards held"), "value": str(len(details.get("issues") or []))}]}
    return [head, *_issues(details, names, lazy("Card held ({n})"))]


def _unregistered(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    unit = details.get("unit_id")
    return [{"title": _("Not in the stock register"), "rows": [
        {"label": lazy("Card number"), "value": str(details.get("number") or "—")},
        {"label": lazy("Unit"), "value": names.get(str(unit), str(unit or "—"))}]}]


async def _unit_names(ids: set[str], names: dict[str, str]) -> None:
    wanted = sorted(i for i in ids if i and i != "None")
    if wanted:
        for u in await Unit.select(Unit.id, Unit.number).where(Unit.id.is_in(wanted)):
            names[str(u["id"])] = str(u["number"])


REFS = ("site", "unit", CARD, ISSUE)


async def _readable(record: str, records: list[dict[str, Any]], names: dict[str, str]
                    ) -> None:
    """The records' fields as people read them: a site by its name, a card by its number,
    an issue by its holder, a unit by its number (the names of the page gain them)."""
    rt = present.record_type(record)
    refs = {f.name: f.ref for f in (rt.fields if rt else ()) if f.ref in REFS}
    wanted: dict[str, set[str]] = {}
    for r in records:
        for name, ref in refs.items():
            if r["data"].get(name):
                wanted.setdefault(ref, set()).add(str(r["data"][name]))
    await _unit_names(wanted.get("unit", set()), names)
    for table, column, ref in ((Site, Site.name, "site"), (Card, Card.number, CARD),
                               (CardIssue, CardIssue.holder_name, ISSUE)):
        ids = sorted(wanted.get(ref, set()))
        for row in await table.select(table.id, column).where(table.id.is_in(ids)) if ids \
                else []:
            names[str(row["id"])] = str(row[column._meta.name])

    def shown(name: str, value: Any) -> str:
        if name in refs and value and str(value) in names:
            return names[str(value)]
        return present.display_value(record, name, value, names)

    for r in records:
        r["fields"] = [{"label": present.field_label(record, name), "value": shown(name, v)}
                       for name, v in r["data"].items()]


async def _decorate_cards(records: list[dict[str, Any]], names: dict[str, str]) -> None:
    """A card in a conflict: its issues' units by number, and its own id for the actions."""
    ids = [r["id"] for r in records]
    if ids:
        await _unit_names({str(i["unit"]) for i in await CardIssue.select(
            CardIssue.unit).where(CardIssue.card.is_in(ids))}, names)
    await _readable(CARD, records, names)
    for r in records:
        r["card_id"] = r["id"]
        r["blacklisted"] = r["data"].get("status") in BLACKLISTED


async def _decorate_issues(records: list[dict[str, Any]], names: dict[str, str]) -> None:
    await _readable(ISSUE, records, names)
    for r in records:
        r["card_id"] = str(r["data"].get("card_id") or "")
        r["unit_id"] = str(r["data"].get("unit_id") or "")


def expiring(at: datetime) -> Any:
    """Current issues (of a card still issued on them) ending within
    :data:`EXPIRING_DAYS`, as a clause on card issues: read from the issues not ended, by
    their end (a partial index of the office home), the card by its id."""
    until = CardIssue.valid_until
    return (CardIssue.ended_at.is_null() & (until >= at)
            & (until < at + timedelta(days=EXPIRING_DAYS)) & WhereRaw(
                "EXISTS (SELECT 1 FROM card WHERE card.id = card_issue.card "
                "AND card.issue = card_issue.id AND card.status = 'issued')"))


async def _card_numbers(rows: list[dict[str, Any]]) -> None:
    """An expiring issue by its card's number (and its holder)."""
    ids = [r["id"] for r in rows]
    cards = {str(i["id"]): str(i["card"]) for i in await CardIssue.select(
        CardIssue.id, CardIssue.card).where(CardIssue.id.is_in(ids))} if ids else {}
    wanted = sorted(set(cards.values()))
    numbers = {str(c["id"]): c["number"] for c in await Card.select(
        Card.id, Card.number).where(Card.id.is_in(wanted))} if wanted else {}
    for r in rows:
        r["title"] = " · ".join(t for t in (numbers.get(cards.get(r["id"], ""), ""),
                                            r["title"]) if t)


# the term of the partial index of unregistered cards (migration 2026-12-07T10:10), as written
UNREGISTERED = WhereRaw('NOT "card"."registered"')

EXCEPTIONS = (
    Kind("cards.quota", lazy("Card quotas exceeded"), True, "conflict",
         "/office/cards/conflicts", when_label=lazy("Created"), page="/office/conflicts/{id}",
         source=Rows(Conflict, lambda ask: OPEN_CONFLICT & (Conflict.kind == "quota_exceeded"),
                     (), Conflict.created_at,
                     by_space=True, decorate=conflict_titles)),
    Kind("cards.unregistered", lazy("Cards not in the stock register"), True, CARD,
         "/office/cards?registered=no", when_label=lazy("Received"),
         source=Rows(Card, lambda ask: UNREGISTERED & Card.registered.eq(False),
                     (Card.number,), Card.created_at)),
    # an issue is one occurrence: the card issued again later and expiring again is new
    Kind("cards.expiring", lazy("Cards expiring within 30 days"), False, ISSUE,
         "/office/cards?expiry=30", when_label=lazy("Valid until"),
         source=Rows(CardIssue, lambda ask: expiring(ask.at),
                     (CardIssue.holder_name, CardIssue.unit.number), CardIssue.valid_until,
                     decorate=_card_numbers)),
    *door_exceptions,
)


def register(p: present.Presenters) -> None:
    p.sides.update({ISSUED_WHILE_LOST: _issued_while_lost, "double_issue": _double_issue,
                    "quota_exceeded": _quota_exceeded, "unregistered_card": _unregistered})
    p.pages.update({CARD: "/office/cards/{id}", ISSUE: "/office/cards/issues/{id}"})
    p.actions.update({CARD: "office/cards/_conflict_actions.html",
                      ISSUE: "office/cards/_conflict_actions.html"})
    p.decorate.update({CARD: _decorate_cards, ISSUE: _decorate_issues})
    p.nav += [(lazy("IC cards"), "/office/cards")]
