"""IC cards (issue 10), the door system: the tokens of door controllers (one site each; only
the token's SHA-256 is stored)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Site(Table, tablename="site", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-12-07T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "IC cards: door controller tokens"

TABLE = ("DoorControllerToken", "card_door_token")

COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

# (name, column class, the column's own parameters)
COLUMNS = [
    ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
    ("name", Varchar, {"length": 120, "default": "", "null": False}),
    ("site", ForeignKey, {
        "references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade,
        "target_column": None, "null": False, "index": True}),
    ("token_hash", Varchar, {"length": 64, "default": "", "null": False, "unique": True}),
    ("created_by", UUID, {"default": UUID4(), "null": False, "index": True}),
    ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ("revoked_at", Timestamptz, {"default": None, "null": True}),
    ("revoked_by", UUID, {"default": None, "null": True}),
    ("last_used_at", Timestamptz, {"default": None, "null": True}),
]


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )
    class_name, tablename = TABLE
    manager.add_table(
        class_name=class_name, tablename=tablename, schema=None, columns=None
    )
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )
    return manager
