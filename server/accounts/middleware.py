"""Resolves who is asking on every HTTP request: an office session cookie for pages, a
device bearer token for ``/api``. Sets ``scope["user"]`` (a CurrentUser or None) and the
request's language."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts import service
from server.lib.i18n import current_language, pick_language

SESSION_COOKIE = "caretaker_session"
LANGUAGE_COOKIE = "caretaker_lang"
# Paths that never need to know who is asking: no session lookup (a query) for them.
PUBLIC_ASSETS = ("/static/", "/v/", "/sw.js", "/favicon", "/manifest.webmanifest",
                 "/app-shell/", "/i18n/", "/healthz")


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
    def __init__(self, app: ASGIApp, default_language: str) -> None:
        self.app = app
        self.default_language = default_language

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
                user = await service.user_for_device_token(auth[7:].strip())
        elif not path.startswith(PUBLIC_ASSETS):
            token = cookies.get(SESSION_COOKIE)
            if token:
                user = await service.user_for_session(token)
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
