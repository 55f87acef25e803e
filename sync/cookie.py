"""The pull cookie: opaque to the client, base64url (unpadded) of this JSON::

    {"schema": 1,
     "spaces": {"<space>": [done_version, target_version, cursor | null], ...},
     "rejections": <last rejection mutation id delivered>,
     "total": <records this round will send>, "sent": <records sent so far this round>}

``cursor`` is ``[version, type, id]`` of the last record sent in a round that is still in
progress (``target_version > done_version``); ``null`` before the round's first page.
A cookie that does not decode means "start from nothing" — a pull never fails on a bad
cookie. One of another schema version (an app from before an update, or a server's) restarts
every space from nothing but keeps the names of its spaces, so that the pull sends
``del space`` for those the new scheme no longer has (schema 1's spaces were whole sites).
"""

from __future__ import annotations

import base64
import binascii

import msgspec

Cursor = tuple[int, str, str]


class SpaceProgress(msgspec.Struct, array_like=True):
    done: int  # every record with version <= done has been sent
    target: int  # the round in progress sends versions in (done, target]; == done when idle
    cursor: Cursor | None = None  # last (version, type, id) sent in this round

    @property
    def in_round(self) -> bool:
        return self.target > self.done


class Cookie(msgspec.Struct, forbid_unknown_fields=True):
    schema: int
    spaces: dict[str, SpaceProgress] = msgspec.field(default_factory=dict)
    rejections: int = 0
    total: int = 0
    sent: int = 0


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Cookie)


def encode_cookie(cookie: Cookie) -> str:
    return base64.urlsafe_b64encode(_encoder.encode(cookie)).rstrip(b"=").decode("ascii")


def decode_cookie(text: str | None, schema_version: int) -> Cookie:
    """The cookie's progress, or a fresh cookie when ``text`` is empty, malformed,
    inconsistent or of another schema version."""
    fresh = Cookie(schema=schema_version)
    if not text:
        return fresh
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cookie = _decoder.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return fresh
    if cookie.rejections < 0:
        return fresh
    for p in cookie.spaces.values():
        if p.done < 0 or p.target < p.done:
            return fresh
        if p.cursor is not None and not p.done < p.cursor[0] <= p.target:
            return fresh
    if cookie.schema != schema_version:
        fresh.spaces = {space: SpaceProgress(0, 0, None) for space in cookie.spaces}
        fresh.rejections = cookie.rejections
        return fresh
    return cookie
