"""The phone app's files compressed as phones download them: Brotli (quality 11) where the
browser accepts it — every phone browser over HTTPS — else gzip (level 9); once per body,
kept in memory (the hashed files never change under their URL; /sw.js and the shells change
only with a deploy or a domain set).

A shell of ~290 KB of text reaches a phone as ~70 KB; Brotli takes a fifth off gzip's size for
the app's JavaScript (quality.md's bar: ≤ 80 KB compressed before first use). Office pages and
the sync API are not compressed here."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from functools import lru_cache

import brotli
from litestar import Response

# smaller bodies gain nothing worth the header
MIN_SIZE = 512
COMPRESSIBLE = ("text/", "application/json", "application/manifest+json")


def accepted(accept_encoding: str) -> str:
    """The encoding to send for an ``Accept-Encoding`` header: ``br``, ``gzip`` or ``""``."""
    offered: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            offered[name.strip()] = q
    for encoding in ("br", "gzip"):
        if offered.get(encoding, offered.get("*", 0.0)) > 0:
            return encoding
    return ""


@lru_cache(maxsize=128)
def encoded(body: bytes, encoding: str) -> bytes:
    """``body`` compressed with ``encoding`` (``br`` or ``gzip``)."""
    if encoding == "br":
        return bytes(brotli.compress(body, quality=11))
    return gzip.compress(body, 9, mtime=0)


def compressed(body: bytes | str, media_type: str, accept_encoding: str,
               headers: Mapping[str, str]) -> Response[bytes]:
    """A response of ``body``, compressed as the request accepts."""
    raw = body.encode() if isinstance(body, str) else body
    out = dict(headers)
    encoding = accepted(accept_encoding) if media_type.startswith(COMPRESSIBLE) else ""
    if len(raw) >= MIN_SIZE and media_type.startswith(COMPRESSIBLE):
        out["Vary"] = ", ".join(v for v in (out.get("Vary", ""), "Accept-Encoding") if v)
    if encoding and len(raw) >= MIN_SIZE:
        raw = encoded(raw, encoding)
        out["Content-Encoding"] = encoding
    return Response(raw, media_type=media_type, headers=out)
