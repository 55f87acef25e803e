"""Piccolo's configuration module (``PICCOLO_CONF=server.piccolo_conf``).

``server.db.bind`` replaces ``DB`` at run time, so migrations and queries use the engine the
app (or a test) chose.
"""

import os

from piccolo.conf.apps import AppRegistry

from server.db import make_engine
from server.settings import SETTINGS

_DEFAULT_URL = next(s.default for s in SETTINGS if s.name == "DATABASE_URL")

DB = make_engine(os.environ.get("DATABASE_URL", _DEFAULT_URL))

APP_REGISTRY = AppRegistry(apps=["server.piccolo_app"])
