"""Every visible string has a Traditional-Chinese and an English translation.

Strings are found where they are marked: ``_("…")``/``gettext("…")``/``lazy("…")`` in Python
and Jinja templates, ``t("…")`` in the phone app's JavaScript. A string with no entry in
either catalog fails the test with its file and the missing text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.lib.i18n import LANGUAGES, catalog

ROOT = Path(__file__).resolve().parents[2]
PY_CALL = re.compile(r"""\b(?:_|gettext|lazy)\(\s*(?P<q>["'])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)""")
JS_CALL = re.compile(r"""\bt\(\s*(?P<q>["'`])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)""")


def visible_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [*(ROOT / "server").rglob("*.py"), *(ROOT / "web" / "templates").rglob("*.html")]
    for path in sources:
        for m in PY_CALL.finditer(path.read_text()):
            found.setdefault(m.group("s").replace("\\'", "'").replace('\\"', '"'),
                             str(path.relative_to(ROOT)))
    for path in (ROOT / "web" / "static").rglob("*.js"):
        if "vendor" in path.parts:
            continue
        for m in JS_CALL.finditer(path.read_text()):
            found.setdefault(m.group("s"), str(path.relative_to(ROOT)))
    return found


def test_strings_are_found() -> None:
    strings = visible_strings()
    assert "Sign in" in strings
    assert len(strings) > 20


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_visible_string_is_translated(language: str) -> None:
    cat = catalog(language)
    missing = sorted(f"{where}: {text!r}" for text, where in visible_strings().items()
                     if text not in cat)
    assert not missing, f"{len(missing)} strings lack a {language} translation:\n" + "\n".join(
        missing[:80])


def test_catalogs_export_as_json_for_the_service_worker() -> None:
    import json

    for language in LANGUAGES:
        data = json.loads(json.dumps(catalog(language), ensure_ascii=False))
        assert data.get("Sign in")
