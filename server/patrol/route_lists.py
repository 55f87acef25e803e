"""Routes and schedules on the generic lists (see :mod:`server.patrol.lists`). A route's
checkpoints are written as their printed codes, one per line, in the order walked; a
schedule's guards are ticked among the site's patrol staff."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.accounts.tables import StaffSite
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, json_value, scope
from server.patrol.list_base import PatrolList, chosen_site, site_choices
from server.patrol.tables import PatrolCheckpoint, PatrolRoute, PatrolSchedule
from server.refdata.spec import Col, Input, Submission
from sync.domains.patrol.records import HHMM_PATTERN, ROUTE_TYPE, SCHEDULE_TYPE
from sync.domains.patrol.rules import typed_code

ORDER_OPTIONS = (("1", "In this order"), ("0", "Any order"))
YES_NO = (("0", "No"), ("1", "Yes"))


class RouteList(PatrolList):
    slug = "patrol/routes"
    type = ROUTE_TYPE
    table = PatrolRoute
    title, new_title, legend = "Routes", "New route", "Route details"
    columns = (Col("name", show="link"), Col("stops", "Checkpoints", show="number"),
               Col("ordered", "Order"), Col("expected_minutes", show="number"),
               Col("site_code", "Site"), Col("active", "Status", show="status"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("site", "site_id", widget="select", when="create"),
        Input("name"),
        Input("codes", "", "Checkpoints", widget="textarea", required=True,
              hint="Their printed codes, one per line, in the order walked."),
        Input("ordered", widget="select", default="1"),
        Input("expected_minutes", default="30", attrs={"inputmode": "numeric"}),
    )
    search = ("name",)
    search_hint = "Name"
    order = ("site.code", "name")

    def selected(self) -> list[Any]:
        return [*super().selected(), PatrolRoute.checkpoint_ids]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            ids = json_value(r.get("checkpoint_ids"))
            r["stops"] = len(ids) if isinstance(ids, list) else 0
            r["ordered"] = _("In this order") if r["ordered"] else _("Any order")

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/patrol/routes?site={row['site']}"),
                (_("Print its labels"),
                 f"/office/patrol/labels?site={row['site']}&route={row['id']}")]

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = super().form_from_row(row)
        out["ordered"] = "1" if row["ordered"] else "0"
        out["codes"] = "\n".join(row.get("codes") or [])
        return out

    async def load(self, user: CurrentUser, record_id: str) -> dict[str, Any]:
        row = await super().load(user, record_id)
        ids = [str(i) for i in json_value(row["checkpoint_ids"]) or []]
        found = {str(c["id"]): c["code"] for c in await PatrolCheckpoint.select(
            PatrolCheckpoint.id, PatrolCheckpoint.code).where(
            PatrolCheckpoint.id.is_in(ids))} if ids else {}
        row["codes"] = [found.get(i, i) for i in ids]
        return row

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        return {"site": await site_choices(user),
                "ordered": [(v, _(t)) for v, t in ORDER_OPTIONS]}

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        site = chosen_site(user, form, row)
        codes = [typed_code(c) for c in re.split(r"[\s,，、]+",
                                                  str(form.shown.get("codes") or "")) if c]
        if not codes:
            form.error("codes", _("Write at least one checkpoint code."))
            return
        if site is None:
            return
        found = {c["code"]: c for c in await PatrolCheckpoint.select(
            PatrolCheckpoint.id, PatrolCheckpoint.code, PatrolCheckpoint.active).where(
            (PatrolCheckpoint.site == site) & PatrolCheckpoint.code.is_in(codes))}
        unknown = [c for c in codes if c not in found]
        retired = [c for c in codes if c in found and not found[c]["active"]]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if unknown:
            form.error("codes", _("No checkpoint of this site has the code(s): {codes}.",
                                  codes=", ".join(unknown)))
        elif retired:
            form.error("codes", _("Retired checkpoint(s): {codes}.", codes=", ".join(retired)))
        elif repeated:
            form.error("codes", _("Each checkpoint once: {codes} repeated.",
                                  codes=", ".join(repeated)))
        else:
            form.values["checkpoint_ids"] = [str(found[c]["id"]) for c in codes]
        form.shown["codes"] = "\n".join(codes)


class ScheduleList(PatrolList):
    slug = "patrol/schedules"
    type = SCHEDULE_TYPE
    table = PatrolSchedule
    title, new_title, legend = "Schedules", "New schedule", "Schedule details"
    columns = (Col("name", show="link"), Col("route_name", "Route"), Col("when", "When"),
               Col("site_code", "Site"), Col("active", "Status", show="status"))
    joins = (("site_code", "site.code"), ("site_name", "site.name"))
    inputs = (
        Input("route", "", "Route", widget="grouped", required=True),
        Input("name"),
        Input("every_hours", default="2", attrs={"inputmode": "numeric"},
              hint="0: only at the fixed times below."),
        Input("window_start", default="22:00", attrs={"inputmode": "numeric"}),
        Input("window_end", default="06:00", attrs={"inputmode": "numeric"}),
        Input("times", "", "At fixed times", hint="For example 08:00, 14:00, 20:00."),
        Input("random_start", widget="select", default="0"),
        Input("start_minutes", default="30", attrs={"inputmode": "numeric"}),
        Input("guards", "", "Guards (none: every guard of the site)", widget="checkboxes"),
    )
    search = ("name",)
    search_hint = "Name"
    order = ("site.code", "name")

    def selected(self) -> list[Any]:
        t = self.table
        return [*super().selected(), t.route, t.every_hours, t.window_start, t.window_end,
                t.fixed_times]

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        ids = sorted({str(r["route"]) for r in rows})
        names = {str(r["id"]): r["name"] for r in await PatrolRoute.select(
            PatrolRoute.id, PatrolRoute.name).where(PatrolRoute.id.is_in(ids))} if ids else {}
        for r in rows:
            r["route_name"] = names.get(str(r["route"]), "")
            r["when"] = describe(r)

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[tuple[str, str]]:
        return [(row["site_name"], f"/office/patrol/schedules?site={row['site']}"),
                (_("Route"), f"/office/patrol/routes/{row['route']}")]

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = super().form_from_row(row)
        out.update(route=str(row["route"]), random_start="1" if row["random_start"] else "0",
                   times=", ".join(json_value(row["fixed_times"]) or []),
                   guards=[str(g) for g in json_value(row["guard_ids"]) or []])
        return out

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        where = (PatrolRoute.site == row["site"]) if row is not None \
            else scope(PatrolRoute.site, user)
        routes = [] if where is False else await PatrolRoute.select(
            PatrolRoute.id, PatrolRoute.name, PatrolRoute.site.name.as_alias("site_name")
        ).where(PatrolRoute.active.eq(True), *(() if where is None else (where,))).order_by(
            PatrolRoute.site.code).order_by(PatrolRoute.name)
        groups: dict[str, dict[str, Any]] = {}
        for r in routes:
            group = groups.setdefault(r["site_name"], {"label": r["site_name"], "options": []})
            group["options"].append((str(r["id"]), r["name"]))
        staff_where = StaffSite.site == row["site"] if row is not None \
            else scope(StaffSite.site, user)
        guards = [] if staff_where is False else await StaffSite.select(
            StaffSite.staff, StaffSite.staff.display_name.as_alias("name"),
            StaffSite.site.code.as_alias("site_code")).where(
            StaffSite.staff.role == "patrol", StaffSite.staff.active == True,  # noqa: E712
            *(() if staff_where is None else (staff_where,)))
        return {"route": list(groups.values()),
                "random_start": [(v, _(t)) for v, t in YES_NO],
                "guards": sorted({(str(g["staff"]), f"{g['name']} ({g['site_code']})")
                                  for g in guards}, key=lambda o: o[1])}

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        route_id = as_id(form.shown.get("route"))
        route = await PatrolRoute.select(PatrolRoute.id, PatrolRoute.site).where(
            PatrolRoute.id == route_id).first() if route_id else None
        if route is None or not user.can_see_site(str(route["site"])) or (
                row is not None and str(route["site"]) != str(row["site"])):
            form.error("route", _("Choose one of the listed routes."))
            return
        form.values["route_id"] = str(route["id"])
        if row is None:
            form.values["site_id"] = str(route["site"])
        times = [t for t in re.split(r"[\s,，、]+", str(form.shown.get("times") or "")) if t]
        bad = [t for t in times if not re.match(HHMM_PATTERN, t)]
        if bad:
            form.error("times", _("Write times such as 08:00: {times}.", times=", ".join(bad)))
        form.values["fixed_times"] = sorted(set(times))
        every = form.values.get("every_hours")
        if not every and not times and "every_hours" not in form.errors:
            form.error("every_hours", _("Give every how many hours, or fixed times."))
        if every and not (form.values.get("window_start") and form.values.get("window_end")):
            form.error("window_start", _("Give the window's start and end, e.g. 22:00 and 06:00."))
        wanted = form.shown.get("guards") or []
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        site = str(route["site"])
        allowed = {str(s["staff"]) for s in await StaffSite.select(StaffSite.staff).where(
            StaffSite.site == site, StaffSite.staff.role == "patrol")}  # as the picker offers
        if any(as_id(g) not in allowed for g in wanted):
            form.error("guards", _("Choose guards of the route's site."))
        form.values["guard_ids"] = sorted({str(as_id(g)) for g in wanted if as_id(g)})


def describe(row: Mapping[str, Any]) -> str:
    """When a schedule's rounds are, in a few words."""
    times = json_value(row.get("fixed_times")) or []
    out = []
    if row.get("every_hours"):
        out.append(_("Every {n} h, {start}–{end}", n=row["every_hours"],
                     start=row.get("window_start", ""), end=row.get("window_end", "")))
    if times:
        out.append(_("At {times}", times=", ".join(times)))
    return " · ".join(out)


ROUTE_LIST = RouteList()
SCHEDULE_LIST = ScheduleList()
