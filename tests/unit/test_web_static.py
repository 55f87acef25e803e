"""The phone app and the templates hold nothing a strict CSP would block or that needs eval.

Under ``script-src 'self'; style-src 'self'`` (no 'unsafe-inline', no 'unsafe-eval') these
are dead or dangerous: ``hx-on*`` and ``js:`` values (need eval), ``hx-trigger`` filters in
``[…]`` (silently dropped, so the request fires on every event), ``eval(``/``new Function``,
inline ``style="…"`` and inline ``<script>`` without ``src``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "web" / "static" / "app"
SOURCES = sorted([*APP.rglob("*.js"), *(ROOT / "web" / "templates").rglob("*.html")])

BANNED = {
    "hx-on": re.compile(r"hx-on"),
    "eval(": re.compile(r"\beval\("),
    "new Function": re.compile(r"new\s+Function\b"),
    "js: in hx-vals/hx-headers": re.compile(
        r"""(?:hx-vals|hx-headers|hx-vars)\s*=\s*["'`]?\s*js:"""),
    "hx-vars": re.compile(r"hx-vars"),
    "[ in hx-trigger (a filter)": re.compile(r"""hx-trigger\s*=\s*(?:"[^"]*\[|'[^']*\[)"""),
    'style="': re.compile(r"""\bstyle\s*=\s*["']"""),
    "inline <script> without src": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "javascript: URL": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


def _strip_comments(text: str, path: Path) -> str:
    """Comments may name the banned constructs (to explain why they are banned)."""
    if path.suffix == ".js":
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        return re.sub(r"(^|\s)//[^\n]*", r"\1", text)
    return re.sub(r"\{#.*?#\}", "", text, flags=re.S)


def test_there_is_something_to_check() -> None:
    names = {p.name for p in SOURCES}
    assert {"sw.js", "db.js", "page.js", "shell.html"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_banned_constructs(path: Path) -> None:
    text = _strip_comments(path.read_text(), path)
    found = [name for name, pattern in BANNED.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)}: {', '.join(found)}"


def test_the_checks_catch_what_they_should() -> None:
    samples = {
        "hx-on": '<button hx-on:click="x()">',
        "eval(": "eval(code)",
        "new Function": "new Function('return 1')",
        "js: in hx-vals/hx-headers": "<div hx-vals='js:{a: 1}'>",
        "[ in hx-trigger (a filter)": "<input hx-trigger=\"keyup[key=='Enter']\">",
        'style="': '<p style="color:red">',
        "inline <script> without src": "<script>alert(1)</script>",
    }
    for name, sample in samples.items():
        assert BANNED[name].search(sample), name
    assert not BANNED["inline <script> without src"].search('<script src="/x.js" defer>')
    assert not BANNED["[ in hx-trigger (a filter)"].search(
        'hx-trigger="input changed delay:200ms, search"')


def test_every_app_module_is_type_checked() -> None:
    unchecked = [p.name for p in APP.rglob("*.js") if not p.read_text().startswith("// @ts-check")]
    assert not unchecked


def test_only_db_js_knows_the_indexeddb_stores() -> None:
    stores = re.compile(r"""objectStore\(|createObjectStore|\.transaction\(""")
    offenders = [str(p.relative_to(ROOT)) for p in APP.rglob("*.js")
                 if p.name != "db.js" and stores.search(p.read_text())]
    assert not offenders
