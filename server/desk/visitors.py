"""The visitor register as the office reads it (來訪登記): one site's visitors, newest first,
filtered by who is still inside, who was inside past the cut-off hour (:mod:`server.desk.
cutoff`), who has left, the days they came, the unit and a search over the name and the
badge, and by the office's review (:mod:`server.lib.reviewed`) — paged, counted and filtered
in SQL; the same rows unpaged, in batches, for the exports; and one visitor's page (every
field, the device's times beside the server's receipt, the conflicts about it and its
history)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from server.accounts.schemas import CurrentUser
from server.desk import cutoff
from server.desk.queries import conflicts_about, day_range, page_of, pick_site, received
from server.desk.schemas import VISITOR_TABS, VisitorFilters
from server.desk.tables import Visitor
from server.estate.tables import Resident
from server.lib import reviewed
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.paging import PageOf
from server.lib.queries import (
    as_id,
    both,
    contains,
    local_time,
    now,
    plain,
    require_id,
    staff_names,
)
from server.review.queries import history
from sync.domains.desk.records import CONFIRMATIONS, ID_TYPES

V = Visitor
BATCH = 1000


def engine_type() -> str:
    return str(V._meta.db.engine_type)


def show_clause(show: str) -> Any:
    if show == "inside":
        return V.time_out.is_null()
    if show == "out":
        return V.time_out.is_not_null()
    if show == "late":
        return cutoff.late_clause(engine_type(), V._meta.tablename)
    if show == "late_inside":
        return V.time_out.is_null() & cutoff.late_clause(engine_type(), V._meta.tablename)
    return None


def where(site_id: str, f: VisitorFilters) -> Any:
    search = (contains(V.name, f.q) | contains(V.badge, f.q)) if f.q else None
    return both(V.site == site_id, show_clause(f.show),
                day_range(V.time_in, f.date_from, f.date_to),
                contains(V.unit.number, f.unit) if f.unit else None, search,
                reviewed.clause(V.id, "visitor", f.review))


def select() -> Any:
    return V.select(
        V.id, V.site, V.unit, V.name, V.id_type, V.id_last4, V.phone, V.confirmed_by,
        V.resident, V.called_number, V.purpose, V.badge, V.time_in, V.signed_in_by,
        V.time_out, V.signed_out_by, V.created_at, V.unit.number.as_alias("unit_number"),
    ).order_by(V.time_in, ascending=False).order_by(V.id, ascending=False)


async def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names, labels and times as people read them; the cut-off flag."""
    names = await staff_names([*(r["signed_in_by"] for r in rows),
                               *(r["signed_out_by"] for r in rows)])
    wanted = sorted({i for i in (as_id(r["resident"]) for r in rows) if i})
    residents = {str(r["id"]): r["name"] for r in await Resident.select(
        Resident.id, Resident.name).where(Resident.id.is_in(wanted))} if wanted else {}
    at = now()
    for r in rows:
        r["signed_in_name"] = names.get(str(r["signed_in_by"]), "")
        r["signed_out_name"] = names.get(str(r["signed_out_by"]), "")
        r["id_type_label"] = ID_TYPES.get(str(r["id_type"]), str(r["id_type"]))
        r["confirmed_label"] = CONFIRMATIONS.get(str(r["confirmed_by"]),
                                                 str(r["confirmed_by"]))
        r["resident_name"] = residents.get(str(r["resident"]), "")
        r["time_out_shown"] = local_time(r["time_out"], seconds=True)
        r["inside"] = r["time_out"] is None
        r["late"] = cutoff.is_late(r["time_in"], r["time_out"], at)
    received(rows, "time_in")
    await reviewed.add_reviews("visitor", rows)
    return rows


def confirmed_text(r: dict[str, Any]) -> str:
    """Who confirmed the visit: the resident's name, or "by phone: <number>"."""
    if r["confirmed_by"] == "phone":
        return _("By phone: {number}", number=r["called_number"] or "—")
    return r["resident_name"] or _(r["confirmed_label"])


async def rows(user: CurrentUser, f: VisitorFilters) -> tuple[dict[str, Any], list[Any],
                                                               PageOf]:
    site, sites = await pick_site(user, f.site)
    page = await page_of(select(), V.count(), where(site["id"], f), f.page)
    page.rows = await decorate(page.rows)
    for r in page.rows:
        r["confirmed_text"] = confirmed_text(r)
    return site, sites, page


async def batches(user: CurrentUser, f: VisitorFilters
                  ) -> tuple[dict[str, Any], AsyncIterator[list[dict[str, Any]]]]:
    """The site and every row of the filters in batches, newest first (no paging): the
    exports stream them (a batch goes on after the last row of the one before)."""
    site, _sites = await pick_site(user, f.site)
    clause = where(site["id"], f)

    async def run() -> AsyncIterator[list[dict[str, Any]]]:
        last: dict[str, Any] | None = None
        while True:
            # after the last row: (time_in, id) below it; the plain bound lets the database
            # walk the time_in index instead of sorting the whole site again for each batch
            after = None if last is None else (V.time_in <= last["time_in"]) & (
                (V.time_in < last["time_in"])
                | ((V.time_in == last["time_in"]) & (V.id < last["id"])))
            found = [plain(r) for r in await select().where(both(clause, after)).limit(BATCH)]
            if found:
                yield await decorate(found)
            if len(found) < BATCH:
                return
            last = found[-1]
    return site, run()


async def page(user: CurrentUser, f: VisitorFilters) -> dict[str, Any]:
    site, sites, found = await rows(user, f)
    return {"site": site, "sites": sites, "filters": f, "page": found,
            "tabs": VISITOR_TABS, "cutoff": cutoff.label(),
            "review_href": reviewed.link("visitor", site["id"], f.review)}


async def visitor_page(user: CurrentUser, visitor_id: str) -> dict[str, Any]:
    """One visitor (else 404): every field, who signed them in and out, the times."""
    row = await select().where(V.id == require_id(visitor_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    v = (await decorate([plain(row)]))[0]
    v["confirmed_text"] = confirmed_text(v)
    return {"v": v, "cutoff": cutoff.label(),
            "conflicts": await conflicts_about(v["id"]),
            "history": await history("visitor", v["id"])}
