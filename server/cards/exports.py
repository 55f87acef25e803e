"""The card register as a spreadsheet: the register's own export columns (more than its
table shows: the chip UID, the holder's relation to the unit, the door system's receipt,
notes, the office's review of the card) and their texts. The register exports like every
reference-data list (:mod:`server.refdata.exports`: every card of its search and filters, a
batch at a time, as CSV or XLSX); :class:`server.cards.lists.CardList` hands these to it."""

from __future__ import annotations

from typing import Any

from server.cards import queries
from server.cards.tables import Card
from server.lib import reviewed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time
from sync.domains.cards.records import STATUSES, TECHNOLOGIES
from sync.domains.estate import RELATIONS

HEADERS = (
    ("site_code", lazy("Site")), ("number", lazy("Card number")), ("uid", lazy("Chip UID")),
    ("technology", lazy("Technology")), ("batch", lazy("Batch")), ("status", lazy("Status")),
    ("registered", lazy("In the stock register")), ("unit_number", lazy("Unit")),
    ("holder", lazy("Holder")), ("relation", lazy("Relation to the unit")),
    ("valid", lazy("Valid until")), ("blacklisted", lazy("Blacklisted at")),
    ("taken", lazy("Taken by the door system")), ("notes", lazy("Notes")), *reviewed.COLUMNS,
)
EXTRA = (Card.uid, Card.notes)  # read for the export besides the register's columns


async def rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch of the register's rows as the sheet shows them."""
    issues = await queries.issues_by_id(r["issue"] for r in found)
    await reviewed.add_reviews("card", found)
    for r in found:
        issue = issues.get(str(r["issue"])) if r.get("issue") else None
        held = issue if issue is not None and issue["ended_at"] is None else None
        r["holder"] = held["holder_name"] if held else ""
        r["relation"] = _(RELATIONS.get(held["relation"], held["relation"])) if held else ""
        r["valid"] = local_time(held["valid_until"])[:10] if held else ""
        r["status"] = _(STATUSES.get(r["status"], r["status"]))
        r["technology"] = _(TECHNOLOGIES.get(r["technology"], r["technology"]))
        r["registered"] = _("Yes") if r["registered"] else _("No")
        r["blacklisted"] = local_time(r["blacklisted_at"])
        r["taken"] = local_time(r["door_taken_at"])
        r.update(reviewed.cells(r))
    return found
