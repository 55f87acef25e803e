"""The office core's own exception kinds, beside the domains': open conflicts and open
rejections of the sync engine (the review console's), and phones not synced for long while
their person is on shift (:mod:`server.office.phones`)."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import both
from server.office.exceptions import NO_SITE, Kind, Rows, literal_in, spaces_clause
from server.office.phones import StalePhones
from server.review import present
from server.review.queries import rejection_scope
from server.sync.tables import Conflict, Rejection
from sync import ORG_SPACE


async def conflict_titles(rows: list[dict[str, Any]]) -> None:
    """A conflict by what happened and to which type of record."""
    ids = [r["id"] for r in rows]
    found = {str(c["id"]): c for c in await Conflict.select(
        Conflict.id, Conflict.kind, Conflict.record_type).where(Conflict.id.is_in(ids))
    } if ids else {}
    for r in rows:
        c = found.get(str(r["id"]))
        if c is not None:
            r["title"] = f"{_(c['kind'])} · {_(present.type_label(c['record_type']))}"


async def _rejections(user: CurrentUser, site: str) -> Any:
    """The rejections the person may see (:func:`rejection_scope`), of one site's spaces or
    of none (an unknown key's, sent by staff of their sites)."""
    visible = await rejection_scope(user)
    if not site:
        return visible
    if site == NO_SITE:
        return both(visible, Rejection.space.is_in(["", ORG_SPACE]))
    return both(visible, spaces_clause(Rejection.space, user, site))


# the terms of the partial indexes of open conflicts and rejections (migration
# 2026-12-07T10:10), as written there
OPEN_CONFLICT = literal_in(Conflict.status, ["open"])
OPEN_REJECTION = literal_in(Rejection.status, ["open"])
STALE_PHONES = lazy("Phones of staff on shift not synced for more than {hours} hours")

EXCEPTIONS = (
    Kind("review.conflicts", lazy("Open conflicts"), True, "conflict", "/office/conflicts",
         when_label=lazy("Created"), page="/office/conflicts/{id}",
         source=Rows(Conflict, lambda ask: OPEN_CONFLICT, (),
                     Conflict.created_at, by_space=True, decorate=conflict_titles)),
    Kind("review.rejections", lazy("Open rejections"), True, "rejection",
         "/office/sync/rejections", when_label=lazy("Received"),
         page="/office/sync/rejections/{id}",
         source=Rows(Rejection, lambda ask: OPEN_REJECTION,
                     (Rejection.name, Rejection.reason), Rejection.created_at,
                     by_space=True, scope=_rejections)),
    Kind("phones.stale", STALE_PHONES, True, "device", "", when_label=lazy("Last seen"),
         page="/office/devices", source=StalePhones()),
)
