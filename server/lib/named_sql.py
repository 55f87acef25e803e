"""Raw SQL with named marks (``:site``, ``IN (:states)``) for the office's figures, bound to
Piccolo's positional ``{}`` marks — the same statement on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

NAME = re.compile(r":([a-z_][a-z0-9_]*)")


def bind(sql: str, **values: Any) -> tuple[str, list[Any]]:
    """``sql`` with ``:name`` marks as Piccolo's positional ``{}`` and the values in their
    order (a list or tuple becomes one mark per item, for ``IN (:states)``)."""
    args: list[Any] = []

    def mark(found: re.Match[str]) -> str:
        value = values[found[1]]
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        args.extend(items)
        return ", ".join("{}" for _ in items)

    return NAME.sub(mark, sql), args
