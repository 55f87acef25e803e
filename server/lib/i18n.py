"""Translations: one gettext catalog per language under ``web/locale`` (Babel .po files).

Message ids are the English source strings; each area of the code keeps its own .po file
(merged at load). The server's templates and Python code use
:func:`gettext` (``_`` in templates); the phone's service worker reads the same catalogs
exported as JSON (``/i18n/<lang>.json``). ``tests/unit/test_i18n.py`` fails when a visible
string lacks a translation in either language.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from sync.domains import areas as domain_areas

LOCALE_DIR = Path(__file__).resolve().parents[2] / "web" / "locale"
LANGUAGES = {"zh_Hant": "繁體中文", "en": "English"}
HTML_LANG = {"zh_Hant": "zh-Hant", "en": "en"}
DEFAULT_LANGUAGE = "zh_Hant"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


# The areas the phone's service worker needs (it downloads them before first use: keep
# small): the app's own words, the kit's messages and each domain's declared labels.
PHONE_AREAS = ("core", "app", "kit", *domain_areas())


@cache
def catalog(language: str, areas: tuple[str, ...] | None = None) -> dict[str, str]:
    """Every ``web/locale/<language>/LC_MESSAGES/*.po`` merged (one file per area:
    ``core.po``, ``office.po``, ``keys.po``, ``app.po`` …), or only ``areas``."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        if areas is not None and path.stem not in areas:
            continue
        with path.open("rb") as f:
            cat = read_po(f, locale=language)
        merged.update({str(m.id): str(m.string) for m in cat
                       if m.id and m.string and not m.fuzzy})
    return merged


def gettext(message: str, **params: object) -> str:
    text = catalog(current_language.get()).get(message) or message
    return text.format(**params) if params else text


_ = gettext


def lazy(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def pick_language(*candidates: str | None) -> str:
    for c in candidates:
        if not c:
            continue
        c = c.replace("-", "_")
        if c in LANGUAGES:
            return c
        if c.lower().startswith("zh"):
            return "zh_Hant"
        if c.lower().startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
