"""Blobs: the photos and signatures that mutations refer to by SHA-256.

``PUT /api/v1/blobs/{sha256}`` stores raw bytes once (idempotent: the same bytes again are
acknowledged, nothing is rewritten). Accepted content types are the formats the phone
produces — ``image/jpeg`` and ``image/webp`` (downscaled photos), ``image/png`` (signatures
drawn on a canvas) — and the bytes must start with that format's signature. SVG and anything
else are refused with 415: an SVG can carry script, and nothing here needs it.

``GET /api/v1/blobs/{sha256}`` answers only a person who uploaded the blob, or who may read
a record that names it: a record of a space they receive (their sites × their role's
streams) whose declared blob field holds it — a loan's ``signature_blob`` (an indexed column)
or one of its ``return_photos`` (a ``blob_ref`` row). Everyone else gets 404, as if it did
not exist. The office's pages (``/office/blobs/…``) follow the same rule.

Every person who uploads the bytes is recorded (``blob_upload``): a mutation may name a blob
its author uploaded or may read (else the rejection ``unknown_blob``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator

import msgspec

from server.accounts.schemas import CurrentUser
from server.lib.errors import CaretakerError, NotFound, ValidationFailed
from server.lib.i18n import gettext as _
from server.settings import Settings
from server.sync.records import TABLES
from server.sync.tables import Blob, BlobRef, BlobUpload
from sync import streams

UPLOAD_NS = uuid.UUID("5b7f0e2a-3c4d-5e6f-8a9b-0c1d2e3f4a5b")

SHA256_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)

# content type -> (offset, magic bytes) that must all match
SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
}
ALLOWED_TYPES = tuple(SIGNATURES)
CACHE_CONTROL = "private, max-age=31536000, immutable"


class BlobStored(msgspec.Struct):
    sha256: str
    size: int
    content_type: str
    created: bool  # False: it was already stored (an idempotent re-upload)


class BlobTooLarge(CaretakerError):
    status_code = 413
    code = "blob_too_large"


class UnsupportedBlobType(CaretakerError):
    status_code = 415
    code = "unsupported_media_type"


def check_hash(sha256: str) -> str:
    if SHA256_RE.fullmatch(sha256) is None:
        raise ValidationFailed(_("A blob is named by its SHA-256: 64 lowercase hex digits."),
                               code="invalid_hash")
    return sha256


def media_type(header: str | None) -> str:
    """The declared content type, without parameters; refused unless allowed."""
    value = (header or "").split(";", 1)[0].strip().lower()
    if value not in SIGNATURES:
        raise UnsupportedBlobType(
            _("Only {types} can be uploaded.", types=", ".join(ALLOWED_TYPES)),
            detail={"accepted": list(ALLOWED_TYPES)})
    return value


def _looks_like(content_type: str, data: bytes) -> bool:
    return all(data[offset:offset + len(magic)] == magic
               for offset, magic in SIGNATURES[content_type])


async def read_capped(stream: AsyncIterator[bytes], declared_length: int | None,
                      max_bytes: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes ``max_bytes``."""
    too_large = BlobTooLarge(_("A photo or signature may be at most {n} bytes.", n=max_bytes),
                             detail={"max_bytes": max_bytes})
    if declared_length is not None and declared_length > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def put_blob(settings: Settings, user: CurrentUser, sha256: str,
                   content_type_header: str | None, stream: AsyncIterator[bytes],
                   declared_length: int | None) -> BlobStored:
    check_hash(sha256)
    content_type = media_type(content_type_header)
    data = await read_capped(stream, declared_length, settings.blob_max_bytes)
    if not _looks_like(content_type, data):
        raise UnsupportedBlobType(
            _("The bytes are not a {type} file.", type=content_type), code="content_mismatch")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValidationFailed(_("The bytes do not match their SHA-256; upload them again."),
                               code="hash_mismatch")
    # the same bytes from another person: theirs too (idempotent per person)
    await BlobUpload.insert(BlobUpload(
        id=uuid.uuid5(UPLOAD_NS, f"{sha256}:{user.id}"), sha256=sha256, staff=user.id,
    )).on_conflict(action="DO NOTHING")
    existing = await Blob.select(Blob.content_type, Blob.size).where(
        Blob.sha256 == sha256).first()
    if existing is not None:
        return BlobStored(sha256=sha256, size=existing["size"],
                          content_type=existing["content_type"], created=False)
    await Blob.insert(Blob(sha256=sha256, content_type=content_type, size=len(data),
                           data=data, uploaded_by=user.id)).on_conflict(action="DO NOTHING")
    return BlobStored(sha256=sha256, size=len(data), content_type=content_type, created=True)


async def may_see(user: CurrentUser, sha256: str) -> bool:
    """Whether ``user`` uploaded the blob or may read a record that names it."""
    if await BlobUpload.exists().where((BlobUpload.sha256 == sha256)
                                       & (BlobUpload.staff == user.id)):
        return True
    spaces = sorted(streams.blob_spaces(user.role, user.site_ids))
    marks = ", ".join("{}" for _ in spaces)
    parts, params = [], []
    for t in TABLES.values():
        for column in t.blob_columns:
            parts.append(f'SELECT 1 AS seen FROM "{t.table}" '  # noqa: S608 - declared names
                         f'WHERE "{column}" = {{}} AND space IN ({marks})')
            params += [sha256, *spaces]
    parts.append(f"SELECT 1 AS seen FROM blob_ref WHERE sha256 = {{}} "  # noqa: S608
                 f"AND space IN ({marks})")
    params += [sha256, *spaces]
    rows = await BlobRef.raw(" UNION ALL ".join(parts) + " LIMIT 1", *params)
    return bool(rows)


async def get_blob(user: CurrentUser, sha256: str) -> tuple[str, bytes]:
    """The blob's content type and bytes, for a person allowed to see it; else 404."""
    not_found = NotFound(_("Not found."))
    if SHA256_RE.fullmatch(sha256) is None:
        raise not_found
    row = await Blob.select(Blob.content_type, Blob.data).where(
        Blob.sha256 == sha256).first()
    if row is None or not await may_see(user, sha256):
        raise not_found
    return row["content_type"], bytes(row["data"])
