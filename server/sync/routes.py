"""The phone's API: device sign-in, sync push/pull (protocol v1), blobs.

Bearer token only (no cookies, CSRF-immune; the app excludes ``/api/`` from CSRF). Errors are
JSON ``{code, message}``: the app's handlers for CaretakerError/HTTPException, and
:func:`sync_error` here for the engine's :class:`sync.errors.SyncError` (which adds
``expected_mutation_id`` to a 409 gap).

Status codes: 200/201 ok; 400 bad input; 401 no/wrong/expired/revoked token or wrong
password; 403 a client_id that is not this token's; 404 no such blob (or not yours to see);
409 mutation gap; 413 too large; 415 blob type refused; 426 update required; 429 too many
failed sign-ins; 503 busy, retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request, Response, Router, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotAuthenticated
from server.lib.i18n import gettext as _
from server.lib.pages import user_of
from server.settings import Settings
from server.sync import blobs, service
from server.sync.schemas import (
    BLOB_GET_ERRORS,
    BLOB_PUT_ERRORS,
    DEVICE_ERRORS,
    SYNC_ERRORS,
    BlobStored,
    DeviceRegistered,
    DeviceRegistration,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    json_body,
    read_json,
)
from sync.errors import SyncError


def device_signed_in(connection: ASGIConnection[Any, Any, Any, Any],
                     _h: BaseRouteHandler) -> None:
    """Guard: a valid device bearer token (the middleware resolved it)."""
    user = user_of(connection)
    if user is None or user.device_id is None:
        raise NotAuthenticated(_("Sign the phone in again: nothing waiting to sync is lost."))


def current_device_user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = user_of(request)
    assert user is not None  # the guard ran
    return user


def sync_error(request: Request[Any, Any, Any], exc: SyncError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status, media_type="application/json")


def _clock(request: Request[Any, Any, Any]) -> Callable[[], datetime]:
    """The server clock (tests replace it through ``app.state.sync_clock``)."""
    clock = request.app.state.get("sync_clock")
    return clock if callable(clock) else service.now


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@post("/devices", status_code=201, tags=["devices"],
      request_max_body_size=service.MAX_DEVICE_BYTES, responses=DEVICE_ERRORS,
      operation_class=json_body(DeviceRegistration),
      summary="Sign a phone in (a bearer token for one installation)")
async def register_device(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
) -> DeviceRegistered:
    data = await read_json(request, DeviceRegistration)
    return await service.register_device(settings, data, _address(request))


@post("/sync/push", status_code=200, tags=["sync"], guards=[device_signed_in],
      request_max_body_size=service.MAX_PUSH_BYTES, responses=SYNC_ERRORS,
      operation_class=json_body(PushRequest, max_items={"mutations": service.MAX_PUSH_MUTATIONS}),
      summary="Push mutations (protocol v1)")
async def push(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    user: NamedDependency[CurrentUser],
) -> PushResponse:
    data = await read_json(request, PushRequest)
    return await service.push(settings, user, data, clock=_clock(request))


@post("/sync/pull", status_code=200, tags=["sync"], guards=[device_signed_in],
      request_max_body_size=service.MAX_PULL_BYTES, responses=SYNC_ERRORS,
      operation_class=json_body(PullRequest),
      summary="Pull changes since the cookie (protocol v1)")
async def pull(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    user: NamedDependency[CurrentUser],
) -> PullResponse:
    data = await read_json(request, PullRequest)
    return await service.pull(settings, user, data, clock=_clock(request))


@dataclass
class BlobUpload(Operation):
    """The PUT's body is raw bytes of one of the accepted image types."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(
            required=True, description="The blob's bytes; their SHA-256 is the path.",
            content={t: OpenAPIMediaType(schema=binary) for t in blobs.ALLOWED_TYPES})


@put("/blobs/{sha256:str}", tags=["blobs"], guards=[device_signed_in],
     operation_class=BlobUpload, responses=BLOB_PUT_ERRORS,
     summary="Upload a photo or signature (idempotent)")
async def put_blob(
    request: Request[Any, Any, Any],
    sha256: FromPath[str],
    settings: NamedDependency[Settings],
    user: NamedDependency[CurrentUser],
) -> Response[BlobStored]:
    stored = await blobs.put_blob(settings, user, sha256, request.headers.get("content-type"),
                                  request.stream(), request.content_length)
    return Response(stored, status_code=201 if stored.created else 200)


@get("/blobs/{sha256:str}", tags=["blobs"], guards=[device_signed_in],
     responses=BLOB_GET_ERRORS, media_type="application/octet-stream",
     summary="Download a photo or signature you may see")
async def get_blob(
    sha256: FromPath[str],
    user: NamedDependency[CurrentUser],
) -> Response[bytes]:
    content_type, data = await blobs.get_blob(user, sha256)
    return Response(data, media_type=content_type, headers={
        "cache-control": blobs.CACHE_CONTROL, "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
    })


api_v1 = Router(
    path="/api/v1",
    route_handlers=[register_device, push, pull, put_blob, get_blob],
    dependencies={"user": Provide(current_device_user, sync_to_thread=False)},
    exception_handlers={SyncError: sync_error},
)

routes = [api_v1]
