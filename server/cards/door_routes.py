"""The door system's pages: the office's blacklist-pending page (mark an entry taken), the
CSV exports of a site's blacklist and active list, the controller tokens (create: the token
is shown once; revoke) — and the controllers' own API (:mod:`server.cards.door_api`).

Handlers make one service call each; forms post, then redirect (303) to the page that shows
the result, or re-render it with the error (400)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.cards import door_queries, door_service, door_tokens
from server.cards.door_api import api
from server.cards.door_tokens import TokenForm
from server.lib.errors import ValidationFailed
from server.lib.pages import office_staff
from server.refdata.pages import done_redirect, me

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
PAGE = door_queries.PAGE
NO_STORE = {"Cache-Control": "no-store"}


@get(PAGE, name="office_card_door", **OFFICE)
async def blacklist(request: Request[Any, Any, Any], site: FromQuery[str] = "") -> Template:
    return Template("office/cards/door/blacklist.html",
                    context=await door_queries.blacklist_page(me(request), site))


@post(PAGE + "/cards/{card_id:uuid}/taken", **OFFICE)
async def mark_taken(request: Request[Any, Any, Any], card_id: FromPath[UUID],
                     site: FromQuery[str] = "") -> Template | Redirect:
    user = me(request)
    try:
        site_id = await door_service.mark_taken(user, str(card_id))
    except ValidationFailed as e:
        context = await door_queries.blacklist_page(user, site)
        return Template("office/cards/door/blacklist.html", status_code=400,
                        context={**context, "error": e.message})
    return done_redirect(f"{PAGE}?site={site_id}", "taken")


def _download(name: str, body: bytes) -> Response[bytes]:
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', **NO_STORE})


@get(PAGE + "/blacklist.csv", **OFFICE)
async def blacklist_csv(request: Request[Any, Any, Any],
                        site: FromQuery[str] = "") -> Response[bytes]:
    return _download(*await door_queries.export_csv(me(request), site, "blacklist"))


@get(PAGE + "/active.csv", **OFFICE)
async def active_csv(request: Request[Any, Any, Any],
                     site: FromQuery[str] = "") -> Response[bytes]:
    return _download(*await door_queries.export_csv(me(request), site, "active"))


@get(PAGE + "/tokens", **OFFICE)
async def tokens(request: Request[Any, Any, Any], site: FromQuery[str] = "") -> Template:
    return Template("office/cards/door/tokens.html",
                    context=await door_queries.tokens_page(me(request), site))


@post(PAGE + "/tokens", **OFFICE)
async def token_create(request: Request[Any, Any, Any],
                       data: Annotated[TokenForm, FORM]) -> Template:
    user = me(request)
    try:
        token_id, token = await door_tokens.create(user, data)
    except ValidationFailed as e:
        errors = e.detail if isinstance(e.detail, dict) else {"name": e.message}
        context = await door_queries.tokens_page(user, data.site)
        return Template("office/cards/door/tokens.html", status_code=400,
                        context={**context, "errors": errors, "form": data})
    context = await door_queries.tokens_page(user, data.site)
    return Template("office/cards/door/tokens.html", status_code=201, headers=NO_STORE,
                    context={**context, "new_token": token, "new_token_id": token_id})


@post(PAGE + "/tokens/{token_id:uuid}/revoke", **OFFICE)
async def token_revoke(request: Request[Any, Any, Any], token_id: FromPath[UUID]) -> Redirect:
    site_id = await door_tokens.revoke(me(request), str(token_id))
    return done_redirect(f"{PAGE}/tokens?site={site_id}", "token_revoked")


routes = [blacklist, mark_taken, blacklist_csv, active_csv, tokens, token_create,
          token_revoke, api]
