"""A goods-out pass's QR text, and its signature.

The text is ``CTP1.<payload>.<signature>``: ``payload`` is the base64url (no padding) of the
pass's content as compact UTF-8 JSON (:data:`KEYS`), ``signature`` the base64url of the
ECDSA P-256 / SHA-256 signature of the *payload segment's ASCII bytes*, raw ``r‖s`` (64
bytes: what Web Crypto's ``sign`` gives and ``verify`` takes). The issuing phone signs with
the private key it made at sign-in (never leaves it: a non-extractable CryptoKey in
IndexedDB); its public key (raw, 65 bytes, base64url) is a ``device_key`` record, which
reaches the gate's phones by sync before they need it. The phone's copy is
``web/static/app/desk/passcode.js``; ``tests/unit/test_desk_passcode.py`` signs on one side
and verifies on the other.

The server verifies for the office (the pass list shows whether the stored code is genuine
and says what the stored pass says); the demo signs its passes with :func:`sign`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PREFIX = "CTP1"
# payload key -> the goods_pass field it carries (short keys: the QR stays small)
KEYS = {"id": "pass_id", "n": "number", "s": "site_id", "u": "unit_id", "it": "items",
        "c": "item_count", "p": "plate", "b": "basis", "vu": "valid_until",
        "ia": "issued_at", "k": "key_id"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload_text(content: dict[str, Any]) -> str:
    """The payload segment of ``content`` (payload keys: :data:`KEYS`)."""
    return b64(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())


def split(code: str) -> tuple[str, dict[str, Any], bytes] | None:
    """(payload segment, content, raw signature) of a QR text, or None when it is not one."""
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    try:
        content = json.loads(unb64(parts[1]))
        signature = unb64(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(content, dict) or len(signature) != 64:
        return None
    return parts[1], content, signature


def new_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A key pair: the private key and the public key as a device_key record holds it."""
    private = ec.generate_private_key(ec.SECP256R1())
    return private, public_text(private.public_key())


def public_text(public: ec.EllipticCurvePublicKey) -> str:
    return b64(public.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint))


def sign(content: dict[str, Any], private: ec.EllipticCurvePrivateKey) -> str:
    """The QR text of ``content`` signed with ``private``."""
    payload = payload_text(content)
    r, s = decode_dss_signature(private.sign(payload.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return f"{PREFIX}.{payload}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def verify(code: str, public_key: str) -> dict[str, Any] | None:
    """The content of ``code`` when ``public_key`` (base64url, raw) signed it, else None."""
    parts = split(code)
    if parts is None:
        return None
    payload, content, signature = parts
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        public.verify(der, payload.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return None
    return content
