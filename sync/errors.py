"""Errors of sync protocol v1.

Two families, kept apart on purpose:

* :class:`SyncError` — the *request* cannot be served (gap, schema version, wrong client…).
  Nothing is written; the server maps it to an HTTP status and an ``ErrorBody`` JSON in one
  place (``error.status``, ``error.body()``).
* :class:`Reject` — one *mutation* can never apply. Raised by a mutator (or by the engine
  while decoding/authorising); the engine turns it into a rejection row, the client's
  ``last_mutation_id`` still advances, and the next pull returns it with its reason.
"""

from __future__ import annotations

from typing import Any

from sync.protocol import ErrorBody


class SyncError(Exception):
    """A request-level failure. ``code`` is stable (clients branch on it), ``message`` is
    for people, ``status`` is the HTTP status the server answers with."""

    code: str = "sync_error"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail

    def body(self) -> ErrorBody:
        return ErrorBody(code=self.code, message=self.message, detail=self.detail)


class InvalidRequest(SyncError):
    """The request body is not a valid push/pull message."""

    code = "invalid_request"
    status = 400


class MutationGap(SyncError):
    """The request's first new mutation id is not ``last_mutation_id + 1`` (or its ids are
    not consecutive). The client resends from ``expected_id``."""

    code = "mutation_gap"
    status = 409

    def __init__(self, expected_id: int, got: int | None = None) -> None:
        got_text = f", got {got}" if got is not None else ""
        super().__init__(f"mutation ids must continue at {expected_id}{got_text}")
        self.expected_id = expected_id

    def body(self) -> ErrorBody:
        return ErrorBody(
            code=self.code, message=self.message, expected_mutation_id=self.expected_id
        )


class UpdateRequired(SyncError):
    """The app speaks a schema version the server no longer (or not yet) accepts. The client
    keeps its outbox and stops syncing until the app is updated."""

    code = "update_required"
    status = 426

    def __init__(self, schema_version: int, accepted: frozenset[int]) -> None:
        super().__init__(
            f"schema version {schema_version} is not supported "
            f"(accepted: {', '.join(str(v) for v in sorted(accepted))}); update the app",
            detail={"accepted": sorted(accepted)},
        )


class ClientMismatch(SyncError):
    """The client_id is registered to another staff member."""

    code = "client_not_yours"
    status = 403

    def __init__(self, client_id: str) -> None:
        super().__init__(f"client {client_id} belongs to another staff member")


class TryAgain(SyncError):
    """A record appeared in another space between space resolution and the locks (a
    concurrent push). The server rolls the transaction back and retries the push (or answers
    503; the client retries)."""

    code = "try_again"
    status = 503


# --- rejections ----------------------------------------------------------------------------

# Engine-level rejection codes (domains add their own, listed in their modules).
UNKNOWN_MUTATION = "unknown_mutation"
INVALID_ARGS = "invalid_args"
INVALID_HLC = "invalid_hlc"
FORBIDDEN_ROLE = "forbidden_role"
FORBIDDEN_SITE = "forbidden_site"
MUTATION_FAILED = "mutation_failed"
UNKNOWN_BLOB = "unknown_blob"


class Reject(Exception):
    """Raised by a mutator: this mutation can never apply. Its partial effects are
    discarded, a rejection row is stored, and the queue moves on. ``field`` names the
    argument at fault, when one is (``borrower_name``, ``fields.label``)."""

    def __init__(self, code: str, reason: str, field: str = "") -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.field = field
