"""One error hierarchy, mapped to HTTP in one place (:mod:`server.app`).

Services raise these; handlers never catch. The API answers ``{"code", "message"}`` JSON;
pages re-render or show an error page.
"""

from __future__ import annotations

from typing import Any


class CaretakerError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None,
                 status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.detail = detail


class ValidationFailed(CaretakerError):
    """Input that cannot be accepted; ``detail`` maps field names to messages."""

    status_code = 400
    code = "invalid_input"


class NotAuthenticated(CaretakerError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(CaretakerError):
    status_code = 403
    code = "forbidden"


class NotFound(CaretakerError):
    status_code = 404
    code = "not_found"


class Conflict(CaretakerError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(CaretakerError):
    status_code = 429
    code = "too_many_attempts"
