"""Text as Caretaker stores it: one normalisation and one set of checks, used by every
mutation's arguments and every office form (the phone runs the same rules in
``web/static/app/kit/fields.js``; ``tests/parity`` proves the two agree).

* Forbidden everywhere: control characters (NUL, escapes…; a single-line value takes no tab or
  line break either), the invisible direction controls that can make ``K\\u202e1-TAG`` read as
  another code, and U+FEFF (a stray byte-order mark).
* ``line``: whitespace runs become one space, trimmed. ``multiline``: line breaks become
  ``\\n``, trimmed. ``code`` (tag codes, printed codes): NFKC (so a full-width look-alike
  ``ＨＹＧ-Ｋ001`` *is* ``HYG-K001``), whitespace runs removed at the ends and collapsed,
  upper case — codes are compared and stored in upper case. ``idpart`` (the last characters
  of an ID number): NFKC, without spaces and brackets, upper case (``(123a)`` is ``123A``).
  ``hlc``: a clock value, kept as it is.
* A *required* value needs at least one visible character: spaces, zero-width and other
  invisible characters alone do not count.
* Lengths count characters (code points), as PostgreSQL's ``varchar(n)`` does — never bytes
  and never UTF-16 units.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

TextKind = Literal["line", "multiline", "code", "idpart", "hlc"]

# C0/C1 controls (minus what a kind allows), bidi controls and marks, U+FEFF
BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
FORBIDDEN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI}]")
FORBIDDEN_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI}]")

# characters that print nothing although they are not "whitespace" or format characters
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_FAST_VISIBLE = re.compile("[0-9A-Za-z\u3400-\u9fff\uac00-\ud7a3]")
_WHITESPACE = re.compile(r"\s+")
_ID_NOISE = re.compile(r"[\s()]+")


def forbidden(value: str, kind: TextKind) -> bool:
    """Whether ``value`` holds a character no text of this kind may hold."""
    pattern = FORBIDDEN_MULTILINE if kind == "multiline" else FORBIDDEN_LINE
    return pattern.search(value) is not None


def normalize(value: str, kind: TextKind) -> str:
    """The stored form of an accepted value (call after :func:`forbidden` said no)."""
    if kind == "multiline":
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if kind == "hlc":
        return value
    if kind in ("code", "idpart"):
        value = unicodedata.normalize("NFKC", value)
    if kind == "idpart":
        return _ID_NOISE.sub("", value).upper()
    value = _WHITESPACE.sub(" ", value).strip()
    return value.upper() if kind == "code" else value


def visible(value: str) -> bool:
    """Whether ``value`` shows at least one character."""
    if _FAST_VISIBLE.search(value):
        return True
    for ch in value:
        if ch.isspace() or ch in _BLANK_LETTERS:
            continue
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
            return True
    return False


def length(value: str) -> int:
    """Characters (code points), as ``varchar(n)`` counts them."""
    return len(value)
