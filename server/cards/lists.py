"""The office's card register on the generic lists (:mod:`server.refdata`): the fields come
from ``sync/domains/cards/records.py``; every write goes through the desk's own mutations
and rules (``card.stock`` puts a card into a site's stock, ``card.update`` corrects its chip
UID, technology, batch and notes; :mod:`server.sync.office`), so a number already in the
site's stock is refused alike wherever it is entered. The set-up lists (zones, the site's
policy, per-unit quotas) are in :mod:`server.cards.setup_lists`.

What is the register's own: filters on the card's state (status, its unit and building,
expiring within 30 days, met at the desk before the stock knew it) and on the office's review
of it (:mod:`server.lib.reviewed`), the search reaching the current holder's name, and the
card's page with its issues, actions and history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.cards import exports, queries
from server.cards.door_state import blacklisted, door_state, pending
from server.cards.schemas import (
    EXPIRING_DAYS,
    EXPIRY_FILTER_LABELS,
    REGISTERED_FILTER_LABELS,
    STATUS_FILTER_LABELS,
)
from server.cards.setup_lists import NAV, POLICY_LIST, QUOTA_LIST, ZONE_LIST, site_choices
from server.cards.tables import Card, CardIssue
from server.estate.tables import Building, Unit
from server.lib import reviewed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, contains, local_time, now, plain, scope, sites_of
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from server.refdata.through_mutations import ThroughMutations
from server.sync import office
from sync.domains.cards.records import BLACKLISTED, CARD_TYPE, STATUSES
from sync.errors import Reject

EDITABLE = ("uid", "technology", "batch", "notes")


def refused(r: Reject) -> tuple[str, str]:
    """A rule's refusal as the form's error, in the office's words: (input, message)."""
    messages = {
        "number_in_use": ("number", _("Another card of this site already has this number.")),
        "unknown_site": ("site", _("Choose one of your sites.")),
        "already_exists": ("form", _("This card is already in the stock with other details.")),
    }
    return messages.get(r.code, ("form", r.reason))


def open_issue() -> Any:
    return CardIssue.ended_at.is_null()


def state_badge(row: Mapping[str, Any], valid_until: Any = None) -> tuple[str, str]:
    """A card's state as a badge: (css class, text)."""
    status = str(row.get("status") or "")
    label = _(STATUSES.get(status, status))
    if pending(status, row.get("door_taken_at")):
        return "status-overdue", _("{status} · waiting for the door system", status=label)
    if blacklisted(status):
        return "status-voided", label
    if status == "issued":
        if valid_until is not None and door_state(status, valid_until, now()) != "active":
            return "warn", _("Issued · validity ended")
        return "ok", label
    return ("muted" if status == "returned" else ""), label


class CardList(ThroughMutations):
    id_arg = "card_id"
    slug = "cards"
    type = CARD_TYPE
    table = Card
    title, new_title, legend = "Card register", "Add a card to the stock", "Card details"
    columns = (Col("number", show="link"), Col("technology", show="choice"), Col("batch"),
               Col("unit_number", "Unit"), Col("holder", "Holder"),
               Col("valid", "Valid until"), Col("state", "Status", show="badge"),
               Col("site_code", "Site"), Col("review_badge", "Review", show="badge"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"),
             ("unit_number", "unit.number"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("number", attrs={"autocapitalize": "characters"}, when="create",
              hint="As printed on the card. It cannot be changed later."),
        Input("uid", attrs={"autocapitalize": "characters"}),
        Input("technology", widget="select", default="ic"),
        Input("batch", hint="The delivery the card came in, e.g. 2026-03."),
        Input("notes", widget="textarea"),
    )
    search = ("number", "uid")  # the unit and the holder too: :meth:`where_search`
    search_hint = "Card number, chip UID, unit or holder"
    order = ("site.code", "number")
    filters = (Filter("site", "Site", everything="All my sites"),
               Filter("status", "Status", everything="Every status"),
               Filter("building", "Building", everything="All buildings"),
               Filter("expiry", "Validity", everything="Any validity"),
               Filter("registered", "Stock register", everything="Registered or not"),
               Filter("review", "Review", everything="All"),
               Filter("unit", hidden=True))
    writers = "office"
    nav_template = NAV
    detail_template = "office/cards/_card_extras.html"

    def selected(self) -> list[Any]:
        return [*super().selected(), Card.status, Card.issue, Card.unit, Card.door_taken_at,
                Card.blacklisted_at, Card.registered]

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        site = f"?site={params['site']}" if params.get("site") else ""
        return [(_("Import stock"), f"/office/cards/import{site}"),
                (_("Review these records"),
                 reviewed.link("card", params.get("site", ""), params.get("review", "")))]

    def export_columns(self) -> tuple[tuple[str, str], ...]:
        return exports.HEADERS

    def export_selected(self) -> list[Any]:
        return [*self.selected(), *exports.EXTRA]

    async def export_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await exports.rows(rows)

    def where_search(self, q: str) -> Any:
        """The number, the chip's UID, the unit (the units that match first, not a join per
        card: the count needs no join) or the current holder's name."""
        clause = super().where_search(q)
        if not q:
            return clause
        units = Unit.select(Unit.id).where(contains(Unit.number, q))
        holders = CardIssue.select(CardIssue.id).where(contains(CardIssue.holder_name, q))
        more = Card.unit.is_in(units) | Card.issue.is_in(holders)
        return more if clause is None else clause | more

    def where_filter(self, name: str, value: str, user: CurrentUser) -> Any:
        if not value:
            return None
        if name == "status":
            if value == "blacklisted":
                return Card.status.is_in(list(BLACKLISTED))
            return (Card.status == value) if value in STATUSES else None
        if name == "building":
            building = as_id(value)
            return False if building is None else Card.unit.building == building
        if name == "expiry":
            at = now()
            until: Any
            if value == "30":
                until = (CardIssue.valid_until >= at) & (
                    CardIssue.valid_until < at + timedelta(days=EXPIRING_DAYS))
            elif value == "expired":
                until = CardIssue.valid_until < at
            else:
                return None
            return (Card.status == "issued") & Card.issue.is_in(
                CardIssue.select(CardIssue.id).where(open_issue() & until))
        if name == "registered":
            return {"no": Card.registered.eq(False), "yes": Card.registered.eq(True)}.get(value)
        if name == "review":
            return reviewed.clause(Card.id, "card", value)
        return super().where_filter(name, value, user)

    async def filter_options(self, name: str, user: CurrentUser, value: str
                             ) -> list[tuple[str, str]]:
        if name == "status":
            return [(c, _(label)) for c, label in STATUS_FILTER_LABELS.items()]
        if name == "expiry":
            return [(c, _(label)) for c, label in EXPIRY_FILTER_LABELS.items()]
        if name == "registered":
            return [(c, _(label)) for c, label in REGISTERED_FILTER_LABELS.items()]
        if name == "review":
            return [(c, _(label)) for c, label in reviewed.FILTER_STATES.items()]
        if name == "building":
            where = scope(Building.site, user)
            if where is False:
                return []
            query = Building.select(Building.id, Building.code, Building.name,
                                    Building.site.code.as_alias("site_code")).order_by(
                Building.site.code).order_by(Building.code)
            rows = await (query.where(where) if where is not None else query)
            return [(str(b["id"]), f"{b['site_code']} · {b['code']} · {b['name']}")
                    for b in rows]
        return await super().filter_options(name, user, value)

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        issues = await queries.issues_by_id(r["issue"] for r in rows)
        await reviewed.add_reviews("card", rows)
        for r in rows:
            issue = issues.get(str(r["issue"])) if r.get("issue") else None
            held = issue is not None and issue["ended_at"] is None
            r["unit_number"] = r.get("unit_number") or "—"
            r["holder"] = issue["holder_name"] if held and issue else ""
            r["valid"] = local_time(issue["valid_until"])[:10] if held and issue else ""
            r["state"] = state_badge(r, issue["valid_until"] if held and issue else None)
            review = r["review"]
            r["review_badge"] = (f"review-{review['state']}", _(review["label"])) if review \
                else ("muted", _("Not reviewed"))

    def cells(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        out = super().cells(row)
        for c, cell in zip(self.columns, out, strict=True):
            if c.key == "unit_number" and row.get("unit"):
                cell["href"] = f"/office/cards/units/{row['unit']}"
        return out

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Card {number}", number=row["number"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        out = [(row["site_name"], f"/office/cards?site={row['site']}")]
        if row.get("unit"):
            out.append((_("Unit {number}", number=row["unit_number"]),
                        f"/office/cards/units/{row['unit']}"))
        return out

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        context = await queries.card_detail(user, row)
        current = context["current"]
        context["state_badge"] = state_badge(row, current["valid_until"] if current else None)
        return context

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        sites = await sites_of(user)
        if not form.get("site") and len(sites) == 1:
            form["site"] = sites[0]["id"]
        return form

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["site"] = await site_choices(user)
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = str(row["site"]) if row else as_id(form.values.get("site_id"))
        if row is None and (site is None or not user.can_see_site(site)):
            form.error("site", _("Choose one of your sites."))
            return
        if site is None or form.errors:
            return  # refused as typed: the rules would say nothing more
        mutation = self.mutation(form.values, row, site)
        if mutation is None:
            return
        try:  # what the rules would refuse, shown beside the other problems
            await office.apply(user, [mutation], dry_run=True)
        except Reject as r:
            form.error(*refused(r))

    def mutation(self, values: Mapping[str, Any], row: Mapping[str, Any] | None,
                 site: str) -> tuple[str, dict[str, Any]] | None:
        """The mutation a checked form makes (None: nothing changed)."""
        fields = {f: values.get(f) for f in EDITABLE}
        if row is None:
            return "card.stock", {"card_id": values.get("card_id") or str(uuid.uuid4()),
                                  "site_id": site, "number": values.get("number"),
                                  **fields}
        changed = {f: v for f, v in fields.items() if v != row.get(f)}
        return ("card.update", {"card_id": str(row["id"]), "fields": changed}) if changed \
            else None

    def clash(self) -> tuple[str, str]:
        return "number", _("Another card of this site already has this number.")


CARD_LIST = CardList()
LISTS: tuple[RefList, ...] = (CARD_LIST, ZONE_LIST, POLICY_LIST, QUOTA_LIST)


async def load_card(user: CurrentUser, card_id: str) -> dict[str, Any]:
    """A card of the user's sites with its joins (else 404)."""
    return plain(await CARD_LIST.load(user, card_id))
