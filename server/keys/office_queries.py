"""What the office reads about the key register (its list, a key, the printed tag list) and
the blobs office pages show. Scoped like every office query (server/lib/queries.py)."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.keys.schemas import (
    KEY_CATEGORY_LABELS,
    RETIRED_FILTER_LABELS,
    KeyFilters,
)
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound
from server.lib.filters import query_string
from server.lib.i18n import gettext as _
from server.lib.paging import PageOf
from server.lib.queries import (
    as_id,
    both,
    contains,
    empty_page,
    json_value,
    local_time,
    now,
    paged,
    plain,
    require_id,
    scope,
    sites_of,
)
from server.sync.blobs import may_see
from server.sync.tables import Blob

INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


# --- the key register ----------------------------------------------------------------------

def _key_where(user: CurrentUser, f: KeyFilters) -> Any:
    clauses = [scope(KeyTag.site, user, f.site)]
    if f.category in KEY_CATEGORY_LABELS:
        clauses.append(KeyTag.category == f.category)
    if f.retired == "active":
        clauses.append(KeyTag.retired.eq(False))
    elif f.retired == "retired":
        clauses.append(KeyTag.retired.eq(True))
    if f.q:
        clauses.append(contains(KeyTag.code, f.q) | contains(KeyTag.label, f.q)
                       | contains(KeyTag.unit.number, f.q))
    return both(*clauses)


async def list_keys(user: CurrentUser, f: KeyFilters) -> PageOf:
    where = _key_where(user, f)
    if where is False:
        return empty_page()
    select = KeyTag.select(
        KeyTag.id, KeyTag.code, KeyTag.label, KeyTag.category, KeyTag.retired,
        KeyTag.site.code.as_alias("site_code"), KeyTag.unit.number.as_alias("unit_number"),
    ).order_by(KeyTag.site.code).order_by(KeyTag.code)
    count = KeyTag.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    page = await paged(select, count, f.page)
    out_now = await _keys_out([r["id"] for r in page.rows])
    for r in page.rows:
        r["out"] = r["id"] in out_now
    return page


async def _keys_out(key_ids: list[str]) -> set[str]:
    if not key_ids:
        return set()
    rows = await KeyLoan.select(KeyLoan.key).where(
        KeyLoan.key.is_in(key_ids) & KeyLoan.returned_at.is_null() & KeyLoan.voided.eq(False))
    return {str(r["key"]) for r in rows}


async def keys_page(user: CurrentUser, f: KeyFilters) -> dict[str, Any]:
    return {"page": await list_keys(user, f), "filters": f, "sites": await sites_of(user),
            "categories": KEY_CATEGORY_LABELS, "retired_choices": RETIRED_FILTER_LABELS,
            "query": lambda **kw: query_string(f, **kw)}


async def key_detail(user: CurrentUser, key_id: str) -> dict[str, Any]:
    """A key of the user's sites (else 404), with its unit number and site."""
    row = await KeyTag.select(
        *KeyTag.all_columns(), KeyTag.site.code.as_alias("site_code"),
        KeyTag.site.name.as_alias("site_name"), KeyTag.unit.number.as_alias("unit_number"),
    ).where(KeyTag.id == require_id(key_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    row = plain(row)
    row["field_hlc"] = json_value(row["field_hlc"]) or {}
    row["unit_number"] = row["unit_number"] or ""
    return row


async def print_tags(user: CurrentUser, site: str) -> dict[str, Any]:
    """The site's keys in use, by code, for a printed tag list: codes and labels only."""
    sites = await sites_of(user)
    chosen = next((s for s in sites if s["id"] == as_id(site)), None)
    if chosen is None:
        if site or not sites:
            raise NotFound(_("Not found."))
        chosen = sites[0]
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
