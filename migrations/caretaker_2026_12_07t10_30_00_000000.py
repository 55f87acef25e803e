"""Devices: what a phone last reported on a sync request — the build of its app, how many of
its mutations the server had not yet accepted, and when (server/accounts/device_reports.py).
Every column may be empty: phones of an earlier release never report."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T10:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Devices: the app version and pending count a phone last reported"

COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

COLUMNS = [
    ("app_version", Varchar, {"length": 40, "default": '', "null": False}),
    ("pending_count", Integer, {"default": None, "null": True}),
    ("reported_at", Timestamptz, {"default": None, "null": True}),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Device",
            tablename="device",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )
    return manager
