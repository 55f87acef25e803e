"""The repairs domain's pages: the office's request board, requests, visits, workload,
follow-ups, satisfaction, the entry chain and the set-up lists
(:mod:`server.repairs.office_routes`)."""

from __future__ import annotations

from server.repairs.office_routes import routes as office_routes

routes = [*office_routes]
