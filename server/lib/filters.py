"""Filters of the office's lists from a query string, and back (paging and export links keep
the current filters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec

F = TypeVar("F", bound=msgspec.Struct)


def filters_from(params: Mapping[str, str], kind: type[F]) -> F:
    """Filters from a query string. Unknown or malformed values fall back to the defaults
    (a hand-edited URL shows the first page, not an error)."""
    values: dict[str, Any] = {}
    for name in kind.__struct_fields__:
        raw = params.get(name)
        if raw is None:
            continue
        if name == "page":
            values[name] = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
        else:
            values[name] = " ".join(str(raw).split())[:120]
    return kind(**values)


def query_string(filters: msgspec.Struct, **override: Any) -> str:
    """The filters as a query string."""
    values = {f: getattr(filters, f) for f in filters.__struct_fields__}
    values.update(override)
    if values.get("page") == 1:
        del values["page"]
    return urlencode({k: v for k, v in values.items() if v != ""})
