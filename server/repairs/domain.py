"""What the repairs domain adds to the office's generic pages (registered in
server/domains.py): how its conflicts read side by side (a request closed by the office while
a technician worked on it, a visit closed twice, a follow-up recorded twice), where its
records are shown, its exceptions on the office home and its entry in the top bar."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.estate.tables import Site, Unit
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import now, scope
from server.repairs import chain, followups
from server.repairs.board import overdue_clause
from server.repairs.tables import FollowUp, RepairRequest
from server.review import present
from server.review.queries import count
from sync.domains.repairs.records import (
    FOLLOW_UP,
    OUTCOMES,
    POLICY,
    RATINGS,
    REQUEST,
    TECHNICIAN,
    VISIT,
)

STAFF_KEYS = ("staff_id", "technician_id", "done_by", "staff")


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


async def counts(user: CurrentUser) -> list[dict[str, Any]]:
    """Overdue requests, follow-ups past their due time, the entry chain's exceptions and
    requests nobody has been given yet."""
    at = now()
    exceptions = await chain.exceptions(user)
    return [
        {"label": lazy("Overdue repair requests"), "href": "/office/repairs?state=overdue",
         "alert": True,
         "count": await count(RepairRequest, scope(RepairRequest.site, user),
                              overdue_clause(at))},
        {"label": lazy("Follow-ups overdue"), "href": "/office/repairs/follow-ups?show=overdue",
         "alert": True,
         "count": await count(FollowUp, scope(FollowUp.site, user), FollowUp.done_at.is_null(),
                              FollowUp.due_at < at)},
        {"label": lazy("Entry chain exceptions"), "href": "/office/repairs/chain",
         "alert": True, "count": len(exceptions)},
        {"label": lazy("Follow-ups rated C, request reopened"),
         "href": "/office/repairs/follow-ups?show=unsatisfied", "alert": True,
         "count": await count(FollowUp, scope(FollowUp.site, user), followups.unsatisfied())},
        {"label": lazy("Repair requests not assigned"), "href": "/office/repairs?state=new",
         "alert": False,
         "count": await count(RepairRequest, scope(RepairRequest.site, user),
                              RepairRequest.state == "new")},
    ]


def register(p: present.Presenters) -> None:
    p.sides.update({"closed_while_working": _closed_while_working,
                    "double_close": _double_close, "double_follow_up": _double_follow_up})
    p.pages.update({REQUEST: "/office/repairs/{id}", VISIT: "/office/repairs/visits/{id}",
                    POLICY: "/office/repairs/policies/{id}",
                    TECHNICIAN: "/office/repairs/technicians/{id}"})
    p.decorate.update({t: _decorator(t) for t in (REQUEST, VISIT, FOLLOW_UP)})
    p.counts.append(counts)
    p.nav += [(lazy("Repairs"), "/office/repairs")]
