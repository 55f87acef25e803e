"""Field declarations and the checks every value goes through.

A :class:`Field` says what one field of a record (or one argument of a mutation) may hold:
its kind, limits, allowed values, whether it is required, whether it names a blob or holds
personal data, and its label for people. :func:`check_value` applies it to an incoming value
and gives the stored form or a :class:`Problem` (the same problem, worded the same way, on the
phone: ``web/static/app/kit/fields.js``).

Messages are English message ids of the translation catalogs (``{n}``-style parameters), so
an office form, a phone form and a rejection's reason say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sync.kit import text as textmod
from sync.kit.text import TextKind

Kind = Literal["uuid", "text", "bool", "float", "int", "ts", "json", "list"]

# messages (English ids of the catalogs)
REQUIRED = "Required."
TOO_LONG = "At most {n} characters."
TOO_MANY = "At most {n} items."
NOT_A_CHOICE = "Choose one of the listed values."
CONTROL = "Remove control characters and invisible direction marks."
BAD_FORMAT = "Not in the expected format."
BAD_ID = "Not a valid id."
BAD_TIME = "Not a valid date and time."
TIME_RANGE = "Enter a date between {min} and {max}."
BAD_TYPE = "Wrong type of value."
UNKNOWN_FIELD = "Unknown field."
NOTHING_TO_CHANGE = "Nothing to change."
OUT_OF_RANGE = "Enter a value from {min} to {max}."
BAD_NUMBER = "Enter a number."

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
_UUID = re.compile(UUID_PATTERN)
_SHA256 = re.compile(SHA256_PATTERN)
# RFC 3339 with a numeric offset or Z; ASCII digits only; 1-6 fraction digits
TS_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
              r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$")
_TS = re.compile(TS_PATTERN)
# the sane range of a date a person records (a loan due in 9999 is a typo)
MIN_YEAR = 2000
MAX_YEAR = 2099


@dataclass(frozen=True, slots=True)
class Problem:
    """One field's value cannot be stored: ``field`` (a dotted path), a message id and its
    parameters."""

    field: str
    message: str
    params: Mapping[str, Any] = dc_field(default_factory=dict)

    def text(self) -> str:
        """The message in English (a rejection's reason: ``field: message``)."""
        message = self.message.format(**self.params) if self.params else self.message
        return f"{self.field}: {message}" if self.field else message


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record type.

    ``kind``: ``uuid`` (lowercase with dashes), ``text`` (see ``text`` for its flavour),
    ``bool``, ``float``, ``int``, ``ts`` (an RFC 3339 moment with an offset, stored as the
    UTC ISO string), ``json`` (any JSON value) or ``list`` (of ``item`` texts).
    ``ref``: the record type a ``uuid`` names (``staff`` for people). ``blob``: the value
    (or each item) is the SHA-256 of a stored photo or signature. ``personal``: personal data
    (names, phone numbers, ID digits, signatures): sent only to streams that need it.
    ``server``: set by the rules from the acting person, never from arguments.
    """

    name: str
    kind: Kind = "text"
    label: str = ""
    text: TextKind = "line"
    max_length: int = 0  # characters; 0 = unbounded. ``list``: items
    nullable: bool = False
    required: bool = False
    choices: Mapping[str, str] = dc_field(default_factory=dict)  # value -> label (message id)
    pattern: str = ""  # applied after normalisation (JS and Python regex alike)
    pattern_message: str = BAD_FORMAT
    length_message: str = TOO_LONG
    item_pattern: str = ""  # ``list`` items
    item_max_length: int = 0
    ref: str = ""
    blob: bool = False
    personal: bool = False
    server: bool = False
    indexed: bool = False  # the phone looks records up by this field (uuid refs always are)
    choice_message: str = NOT_A_CHOICE
    # ``float`` / ``int``: the allowed range (``above_minimum``: the minimum itself is not)
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False
    range_message: str = OUT_OF_RANGE
    number_message: str = BAD_NUMBER  # a form's text that is no number

    @property
    def column(self) -> str:
        """The column name on the server: a reference's column drops ``_id``."""
        return self.name.removesuffix("_id") if self.kind == "uuid" and self.ref else self.name


def ref(name: str, record_type: str, *, label: str = "", nullable: bool = False,
        server: bool = False) -> Field:
    """A reference to a record of ``record_type`` (``site_id``, ``unit_id``…)."""
    return Field(name, "uuid", label=label, ref=record_type, nullable=nullable, server=server)


def parse_ts(value: str) -> tuple[str, int] | None:
    """``value`` as the stored UTC ISO string (``datetime.isoformat`` of the UTC moment) and
    the local year written in it, or None when it is no RFC 3339 moment with an offset (the
    calendar checked: no 30 February, no hour 24). A year outside [MIN_YEAR, MAX_YEAR] gives
    ``("", year)``: refused before any conversion (``0001-01-01T00:00:00+14:00`` has no UTC
    moment to convert to)."""
    if _TS.match(value) is None:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return None
    year = local.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        return "", year
    if local.utcoffset() == _ZERO:
        return local.replace(tzinfo=UTC).isoformat(), year
    return local.astimezone(UTC).isoformat(), year


_ZERO = timedelta(0)


Checker = Callable[[Any], "tuple[Any, Problem | None]"]

# a single-line text needing none of the work below: no forbidden character, no whitespace
# other than single spaces between words
_CLEAN_LINE = re.compile("[\\x00-\\x1f\\x7f-\\x9f" + textmod.BIDI + r"]|[^\S ]|  |^ | $")


def checker(f: Field, path: str = "") -> Checker:
    """The check of one field as a function of its value: the stored form, or the first
    problem (``path`` names the field; default its name). Built once per declared argument:
    a push of 1,000 loans checks 15,000 values."""
    path = path or f.name
    missing = (None, None) if f.nullable else (None, Problem(path, REQUIRED))
    kind = f.kind
    if kind == "text":
        return _remembered(_text_checker(f, path, missing))
    if kind == "list":
        return _list_checker(f, path, missing)
    if kind in ("float", "int") and (f.minimum is not None or f.maximum is not None):
        return _number_checker(f, path, missing)
    if kind == "uuid":
        bad_id = Problem(path, BAD_ID)

        def check_uuid(value: Any) -> tuple[Any, Problem | None]:
            if value is None:
                return missing
            return value, (bad_id if _UUID.match(value) is None else None)
        return check_uuid
    if kind == "ts":
        bad_time = Problem(path, BAD_TIME)
        out_of_range = Problem(path, TIME_RANGE, {"min": MIN_YEAR, "max": MAX_YEAR})

        def check_ts(value: Any) -> tuple[Any, Problem | None]:
            if value is None:
                return missing
            parsed = parse_ts(value)
            if parsed is None:
                return value, bad_time
            return (value, out_of_range) if not parsed[0] else (parsed[0], None)
        return _remembered(check_ts)

    def check_any(value: Any) -> tuple[Any, Problem | None]:
        return missing if value is None else (value, None)
    return check_any


def _text_checker(f: Field, path: str, missing: tuple[Any, Problem | None]) -> Checker:
    kind, required, max_length = f.text, f.required, f.max_length
    choices = f.choices
    pattern = re.compile(f.pattern) if f.pattern else None
    too_long = Problem(path, f.length_message, {"n": max_length})
    plain_line = kind == "line"

    def check(value: str | None) -> tuple[Any, Problem | None]:
        if value is None:
            return missing
        # a plain line of plain characters has nothing to refuse and nothing to normalise
        if not plain_line or _CLEAN_LINE.search(value) is not None:
            if textmod.forbidden(value, kind):
                return value, Problem(path, CONTROL)
            value = textmod.normalize(value, kind)
        if required and not textmod.visible(value):
            return value, Problem(path, REQUIRED)
        if max_length and len(value) > max_length:
            return value, too_long
        if choices and value not in choices:
            return value, Problem(path, f.choice_message)
        if pattern is not None and value and pattern.fullmatch(value) is None:
            return value, Problem(path, f.pattern_message)
        return value, None

    return check


REMEMBERED = 256  # results kept per checker (a batch repeats its kinds, purposes, approvers)


def _remembered(check: Checker) -> Checker:
    """``check`` with its latest results remembered: a check is a pure function of a text
    value, and a push of 1,000 loans repeats most of them ("contractor", "hkid", the same
    purpose and approver), so most checks become one dictionary lookup."""
    memo: dict[Any, tuple[Any, Problem | None]] = {}

    def remembered(value: Any) -> tuple[Any, Problem | None]:
        if value.__class__ is not str:
            return check(value)
        found = memo.get(value)
        if found is None:
            if len(memo) >= REMEMBERED:
                memo.clear()
            found = memo[value] = check(value)
        return found

    return remembered


def plain_number(x: float | None) -> float | int | None:
    """A bound as people read it (and as JSON carries it on both sides): 0, not 0.0."""
    return int(x) if x is not None and float(x).is_integer() else x


def _number_checker(f: Field, path: str, missing: tuple[Any, Problem | None]) -> Checker:
    lo, hi, above = f.minimum, f.maximum, f.above_minimum
    out = Problem(path, f.range_message, {"min": plain_number(lo), "max": plain_number(hi)})

    def check(value: float | None) -> tuple[Any, Problem | None]:
        if value is None:
            return missing
        if lo is not None and (value < lo or (above and value == lo)):
            return value, out
        if hi is not None and value > hi:
            return value, out
        return value, None

    return check


def _list_checker(f: Field, path: str, missing: tuple[Any, Problem | None]) -> Checker:
    pattern = re.compile(f.item_pattern) if f.item_pattern else None

    def check(value: list[str] | None) -> tuple[Any, Problem | None]:
        if value is None:
            return missing
        if f.max_length and len(value) > f.max_length:
            return value, Problem(path, TOO_MANY, {"n": f.max_length})
        for i, item in enumerate(value):
            if pattern is not None and pattern.fullmatch(item) is None:
                return value, Problem(f"{path}.{i}", BAD_FORMAT)
            if f.item_max_length and len(item) > f.item_max_length:
                return value, Problem(f"{path}.{i}", TOO_LONG, {"n": f.item_max_length})
        return value, None

    return check


def check_value(f: Field, value: Any, path: str = "") -> tuple[Any, Problem | None]:
    """``value`` (already of the right JSON type) in its stored form, or the first problem."""
    return checker(f, path)(value)


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and _SHA256.match(value) is not None
