"""What the front-desk logs add to the office's generic pages (registered in
server/domains.py): how their conflicts read side by side (a visitor signed out on two
phones, a pass let out at two gates, a handover received twice), where their records are
shown, their exceptions on the office home (visitors still inside past the cut-off hour,
passes refused or not matching their goods today, handovers waiting to be received) and
their entry in the top bar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.desk import cutoff
from server.desk.tables import Handover, PassCheck, Visitor
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_day_start
from server.lib.timezone import estate_zone
from server.office.exceptions import Ask, Kind, Rows
from server.review import present
from sync.domains.desk.records import (
    GOODS_PASS,
    HANDOVER,
    PASS_CHECK,
    VISITOR,
)

TITLES = {
    "signed_out_twice": (lazy("First sign-out (kept)"), lazy("Second sign-out")),
    "pass_used_twice": (lazy("First let out (kept)"), lazy("Second let out")),
    "received_twice": (lazy("First receipt (kept)"), lazy("Second receipt")),
}


def _who(value: Any, names: dict[str, str]) -> str:
    return names.get(str(value), str(value)) if value else "—"


def _when(record: str, name: str, value: Any, names: dict[str, str]) -> str:
    return present.display_value(record, name, value, names)


def _entries(details: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [e for e in details.get(key) or [] if isinstance(e, dict)]


def _titled(kind: str, columns: list[list[dict[str, str]]]) -> list[dict[str, Any]]:
    titles = TITLES[kind]
    return [{"title": _(titles[min(i, 1)]), "rows": rows} for i, rows in enumerate(columns)]


def _signed_out_twice(details: dict[str, Any], names: dict[str, str]
                      ) -> list[dict[str, Any]]:
    return _titled("signed_out_twice", [[
        {"label": _("Signed out by"), "value": _who(e.get("staff_id"), names)},
        {"label": _("Time out"), "value": _when(VISITOR, "time_out", e.get("time_out"), names)},
    ] for e in _entries(details, "sign_outs")])


def _pass_used_twice(details: dict[str, Any], names: dict[str, str]
                     ) -> list[dict[str, Any]]:
    number = str(details.get("number") or "—")
    return _titled("pass_used_twice", [[
        {"label": _("Pass number"), "value": number},
        {"label": _("Checked by"), "value": _who(e.get("staff_id"), names)},
        {"label": _("Checked at"),
         "value": _when(PASS_CHECK, "checked_at", e.get("checked_at"), names)},
    ] for e in _entries(details, "checks")])


def _received_twice(details: dict[str, Any], names: dict[str, str]
                    ) -> list[dict[str, Any]]:
    return _titled("received_twice", [[
        {"label": _("Incoming"), "value": str(e.get("name") or "—")},
        # their name when the conflict names them, else only that it was their own phone
        {"label": _("Signed on their own phone"),
         "value": names.get(str(e["staff_id"]), _("Yes")) if e.get("staff_id") else _("No")},
        {"label": _("Received at"),
         "value": _when(HANDOVER, "received_at", e.get("received_at"), names)},
    ] for e in _entries(details, "receipts")])


def _today(at: datetime) -> Any:
    day = at.astimezone(estate_zone()).date().isoformat()
    start = local_day_start(day) or at
    return (PassCheck.checked_at >= start) & (PassCheck.checked_at < start + timedelta(days=1))


def _late_inside(ask: Ask) -> Any:
    return Visitor.time_out.is_null() & cutoff.late_clause(
        str(Visitor._meta.db.engine_type), Visitor._meta.tablename, ask.at)


def _gate(outcome: str) -> Any:
    return lambda ask: _today(ask.at) & (PassCheck.outcome == outcome)


TODAY = "&date_from={today}&date_to={today}"  # the estate's day, filled in when shown
CHECK_TITLE = (PassCheck.number,)

# the office home's exceptions: visitors still inside past the cut-off hour, gate checks
# refused or not matching today, handovers nobody has received yet
EXCEPTIONS = (
    Kind("desk.late_inside", lazy("Visitors still inside past the cut-off"), True, VISITOR,
         "/office/desk/visitors?show=late_inside", when_label=lazy("Time in"),
         source=Rows(Visitor, _late_inside, (Visitor.name, Visitor.unit.number),
                     Visitor.time_in)),
    Kind("desk.refused", lazy("Passes refused at the gate today"), True, PASS_CHECK,
         "/office/desk/passes?outcome=refused" + TODAY, when_label=lazy("Checked at"),
         source=Rows(PassCheck, _gate("refused"), CHECK_TITLE, PassCheck.checked_at)),
    Kind("desk.mismatch", lazy("Goods not matching their pass today"), True, PASS_CHECK,
         "/office/desk/passes?outcome=mismatch" + TODAY, when_label=lazy("Checked at"),
         source=Rows(PassCheck, _gate("mismatch"), CHECK_TITLE, PassCheck.checked_at)),
    Kind("desk.handovers_waiting", lazy("Handovers waiting to be received"), False,
         HANDOVER, "/office/desk/handovers?show=waiting", when_label=lazy("Shift to"),
         source=Rows(Handover, lambda ask: Handover.received_at.is_null(),
                     (Handover.outgoing_name,), Handover.shift_end)),
)


def register(p: present.Presenters) -> None:
    p.sides.update({"signed_out_twice": _signed_out_twice,
                    "pass_used_twice": _pass_used_twice, "received_twice": _received_twice})
    p.pages.update({VISITOR: "/office/desk/visitors/{id}",
                    GOODS_PASS: "/office/desk/passes/{id}",
                    PASS_CHECK: "/office/desk/checks/{id}",
                    HANDOVER: "/office/desk/handovers/{id}"})
    p.nav += [(lazy("Front desk"), "/office/desk/visitors")]
