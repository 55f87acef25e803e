"""Acknowledging an exception of the office home with a note (who, when, why), audited; and
the acknowledgements made, newest first, at the person's sites.

Only a current item can be acknowledged: the kind's own source reads it back for the person
(scoped to their sites, not acknowledged yet, its cause still there), so a stale form or a
record of another site is refused with a clear message, and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

from server.db import write_transaction
from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.paging import PageOf
from server.lib.queries import (
    as_id,
    both,
    empty_page,
    local_time,
    paged,
    scope,
    sites_of,
    staff_names,
)
from server.office.exceptions import Ask, Kind
from server.office.home import kind_or_404, list_page
from server.office.kinds import kind_of
from server.office.tables import ExceptionAck
from server.review.service import Outcome, attempt, audit, need_text

ACTION = "office.exception.acknowledge"
TITLE_MAX = 255


async def acknowledge(ask: Ask, kind: Kind, record_id: str, note: str) -> str:
    """Acknowledge the current item ``record_id`` of ``kind`` with ``note``; returns the
    acknowledgement's id. A missing note, or an item that is no longer an exception for the
    person, is a :class:`ValidationFailed` (field ``note`` or ``form``)."""
    note = need_text("note", note)
    wanted = as_id(record_id)
    found = await kind.source.items(kind, ask, "", 1, record_id=wanted) if wanted else None
    if found is None or not found.rows:
        message = _("This item no longer needs attention: its cause is gone or it is acknowledged.")
        raise ValidationFailed(message, detail={"form": message})
    item = found.rows[0]
    ack_id = uuid.uuid4()
    site = as_id(item["site"])
    title = str(item.get("title") or "")[:TITLE_MAX]
    async with write_transaction():
        await ExceptionAck.insert(ExceptionAck(
            id=ack_id, kind=kind.key, record_type=kind.record, record_id=wanted, site=site,
            title=title, note=note, staff=ask.user.id, acked_at=ask.at))
        await audit(ask.user, "exception_ack", str(ack_id), str(item.get("space") or ""), 0,
                    ACTION, {"kind": (None, kind.key), "record_type": (None, kind.record),
                             "record_id": (None, wanted), "site": (None, site),
                             "note": (None, note)})
    return str(ack_id)


async def submit(ask: Ask, key: str, record_id: str, note: str, site: str = "",
                 page: int = 1) -> Outcome:
    """The acknowledge form: the acknowledgement's id, or the errors and the list it came
    from to show again (the note as typed)."""
    kind = kind_or_404(key)

    async def again() -> dict[str, Any]:
        return {**await list_page(ask, key, site, page), "failed": record_id,
                "notes": {record_id: note}}

    return await attempt(acknowledge(ask, kind, record_id, note), record_id, again)


def _visible(ask: Ask, site: str) -> Any:
    """The acknowledgements at the person's sites (or ``site``), and those tied to no site
    that they made themselves."""
    at_sites = scope(ExceptionAck.site, ask.user, site)
    if site:
        return at_sites
    mine = ExceptionAck.staff == ask.user.id
    if at_sites is None or at_sites is False:
        return at_sites if at_sites is None else mine
    return at_sites | mine


async def acknowledged_page(ask: Ask, site: str = "", page: int = 1) -> dict[str, Any]:
    """The acknowledgements made, newest first: the exception, the item, who, when, the
    note."""
    where = both(_visible(ask, site))
    rows: PageOf = empty_page()
    if where is not False:
        select = ExceptionAck.select().order_by(ExceptionAck.acked_at, ascending=False)
        count = ExceptionAck.count()
        if where is not None:
            select, count = select.where(where), count.where(where)
        rows = await paged(select, count, page)
    names = await staff_names(r["staff"] for r in rows.rows)
    sites = await sites_of(ask.user)
    site_names = {s["id"]: f"{s['code']} · {s['name']}" for s in sites}
    for r in rows.rows:
        kind = kind_of(r["kind"])
        r["kind_label"] = kind.label if kind is not None else r["kind"]
        r["href"] = kind.link(str(r["record_id"])) if kind is not None else ""
        r["who"] = names.get(str(r["staff"]), "")
        r["when_text"] = local_time(r["acked_at"])
        r["site_name"] = site_names.get(str(r["site"] or ""), "")
    return {"page": rows, "sites": sites, "site": site, "hours": ask.stale_hours}
