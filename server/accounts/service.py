"""Sign-in, sessions, devices and the sign-in rate limit."""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts import auth_cache, device_reports
from server.accounts.device_reports import Report, Stored
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device, SignInFailure, Staff, StaffSite, WebSession
from server.estate.tables import Site
from server.lib.errors import NotAuthenticated, TooManyAttempts
from server.lib.i18n import gettext as _
from server.lib.security import new_token, token_hash, verify_password
from server.settings import Settings

# A device's last_seen_at is written at most this often (not on every request: a write per
# request would contend with pushes for SQLite's single writer lock).
LAST_SEEN_EVERY = timedelta(seconds=60)


def now() -> datetime:
    return datetime.now(UTC)


def has_control_characters(text: str) -> bool:
    """NUL, newlines, escapes and the like: never in a user name (PostgreSQL text cannot
    even hold NUL), so such a name is refused before it reaches a query."""
    return any(unicodedata.category(c) == "Cc" for c in text)


async def site_ids_of(staff_id: str, role: str) -> tuple[str, ...]:
    """The sites a staff member may see: their assignments; admins see every site."""
    if role == "admin":
        rows = await Site.select(Site.id).where(Site.active.eq(True))
        return tuple(sorted(str(r["id"]) for r in rows))
    rows = await StaffSite.select(StaffSite.site).where(StaffSite.staff == staff_id)
    return tuple(sorted(str(r["site"]) for r in rows))


async def _user_from_staff(row: dict, **extra: str | None) -> CurrentUser:
    return CurrentUser(
        id=str(row["id"]),
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        site_ids=await site_ids_of(str(row["id"]), row["role"]),
        language=row.get("language") or "",
        **extra,  # type: ignore[arg-type]
    )


async def count_attempt(settings: Settings, username: str, address: str) -> str:
    """Count a sign-in attempt *before* its password is checked: the attempt is stored (and
    committed) first, then the attempts of the window are counted, so concurrent attempts
    see each other — the k-th stored sees at least k. Over the limit: TooManyAttempts (the
    attempt still counts). Returns the attempt's id (a success takes it back)."""
    attempt = SignInFailure(username=username[:60], address=address[:64], at=now())
    await SignInFailure.insert(attempt)
    since = now() - timedelta(seconds=settings.signin_window_seconds)
    by_user = await SignInFailure.count().where(
        (SignInFailure.username == attempt.username) & (SignInFailure.at > since)) \
        if username else 0
    by_addr = await SignInFailure.count().where(
        (SignInFailure.address == attempt.address) & (SignInFailure.at > since))
    if max(by_user, by_addr) > settings.signin_max_failures:
        raise TooManyAttempts(
            _("Too many failed sign-ins. Wait a minute and try again."))
    return str(attempt.id)


async def authenticate(settings: Settings, username: str, password: str,
                       address: str) -> dict:
    """The staff row for a correct user name and password, else NotAuthenticated.

    Wrong password and unknown user give the same message (and take the same time). Every
    attempt is counted before the password is hashed; a user name no account can have
    (control characters) is counted against the address and refused without hashing."""
    username = username.strip().lower()
    if has_control_characters(username):
        await count_attempt(settings, "", address)
        raise NotAuthenticated(_("Wrong user name or password."), code="bad_credentials")
    attempt = await count_attempt(settings, username, address)
    row = await Staff.select().where(Staff.username == username).first()
    ok = verify_password(row["password_hash"] if row else None, password)
    if not ok or row is None or not row["active"]:
        raise NotAuthenticated(_("Wrong user name or password."), code="bad_credentials")
    await SignInFailure.delete().where(SignInFailure.id == attempt)  # not a failure
    await Staff.update({Staff.last_sign_in_at: now()}).where(Staff.id == row["id"])
    return row


async def start_session(settings: Settings, staff: dict, user_agent: str = "") -> str:
    token = new_token()
    await WebSession.insert(WebSession(
        token_hash=token_hash(token),
        staff=staff["id"],
        csrf_token=secrets.token_hex(32),  # the session's CSRF secret (middleware.py)
        expires_at=now() + timedelta(hours=settings.session_hours),
        user_agent=user_agent[:255],
    ))
    return token


async def end_session(token: str) -> None:
    hashed = token_hash(token)
    await WebSession.delete().where(WebSession.token_hash == hashed)
    auth_cache.forget(key="s:" + hashed)


async def user_for_session(token: str) -> CurrentUser | None:
    """The signed-in person of an office session cookie (cached a few seconds per process:
    see :mod:`server.accounts.auth_cache`)."""
    hashed = token_hash(token)
    key = "s:" + hashed
    cached = auth_cache.get(key)
    if cached is not None:
        return cached
    since = auth_cache.generation()
    session = await WebSession.select(
        WebSession.id, WebSession.expires_at, WebSession.csrf_token,
        *WebSession.staff.all_columns(),
    ).where(WebSession.token_hash == hashed).first()
    if session is None or session["expires_at"] < now():
        return None
    staff = {k.removeprefix("staff."): v for k, v in session.items() if k.startswith("staff.")}
    if not staff.get("active"):
        return None
    user = await _user_from_staff(staff, session_id=str(session["id"]),
                                  csrf_token=session["csrf_token"])
    auth_cache.put(key, user, session["expires_at"], since)
    return user


async def register_device(settings: Settings, staff: dict, client_id: uuid.UUID,
                          name: str) -> tuple[str, str]:
    """A new bearer token for this phone installation; an earlier device row of the same
    client is replaced (signing in again on the same phone)."""
    token = new_token()
    existing = await Device.select(Device.id, Device.staff).where(
        Device.client_id == client_id).first()
    expires = now() + timedelta(days=settings.device_token_days)
    if existing is not None:
        await Device.update({
            Device.staff: staff["id"], Device.token_hash: token_hash(token),
            Device.name: name[:120], Device.expires_at: expires, Device.revoked_at: None,
            Device.revoked_by: None,
        }).where(Device.id == existing["id"])
        auth_cache.forget(device_id=str(existing["id"]))  # its old token is void
        return token, str(existing["id"])
    device = Device(client_id=client_id, staff=staff["id"], name=name[:120],
                    token_hash=token_hash(token), expires_at=expires)
    await device.save()
    return token, str(device.id)


async def user_for_device_token(token: str, report: Report | None = None
                                ) -> CurrentUser | None:
    """The person behind a phone's bearer token: run on every ``/api`` request, so kept
    cheap — a per-process cache of a few seconds (:mod:`server.accounts.auth_cache`;
    another worker process may accept a just-revoked device for up to its TTL), one query
    for device + staff, one for the sites, and ``last_seen_at`` written at most once a
    minute. The phone's ``report`` (:mod:`server.accounts.device_reports`) goes into that
    write, and into one of its own only when it changed."""
    hashed = token_hash(token)
    key = "d:" + hashed
    cached = auth_cache.get(key)
    if cached is not None:
        if report is not None and cached.device_id is not None:
            await _note_report(cached.device_id, report)
        return cached
    since = auth_cache.generation()
    row = await Device.select(
        Device.id, Device.client_id, Device.expires_at, Device.revoked_at,
        Device.last_seen_at, Device.app_version, Device.pending_count,
        *Device.staff.all_columns(),
    ).where(Device.token_hash == hashed).first()
    moment = now()
    if row is None or row["revoked_at"] is not None or row["expires_at"] < moment:
        return None
    staff = {k.removeprefix("staff."): v for k, v in row.items() if k.startswith("staff.")}
    if not staff.get("active"):
        return None
    device_id = str(row["id"])
    seen = row["last_seen_at"]
    due = seen is None or moment - seen >= LAST_SEEN_EVERY
    change = device_reports.changes(
        report, Stored(row["app_version"], row["pending_count"]), moment, refresh=due)
    if due or change:
        await _write_seen(device_id, moment, change)
    user = await _user_from_staff(staff, device_id=device_id,
                                  client_id=str(row["client_id"]))
    auth_cache.put(key, user, row["expires_at"], since)
    return user


async def _note_report(device_id: str, report: Report) -> None:
    """A report on a request whose token was cached: one primary-key read, and a write only
    if the report differs from what the row holds."""
    row = await Device.select(Device.app_version, Device.pending_count).where(
        Device.id == device_id).first()
    if row is None:
        return
    moment = now()
    change = device_reports.changes(
        report, Stored(row["app_version"], row["pending_count"]), moment, refresh=False)
    if change:
        await _write_seen(device_id, moment, change)


async def _write_seen(device_id: str, moment: datetime, change: dict[str, Any]) -> None:
    """One write: the device was seen now, with what it reported."""
    values = {Device.last_seen_at: moment,
              **{getattr(Device, name): value for name, value in change.items()}}
    await Device.update(values).where(Device.id == device_id)


async def revoke_device(device_id: str, by: CurrentUser) -> None:
    await Device.update({Device.revoked_at: now(), Device.revoked_by: by.id}).where(
        Device.id == device_id)
    auth_cache.forget(device_id=str(device_id))


def require_user(user: CurrentUser | None) -> CurrentUser:
    if user is None:
        raise NotAuthenticated(_("Please sign in."))
    return user
