"""Payloads of the sync API. The protocol's own Structs live in :mod:`sync.protocol` (the
contract, shared with the reference client); this module adds the server's extras, the
strict decoding of request bodies, and their OpenAPI description (request bodies and the
error answers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation

from server.lib.errors import ValidationFailed
from server.lib.i18n import gettext as _
from server.sync.blobs import BlobStored
from sync.protocol import (
    DeviceRegistered,
    DeviceRegistration,
    ErrorBody,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

T = TypeVar("T")


async def read_json(request: Request[Any, Any, Any], type_: type[T]) -> T:
    """The body decoded strictly, in one pass: wrong types are refused (Litestar's own body
    parsing would coerce ``"1"`` to ``1``), unknown fields too (the Structs forbid them)."""
    body = await request.body()
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(_("The request is not valid: {detail}", detail=str(exc)),
                               code="invalid_request") from None
    except msgspec.DecodeError as exc:
        raise ValidationFailed(_("The request is not valid JSON: {detail}", detail=str(exc)),
                               code="invalid_json") from None
    except RecursionError:  # nesting deeper than any request of the protocol
        raise ValidationFailed(_("The request is not valid JSON: {detail}",
                                 detail="nested too deeply"), code="invalid_json") from None


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def json_body(type_: type[Any], max_items: dict[str, int] | None = None) -> type[Operation]:
    """An OpenAPI operation whose request body is ``type_`` as JSON (the handler decodes the
    body itself, strictly: see :func:`read_json`)."""
    raw = msgspec.json.schema(type_)
    schema = _inline(raw, raw.get("$defs", {}))
    for field, n in (max_items or {}).items():
        schema["properties"][field]["maxItems"] = n

    @dataclass
    class JSONBodyOperation(Operation):
        def to_schema(self) -> dict[str, Any]:
            out = super().to_schema()
            out["requestBody"] = {"required": True,
                                  "content": {"application/json": {"schema": schema}}}
            return out

    return JSONBodyOperation


def error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description,
                        generate_examples=False)


UNAUTHORIZED = error("No, wrong, expired or revoked bearer token: sign the phone in again "
                     "(the outbox is kept).")
BAD_REQUEST = error("Malformed JSON, wrong types or unknown fields (nothing stored changed).")

DEVICE_ERRORS = {
    400: BAD_REQUEST,
    401: error("Wrong user name or password (code bad_credentials)."),
    403: error("This client_id pushed as another staff member (code client_not_yours): the "
               "app must start a new client id."),
    429: error("Too many failed sign-ins; wait and try again (same limit as the web sign-in)."),
}

SYNC_ERRORS = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    403: error("The client_id is not the one this token was issued to, or belongs to another "
               "staff member (code client_not_yours)."),
    409: error("A gap in mutation ids (code mutation_gap): resend from "
               "expected_mutation_id. Nothing was written."),
    413: error("Body over 2 MB or more than 1,000 mutations (code too_large / "
               "too_many_mutations)."),
    426: error("schema_version no longer (or not yet) accepted (code update_required): keep "
               "the outbox and update the app."),
    503: error("The database was busy; retry later (code try_again). Nothing was written."),
}

BLOB_PUT_ERRORS = {
    400: error("The name is not a SHA-256 (invalid_hash) or the bytes do not match it "
               "(hash_mismatch)."),
    401: UNAUTHORIZED,
    413: error("Larger than CARETAKER_BLOB_MAX_BYTES (code blob_too_large)."),
    415: error("Not image/jpeg, image/png or image/webp, or the bytes are not of the declared "
               "type."),
}

BLOB_GET_ERRORS = {
    401: UNAUTHORIZED,
    404: error("No such blob, or none of the records you may see refers to it."),
}

__all__ = [
    "BLOB_GET_ERRORS", "BLOB_PUT_ERRORS", "DEVICE_ERRORS", "SYNC_ERRORS", "BlobStored",
    "DeviceRegistered", "DeviceRegistration", "ErrorBody", "PullRequest", "PullResponse",
    "PushRequest", "PushResponse", "json_body", "read_json",
]
