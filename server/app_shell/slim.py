"""The phone app's modules as phones download them: without their comment lines and their
indentation.

The modules carry their documentation (JSDoc for the type check, the reasons behind the
code): a third of their bytes. A phone fetches every module before its first use, and the
bar is 80 KB compressed for the whole shell, so lines that hold only a comment are left out
when serving, and so are empty lines and indentation (of code, and of the HTML in ``html``
templates) — nothing else changes (code, and the text of other template literals, stay as
written).
``tests/unit/test_app_worker.py`` checks that every slimmed module still parses and that
nothing but comments and indentation went. Stylesheets lose their comments and spare white
space the same way (:func:`css_without_comments`).

What phones then receive is *minified* (:func:`minified`: tdewolff/minify through
``minify-go``, which also shortens local names — about a tenth fewer compressed bytes):
the slimmed text stays what the worker's bundler reads and what the tests compare."""

from __future__ import annotations

import logging
import re

import minify

_BACKTICK = re.compile(r"(?<!\\)`")


def _code_part(line: str) -> str:
    """``line`` without a trailing ``//`` comment and without the text of its ordinary
    strings (only what can open or close a template literal matters here)."""
    out = []
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "/" and line[i:i + 2] == "//":
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def without_comments(source: str) -> str:
    """``source`` without the lines that are only a comment (``// …``, ``/* … */`` and JSDoc
    blocks that start a line), outside template literals."""
    out: list[str] = []
    in_block = in_template = in_html = False
    for line in source.splitlines():
        text = line.strip()
        if in_block:
            if "*/" in text:
                in_block = False
                rest = text.split("*/", 1)[1].strip()
                if rest:
                    out.append(rest)
            continue
        if not in_template:
            if text.startswith("//"):
                continue
            if text.startswith("/*"):
                if "*/" not in text[2:]:
                    in_block = True
                    continue
                rest = text[2:].split("*/", 1)[1].strip()
                if not rest:
                    continue
                line = rest
        code = line if in_template else _code_part(line)
        # indentation means nothing to JS, nor to the HTML of an html`…` template (no <pre>
        # in the app); any other template literal keeps its text exactly
        kept = line if in_template and not in_html else line.lstrip()
        if kept or in_template:  # nor do empty lines (a template literal keeps its own)
            out.append(kept)
        ticks = [m.start() for m in _BACKTICK.finditer(code)]
        if len(ticks) % 2:
            in_template = not in_template
            in_html = in_template and code[:ticks[-1]].endswith("html")
    return "\n".join(out) + "\n"


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
_CSS_AROUND = re.compile(r"\s*([{};])\s*")


def css_without_comments(source: str) -> str:
    """A stylesheet as phones download it: without comments, runs of white space made one
    space, none around ``{ } ;`` (selectors and values keep theirs)."""
    text = _CSS_SPACE.sub(" ", _CSS_COMMENT.sub("", source))
    return _CSS_AROUND.sub(r"\1", text).strip() + "\n"


log = logging.getLogger(__name__)


def minify_js(source: str) -> str:
    """``source`` minified (raises :class:`minify.MinifyError` on what it cannot parse)."""
    return str(minify.string("application/javascript", source))


def minified(source: str, name: str) -> str:
    """``source`` as served: minified, or as it is (slimmed) if the minifier refuses it — a
    phone is better served the longer file than none; ``tests/unit/test_app_worker.py``
    fails when any module or bundle is refused."""
    try:
        return minify_js(source) + "\n"
    except minify.MinifyError as exc:
        log.warning("serving %s unminified: %s", name, exc)
        return source
