"""The patrol set-up lists on the generic lists (:mod:`server.refdata`): checkpoints and
checklists here, routes and schedules in :mod:`server.patrol.route_lists`. Fields, limits,
labels and checks come from ``sync/domains/patrol/records.py``. These records are written by
the office only (phones read them), so writes go through :mod:`server.refdata.store`, which
bumps the site's patrol space (the phones receive the change) and audits each field.

What is patrol's own: a checkpoint's QR token is made here (random, never typed, never
shown as an input), its printed code is unique at its site, retiring a checkpoint is the
generic deactivation, and a checklist's items are edited as lines of text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.estate.tables import Building
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, json_value, scope
from server.patrol import labels
from server.patrol.list_base import PatrolList, chosen_site, site_choices
from server.patrol.route_lists import ROUTE_LIST, SCHEDULE_LIST
from server.patrol.tables import PatrolChecklist, PatrolCheckpoint, PatrolRetiredTag
from server.refdata.options import building_groups
from server.refdata.spec import Col, Input, RefList, Submission
from server.sync.tables import AuditEntry
from sync.domains.patrol.records import CHECKLIST_TYPE, CHECKPOINT_TYPE


class CheckpointList(PatrolList):
    slug = "patrol/checkpoints"
    type = CHECKPOINT_TYPE
    table = PatrolCheckpoint
    title, new_title, legend = "Checkpoints", "New checkpoint", "Checkpoint details"
    columns = (Col("code", "Printed code", show="link"), Col("name"), Col("kind", show="choice"),
               Col("where", "Place"), Col("site_code", "Site"),
               Col("active", "Status", show="status"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("code", attrs={"autocapitalize": "characters"},
              hint="Printed under the QR code; a guard types it when the label cannot be "
                   "scanned."),
        Input("name"),
        Input("building", "", "Building (optional)", widget="grouped"),
        Input("floor"),
        Input("place"),
        Input("kind", widget="select", default="other"),
        Input("checklist", "", "Checklist", widget="select"),
    )
    search = ("code", "name", "place")
    search_hint = "Code, name or place"
    order = ("site.code", "code")
    detail_template = "office/patrol/_checkpoint_extras.html"

    def selected(self) -> list[Any]:
        return [*super().selected(), PatrolCheckpoint.floor, PatrolCheckpoint.place]

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        site = f"?site={params['site']}" if params.get("site") else ""
        return [(_("Print QR labels"), f"/office/patrol/labels{site}"),
                (_("Import"), f"/office/patrol/import{site}")]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            r["where"] = " · ".join(x for x in (r.get("floor"), r.get("place")) if x)

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        return _("Checkpoint {code}", code=row["code"]), row["site_name"]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/patrol/checkpoints?site={row['site']}"),
                (_("Print its label"),
                 f"/office/patrol/labels?site={row['site']}&checkpoint={row['id']}")]

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        retired = await PatrolRetiredTag.select(PatrolRetiredTag.retired_at).where(
            PatrolRetiredTag.checkpoint == row["id"]).order_by(PatrolRetiredTag.retired_at)
        return {**await super().detail(user, row), "retired_tags": len(retired)}

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().form_from_row(row), "building": as_id(row["building"]) or "",
                "checklist": as_id(row["checklist"]) or ""}

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["site"] = await site_choices(user)
        groups = await building_groups(user, include=as_id(row["building"]) if row else None)
        out["building"] = groups
        where = (PatrolChecklist.site == row["site"]) if row is not None \
            else scope(PatrolChecklist.site, user)
        lists = PatrolChecklist.select(PatrolChecklist.id, PatrolChecklist.name,
                                       PatrolChecklist.site.code.as_alias("site_code")).where(
            PatrolChecklist.active.eq(True)).order_by(PatrolChecklist.name)
        found = [] if where is False else await (lists.where(where) if where is not None
                                                 else lists)
        out["checklist"] = [("", _("By its kind of place")), *(
            (str(c["id"]), f"{c['site_code']} · {c['name']}") for c in found)]
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        if site is None:
            return
        building = as_id(form.shown.get("building"))
        if building is not None:
            b = await Building.select(Building.site).where(Building.id == building).first()
            if b is None or str(b["site"]) != site:
                form.error("building", _("Choose a building of the checkpoint's site."))
        form.values["building_id"] = building
        checklist = as_id(form.shown.get("checklist"))
        if checklist is not None and not await PatrolChecklist.exists().where(
                (PatrolChecklist.id == checklist) & (PatrolChecklist.site == site)):
            form.error("checklist", _("Choose a checklist of the checkpoint's site."))
        form.values["checklist_id"] = checklist
        code = form.values.get("code")
        if code:
            same = await PatrolCheckpoint.select(PatrolCheckpoint.id).where(
                (PatrolCheckpoint.site == site) & (PatrolCheckpoint.code == code))
            if any(str(r["id"]) != str((row or {}).get("id", "")) for r in same):
                form.error("code", _("Another checkpoint of this site already has this code."))
        if row is None:
            form.values["token"] = labels.new_token()

    def clash(self) -> tuple[str, str]:
        return "code", _("Another checkpoint of this site already has this code.")

    async def write(self, user: CurrentUser, row: Mapping[str, Any] | None,
                    values: dict[str, Any], form: Submission) -> str:
        """The generic store; the audit names a new tag without its token (the token is
        only ever in the QR code)."""
        saved = await super().write(user, row, values, form)
        if row is None:
            await AuditEntry.update({AuditEntry.changes: {
                **{k: [None, v] for k, v in values.items() if k != "token"},
                "token": [None, "(issued)"]}}).where(
                (AuditEntry.record_id == saved) & (AuditEntry.action == "office.create"))
        return saved


class ChecklistList(PatrolList):
    slug = "patrol/checklists"
    type = CHECKLIST_TYPE
    table = PatrolChecklist
    title, new_title, legend = "Checklists", "New checklist", "Checklist details"
    columns = (Col("name", show="link"), Col("for_kind", show="choice"), Col("frequency"),
               Col("item_count", "Items", show="number"), Col("site_code", "Site"),
               Col("active", "Status", show="status"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("name"),
        Input("for_kind", widget="select"),
        Input("frequency", hint="For people, e.g. twice a day, weekly."),
        Input("items_text", "", "Items", widget="textarea", required=True,
              hint=labels.ITEMS_HINT),
    )
    search = ("name", "frequency")
    search_hint = "Name or frequency"
    order = ("site.code", "name")

    def selected(self) -> list[Any]:
        return [*super().selected(), PatrolChecklist.items]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            items = json_value(r.get("items"))
            r["item_count"] = len(items) if isinstance(items, list) else 0

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[tuple[str, str]]:
        site = f"&site={params['site']}" if params.get("site") else ""
        return [(_("Import"), f"/office/patrol/import?kind=checklists{site}")]

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/patrol/checklists?site={row['site']}")]

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {**super().form_from_row(row),
                "items_text": labels.format_items(json_value(row["items"]))}

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        out = await super().options(user, row)
        out["site"] = await site_choices(user)
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        chosen_site(user, form, row)
        previous = json_value(row["items"]) if row else []
        items, problem = labels.parse_items(str(form.shown.get("items_text") or ""),
                                            previous if isinstance(previous, list) else [])
        if problem is not None:
            form.error("items_text", _(problem.message, **problem.params))
            return
        stored, problems = CHECKLIST_TYPE.check_values({"items": items}, names=["items"])
        for p in problems:
            form.error("items_text", _(p.message, **p.params))
        form.values["items"] = stored["items"]


CHECKPOINT_LIST = CheckpointList()
CHECKLIST_LIST = ChecklistList()


LISTS: tuple[RefList, ...] = (CHECKPOINT_LIST, CHECKLIST_LIST, ROUTE_LIST, SCHEDULE_LIST)
