"""What the key domain adds to the office's generic pages (registered in server/domains.py):
how its conflicts read side by side, where its records are shown, the "void one loan" action
of a double loan, its exceptions on the office home and its entries in the top bar."""

from __future__ import annotations

from typing import Any

from server.keys.loan_queries import open_loan
from server.keys.tables import KeyLoan, KeyTag
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time
from server.office.exceptions import Ask, Kind, Rows
from server.review import present
from sync.domains.keys.records import LOAN

LOAN_SIDE_FIELDS = ("borrower_name", "borrower_kind", "lent_at", "due_at", "lent_by",
                    "returned_at", "returned_by", "voided", "void_reason")
HIDDEN = ("loan_id", "key_id", "lent_device", "return_device")


def _pairs(data: dict[str, Any], names: dict[str, str]) -> list[dict[str, str]]:
    return present.pairs(LOAN, data, names, skip=HIDDEN)


def _double_loan(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": _("Loan {n}", n=i + 1), "rows": _pairs(loan, names)}
            for i, loan in enumerate(details.get("loans") or []) if isinstance(loan, dict)]


def _double_return(details: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": _("First return"), "rows": _pairs(details.get("first") or {}, names)},
            {"title": _("Second return"), "rows": _pairs(details.get("second") or {}, names)}]


def _return_before_loan(details: dict[str, Any], names: dict[str, str]
                        ) -> list[dict[str, Any]]:
    return [{"title": _("Lent"), "rows": _pairs(
                {"lent_at": details.get("lent_at"), "lent_by": details.get("lent_by")}, names)},
            {"title": _("Returned"), "rows": _pairs(
                {"returned_at": details.get("returned_at"),
                 "return_recorded_by": details.get("return_recorded_by")}, names)}]


async def _decorate_loans(records: list[dict[str, Any]], names: dict[str, str]) -> None:
    """A loan in a conflict shows its key's code, its lending time and its state."""
    key_ids = sorted({str(r["data"].get("key_id")) for r in records})
    keys = {str(k["id"]): k for k in await KeyTag.select(KeyTag.id, KeyTag.code).where(
        KeyTag.id.is_in(key_ids))} if key_ids else {}
    for r in records:
        d = r["data"]
        r["key_code"] = keys.get(str(d.get("key_id")), {}).get("code", "")
        r["lent"] = local_time(d.get("lent_at"))
        r["fields"] = present.pairs(LOAN, {f: d.get(f) for f in LOAN_SIDE_FIELDS}, names)


def _overdue(ask: Ask) -> Any:
    return open_loan() & (KeyLoan.due_at < ask.at)


LOAN_TITLE = (KeyLoan.key.code, KeyLoan.borrower_name)

# the office home's exceptions: overdue keys, then keys out now (a loan is one occurrence:
# a new loan of the same key is a new item)
EXCEPTIONS = (
    Kind("keys.overdue", lazy("Overdue keys"), True, LOAN,
         "/office/keys/loans?status=overdue", when_label=lazy("Due"),
         source=Rows(KeyLoan, _overdue, LOAN_TITLE, KeyLoan.due_at)),
    Kind("keys.out", lazy("Keys out now"), False, LOAN, "/office/keys/loans?status=out",
         when_label=lazy("Lent at"),
         source=Rows(KeyLoan, lambda ask: open_loan(), LOAN_TITLE, KeyLoan.lent_at)),
)


def register(p: present.Presenters) -> None:
    p.sides.update({"double_loan": _double_loan, "double_return": _double_return,
                    "return_before_loan": _return_before_loan})
    p.pages.update({"key": "/office/keys/{id}", "key_loan": "/office/keys/loans/{id}"})
    p.actions["key_loan"] = "office/keys/_conflict_actions.html"
    p.decorate["key_loan"] = _decorate_loans
    p.nav += [("Keys", "/office/keys"), ("Loans", "/office/keys/loans")]
