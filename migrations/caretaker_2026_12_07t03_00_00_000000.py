"""Repairs (報修 / 入室服務 / 回訪): each site's repair policy and repair team, the requests,
the in-home visits and the follow-ups; every table carries the sync columns. The filtered
pulls of technicians read by (space, unit, version): one index each on the three records
with a unit."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSON
from piccolo.columns.column_types import Text
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


class Unit(Table, tablename="unit", schema=None):
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


ID = "2026-12-07T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Repairs: policy, technicians, requests, visits, follow-ups"

COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}

# (class name, table, [(column, column class, the column's own parameters)])
TABLES = [
    ("RepairPolicy", "repair_policy", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("respond_emergency", Integer, {"default": 30, "null": False}),
        ("complete_emergency", Integer, {"default": 240, "null": False}),
        ("respond_urgent", Integer, {"default": 120, "null": False}),
        ("complete_urgent", Integer, {"default": 1440, "null": False}),
        ("respond_normal", Integer, {"default": 1440, "null": False}),
        ("complete_normal", Integer, {"default": 4320, "null": False}),
        ("sample_percent", Integer, {"default": 30, "null": False}),
        ("sample_seed", Varchar, {"length": 40, "default": 'caretaker', "null": False}),
        ("currency", Varchar, {"length": 3, "default": 'HKD', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("RepairTechnician", "repair_technician", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("staff", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("name", Varchar, {"length": 120, "default": '', "null": False}),
        ("trade", Varchar, {"length": 60, "default": '', "null": False}),
        ("active", Boolean, {"default": True, "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("RepairRequest", "repair_request", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("number", Varchar, {"length": 24, "default": '', "null": False, "index": True}),
        ("unit", ForeignKey, {"references": Unit, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": True, "default": None, "index": True}),
        ("area", Varchar, {"length": 120, "default": '', "null": False}),
        ("category", Varchar, {"length": 20, "default": 'other', "null": False, "index": True}),
        ("urgency", Varchar, {"length": 20, "default": 'normal', "null": False}),
        ("complaint", Boolean, {"default": False, "null": False}),
        ("description", Text, {"default": '', "null": False}),
        ("photos", JSON, {"default": '[]', "null": False}),
        ("contact_name", Varchar, {"length": 120, "default": '', "null": False}),
        ("contact_phone", Varchar, {"length": 40, "default": '', "null": False}),
        ("contact_pref", Varchar, {"length": 20, "default": 'call_first', "null": False}),
        ("source", Varchar, {"length": 20, "default": 'desk', "null": False}),
        ("anomaly_visit", UUID, {"default": None, "null": True}),
        ("parent", UUID, {"default": None, "null": True, "index": True}),
        ("reported_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("reported_by", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("respond_by", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("complete_by", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("state", Varchar, {"length": 20, "default": 'new', "null": False, "index": True}),
        ("assignee", UUID, {"default": None, "null": True, "index": True}),
        ("appointment_at", Timestamptz, {"default": None, "null": True}),
        ("assigned_at", Timestamptz, {"default": None, "null": True}),
        ("started_at", Timestamptz, {"default": None, "null": True}),
        ("finished_at", Timestamptz, {"default": None, "null": True}),
        ("outcome_reason", Text, {"default": '', "null": False}),
        ("key_loan", UUID, {"default": None, "null": True, "index": True}),
        ("closed_at", Timestamptz, {"default": None, "null": True}),
        ("close_reason", Text, {"default": '', "null": False}),
        ("field_hlc", JSON, {"default": '{}', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("RepairVisit", "repair_visit", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("request", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("unit", ForeignKey, {"references": Unit, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": True, "default": None, "index": True}),
        ("basis", Varchar, {"length": 20, "default": 'request', "null": False}),
        ("technician", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("device", UUID, {"default": None, "null": True}),
        ("second_staff", UUID, {"default": None, "null": True}),
        ("witness", Varchar, {"length": 120, "default": '', "null": False}),
        ("resident_present", Boolean, {"default": False, "null": False}),
        ("resident_consent", Boolean, {"default": False, "null": False}),
        ("only_minors", Boolean, {"default": False, "null": False}),
        ("arrived_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("left_at", Timestamptz, {"default": None, "null": True}),
        ("uniform_badge", Boolean, {"default": False, "null": False}),
        ("shoe_covers", Boolean, {"default": False, "null": False}),
        ("floor_protection", Boolean, {"default": False, "null": False}),
        ("clean_up", Boolean, {"default": False, "null": False}),
        ("found", Text, {"default": '', "null": False}),
        ("work_done", Text, {"default": '', "null": False}),
        ("charges", JSON, {"default": '[]', "null": False}),
        ("total", DoublePrecision, {"default": 0.0, "null": False}),
        ("before_photos", JSON, {"default": '[]', "null": False}),
        ("after_photos", JSON, {"default": '[]', "null": False}),
        ("signature_blob", Varchar, {"length": 64, "default": '', "null": False, "index": True}),
        ("refused_reason", Text, {"default": '', "null": False}),
        ("satisfaction", Integer, {"default": None, "null": True}),
        ("outcome", Varchar, {"length": 20, "default": '', "null": False}),
        ("outcome_reason", Text, {"default": '', "null": False}),
        ("notice_photo", Varchar, {"length": 64, "default": '', "null": False, "index": True}),
        ("follow_request", UUID, {"default": None, "null": True}),
        ("closed_at", Timestamptz, {"default": None, "null": True}),
        ("close_hlc", Varchar, {"length": 32, "default": '', "null": False}),
        ("field_hlc", JSON, {"default": '{}', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("FollowUp", "follow_up", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("request", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("visit", UUID, {"default": None, "null": True}),
        ("unit", ForeignKey, {"references": Unit, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": True, "default": None, "index": True}),
        ("reason", Varchar, {"length": 20, "default": 'sampled', "null": False}),
        ("due_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("method", Varchar, {"length": 20, "default": 'call', "null": False}),
        ("reached", Boolean, {"default": False, "null": False}),
        ("rating", Varchar, {"length": 20, "default": '', "null": False}),
        ("notes", Text, {"default": '', "null": False}),
        ("done_at", Timestamptz, {"default": None, "null": True}),
        ("done_by", UUID, {"default": None, "null": True}),
        ("field_hlc", JSON, {"default": '{}', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
]

# the technicians' filtered pulls: a space's records of some units, past a version
UNIT_INDEXES = ("repair_request", "repair_visit", "follow_up")


class RepairsManager(MigrationManager):
    """Adds the (space, unit, version) indexes once the columns exist, in the migration's
    transaction (Piccolo runs ``add_raw`` steps before its tables, and declares
    single-column indexes only)."""

    async def _run_add_columns(self, backwards: bool = False):
        await super()._run_add_columns(backwards=backwards)
        if backwards or self.preview:
            return
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        for table in UNIT_INDEXES:
            await engine.run_ddl(
                f"CREATE INDEX IF NOT EXISTS {table}_space_unit_version "
                f"ON {table} (space, unit, version)")


async def forwards():
    manager = RepairsManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )
    for class_name, tablename, _ in TABLES:
        manager.add_table(
            class_name=class_name, tablename=tablename, schema=None, columns=None
        )
    for class_name, tablename, columns in TABLES:
        for name, column_class, params in columns:
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
