"""Every setting is documented in README.md and .env.example, and parses."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import SETTINGS, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    for s in SETTINGS:
        assert f"| `{s.name}` |" in section, f"{s.name} is not documented in README.md"


def test_every_setting_is_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    for s in SETTINGS:
        assert f"\n{s.name}=" in example, f"{s.name} is missing from .env.example"


def test_settings_read_in_code_are_declared() -> None:
    """No module reads a CARETAKER_* variable that the README does not document."""
    import re

    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(CARETAKER_[A-Z_]+)`", readme))
    declared = {s.name for s in SETTINGS} | documented

    read = 0
    for folder in ("server", "sync", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in re.findall(r"[\"'](CARETAKER_[A-Z_]+)[\"']", path.read_text()):
                read += 1
                assert name in declared, f"{path} reads undeclared {name}"
    assert read > len(SETTINGS)


def test_defaults_parse(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///")
    assert s.demo is True  # demo on by default for the embedded SQLite
    pg = load_settings({"DATABASE_URL": "postgresql://u@h/db"})
    assert pg.demo is False and pg.is_postgres


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "mysql://x"), ("CARETAKER_PORT", "eighty"),
    ("CARETAKER_DEMO", "maybe"), ("CARETAKER_LANGUAGE", "fr"),
    ("CARETAKER_SECRET_KEY", "short"), ("CARETAKER_TIMEZONE", "Mars/Olympus"),
])
def test_bad_values_are_clear_errors(tmp_path, monkeypatch, name, value) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
