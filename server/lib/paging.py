"""A page of rows for the office's lists (50 a page)."""

from __future__ import annotations

from typing import Any

import msgspec

PER_PAGE = 50


class PageOf(msgspec.Struct, kw_only=True):
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    per_page: int = PER_PAGE

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
