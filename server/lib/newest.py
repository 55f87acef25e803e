"""A page of several sites' records, newest first, on SQLite.

SQLite plans without statistics (the server never runs ``ANALYZE``): for
``site IN (a, b, c) ORDER BY lent_at DESC LIMIT 50`` it takes the site index for a handful
of rows, then reads every row of those sites and sorts them — 60,000 key loans of a year for
each page of 50 (``caretaker bench-office``). Written ``+site IN (…)``, the clause cannot use
the site index, so SQLite walks the time index newest first and stops after the page. Only
the page's query takes it: its count keeps the plain clause (the site index counts fastest).
PostgreSQL plans from statistics and keeps the plain clause (``+`` is SQLite's no-op)."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Where
from piccolo.columns.operators.comparison import ComparisonOperator, In


class _InWithoutIndex(ComparisonOperator):
    template = "+{name} IN ({values})"


def newest_first(clause: Any) -> Any:
    """``clause`` — a scope of :func:`server.lib.queries.scope` — for the query of a page
    ordered by a time column: on SQLite, several sites stop steering the plan to the site
    index. Anything else (one site, every site, PostgreSQL) is returned as it is."""
    if (isinstance(clause, Where) and clause.operator is In
            and clause.column._meta.engine_type == "sqlite"
            and isinstance(clause.values, list) and len(clause.values) > 1):
        return Where(column=clause.column, values=clause.values, operator=_InWithoutIndex)
    return clause
