"""The office's key register on the generic lists (:mod:`server.refdata`): the fields come
from ``sync/domains/keys/records.py``; every write goes through the front desk's own
mutations and rules (``key.register``, ``key.update``; :mod:`server.sync.office`), so a tag
code that shows its flat, a unit of another site or a code already used at the site is
refused alike wherever it is entered. What is the register's own: the key's unit picked by
the number people write, whether a key is out now, retiring a key, the printed tag list."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.estate.tables import Unit
from server.keys.schemas import RETIRED_FILTER_LABELS
from server.keys.tables import KeyLoan, KeyTag
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import as_id, sites_of
from server.refdata.spec import Col, Filter, Input, RefList, Submission
from server.refdata.through_mutations import ThroughMutations
from server.review.queries import history
from server.sync import office
from sync.domains.keys import rules
from sync.domains.keys.records import KEY_TYPE
from sync.errors import Reject
from sync.kit import text

LABEL_SHOWS_UNIT = lazy("The label is printed on the tag list: it must not contain the unit number ({number}).")  # noqa: E501
CODE_SHOWS_UNIT = lazy("The tag code must not contain the unit number ({number}): a lost key must not lead to its flat.")  # noqa: E501
EDITABLE = ("code", "label", "category", "notes", "unit_id")


def _refused(r: Reject, number: str) -> tuple[str, str]:
    """A rule's refusal as the form's error, in the office's words: (input, message)."""
    messages = {
        rules.CODE_IN_USE: ("code", _("Another key at this site already has this code.")),
        rules.CODE_SHOWS_UNIT: ("code", _(CODE_SHOWS_UNIT, number=number)),
        rules.LABEL_SHOWS_UNIT: ("label", _(LABEL_SHOWS_UNIT, number=number)),
        rules.UNKNOWN_UNIT: ("unit_number", _("No unit {number} at this site.",
                                              number=number)),
        rules.UNKNOWN_SITE: ("site", _("Choose one of your sites.")),
    }
    return messages.get(r.code, ("code", r.reason))


class KeyList(ThroughMutations):
    id_arg = "key_id"
    slug = "keys"
    type = KEY_TYPE
    table = KeyTag
    title, new_title, legend = "Key register", "Add a key", "Key details"
    columns = (Col("code", "Tag code", show="link"), Col("label"), Col("category", show="choice"),
               Col("unit_number", "Unit"), Col("site_code", "Site"),
               Col("state", "Status", show="badge"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"),
             ("unit_number", "unit.number"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("code", label="Tag code", attrs={"autocapitalize": "characters"},
              hint="Printed on the tag. Never the unit number: a lost key must not lead to "
                   "its flat."),
        Input("label"),
        Input("category", widget="select"),
        Input("unit_number", "", "Unit number (optional)", attrs={"maxlength": 40}),
        Input("notes", widget="textarea"),
    )
    search = ("code", "label", "unit.number")
    search_hint = "Search code, label or unit"
    order = ("site.code", "code")
    filters = (Filter("site", "Site", everything="All my sites"),
               Filter("category", "Category", everything="All categories"),
               Filter("retired", "Shown", default="active"))
    writers = "office"  # supervisors keep the register too
    nav_template = "office/keys/_nav.html"
    detail_template = "office/keys/_key_extras.html"

    def selected(self) -> list[Any]:
        return [*super().selected(), KeyTag.retired]

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        site = f"?site={params['site']}" if params.get("site") else ""
        return [(_("Print tag list"), f"/office/keys/print{site}")]

    def where_filter(self, name: str, value: str, user: CurrentUser) -> Any:
        if name == "category":
            return (KeyTag.category == value) if value in self.field("category").choices \
                else None
        if name == "retired":
            return {"active": KeyTag.retired.eq(False),
                    "retired": KeyTag.retired.eq(True)}.get(value)
        return super().where_filter(name, value, user)

    async def filter_options(self, name: str, user: CurrentUser, value: str
                             ) -> list[tuple[str, str]]:
        if name == "category":
            return [(c, _(label)) for c, label in self.field("category").choices.items()]
        if name == "retired":
            return [(c, _(label)) for c, label in RETIRED_FILTER_LABELS.items()]
        return await super().filter_options(name, user, value)

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        ids = [r["id"] for r in rows]
        out = {str(r["key"]) for r in await KeyLoan.select(KeyLoan.key).where(
            KeyLoan.key.is_in(ids) & KeyLoan.returned_at.is_null()
            & KeyLoan.voided.eq(False))} if ids else set()
        for r in rows:
            r["unit_number"] = r["unit_number"] or "—"
            r["state"] = (("muted", _("Retired")) if r["retired"] else
                          ("status-out", _("Out")) if r["id"] in out else
                          ("ok", _("In the key box")))

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Key {code}", code=row["code"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/keys?site={row['site']}")]

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"history": await history("key", str(row["id"]))}

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().form_from_row(row), "unit_number": row["unit_number"] or ""}

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        form = await super().blank_form(user, query)
        sites = await sites_of(user)
        if not form.get("site") and len(sites) == 1:
            form["site"] = sites[0]["id"]
        return form

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["site"] = [("", _("Choose a site")),
                       *((s["id"], s["name"]) for s in await sites_of(user))]
        out["category"] = [("", _("Choose a category")), *out["category"]]
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = str(row["site"]) if row else as_id(form.values.get("site_id"))
        if row is None and (site is None or not user.can_see_site(site)):
            form.error("site", _("Choose one of your sites."))
            site = None
        number = text.normalize(str(form.shown.get("unit_number") or ""), "line")
        form.shown["unit_number"] = number
        unit = None
        if site and number:
            unit = await Unit.select(Unit.id).where(
                (Unit.site == site) & (Unit.number == number)).first()
            if unit is None:
                form.error("unit_number", _("No unit {number} at this site.", number=number))
        form.values["unit_id"] = str(unit["id"]) if unit else None
        if site is None or set(form.errors) & {"code", "label", "category", "notes"}:
            return  # refused as typed: the rules would say nothing more
        mutation = self.mutation(form.values, row, site)
        if mutation is None:
            return
        try:  # what the rules would refuse, shown beside the other problems
            await office.apply(user, [mutation], dry_run=True)
        except Reject as r:
            form.error(*_refused(r, number))

    def mutation(self, values: Mapping[str, Any], row: Mapping[str, Any] | None,
                 site: str) -> tuple[str, dict[str, Any]] | None:
        """The mutation a checked form makes (None: nothing changed)."""
        fields = {f: values.get(f) for f in EDITABLE}
        if row is None:
            return "key.register", {"key_id": values.get("key_id") or str(uuid.uuid4()),
                                    "site_id": site, **fields}
        current = {"code": row["code"], "label": row["label"], "category": row["category"],
                   "notes": row["notes"], "unit_id": as_id(row["unit"])}
        changed = {f: v for f, v in fields.items() if v != current[f]}
        return ("key.update", {"key_id": str(row["id"]), "fields": changed}) if changed \
            else None


KEY_LIST = KeyList()
LISTS: tuple[RefList, ...] = (KEY_LIST,)


async def set_retired(user: CurrentUser, key_id: str, retired: bool) -> str:
    """Retire a key (it can no longer be lent) or put it back in use: ``key.update``."""
    KEY_LIST.check_writer(user)
    key = await KEY_LIST.load(user, key_id)
    if key["retired"] != retired:
        await office.apply(user, [("key.update", {"key_id": key["id"],
                                                   "fields": {"retired": retired}})])
    return str(key["id"])
