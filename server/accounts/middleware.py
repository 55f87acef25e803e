"""Resolves who is asking on every HTTP request: an office session cookie for pages, a
device bearer token for ``/api`` (with what the phone reports about itself:
:mod:`server.accounts.device_reports`). Sets ``scope["user"]`` (a CurrentUser or None) and the
request's language.

It also binds the CSRF token to the session: for a signed-in person, the CSRF cookie the
request carries is replaced (for Litestar's CSRF check, which runs after this middleware,
and in the browser by a ``Set-Cookie``) with a token derived from that session's own secret.
A token and cookie obtained by another browser — or planted in this one — no longer match
what this session's forms must send."""

from __future__ import annotations

import hashlib

from litestar.middleware.csrf import generate_csrf_hash
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts import device_reports, service
from server.lib.i18n import current_language, pick_language

SESSION_COOKIE = "caretaker_session"
LANGUAGE_COOKIE = "caretaker_lang"
# Paths that never need to know who is asking: no session lookup (a query) for them.
PUBLIC_ASSETS = ("/static/", "/v/", "/sw.js", "/favicon", "/manifest.webmanifest",
                 "/app-shell/", "/i18n/", "/healthz")
CSRF_COOKIE = "csrftoken"  # Litestar's CSRFConfig default


def session_csrf(secret_key: str, session_secret: str) -> str:
    """The CSRF token of a session, in Litestar's format (64 hex characters, then their
    HMAC with the app's secret)."""
    base = hashlib.sha256(session_secret.encode()).hexdigest()
    return base + generate_csrf_hash(token=base, secret=secret_key)


def _with_request_cookie(scope: Scope, cookies: dict[str, str], name: str, value: str) -> None:
    cookies = {**cookies, name: value}
    header = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode("latin-1")
    scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k != b"cookie"] + [
        (b"cookie", header)]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class IdentityMiddleware:
    def __init__(self, app: ASGIApp, default_language: str, csrf_secret: str = "",
                 secure_cookies: bool = False) -> None:
        self.app = app
        self.default_language = default_language
        self.csrf_secret = csrf_secret
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers.get("cookie", ""))
        path: str = scope["path"]
        user = None
        if path.startswith("/api/"):
            auth = headers.get("authorization", "")
            if auth[:7].lower() == "bearer " and auth[7:].strip():
                report = device_reports.parse(headers.get(device_reports.APP_VERSION_HEADER),
                                              headers.get(device_reports.PENDING_HEADER))
                user = await service.user_for_device_token(auth[7:].strip(), report)
        elif not path.startswith(PUBLIC_ASSETS):
            token = cookies.get(SESSION_COOKIE)
            if token:
                user = await service.user_for_session(token)
            if user is not None and user.csrf_token and self.csrf_secret:
                bound = session_csrf(self.csrf_secret, user.csrf_token)
                if cookies.get(CSRF_COOKIE) != bound:
                    _with_request_cookie(scope, cookies, CSRF_COOKIE, bound)
                    send = self._setting_cookie(send, bound)
        scope["user"] = user
        # The person's explicit choice, then their account's, then the estate's default.
        # Not Accept-Language: staff phones are often set to English while the estate
        # works in Chinese; the switch is one tap away on every page.
        lang = pick_language(
            cookies.get(LANGUAGE_COOKIE),
            user.language if user else None,
            self.default_language,
        )
        scope.setdefault("state", {})["language"] = lang
        reset = current_language.set(lang)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(reset)

    def _setting_cookie(self, send: Send, token: str) -> Send:
        cookie = f"{CSRF_COOKIE}={token}; Path=/; SameSite=Lax"
        if self.secure_cookies:
            cookie += "; Secure"

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        return wrapped
