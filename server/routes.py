"""Every domain's route handlers, gathered for the app (one line per domain)."""

from __future__ import annotations

from typing import Any


def all_routes() -> list[Any]:
    from server.accounts.staff_routes import routes as staff_routes
    from server.app_shell.routes import routes as app_shell_routes
    from server.estate.import_routes import routes as estate_import_routes
    from server.estate.routes import routes as estate_routes
    from server.keys.routes import routes as key_routes
    from server.office.routes import routes as office_routes
    from server.sync.routes import routes as sync_routes

    return [*estate_routes, *estate_import_routes, *staff_routes,
            *office_routes, *app_shell_routes, *key_routes, *sync_routes]
