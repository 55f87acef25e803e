"""Door controller tokens: the office creates one per controller integration (one site,
read-only but for acknowledging blacklist entries), sees it once, and revokes it.

Only the token's SHA-256 is stored. A request's token is looked up on every call (no cache:
a revoked token is refused at once by every server process); ``last_used_at`` is written at
most once a minute. Creating and revoking are audited like the office's other writes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.cards.door_tables import DoorControllerToken
from server.db import write_transaction
from server.lib.errors import NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, local_time, now, plain, require_id, staff_names
from server.lib.security import new_token, token_hash
from server.review.service import audit
from server.sync.spaces import space_of
from sync.domains.cards.records import CARD
from sync.kit import text

NAME_MAX = 120
LAST_USED_EVERY = timedelta(seconds=60)
RECORD_TYPE = "card_door_token"
CREATE, REVOKE = "office.door_token.create", "office.door_token.revoke"


class Controller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is asking on the door API: one controller integration of one site."""

    id: str
    name: str
    site_id: str


class TokenForm(msgspec.Struct, kw_only=True):
    site: str = ""
    name: str = ""


def _name(value: str) -> str:
    """The controller's name in its stored form, or the form's error."""
    if text.forbidden(value, "line"):
        message = _("Remove control characters and invisible direction marks.")
        raise ValidationFailed(message, detail={"name": message})
    name = text.normalize(value, "line")
    if not text.visible(name):
        raise ValidationFailed(_("Required."), detail={"name": _("Required.")})
    if text.length(name) > NAME_MAX:
        message = _("At most {n} characters.", n=NAME_MAX)
        raise ValidationFailed(message, detail={"name": message})
    return name


def _site(user: CurrentUser, site: str) -> str:
    site_id = as_id(site)
    if site_id is None or not user.can_see_site(site_id):
        raise NotFound(_("Not found."))
    return site_id


async def create(user: CurrentUser, form: TokenForm) -> tuple[str, str]:
    """A new controller token for ``form.site``: (its id, the token — shown once)."""
    site_id = _site(user, form.site)
    name = _name(form.name)
    token, token_id, at = new_token(), str(uuid.uuid4()), now()
    async with write_transaction():
        await DoorControllerToken.insert(DoorControllerToken(
            id=uuid.UUID(token_id), name=name, site=site_id, token_hash=token_hash(token),
            created_by=uuid.UUID(user.id), created_at=at))
        await audit(user, RECORD_TYPE, token_id, space_of(CARD, site_id), 0, CREATE,
                    {"name": (None, name), "site_id": (None, site_id),
                     "created_at": (None, at)})
    return token_id, token


async def _visible(user: CurrentUser, token_id: str) -> dict[str, Any]:
    row = await DoorControllerToken.select().where(
        DoorControllerToken.id == require_id(token_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return plain(row)


async def revoke(user: CurrentUser, token_id: str) -> str:
    """Revoke a token (its controller is refused from the next request); the site's id."""
    row = await _visible(user, token_id)
    if row["revoked_at"] is None:
        at = now()
        async with write_transaction():
            done = await DoorControllerToken.update({
                DoorControllerToken.revoked_at: at,
                DoorControllerToken.revoked_by: uuid.UUID(user.id),
            }).where((DoorControllerToken.id == row["id"])
                     & DoorControllerToken.revoked_at.is_null()).returning(
                DoorControllerToken.id)
            if done:
                await audit(user, RECORD_TYPE, row["id"], space_of(CARD, row["site"]), 0,
                            REVOKE, {"revoked_at": (None, at), "revoked_by": (None, user.id)})
    return str(row["site"])


async def tokens_of(site_id: str) -> list[dict[str, Any]]:
    """A site's controller tokens, newest first, as the office reads them."""
    rows = [plain(r) for r in await DoorControllerToken.select(
        DoorControllerToken.id, DoorControllerToken.name, DoorControllerToken.created_by,
        DoorControllerToken.created_at, DoorControllerToken.revoked_at,
        DoorControllerToken.last_used_at,
    ).where(DoorControllerToken.site == site_id).order_by(
        DoorControllerToken.created_at, ascending=False)]
    names = await staff_names(r["created_by"] for r in rows)
    for r in rows:
        r["created_by_name"] = names.get(str(r["created_by"]), "")
        r["created"] = local_time(r["created_at"])
        r["last_used"] = local_time(r["last_used_at"])
        r["revoked"] = local_time(r["revoked_at"])
    return rows


async def controller_for(token: str, at: datetime | None = None) -> Controller | None:
    """The controller behind a bearer token; None when unknown or revoked."""
    if not token or len(token) > 200:
        return None
    row = await DoorControllerToken.select(
        DoorControllerToken.id, DoorControllerToken.name, DoorControllerToken.site,
        DoorControllerToken.revoked_at, DoorControllerToken.last_used_at,
    ).where(DoorControllerToken.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    moment = at or now()
    used = row["last_used_at"]
    if used is None or moment - used >= LAST_USED_EVERY:
        await DoorControllerToken.update({DoorControllerToken.last_used_at: moment}).where(
            DoorControllerToken.id == row["id"])
    return Controller(id=str(row["id"]), name=row["name"], site_id=str(row["site"]))
