"""Every route handler, gathered for the app: the domains' (server/domains.py, one line per
domain) and the generic ones (accounts, the office home, review, the staff app, sync)."""

from __future__ import annotations

from typing import Any


def all_routes() -> list[Any]:
    from server.accounts.staff_routes import routes as staff_routes
    from server.app_shell.routes import routes as app_shell_routes
    from server.domains import register_presenters
    from server.domains import routes as domain_routes
    from server.office.routes import routes as office_routes
    from server.report.routes import routes as report_routes
    from server.review.mark_routes import routes as mark_routes
    from server.review.routes import routes as review_routes
    from server.sync.routes import routes as sync_routes

    register_presenters()
    return [*domain_routes(), *staff_routes, *office_routes, *review_routes, *mark_routes,
            *report_routes, *app_shell_routes, *sync_routes]
