"""The front-desk logs' pages: the office's visitor register, goods-out passes with their
gate checks, shift handovers and the desk's conflicts (:mod:`server.desk.office_routes`).
The desk itself works on its phones (``web/static/app/desk``)."""

from __future__ import annotations

from server.desk.office_routes import routes as office_routes

routes = [*office_routes]
