"""What the office reads about the key register (its list, a key, the printed tag list) and
the blobs office pages show. Scoped like every office query (server/lib/queries.py)."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.keys.schemas import (
    KEY_CATEGORY_LABELS,
)
from server.keys.tables import KeyTag
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import (
    local_time,
    now,
    site_and_sites,
)
from server.sync.blobs import may_see
from server.sync.tables import Blob

INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


# --- the key register ----------------------------------------------------------------------

async def print_tags(user: CurrentUser, site: str) -> dict[str, Any]:
    """The site's keys in use, by code, for a printed tag list: codes and labels only."""
    chosen, sites = await site_and_sites(user, site)
    rows = await KeyTag.select(KeyTag.code, KeyTag.label, KeyTag.category).where(
        (KeyTag.site == chosen["id"]) & KeyTag.retired.eq(False)).order_by(KeyTag.code)
    return {"site": chosen, "sites": sites, "keys": rows, "categories": KEY_CATEGORY_LABELS,
            "printed": local_time(now())}


# --- blobs -------------------------------------------------------------

async def office_blob(user: CurrentUser, sha256: str) -> dict[str, Any]:
    """A stored photo or signature, only when a record of the user's sites refers to it."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound(_("Not found."))
    blob = await Blob.select(Blob.content_type, Blob.data).where(Blob.sha256 == sha256).first()
    if blob is None or not await may_see(user, sha256):
        raise NotFound(_("Not found."))
    # Only images are shown inline; anything else downloads (never rendered as a page).
    inline = blob["content_type"] in INLINE_TYPES
    return {"data": bytes(blob["data"]),
            "media_type": blob["content_type"] if inline else "application/octet-stream",
            "disposition": "inline" if inline else f'attachment; filename="{sha256}"'}
