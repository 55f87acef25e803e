"""A mutation's arguments, declared from the record fields they fill.

``key.lend``'s ``borrower_name`` IS ``key_loan.borrower_name``: :func:`record_args` takes the
field's declaration (kind, limits, choices, required…), so the limit lives once. Decoding is
two layers, the same on the phone (``web/static/app/kit/args.js``):

1. structure — a msgspec Struct built from the declarations: the JSON types, unknown and
   missing fields (the first problem, in the order of the arguments as sent);
2. values — :func:`sync.kit.fields.check_value` per argument in declared order: forbidden
   characters, normalisation, required, length, choices, format, time range; then the
   mutation's own cross-field ``check``.

A problem becomes ``invalid_args`` naming the field (``Reject.field``); forms get every problem
of layer 2 at once (:meth:`ArgsSpec.problems`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from sync.errors import INVALID_ARGS, Reject
from sync.kit.fields import (
    BAD_TYPE,
    NOTHING_TO_CHANGE,
    REQUIRED,
    UNKNOWN_FIELD,
    Field,
    Problem,
    checker,
)
from sync.kit.records import RecordType


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


MISSING: Any = _Required()


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument: its name, the field declaration it follows, its default (``MISSING``:
    the argument must be given). ``fields``: a nested object of corrections — every one
    optional, at least one given (``key.update``'s ``fields``)."""

    name: str
    field: Field
    default: Any = MISSING
    fields: tuple[Arg, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is MISSING


def arg(name: str, f: Field, default: Any = MISSING) -> Arg:
    return Arg(name, f if f.name == name else _renamed(f, name), default)


def _renamed(f: Field, name: str) -> Field:
    return dataclasses.replace(f, name=name)


def id_arg(name: str, record_type: str = "") -> Arg:
    """The id of a record (made on the phone: a UUID)."""
    return Arg(name, Field(name, "uuid", ref=record_type))


def record_args(rt: RecordType, *names: str, **defaults: Any) -> tuple[Arg, ...]:
    """Arguments named and declared like fields of ``rt``; ``defaults`` make them optional."""
    out = [Arg(n, rt.field(n)) for n in names]
    out += [Arg(n, rt.field(n), default) for n, default in defaults.items()]
    return tuple(out)


def fields_arg(name: str, rt: RecordType, names: Sequence[str]) -> Arg:
    """A nested object of corrections to fields ``names`` of ``rt``."""
    return Arg(name, Field(name, "json"), fields=tuple(Arg(n, rt.field(n)) for n in names))


_PY_TYPES: dict[str, Any] = {
    "uuid": str, "text": str, "ts": str, "bool": bool, "int": int, "float": float,
    "json": Any, "list": list[str],
}


def _annotation(a: Arg) -> Any:
    if a.fields:
        return dict[str, Any]
    t = _PY_TYPES[a.field.kind]
    return t | None if a.field.nullable else t


_MISSING_RE = re.compile(r"Object missing required field `([^`]*)`")
_UNKNOWN_RE = re.compile(r"Object contains unknown field `([^`]*)`")
_AT_RE = re.compile(r" - at `\$(.*)`$")


def structure_problem(exc: msgspec.ValidationError) -> Problem:
    """msgspec's first structural error as a :class:`Problem` (the phone words it alike)."""
    text = str(exc)
    prefix = ""
    at = _AT_RE.search(text)
    if at is not None:
        prefix = _path(at.group(1))
        text = text[: at.start()]
    m = _MISSING_RE.match(text)
    if m is not None:
        return Problem(_join(prefix, m.group(1)), REQUIRED)
    m = _UNKNOWN_RE.match(text)
    if m is not None:
        return Problem(_join(prefix, m.group(1)), UNKNOWN_FIELD)
    return Problem(prefix or "args", BAD_TYPE)


def _path(dollar: str) -> str:
    """msgspec's ``.a[0].b`` as ``a.0.b``."""
    return re.sub(r"\[(\d+)\]", r".\1", dollar).lstrip(".")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


_TYPE_OK: dict[str, Callable[[Any], bool]] = {
    "uuid": lambda v: isinstance(v, str), "text": lambda v: isinstance(v, str),
    "ts": lambda v: isinstance(v, str), "bool": lambda v: v is True or v is False,
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "json": lambda v: True,
    "list": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
}

Check = Callable[[Any], list[Problem]]


@dataclass(frozen=True)
class ArgsSpec:
    """The arguments of one mutation, and how to decode them."""

    mutation: str
    args: tuple[Arg, ...]
    check: Check | None = None
    struct: type[msgspec.Struct] = field(init=False, repr=False)
    _checks: tuple[Any, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = [a.name for a in self.args]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.mutation}: an argument is declared twice")
        struct_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for a in self.args:
            if a.required:
                struct_fields.append((a.name, _annotation(a)))
        for a in self.args:
            if not a.required:
                default = msgspec.field(default_factory=list) if a.default == [] else a.default
                struct_fields.append((a.name, _annotation(a), default))
        struct = msgspec.defstruct(
            "Args_" + re.sub(r"\W", "_", self.mutation), struct_fields, kw_only=True,
            forbid_unknown_fields=True)
        object.__setattr__(self, "struct", struct)
        checks: list[tuple[Arg, Any]] = []
        for a in self.args:
            if a.fields:
                subs = {sub.name: (sub, checker(sub.field, f"{a.name}.{sub.name}"))
                        for sub in a.fields}
                checks.append((a, subs))
            else:
                skip_none = not a.required and a.field.nullable
                checks.append((a, (checker(a.field, a.name), skip_none)))
        object.__setattr__(self, "_checks", tuple(checks))

    def _structure(self, raw: Mapping[str, Any]) -> Any:
        try:
            return msgspec.convert(raw, self.struct)
        except msgspec.ValidationError as exc:
            raise _invalid(self.mutation, structure_problem(exc)) from None

    def _values(self, decoded: Any, first_only: bool) -> list[Problem]:
        problems: list[Problem] = []
        for a, check in self._checks:
            value = getattr(decoded, a.name)
            if a.fields:
                setattr(decoded, a.name, _nested(a, check, value, problems, first_only))
                if first_only and problems:
                    return problems
                continue
            fn, skip_none = check
            if value is None and skip_none:
                continue
            stored, problem = fn(value)
            if problem is not None:
                problems.append(problem)
                if first_only:
                    return problems
            elif stored is not value:
                setattr(decoded, a.name, stored)
        if not problems and self.check is not None:
            problems += self.check(decoded)
        return problems

    def decode(self, raw: Mapping[str, Any]) -> Any:
        """The arguments in their stored form, or :class:`Reject` ``invalid_args``."""
        decoded = self._structure(raw)
        problems = self._values(decoded, first_only=True)
        if problems:
            raise _invalid(self.mutation, problems[0])
        return decoded

    def problems(self, raw: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
        """Every value problem at once (for forms); a structural one alone."""
        try:
            decoded = msgspec.convert(raw, self.struct)
        except msgspec.ValidationError as exc:
            return None, [structure_problem(exc)]
        return decoded, self._values(decoded, first_only=False)


def _nested(a: Arg, declared: dict[str, Any], value: Any, problems: list[Problem],
            first_only: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(value, dict):
        problems.append(Problem(a.name, BAD_TYPE))
        return out
    for key, v in value.items():  # structure first, in the order sent
        found = declared.get(key)
        if found is None:
            problems.append(Problem(f"{a.name}.{key}", UNKNOWN_FIELD))
            return out
        sub = found[0]
        if not ((v is None and sub.field.nullable) or _TYPE_OK[sub.field.kind](v)):
            problems.append(Problem(f"{a.name}.{key}", BAD_TYPE))
            return out
    if not value:
        problems.append(Problem(a.name, NOTHING_TO_CHANGE))
        return out
    for sub in a.fields:  # then the values, in declared order
        if sub.name not in value:
            continue
        stored, problem = declared[sub.name][1](value[sub.name])
        if problem is not None:
            problems.append(problem)
            if first_only:
                return out
        else:
            out[sub.name] = stored
    return out


def _invalid(mutation: str, p: Problem) -> Reject:
    return Reject(INVALID_ARGS, f"invalid arguments for {mutation}: {p.text()}", p.field)
