"""The IC-card domain's pages: the office's register, stock and figures
(:mod:`server.cards.office_routes`) and the door system's integration — blacklist, active
list, change feed, controller tokens (:mod:`server.cards.door_routes`)."""

from __future__ import annotations

from server.cards.door_routes import routes as door_routes
from server.cards.office_routes import routes as office_routes

routes = [*office_routes, *door_routes]
