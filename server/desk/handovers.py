"""Shift handovers as the office reads them (交接班): one site's handovers, newest shift
first — the shift, who handed over and who took over, when it was drafted and received (or
that it is waiting to be received) — filtered by state, by the exceptions handed over
unresolved, by the days the shifts ended and by the office's review
(:mod:`server.lib.reviewed`); and one handover's page: its summary (drafted
by the outgoing phone from the data), the notes, both signatures and the exceptions handed
over unresolved.

The summary is JSON the phone wrote: counts (``keys_out``…) and lists of small objects with
a ``label`` (``keys_overdue``…). It is shown generically — a count, or a list's items by
their label — so a key the office does not know still shows, and a missing key is simply
not there."""

from __future__ import annotations

from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw

from server.accounts.schemas import CurrentUser
from server.desk.queries import conflicts_about, day_range, page_of, pick_site, received
from server.desk.schemas import HANDOVER_TABS, HandoverFilters
from server.desk.tables import Handover
from server.lib import reviewed
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import both, json_value, local_time, plain, require_id, staff_names
from server.review.queries import history

H = Handover

# the summary's keys the office names, in the order it shows them
SUMMARY = {
    "keys_out": lazy("Keys out"),
    "keys_overdue": lazy("Keys overdue"),
    "cards_in_stock": lazy("Cards in stock"),
    "blacklists_pending": lazy("Blacklists pending"),
    "rounds_done": lazy("Rounds done"),
    "rounds_missed": lazy("Rounds missed"),
    "requests_open": lazy("Open repair requests"),
    "incidents_open": lazy("Open incidents"),
    "visitors_inside": lazy("Visitors still inside"),
}
# the lists that are exceptions while they hold anything: handed over unresolved
OPEN_ITEMS = ("keys_overdue", "rounds_missed", "requests_open", "incidents_open",
              "visitors_inside")


def unresolved_clause(engine_type: str) -> WhereRaw:
    """Handovers whose summary hands over at least one open item (in SQL: JSON arrays)."""
    column = f'"{H._meta.tablename}"."summary"'
    if engine_type in ("postgres", "cockroach"):
        parts = [f"(CASE WHEN json_typeof({column}::json -> '{k}') = 'array' "
                 f"THEN json_array_length({column}::json -> '{k}') ELSE 0 END) > 0"
                 for k in OPEN_ITEMS]
    else:
        parts = [f"COALESCE(json_array_length({column}, '$.{k}'), 0) > 0" for k in OPEN_ITEMS]
    return WhereRaw("(" + " OR ".join(parts) + ")")


def show_clause(show: str) -> Any:
    if show == "waiting":
        return H.received_at.is_null()
    if show == "received":
        return H.received_at.is_not_null()
    if show == "unresolved":
        return unresolved_clause(str(H._meta.db.engine_type))
    return None


def where(site_id: str, f: HandoverFilters) -> Any:
    return both(H.site == site_id, show_clause(f.show),
                day_range(H.shift_end, f.date_from, f.date_to),
                reviewed.clause(H.id, "handover", f.review))


def _label(item: Any) -> str:
    if isinstance(item, dict):
        text = item.get("label")
        return str(text) if text not in (None, "") else _json_text(item)
    return str(item)


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def summary_lines(summary: Any) -> list[dict[str, Any]]:
    """The summary as lines: a label, a count and, for a list, its items' labels — the
    office's keys first, in their order, then any other key as the phone named it."""
    data = summary if isinstance(summary, dict) else {}
    # a list the phone cut (at 20 items) has its full count in "totals"
    given = data.get("totals")
    totals: dict[str, Any] = given if isinstance(given, dict) else {}
    keys = [k for k in SUMMARY if k in data] + sorted(
        k for k in data if k not in SUMMARY and k != "totals")
    out = []
    for k in keys:
        value = data[k]
        line: dict[str, Any] = {"key": k, "label": SUMMARY.get(k, k), "items": [],
                                "open": k in OPEN_ITEMS}
        if isinstance(value, list):
            line["items"] = [_label(i) for i in value]
            total = totals.get(k)
            line["count"] = total if isinstance(total, int) and total > len(value) \
                else len(value)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            line["count"] = None
            line["text"] = _json_text(value) if isinstance(value, dict) else str(value)
        else:
            line["count"] = value
        out.append(line)
    return out


def unresolved(summary: Any) -> list[dict[str, Any]]:
    """The exceptions handed over unresolved: the open lists that hold anything."""
    return [line for line in summary_lines(summary) if line["open"] and line["items"]]


async def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = await staff_names([*(r["outgoing"] for r in rows), *(r["incoming"] for r in rows)])
    for r in rows:
        r["summary"] = json_value(r["summary"]) or {}
        r["outgoing_staff"] = names.get(str(r["outgoing"]), "")
        r["incoming_staff"] = names.get(str(r["incoming"]), "")
        r["shift_from"] = local_time(r["shift_start"])
        r["shift_to"] = local_time(r["shift_end"])
        r["received_shown"] = local_time(r["received_at"], seconds=True)
        r["waiting"] = r["received_at"] is None
        r["unresolved"] = unresolved(r["summary"])
        r["unresolved_count"] = sum(len(line["items"]) for line in r["unresolved"])
    received(rows, "drafted_at")
    await reviewed.add_reviews("handover", rows)
    return rows


def select() -> Any:
    return H.select(
        H.id, H.site, H.shift_start, H.shift_end, H.summary, H.notes, H.outgoing,
        H.outgoing_name, H.outgoing_signature, H.drafted_at, H.incoming, H.incoming_name,
        H.incoming_signature, H.received_at, H.created_at,
    ).order_by(H.shift_end, ascending=False).order_by(H.id, ascending=False)


async def page(user: CurrentUser, f: HandoverFilters) -> dict[str, Any]:
    site, sites = await pick_site(user, f.site)
    found = await page_of(select(), H.count(), where(site["id"], f), f.page)
    found.rows = await decorate(found.rows)
    return {"site": site, "sites": sites, "filters": f, "page": found, "tabs": HANDOVER_TABS,
            "review_href": reviewed.link("handover", site["id"], f.review)}


async def handover_page(user: CurrentUser, handover_id: str) -> dict[str, Any]:
    row = await select().where(H.id == require_id(handover_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    h = (await decorate([plain(row)]))[0]
    return {"h": h, "lines": summary_lines(h["summary"]),
            "conflicts": await conflicts_about(h["id"]),
            "history": await history("handover", h["id"])}
