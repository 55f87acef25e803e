"""A checkpoint's tag: re-issuing it (a new random token; the old one is kept as a retired
tag so a phone scanning the old label is told ``tag_retired``), and the printable A4 sheet
of QR labels, drawn on the server with segno (no hand-written QR code). The QR code holds
exactly the token; the label shows the checkpoint's name and printed code, never the token.
"""

from __future__ import annotations

import uuid
from typing import Any

import segno

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import (
    as_id,
    json_value,
    local_time,
    now,
    plain,
    site_and_sites,
)
from server.patrol import labels
from server.patrol.lists import CHECKPOINT_LIST
from server.patrol.tables import PatrolCheckpoint, PatrolRetiredTag, PatrolRoute
from server.review.service import audit
from server.sync.spaces import bump

REISSUE = "office.reissue_tag"


async def reissue(user: CurrentUser, checkpoint_id: str) -> str:
    """Give the checkpoint a new token (print its new label); the old token is refused from
    now on. One transaction: both records take the same new version of the site's space."""
    CHECKPOINT_LIST.check_writer(user)
    row = await CHECKPOINT_LIST.load(user, checkpoint_id)
    token, at = labels.new_token(), now()
    tag_id = str(uuid.uuid4())
    async with write_transaction():
        version = await bump(row["space"])
        await PatrolCheckpoint.update({
            PatrolCheckpoint.token: token, PatrolCheckpoint.version: version,
            PatrolCheckpoint.updated_at: at}).where(PatrolCheckpoint.id == row["id"])
        await PatrolRetiredTag.insert(PatrolRetiredTag(
            id=tag_id, site=row["site"], checkpoint=row["id"], token=row["token"],
            retired_at=at, space=row["space"], version=version))
        await audit(user, "checkpoint", str(row["id"]), row["space"], version, REISSUE,
                    {"token": ("(old)", "(new)")})
        await audit(user, "retired_tag", tag_id, row["space"], version, "office.create",
                    {"checkpoint_id": (None, str(row["id"])), "retired_at": (None, at)})
    return str(row["id"])


def qr_svg(token: str, title: str) -> str:
    """The token's QR code as inline SVG (no style attribute: the page's CSP forbids
    inline styles; the size comes from the stylesheet through the ``qr`` class)."""
    code = segno.make_qr(token, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None)
    escaped = (title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
               .replace(">", "&gt;"))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escaped}" ', 1)


async def label_sheet(user: CurrentUser, site: str, route: str = "",
                      checkpoint: str = "") -> dict[str, Any]:
    """A site's active checkpoints as printable labels (one route's, in its order, or one
    checkpoint's)."""
    chosen, sites = await site_and_sites(user, site)
    query = PatrolCheckpoint.select(
        PatrolCheckpoint.id, PatrolCheckpoint.code, PatrolCheckpoint.name,
        PatrolCheckpoint.floor, PatrolCheckpoint.place, PatrolCheckpoint.token,
    ).where((PatrolCheckpoint.site == chosen["id"]) & PatrolCheckpoint.active.eq(True))
    rows = [plain(r) for r in await query.order_by(PatrolCheckpoint.code)]
    routes = [plain(r) for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name, PatrolRoute.checkpoint_ids).where(
        (PatrolRoute.site == chosen["id"]) & PatrolRoute.active.eq(True)).order_by(
        PatrolRoute.name)]
    picked = next((r for r in routes if r["id"] == as_id(route)), None)
    if route and picked is None:
        raise NotFound(_("Not found."))
    if picked is not None:
        order = [str(i) for i in json_value(picked["checkpoint_ids"]) or []]
        by_id = {r["id"]: r for r in rows}
        rows = [by_id[i] for i in order if i in by_id]
    if checkpoint:
        rows = [r for r in rows if r["id"] == as_id(checkpoint)]
        if not rows:
            raise NotFound(_("Not found."))
    for r in rows:
        r["where"] = " · ".join(x for x in (r["floor"], r["place"]) if x)
        r["svg"] = qr_svg(r.pop("token"), _("QR code of checkpoint {code}", code=r["code"]))
    return {"site": chosen, "sites": sites, "routes": routes, "route": picked,
            "labels": rows, "printed": local_time(now())}
