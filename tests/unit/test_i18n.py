"""Every visible string has a Traditional-Chinese and an English translation.

Strings are found where they are marked: ``_("…")``/``gettext("…")``/``lazy("…")`` in Python
and Jinja templates, ``t("…")`` in the phone app's JavaScript. A string with no entry in
either catalog fails the test with its file and the missing text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.lib.i18n import LANGUAGES, PHONE_AREAS, catalog

ROOT = Path(__file__).resolve().parents[2]
PY_CALL = re.compile(r"""\b(?:_|gettext|lazy)\(\s*(?P<q>["'])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)""")
JS_CALL = re.compile(r"""\bt\(\s*(?P<q>["'`])(?P<s>(?:\\.|(?!(?P=q)).)+)(?P=q)""")


def visible_strings(phone: bool | None = None) -> dict[str, str]:
    """Marked strings -> where one was found. ``phone=True``: only the phone app's (its JS
    and its shell template); ``False``: only the server's; ``None``: all."""
    found: dict[str, str] = {}
    sources = [*(ROOT / "server").rglob("*.py"), *(ROOT / "web" / "templates").rglob("*.html")]
    for path in sources if phone is not True else []:
        for m in PY_CALL.finditer(path.read_text()):
            found.setdefault(m.group("s").replace("\\'", "'").replace('\\"', '"'),
                             str(path.relative_to(ROOT)))
    for path in (ROOT / "web" / "static").rglob("*.js") if phone is not False else []:
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


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_phone_catalog_holds_every_phone_string(language: str) -> None:
    """The service worker downloads only the phone's areas: its strings must be there."""
    cat = catalog(language, PHONE_AREAS)
    missing = sorted(f"{where}: {text!r}" for text, where in visible_strings(phone=True).items()
                     if text not in cat)
    assert not missing, f"{len(missing)} phone strings lack a {language} translation in " \
        f"{PHONE_AREAS}:\n" + "\n".join(missing[:80])


def test_catalogs_export_as_json_for_the_service_worker() -> None:
    import json

    for language in LANGUAGES:
        data = json.loads(json.dumps(catalog(language), ensure_ascii=False))
        assert data.get("Sign in")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_one_text_has_one_translation_across_catalog_files(language: str) -> None:
    """Each area has its own .po file; a text in two files must read the same in both
    (otherwise the merge order silently decides what people see)."""
    from babel.messages.pofile import read_po

    from server.lib.i18n import LOCALE_DIR

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f, locale=language):
                if not m.id:
                    continue
                if m.id in seen and seen[m.id][1] != m.string:
                    clashes.append(f"{m.id!r}: {seen[m.id][0]}={seen[m.id][1]!r} "
                                   f"{path.name}={m.string!r}")
                seen.setdefault(m.id, (path.name, str(m.string)))
    assert not clashes, "\n".join(clashes)


def declared_strings() -> set[str]:
    """What the declarations show people (labels, choices, the checks' messages)."""
    from sync.domains import default_registry, messages
    from sync.kit.export import texts

    return texts(default_registry(), messages())


def test_every_reference_list_text_is_translated() -> None:
    """The office's lists name their titles, columns, filters and hints as data."""
    from server.domains import reference_lists

    lists = reference_lists()
    assert {lst.slug for lst in lists} >= {"sites", "buildings", "units", "residents", "staff"}
    for language in LANGUAGES:
        cat = catalog(language)
        missing = sorted({f"{lst.slug}: {text!r}" for lst in lists for text in lst.texts()
                          if text not in cat})
        assert not missing, f"{language}:\n" + "\n".join(missing)


def test_declared_strings_are_found() -> None:
    found = declared_strings()
    assert {"Required.", "Owner-deposited", "Tag code", "Lent", "Tenant",
            "The key must be due back after it is lent."} <= found


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_declared_string_is_in_the_phone_catalog(language: str) -> None:
    """Labels, choices and messages come from the declarations (sync/domains); the phone
    shows them through the catalog it downloads."""
    cat = catalog(language, PHONE_AREAS)
    missing = sorted(s for s in declared_strings() if s not in cat)
    assert not missing, f"{len(missing)} declared strings lack a {language} translation in " \
        f"{PHONE_AREAS}:\n" + "\n".join(missing)


def test_every_check_message_of_a_domain_is_declared() -> None:
    """A domain's cross-field checks use the messages its rules list in ``MESSAGES``
    (so they reach the catalogs)."""
    import importlib

    from sync.domains import DOMAINS

    checked = 0
    for name in DOMAINS:
        module = importlib.import_module(name)
        rules = getattr(module, "rules", module)
        source = Path(rules.__file__).read_text()
        used = set(re.findall(r"Problem\([^,]+,\s*([A-Z_][A-Z0-9_]*)", source))
        listed = {k for k, v in vars(rules).items()
                  if k.isupper() and isinstance(v, str) and v in getattr(rules, "MESSAGES", ())}
        assert used <= listed, used - listed
        checked += len(used)
    assert checked
