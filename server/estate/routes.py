"""Office pages of the estate: the reference-data lists (sites, buildings, units, residents:
:mod:`server.estate.lists` on :mod:`server.refdata`) and the spreadsheet import."""

from __future__ import annotations

from server.estate.import_routes import routes as import_routes
from server.estate.lists import LISTS
from server.refdata.routes import routes_for

routes = [*import_routes, *(handler for lst in LISTS for handler in routes_for(lst))]
