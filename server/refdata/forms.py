"""A form (or a spreadsheet row) as the declarations check it: text from people becomes the
declared field's type, then the kit's checks (:func:`sync.kit.fields.check_value`, the same
the phones and the sync engine run) and the record type's cross-field checks decide; each
problem comes back in the person's language, next to the input it is about."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from server.lib.i18n import gettext as _
from server.lib.queries import as_id
from server.refdata.spec import ONCE, RefList, Submission, inputs_for
from sync.kit.fields import Field, Problem
from sync.kit.records import RecordType


def parse(f: Field, raw: Any) -> tuple[Any, Problem | None]:
    """People's text as a value of ``f``'s kind (the kit checks it next)."""
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    text = "" if raw is None else str(raw)
    if f.kind in ("float", "int"):
        cleaned = text.strip().replace(",", "")
        if not cleaned:
            return None, None
        try:
            number = float(cleaned) if f.kind == "float" else int(cleaned)
        except ValueError:
            return None, Problem(f.name, f.number_message)
        if not math.isfinite(number):
            return None, Problem(f.name, f.number_message)
        return (round(number, 2) if f.kind == "float" else number), None
    if f.kind == "bool":
        return text.strip().lower() in ("1", "true", "on", "yes"), None
    if f.kind == "uuid":
        return (text.strip() or None), None
    return text, None


def check_raw(rt: RecordType, raw: Mapping[str, Any]
              ) -> tuple[dict[str, Any], list[Problem]]:
    """Text values of some fields of ``rt`` (a form, a spreadsheet row) checked: the stored
    values of the fields without problems, and every problem (field names)."""
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        parsed, problem = parse(rt.field(name), value)
        if problem is not None:
            problems.append(problem)
        else:
            typed[name] = parsed
    stored, found = rt.check_values(typed, names=list(typed))
    problems += found
    bad = {p.field.split(".")[0] for p in problems}
    return {k: v for k, v in stored.items() if k not in bad}, problems


def message(p: Problem) -> str:
    return _(p.message, **p.params)


def read(lst: RefList, data: Mapping[str, Any], creating: bool) -> Submission:
    """A submitted form of ``lst``: what to show again, the checked values, the errors."""
    shown: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    raw: dict[str, Any] = {}
    input_of: dict[str, str] = {}
    for i in inputs_for(lst, creating):
        value = data.get(i.name, [] if i.widget == "checkboxes" else "")
        if i.widget == "checkboxes":
            value = value if isinstance(value, list) else [value] if value else []
        elif isinstance(value, list):
            value = value[-1] if value else ""
        if i.prepare is not None and isinstance(value, str):
            value = i.prepare(value)
        if isinstance(value, str) and not value.strip() and i.default:
            value = i.default
        if i.widget == "password":
            secrets[i.name] = str(value)
        else:
            shown[i.name] = value
        if i.target and i.target in lst.type.by_field:
            raw[i.target] = value
            input_of[i.target] = i.name
    once = as_id(data.get(ONCE)) if creating else None
    form = Submission(shown=shown, secrets=secrets, once=once or "")
    if once:
        form.shown[ONCE] = once
    values, problems = check_raw(lst.type, raw)
    for p in problems:
        field = p.field.split(".")[0]
        name = input_of.get(field, field)
        form.error(name, message(p))
        if lst.type.by_field.get(field) is not None and lst.field(field).text == "idpart":
            # an ID part that was refused may be a whole ID number: never shown back
            shown[name] = ""
    form.values = values
    return form
