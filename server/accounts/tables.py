"""Staff accounts, their site assignments, office sessions, phones (devices) and sign-in
failures (for rate limiting across worker processes)."""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site
from sync.streams import ROLES

__all__ = ["ROLES", "Device", "SignInFailure", "Staff", "StaffSite", "WebSession"]


class Staff(Table, tablename="staff"):
    id = UUID(primary_key=True)
    username = Varchar(length=60, unique=True)
    display_name = Varchar(length=120)
    password_hash = Varchar(length=255)
    role = Varchar(length=20, index=True)
    phone = Varchar(length=40, default="")
    language = Varchar(length=10, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    last_sign_in_at = Timestamptz(null=True, default=None)


class StaffSite(Table, tablename="staff_site"):
    """A staff member's assignment to a site (their sync spaces and their office scope)."""

    id = UUID(primary_key=True)
    staff = ForeignKey(references=Staff, index=True)
    site = ForeignKey(references=Site, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class WebSession(Table, tablename="web_session"):
    """An office sign-in. The cookie holds a random token; only its SHA-256 is stored."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    staff = ForeignKey(references=Staff, index=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    user_agent = Varchar(length=255, default="")


class Device(Table, tablename="device"):
    """A registered phone. Its bearer token is stored hashed; the office can revoke it.
    What it last reported on a sync request (:mod:`server.accounts.device_reports`): the
    build of its app and how many of its mutations were waiting, with when (``None``:
    never reported — an older app)."""

    id = UUID(primary_key=True)
    client_id = UUID(unique=True)
    staff = ForeignKey(references=Staff, index=True)
    name = Varchar(length=120, default="")
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = UUID(null=True, default=None)
    app_version = Varchar(length=40, default="")
    pending_count = Integer(null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)


class SignInFailure(Table, tablename="sign_in_failure"):
    id = UUID(primary_key=True)
    username = Varchar(length=60, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
