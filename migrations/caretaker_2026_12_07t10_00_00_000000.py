"""The office's review of synced records (approved / has issues / rejected, with a comment):
one row per reviewed record, pulled by the phones of its space. Lists filter by review
state through (record_type, record_id); pulls read it by (space, version)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Review of synced records: the sync_review table"

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
    ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
    ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
    ("version", BigInt, {"default": 0, "null": False, "index": True}),
    ("record_type", Varchar, {"length": 40, "default": '', "null": False}),
    ("record_id", UUID, {"default": UUID4(), "null": False}),
    ("state", Varchar, {"length": 20, "default": '', "null": False}),
    ("comment", Text, {"default": '', "null": False}),
    ("staff_ids", JSON, {"default": '[]', "null": False}),
    ("reviewed_by", UUID, {"default": UUID4(), "null": False}),
    ("reviewed_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
]


INDEXES = (
    ("sync_review_record", "CREATE UNIQUE INDEX IF NOT EXISTS sync_review_record "
                           "ON sync_review (record_type, record_id)"),
    ("sync_review_state", "CREATE INDEX IF NOT EXISTS sync_review_state "
                          "ON sync_review (record_type, state)"),
)


class ReviewManager(MigrationManager):
    """Adds the two-column indexes once the columns exist, in the migration's transaction
    (Piccolo runs ``add_raw`` steps before its tables, and declares single-column indexes
    only)."""

    async def _run_add_columns(self, backwards: bool = False):
        await super()._run_add_columns(backwards=backwards)
        if backwards or self.preview:
            return
        from piccolo.engine.finder import engine_finder

        for _, ddl in INDEXES:
            await engine_finder().run_ddl(ddl)


async def forwards():
    manager = ReviewManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )
    manager.add_table(class_name="Review", tablename="sync_review", schema=None,
                      columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Review",
            tablename="sync_review",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )
    return manager
