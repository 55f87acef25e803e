"""What a phone says about itself on each sync request, for the office's list of devices:
the build of the staff app it runs (``X-Caretaker-App-Version``) and how many of its
mutations the server has not yet accepted (``X-Caretaker-Pending``). Both headers are
optional (an older phone, or the reference client, sends neither) and informative only: a
value that is not well formed is ignored, never a reason to refuse a sync (docs/protocol.md).

Writing them must not cost the sync a write per request (SQLite has one writer): they go
into the device row in the write that stamps ``last_seen_at`` (at most once a minute,
:mod:`server.accounts.service`), and in a write of their own only when they differ from
what the row holds — read with the token's lookup, or, when the token was cached, by one
primary-key read (not from a memory of this process: another worker process may have
written since, and a phone's requests, one after the other, may reach either).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

APP_VERSION_HEADER = "x-caretaker-app-version"
PENDING_HEADER = "x-caretaker-pending"
MAX_VERSION_LENGTH = 40  # the device row's column
_VERSION = re.compile(rf"[0-9A-Za-z][0-9A-Za-z._+\-]{{0,{MAX_VERSION_LENGTH - 1}}}")
# at most nine digits (999,999,999): beyond any real outbox, within a 32-bit column
_PENDING = re.compile(r"[0-9]{1,9}")


class Report(NamedTuple):
    """One request's report; ``None`` = not sent (or not well formed)."""

    app_version: str | None
    pending: int | None


class Stored(NamedTuple):
    """What a device row holds (``None`` = never reported)."""

    app_version: str
    pending: int | None


def parse(version: str | None, pending: str | None) -> Report | None:
    """The report carried by a request's two header values, or None when it has neither
    in a valid form (nothing to store)."""
    v = version.strip() if version else ""
    p = pending.strip() if pending else ""
    report = Report(v if _VERSION.fullmatch(v) else None,
                    int(p) if _PENDING.fullmatch(p) else None)
    return None if report == (None, None) else report


def changes(report: Report | None, stored: Stored, moment: datetime,
            refresh: bool) -> dict[str, Any]:
    """The device row's columns to set for ``report`` (empty: nothing new). ``refresh``:
    the row is being written anyway (``last_seen_at``), so a pending count that did not
    change is stamped again — ``reported_at`` stays the time of its latest report."""
    if report is None:
        return {}
    out: dict[str, Any] = {}
    if report.app_version is not None and report.app_version != stored.app_version:
        out["app_version"] = report.app_version
    if report.pending is not None and (refresh or report.pending != stored.pending):
        out["pending_count"] = report.pending
        out["reported_at"] = moment
    return out
