"""Every domain's route handlers, gathered for the app (one line per domain)."""

from __future__ import annotations

from typing import Any


def all_routes() -> list[Any]:
    from server.office.routes import routes as office_routes

    return [*office_routes]
