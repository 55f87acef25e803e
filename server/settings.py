"""One typed settings module, read from the environment.

Every setting is an environment variable; README.md documents each one (a test checks
that). ``.env.example`` lists them with their defaults.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


class Setting(msgspec.Struct, frozen=True):
    name: str
    default: str
    help: str


# name, default ("" = computed), meaning. The README's settings table mirrors this list.
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "sqlite:///./var/caretaker.sqlite3",
            "`sqlite:///path` (embedded) or `postgresql://user:pass@host:port/db`"),
    Setting("CARETAKER_SECRET_KEY", "",
            "secret for signing; generated once into `./var/secret_key` when unset"),
    Setting("CARETAKER_DEMO", "",
            "load the demo estate into an empty database on `run`; "
            "default on for SQLite, off for PostgreSQL"),
    Setting("CARETAKER_HOST", "127.0.0.1", "address `caretaker run` listens on"),
    Setting("CARETAKER_PORT", "8000", "port `caretaker run` listens on"),
    Setting("CARETAKER_WORKERS", "1", "server worker processes for `caretaker run`"),
    Setting("CARETAKER_SECURE_COOKIES", "false",
            "mark cookies Secure (set true behind HTTPS)"),
    Setting("CARETAKER_SESSION_HOURS", "12", "office sign-in session lifetime, hours"),
    Setting("CARETAKER_DEVICE_TOKEN_DAYS", "30", "phone (device) bearer token lifetime, days"),
    Setting("CARETAKER_SIGNIN_MAX_FAILURES", "5",
            "failed sign-ins allowed per user name and per address in the window"),
    Setting("CARETAKER_SIGNIN_WINDOW_SECONDS", "60", "the sign-in rate-limit window, seconds"),
    Setting("CARETAKER_BLOB_MAX_BYTES", "10485760", "largest photo or signature accepted, bytes"),
    Setting("CARETAKER_PULL_PAGE_SIZE", "2000", "records per pull page"),
    Setting("CARETAKER_MAX_CLOCK_AHEAD_SECONDS", "300",
            "how far ahead of the server a phone's clock may run before it is clamped"),
    Setting("CARETAKER_TIMEZONE", "Asia/Hong_Kong",
            "the estate's time zone (IANA name): how the office shows and filters times"),
    Setting("CARETAKER_PATROL_PLAN_SECONDS", "300",
            "how often the server plans patrol rounds (24 hours ahead) and marks missed ones, "
            "seconds; 0 switches it off"),
    Setting("CARETAKER_VISITOR_CUTOFF", "23:00",
            "the hour (HH:MM, the estate's time) after which a visitor still inside is an "
            "exception for the office (a visitor not signed out by the cut-off of the day "
            "they came)"),
    Setting("CARETAKER_STALE_SYNC_HOURS", "4",
            "a phone not synced for more than this many hours while its person is on shift "
            "is an exception on the office home (on shift: a patrol round of theirs whose "
            "window includes now, the incoming person of their site's latest handover of "
            "the last 12 hours, or a repair job of theirs today)"),
    Setting("CARETAKER_LANGUAGE", "zh_Hant", "default UI language: `zh_Hant` or `en`"),
    Setting("CARETAKER_LOG_LEVEL", "INFO", "log level"),
)


def _bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def _int(name: str, value: str, minimum: int = 0) -> int:
    try:
        n = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if n < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return n


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str
    secret_key: str
    demo: bool
    host: str
    port: int
    workers: int
    secure_cookies: bool
    session_hours: int
    device_token_days: int
    signin_max_failures: int
    signin_window_seconds: int
    blob_max_bytes: int
    pull_page_size: int
    max_clock_ahead_seconds: int
    language: str
    timezone: str
    patrol_plan_seconds: int
    visitor_cutoff: str
    stale_sync_hours: int
    log_level: str

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        if self.is_postgres:
            raise SettingsError("not a SQLite database")
        path = self.database_url.removeprefix("sqlite:///")
        p = Path(path)
        return p if p.is_absolute() else (Path.cwd() / p)


def _secret_key(env: Mapping[str, str]) -> str:
    key = env.get("CARETAKER_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise SettingsError("CARETAKER_SECRET_KEY must be at least 32 characters")
        return key
    path = Path.cwd() / "var" / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _timezone(name: str) -> str:
    from server.lib.timezone import parse_zone

    try:
        parse_zone(name)
    except ValueError:
        raise SettingsError(f"CARETAKER_TIMEZONE: unknown time zone {name!r}") from None
    return name


def _clock(name: str, value: str) -> str:
    """An hour of the day as ``HH:MM`` (00:00 to 23:59)."""
    m = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value.strip())
    if m is None:
        raise SettingsError(f"{name} must be an hour as HH:MM (00:00 to 23:59), not {value!r}")
    return m.group(0)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    get = {s.name: env.get(s.name, s.default) for s in SETTINGS}
    url = get["DATABASE_URL"]
    if not url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError(
            "DATABASE_URL must start with sqlite:/// or postgresql:// "
            f"(got {url.split(':', 1)[0]!r})"
        )
    is_pg = url.startswith(("postgres://", "postgresql://"))
    demo = _bool("CARETAKER_DEMO", get["CARETAKER_DEMO"]) if get["CARETAKER_DEMO"] else not is_pg
    language = get["CARETAKER_LANGUAGE"]
    if language not in {"zh_Hant", "en"}:
        raise SettingsError("CARETAKER_LANGUAGE must be zh_Hant or en")
    return Settings(
        database_url=url,
        secret_key=_secret_key(env),
        demo=demo,
        host=get["CARETAKER_HOST"],
        port=_int("CARETAKER_PORT", get["CARETAKER_PORT"], 0),
        workers=_int("CARETAKER_WORKERS", get["CARETAKER_WORKERS"], 1),
        secure_cookies=_bool("CARETAKER_SECURE_COOKIES", get["CARETAKER_SECURE_COOKIES"]),
        session_hours=_int("CARETAKER_SESSION_HOURS", get["CARETAKER_SESSION_HOURS"], 1),
        device_token_days=_int(
            "CARETAKER_DEVICE_TOKEN_DAYS", get["CARETAKER_DEVICE_TOKEN_DAYS"], 1),
        signin_max_failures=_int(
            "CARETAKER_SIGNIN_MAX_FAILURES", get["CARETAKER_SIGNIN_MAX_FAILURES"], 1),
        signin_window_seconds=_int(
            "CARETAKER_SIGNIN_WINDOW_SECONDS", get["CARETAKER_SIGNIN_WINDOW_SECONDS"], 1),
        blob_max_bytes=_int("CARETAKER_BLOB_MAX_BYTES", get["CARETAKER_BLOB_MAX_BYTES"], 1024),
        pull_page_size=_int("CARETAKER_PULL_PAGE_SIZE", get["CARETAKER_PULL_PAGE_SIZE"], 10),
        max_clock_ahead_seconds=_int(
            "CARETAKER_MAX_CLOCK_AHEAD_SECONDS", get["CARETAKER_MAX_CLOCK_AHEAD_SECONDS"], 0),
        language=language,
        timezone=_timezone(get["CARETAKER_TIMEZONE"]),
        patrol_plan_seconds=_int(
            "CARETAKER_PATROL_PLAN_SECONDS", get["CARETAKER_PATROL_PLAN_SECONDS"], 0),
        visitor_cutoff=_clock("CARETAKER_VISITOR_CUTOFF", get["CARETAKER_VISITOR_CUTOFF"]),
        stale_sync_hours=_int(
            "CARETAKER_STALE_SYNC_HOURS", get["CARETAKER_STALE_SYNC_HOURS"], 1),
        log_level=get["CARETAKER_LOG_LEVEL"].upper(),
    )
