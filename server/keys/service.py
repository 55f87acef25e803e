"""The office's writes to loans: void a loan entered by mistake — through ``key.void_loan``,
the same mutation and rule a supervisor's phone runs — and, from a conflict's page, resolve
that conflict in the same transaction.

``void_loan`` is a plain function for other callers too (e2e tests); it raises
:class:`ValidationFailed` (``detail`` = field -> message) or :class:`NotFound`. The
``submit_*`` functions wrap it for forms."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.keys import loan_queries
from server.keys.schemas import VoidForm
from server.keys.tables import KeyLoan
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, json_value, require_id
from server.review import queries as review_queries
from server.review.service import Outcome, attempt, mark_resolved, need_text, open_conflict
from server.sync import office
from sync.domains.keys import rules
from sync.engine import OfficeResult
from sync.errors import Reject

__all__ = ["Outcome", "submit_conflict_void", "submit_loan_void", "void_loan"]


async def _visible_loan(user: CurrentUser, loan_id: str) -> dict[str, Any]:
    row = await KeyLoan.select(KeyLoan.id, KeyLoan.space, KeyLoan.voided).where(
        KeyLoan.id == require_id(loan_id)).first()
    if row is None or row["space"] not in review_queries.readable(user):
        raise NotFound(_("Not found."))
    return row


async def void_loan(user: CurrentUser, loan_id: str, reason: str, *,
                    conflict_id: str | None = None) -> None:
    """Void a loan entered by mistake (it stays on record, voided, with the reason). Given a
    ``conflict_id`` (a conflict the loan is part of), that conflict is resolved as
    ``voided_loan`` with the reason as its note, in the same transaction."""
    reason = need_text("reason", reason)
    if conflict_id and as_id(loan_id) is None:
        message = _("Choose one of the loans of this conflict.")
        raise ValidationFailed(message, detail={"loan": message})
    loan = await _visible_loan(user, loan_id)
    conflict = await open_conflict(user, conflict_id) if conflict_id else None
    if conflict is not None and str(loan["id"]) not in {
            str(i) for i in json_value(conflict["record_ids"]) or []}:
        message = _("Choose one of the loans of this conflict.")
        raise ValidationFailed(message, detail={"loan": message})

    async def resolve(result: OfficeResult) -> None:
        if conflict is not None:
            # under the space's lock: the conflict is still open, and takes the same version
            still = await open_conflict(user, str(conflict["id"]))
            await mark_resolved(user, still, "voided_loan", reason,
                                result.versions[still["space"]])

    try:
        await office.apply(user, [("key.void_loan", {"loan_id": str(loan["id"]),
                                                      "reason": reason})], then=resolve)
    except Reject as r:
        if r.code == rules.LOAN_VOIDED:
            message = _("This loan is already voided.")
            raise ValidationFailed(message, detail={"loan": message}) from None
        raise ValidationFailed(r.reason, detail={"reason": r.reason}) from None


# --- form wrappers (field errors re-render the page they came from) -------------------------

async def submit_conflict_void(user: CurrentUser, conflict_id: str, form: VoidForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await review_queries.conflict_page(user, conflict_id), "void_form": form}

    return await attempt(void_loan(user, form.loan, form.reason, conflict_id=conflict_id),
                         conflict_id, page)


async def submit_loan_void(user: CurrentUser, loan_id: str, form: VoidForm) -> Outcome:
    async def page() -> dict[str, Any]:
        return {**await loan_queries.loan_page(user, loan_id), "void_form": form}

    return await attempt(void_loan(user, loan_id, form.reason), loan_id, page)
