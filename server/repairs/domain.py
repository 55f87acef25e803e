"""What the repairs domain adds to the office's generic pages (registered in
server/domains.py): how its conflicts read side by side (a request closed by the office while
a technician worked on it, a visit closed twice, a follow-up recorded twice), where its
records are shown, its exceptions on the office home and its entry in the top bar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.estate.tables import Site, Unit
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.office.exceptions import Kind, Rows, literal_in
from server.repairs import chain, followups
from server.repairs.board import overdue_clause
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from server.review import present
from sync.domains.repairs.records import (
    FOLLOW_UP,
    OPEN_STATES,
    OUTCOMES,
    POLICY,
    RATINGS,
    REQUEST,
    TECHNICIAN,
    VISIT,
)
from sync.domains.repairs.visit import SIGNED

STAFF_KEYS = ("staff_id", "technician_id", "done_by", "staff")
F, R, V = FollowUp, RepairRequest, RepairVisit


def _value(record: str, name: str, value: Any, names: dict[str, str]) -> str:
    if name in STAFF_KEYS:
        return names.get(str(value), str(value or "—"))
    if name == "outcome":
        return _(OUTCOMES.get(str(value), str(value or "—")))
    if name == "rating":
        return _(RATINGS.get(str(value), str(value or "—")))
    return present.display_value(record, name, value, names) if value is not None else "—"


def _label(record: str, name: str) -> str:
    if name in STAFF_KEYS:
        return lazy("Recorded by")
    if name == "device_id":
        return lazy("Device")
    return present.field_label(record, name)


def _rows(record: str, data: Any, names: dict[str, str], skip: tuple[str, ...] = ()
          ) -> list[dict[str, str]]:
    if not isinstance(data, dict):
        return []
    return [{"label": _label(record, k), "value": _value(record, k, v, names)}
            for k, v in data.items() if k not in skip and not k.endswith("hlc")]


def _two(details: dict[str, Any]) -> list[Any]:
    """The two recordings a conflict keeps: ``first``/``second``, or a list of them."""
    if isinstance(details.get("first"), dict) or isinstance(details.get("second"), dict):
        return [details.get("first") or {}, details.get("second") or {}]
    for key in ("closings", "follow_ups", "records"):
        if isinstance(details.get(key), list):
            return list(details[key])
    return []


def _closed_while_working(details: dict[str, Any], names: dict[str, str]
                          ) -> list[dict[str, Any]]:
    closed = {"title": _("Closed by the office"), "rows": [
        {"label": lazy("Request number"), "value": str(details.get("number") or "—")},
        {"label": lazy("Closed at"),
         "value": _value(REQUEST, "closed_at", details.get("closed_at"), names)},
        {"label": lazy("Closing reason"), "value": str(details.get("close_reason") or "—")}]}
    working = {"title": _("Technician at work"), "rows": [
        {"label": lazy("Arrived"),
         "value": _value(VISIT, "arrived_at", details.get("arrived_at"), names)}]}
    return [closed, working]


def _double_close(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    titles = (lazy("First closing (kept)"), lazy("Second closing"))
    return [{"title": _(titles[min(i, 1)]), "rows": _rows(VISIT, c, names)}
            for i, c in enumerate(_two(details))]


def _double_follow_up(details: dict[str, Any], names: dict[str, str]
                      ) -> list[dict[str, Any]]:
    titles = (lazy("First follow-up (kept)"), lazy("Second follow-up"))
    return [{"title": _(titles[min(i, 1)]), "rows": _rows(FOLLOW_UP, c, names)}
            for i, c in enumerate(_two(details))]


# the references a conflict's records name, shown by what people read
REFS = {"site_id": (Site, "name"), "unit_id": (Unit, "number"),
        "request_id": (RepairRequest, "number"), "follow_request_id": (RepairRequest, "number"),
        "parent_id": (RepairRequest, "number")}


def _decorator(record: str) -> Any:
    async def decorate(records: list[dict[str, Any]], names: dict[str, str]) -> None:
        """A site by its name, a unit by its number, a request by its number."""
        wanted: dict[Any, set[str]] = {}
        for r in records:
            for name, (table, _column) in REFS.items():
                if r["data"].get(name):
                    wanted.setdefault(table, set()).add(str(r["data"][name]))
        for table, ids in wanted.items():
            column = next(c for t, c in REFS.values() if t is table)
            for row in await table.select(table.id, getattr(table, column)).where(
                    table.id.is_in(sorted(ids))):
                names[str(row["id"])] = str(row[column])
        for r in records:
            r["fields"] = [{"label": present.field_label(record, name),
                            "value": names.get(str(v), str(v)) if name in REFS and v
                            else present.display_value(record, name, v, names)}
                           for name, v in r["data"].items()]
    return decorate


RECENT_DAYS = 7  # a visit closed without the resident's signature is an exception this long
REQUEST_TITLE = (R.number, R.unit.number, R.area)
VISIT_TITLE = (V.unit.number, V.refused_reason)
# the terms of the partial indexes the home's counts read (migration 2026-12-07T10:10), as
# written there: SQLite picks such an index only for a query that holds its terms as written
OPEN = literal_in(R.state, OPEN_STATES)
NO_SIGNATURE = literal_in(V.signature_blob, [""])
RATED_C = literal_in(F.rating, ["C"])


def unsigned(at: datetime) -> Any:
    """Visits of the last :data:`RECENT_DAYS` closed with an outcome the resident signs
    (done, follow-up needed, cannot complete) but no signature: the resident refused (the
    reason is kept). "No one home" needs no signature."""
    return (NO_SIGNATURE & V.closed_at.is_not_null() & V.outcome.is_in(list(SIGNED))
            & (V.arrived_at >= at - timedelta(days=RECENT_DAYS)))


async def _follow_up_requests(rows: list[dict[str, Any]]) -> None:
    """A follow-up by its request's number and unit; it opens its request."""
    ids = [r["id"] for r in rows]
    requests = {str(f["id"]): str(f["request"]) for f in await F.select(
        F.id, F.request).where(F.id.is_in(ids))} if ids else {}
    wanted = sorted(set(requests.values()))
    numbers = {str(r["id"]): r["number"] for r in await R.select(R.id, R.number).where(
        R.id.is_in(wanted))} if wanted else {}
    for r in rows:
        request = requests.get(r["id"], "")
        r["title"] = " · ".join(t for t in (numbers.get(request, ""), r["title"]) if t)
        if request:
            r["href"] = f"/office/repairs/{request}"


def _chain(kind: str) -> Kind:
    return Kind(f"repairs.chain_{kind}", CHAIN_LABELS[kind], True, REQUEST,
                "/office/repairs/chain", when_label=lazy("Reported at"),
                source=Rows(R, lambda ask: chain.clause(kind, ask.at), REQUEST_TITLE,
                            R.reported_at, since=chain.LENT_AT))


CHAIN_LABELS = {
    "no_visit": lazy("Entry chain exceptions: key lent, no visit recorded"),
    "key_still_out": lazy("Entry chain exceptions: visit closed, key still out"),
    "no_owner_consent": lazy("Entry chain exceptions: owner's consent not noted"),
}

# the office home's exceptions: overdue requests and follow-ups, the entry chain's, C ratings,
# visits without the resident's signature, and requests nobody has been given yet
EXCEPTIONS = (
    Kind("repairs.overdue", lazy("Overdue repair requests"), True, REQUEST,
         "/office/repairs?state=overdue", when_label=lazy("Complete by"),
         source=Rows(R, lambda ask: OPEN & overdue_clause(ask.at), REQUEST_TITLE,
                     R.complete_by)),
    Kind("repairs.follow_ups_overdue", lazy("Follow-ups overdue"), True, FOLLOW_UP,
         "/office/repairs/follow-ups?show=overdue", when_label=lazy("Due by"),
         source=Rows(F, lambda ask: F.done_at.is_null() & (F.due_at < ask.at),
                     (F.unit.number,), F.due_at, decorate=_follow_up_requests)),
    *(_chain(kind) for kind in CHAIN_LABELS),
    Kind("repairs.unsatisfied", lazy("Follow-ups rated C, request reopened"), True,
         FOLLOW_UP, "/office/repairs/follow-ups?show=unsatisfied",
         when_label=lazy("Done at"),
         source=Rows(F, lambda ask: RATED_C & followups.unsatisfied(), (F.unit.number,), F.done_at,
                     decorate=_follow_up_requests)),
    Kind("repairs.unsigned", lazy("Visits without the resident's signature (7 days)"), True,
         VISIT, "", when_label=lazy("Closed at"),
         source=Rows(V, lambda ask: unsigned(ask.at), VISIT_TITLE, V.closed_at)),
    Kind("repairs.new", lazy("Repair requests not assigned"), False, REQUEST,
         "/office/repairs?state=new", when_label=lazy("Reported at"),
         source=Rows(R, lambda ask: OPEN & (R.state == "new"), REQUEST_TITLE,
                     R.reported_at)),
)


def register(p: present.Presenters) -> None:
    p.sides.update({"closed_while_working": _closed_while_working,
                    "double_close": _double_close, "double_follow_up": _double_follow_up})
    p.pages.update({REQUEST: "/office/repairs/{id}", VISIT: "/office/repairs/visits/{id}",
                    POLICY: "/office/repairs/policies/{id}",
                    TECHNICIAN: "/office/repairs/technicians/{id}"})
    p.decorate.update({t: _decorator(t) for t in (REQUEST, VISIT, FOLLOW_UP)})
    p.nav += [(lazy("Repairs"), "/office/repairs")]
