"""Helpers shared by the office's reference-data services: who may see which site, paging,
search, the write transaction, and form outcomes."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import msgspec
from piccolo.columns.base import Column
from piccolo.columns.combination import Where
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.methods.select import Select

from server.accounts.schemas import CurrentUser
from server.lib.errors import Forbidden, NotFound
from server.lib.i18n import gettext as _
from server.lib.paging import PER_PAGE, PageOf

PHONE_RE = re.compile(r"^[0-9+()\- ]{0,40}$")


class Outcome(msgspec.Struct, kw_only=True):
    """What a form submission produced: the saved row's id, or field errors and the context
    to re-render the form with."""

    id: str = ""
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    context: dict[str, Any] = msgspec.field(default_factory=dict)


def parse_id(value: str) -> str:
    """A row id from a URL or form; anything that is not a UUID is simply not found."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(_("Not found.")) from None


def optional_id(value: str) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def visible_site_ids(user: CurrentUser) -> list[str] | None:
    """The sites whose rows ``user`` may see: ``None`` = every site (admins)."""
    return None if user.is_admin else list(user.site_ids)


def require_admin(user: CurrentUser) -> None:
    if not user.is_admin:
        raise Forbidden(_("Only administrators may manage staff and reference data."))


def ensure_visible(user: CurrentUser, site_id: str) -> None:
    """A row of a site the user is not assigned to does not exist for them."""
    if not user.can_see_site(site_id):
        raise NotFound(_("Not found."))


def site_scope(column: Column, user: CurrentUser, site: str = "") -> Any:
    """The where-clause limiting ``column`` (a site id) to what ``user`` may see, narrowed to
    ``site`` when given. ``False`` = nothing is visible."""
    wanted = optional_id(site)
    allowed = visible_site_ids(user)
    if wanted is not None:
        if allowed is not None and wanted not in allowed:
            return False
        return column == wanted
    if allowed is None:
        return None
    if not allowed:
        return False
    return column.is_in(allowed)


def contains(column: Column, text: str) -> Where:
    """Case-insensitive substring match (ILIKE on PostgreSQL; SQLite's LIKE already ignores
    ASCII case)."""
    pattern = f"%{text}%"
    if isinstance(column._meta.table._meta.db, SQLiteEngine):
        return column.like(pattern)
    return column.ilike(pattern)


def combine(*clauses: Any) -> Any:
    """AND of the given where-clauses, skipping ``None``."""
    out = None
    for c in clauses:
        if c is None:
            continue
        out = c if out is None else out & c
    return out


async def paginate(select: Select, count_query: Any, page: int) -> PageOf:
    total = await count_query
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    rows = await select.limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    for r in rows:
        for k, v in list(r.items()):
            if isinstance(v, uuid.UUID):
                r[k] = str(v)
    return PageOf(rows=rows, total=total, page=page, pages=pages)


def empty_page() -> PageOf:
    return PageOf(rows=[], total=0, page=1, pages=1)


def clean(value: str) -> str:
    """Form text with surrounding and repeated inner whitespace removed."""
    return " ".join(str(value or "").split())


def check_length(errors: dict[str, str], field: str, value: str, limit: int,
                 required: bool = True) -> None:
    if required and not value:
        errors.setdefault(field, _("Required."))
    elif len(value) > limit:
        errors.setdefault(field, _("At most {n} characters.", n=limit))


def check_phone(errors: dict[str, str], field: str, value: str) -> None:
    if not PHONE_RE.match(value):
        errors.setdefault(field, _("Use digits, spaces, + - ( ) only (at most 40)."))


def stringify(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}
