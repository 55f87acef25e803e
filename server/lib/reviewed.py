"""What every office list of synced records adds for the office's review (issue 12): a
``review`` filter, each row's review beside it, two export columns (the state and the
comment) and the link to the review list, where the office marks them in bulk.

The clause and the reads are the review core's (:mod:`server.review.marks`): the filter is
an ``IN``/``NOT IN`` subquery on ``sync_review``'s (record_type, state) and (record_type,
record_id) indexes, added only when the filter is set, so a list without it runs the query
it always ran; the rows' reviews are one query per page (or per exported batch)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.review.marks import FILTER_STATES, review_clause, reviews_of

__all__ = ["COLUMNS", "FILTER_STATES", "add_reviews", "cells", "clause", "link"]

# the export's two columns, after the list's own: (row key, English label)
COLUMNS = (("review_state", lazy("Review")), ("review_comment", lazy("Review comment")))


def clause(id_column: Any, record_type: str, state: str) -> Any:
    """The rows of the filter's review state (``None``: no filter, or an unknown value)."""
    return review_clause(id_column, record_type, state) if state else None


async def add_reviews(record_type: str, rows: Iterable[dict[str, Any]],
                      key: str = "id") -> None:
    """Each row's review (``row["review"]``: state, label, comment, by, at — or None),
    read in one query."""
    rows = list(rows)
    reviews = await reviews_of(record_type, (r[key] for r in rows)) if rows else {}
    for r in rows:
        r["review"] = reviews.get(str(r[key]))


def cells(row: Mapping[str, Any]) -> dict[str, str]:
    """The export's review columns of a row :func:`add_reviews` decorated."""
    review = row.get("review")
    if not review:
        return {"review_state": "", "review_comment": ""}
    return {"review_state": _(review["label"]), "review_comment": review["comment"] or ""}


def link(record_type: str, site: Any = "", state: str = "") -> str:
    """The review list of the same records: the type, the list's site and review filter."""
    params = {"type": record_type, "site": str(site or ""),
              "state": state if state in FILTER_STATES else ""}
    return "/office/review?" + urlencode({k: v for k, v in params.items() if v})
