"""What the conflict inbox and the rejection list group by: a conflict's kind (its code is
its catalog id: ``double_loan``, ``field_overwritten``…, declared with each record type) and
a rejection's code (the engine's and every domain's, labelled here), with how many of each
the list's other filters hold — each count a link that narrows the list to its kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from piccolo.query.functions.aggregate import Count

from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from sync.domains import default_registry

FIELD_OVERWRITTEN = "field_overwritten"  # the engine's own conflict kind (any record type)

# A rejection's code as the office reads it: the engine's (sync/errors.py) and the domains'
# (``CODES`` beside each domain's rules). A code not listed shows as it is.
REJECTION_LABELS = {
    "unknown_mutation": lazy("Change unknown to the server"),
    "invalid_args": lazy("Invalid details"),
    "invalid_hlc": lazy("Invalid phone clock"),
    "forbidden_role": lazy("Not allowed for the person's role"),
    "forbidden_site": lazy("Not allowed at this site"),
    "mutation_failed": lazy("Server error"),
    "unknown_blob": lazy("Photo not uploaded"),
    "already_exists": lazy("Already recorded"),
    "unknown_site": lazy("Unknown site"),
    "unknown_unit": lazy("Unknown unit"),
    "unknown_resident": lazy("Unknown resident"),
    "wrong_unit": lazy("Wrong unit"),
    "wrong_site": lazy("Wrong site"),
    "reason_required": lazy("A reason is required"),
    "code_in_use": lazy("Tag code already in use"),
    "code_shows_unit": lazy("Tag code shows the unit"),
    "label_shows_unit": lazy("Label shows the unit"),
    "unknown_key": lazy("Unknown key"),
    "key_retired": lazy("Key retired"),
    "owner_consent_required": lazy("Owner's consent required"),
    "unknown_loan": lazy("Unknown loan"),
    "loan_voided": lazy("Loan voided"),
    "unknown_round": lazy("Unknown round"),
    "unknown_route": lazy("Unknown route"),
    "unknown_tag": lazy("Unknown tag"),
    "tag_retired": lazy("Tag retired"),
    "checkpoint_retired": lazy("Checkpoint retired"),
    "unknown_checkpoint": lazy("Unknown checkpoint"),
    "not_on_route": lazy("Checkpoint not on the route"),
    "unknown_scan": lazy("Unknown scan"),
    "round_closed": lazy("Round already closed"),
    "unknown_card": lazy("Unknown card"),
    "unknown_issue": lazy("Unknown card issue"),
    "number_in_use": lazy("Card number already in use"),
    "unknown_zone": lazy("Unknown zone"),
    "issue_ended": lazy("Card issue already ended"),
    "card_not_blacklisted": lazy("Card not blacklisted"),
    "unknown_request": lazy("Unknown repair request"),
    "unknown_visit": lazy("Unknown visit"),
    "unknown_follow_up": lazy("Unknown follow-up"),
    "request_closed": lazy("Request already closed"),
    "visit_closed": lazy("Visit already closed"),
    "left_before_arrival": lazy("Left before arriving"),
    "not_your_visit": lazy("Someone else's visit"),
    "unknown_signing_key": lazy("Unknown signing key"),
    "unknown_visitor": lazy("Unknown visitor"),
    "unknown_handover": lazy("Unknown handover"),
    "out_before_in": lazy("Signed out before signing in"),
    "same_person": lazy("Same person on both sides"),
}


def conflict_kinds() -> dict[str, str]:
    """Every declared conflict kind -> its label (the code is the catalog's id)."""
    kinds = {FIELD_OVERWRITTEN: FIELD_OVERWRITTEN}
    for t in default_registry().records:
        kinds.update({k: k for k in t.conflict_kinds})
    return kinds


def conflict_label(kind: str) -> str:
    return _(kind)


def rejection_label(code: str) -> str:
    return _(REJECTION_LABELS.get(code, code))


async def grouped(table: Any, column: Any, where: Any) -> dict[str, int]:
    """How many rows of ``where`` have each value of ``column`` (``False``: none)."""
    if where is False:
        return {}
    query = table.select(column.as_alias("key"), Count(table.id).as_alias("n")).group_by(
        column)
    rows = await (query.where(where) if where is not None else query)
    return {str(r["key"]): int(r["n"]) for r in rows}


def counts(found: Mapping[str, int], label: Callable[[str], str], current: str
           ) -> list[dict[str, Any]]:
    """The counts to show, most first (then by label): each kind's label, count and
    whether the list is narrowed to it. The kind chosen stays listed when none is left."""
    out = [{"kind": k, "label": label(k), "count": n, "current": k == current}
           for k, n in found.items()]
    if current and current not in found:
        out.append({"kind": current, "label": label(current), "count": 0, "current": True})
    return sorted(out, key=lambda c: (-c["count"], c["label"]))
