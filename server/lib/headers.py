"""Headers on every response — matched routes, 404 and 405 alike (a ``before_send`` hook of
the app, which sees every message, not a route middleware): a strict Content-Security-Policy
(no inline script, no inline style, no eval), nosniff, no framing; and ``Cache-Control:
no-store`` on everything a signed-in person or a phone receives (personal data must not be
kept by browsers or proxies) unless the response says otherwise (blobs, assets)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
)

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "geolocation=(), microphone=(), camera=(self)",
}


async def response_headers(message: Message, scope: Scope) -> None:
    """The app's ``before_send`` hook."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if "cache-control" not in headers and (scope.get("user") is not None
                                           or scope.get("path", "").startswith("/api/")):
        headers["cache-control"] = "no-store"
