"""The door controllers' API (``/api/door/v1``): a site's card changes since a cursor, and the
acknowledgement of blacklist entries the door system has taken.

``Authorization: Bearer <controller token>`` — a token the office made for one controller
integration of one site (:mod:`server.cards.door_tokens`), never a phone's or a person's.
Errors are JSON ``{code, message}``: 400 bad cursor, limit or body; 401 no, unknown or
revoked token; 403 a site or a card that is not the token's; 404 no such card at the site.

``GET /api/door/v1/changes?cursor=N&limit=M`` answers ``{site_id, cursor, next_cursor,
more, latest, cards: [{id, number, uid, technology, status, state, valid_until, scope,
blacklisted_at, door_taken_at, version}]}`` in version order; ``state`` is ``blacklisted``,
``active`` or ``inactive`` (:mod:`server.cards.door_state`). Start from 0, keep
``next_cursor``, ask again at once while ``more`` is true, then poll."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromQuery

from server.cards import door_feed, door_service
from server.cards.door_service import AckRequest
from server.cards.door_tokens import Controller, controller_for
from server.lib.errors import Forbidden, NotAuthenticated
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, now
from server.sync.schemas import json_body, read_json

MAX_ACK_BYTES = 128 * 1024
NO_STORE = {"cache-control": "no-store"}


async def controller_of(request: Request[Any, Any, Any]) -> Controller:
    """The controller whose token the request carries (401 without a valid one)."""
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    controller = await controller_for(token) if token else None
    if controller is None:
        raise NotAuthenticated(_("A valid door controller token is required."),
                               code="invalid_token")
    return controller


def _same_site(controller: Controller, site: str) -> None:
    if site and as_id(site) != controller.site_id:
        raise Forbidden(_("This token may only read its own site."))


@get("/changes", tags=["door"], summary="A site's card changes since a cursor")
async def changes(request: Request[Any, Any, Any], cursor: FromQuery[str] = "",
                  limit: FromQuery[str] = "", site: FromQuery[str] = "") -> Response[Any]:
    controller = await controller_of(request)
    _same_site(controller, site)
    page = await door_feed.changes(controller, door_feed.cursor_of(cursor),
                                   door_feed.limit_of(limit), now())
    return Response(page, headers=NO_STORE)


@post("/ack", status_code=200, tags=["door"], request_max_body_size=MAX_ACK_BYTES,
      operation_class=json_body(AckRequest, max_items={"ids": door_service.MAX_ACK,
                                                       "numbers": door_service.MAX_ACK}),
      summary="Blacklist entries the door system has taken")
async def ack(request: Request[Any, Any, Any], site: FromQuery[str] = "") -> Response[Any]:
    controller = await controller_of(request)
    _same_site(controller, site)
    body = await read_json(request, AckRequest)
    return Response(await door_service.ack(controller, body), headers=NO_STORE)


api = Router(path="/api/door/v1", route_handlers=[changes, ack])
