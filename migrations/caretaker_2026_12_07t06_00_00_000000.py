"""Front-desk logs: device keys, visitors, goods-out passes, gate checks, shift handovers;
every table carries the sync columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
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


ID = "2026-12-07T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Front-desk logs: device keys, visitors, goods-out passes, gate checks, handovers"

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
    ("DeviceKey", "device_key", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("public_key", Varchar, {"length": 90, "default": '', "null": False}),
        ("holder", Varchar, {"length": 120, "default": '', "null": False}),
        ("registered_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("staff", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("device", UUID, {"default": None, "null": True, "index": True}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("Visitor", "visitor", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("unit", ForeignKey, {"references": Unit, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("name", Varchar, {"length": 120, "default": '', "null": False}),
        ("id_type", Varchar, {"length": 20, "default": 'hkid', "null": False}),
        ("id_last4", Varchar, {"length": 4, "default": '', "null": False}),
        ("phone", Varchar, {"length": 40, "default": '', "null": False}),
        ("confirmed_by", Varchar, {"length": 20, "default": 'resident', "null": False}),
        ("resident", UUID, {"default": None, "null": True}),
        ("called_number", Varchar, {"length": 40, "default": '', "null": False}),
        ("purpose", Varchar, {"length": 200, "default": '', "null": False}),
        ("badge", Varchar, {"length": 20, "default": '', "null": False}),
        ("time_in", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("signed_in_by", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("time_out", Timestamptz, {"default": None, "null": True, "index": True}),
        ("signed_out_by", UUID, {"default": None, "null": True}),
        ("field_hlc", JSON, {"default": '{}', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("GoodsPass", "goods_pass", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("number", Varchar, {"length": 24, "default": '', "null": False, "index": True}),
        ("unit", ForeignKey, {"references": Unit, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("items", JSON, {"default": '[]', "null": False}),
        ("item_count", Integer, {"default": 1, "null": False}),
        ("plate", Varchar, {"length": 12, "default": '', "null": False}),
        ("valid_until", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("basis", Varchar, {"length": 20, "default": 'owner_present', "null": False}),
        ("owner_name", Varchar, {"length": 120, "default": '', "null": False}),
        ("authorisation_photo", Varchar, {"length": 64, "default": '', "null": False, "index": True}),
        ("phoned_number", Varchar, {"length": 40, "default": '', "null": False}),
        ("phoned_at", Timestamptz, {"default": None, "null": True}),
        ("issued_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("key", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("code", Varchar, {"length": 1400, "default": '', "null": False}),
        ("issued_by", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("device", UUID, {"default": None, "null": True}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("PassCheck", "pass_check", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("pass_id", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("number", Varchar, {"length": 24, "default": '', "null": False}),
        ("code", Varchar, {"length": 1400, "default": '', "null": False}),
        ("verdict", Varchar, {"length": 20, "default": 'valid', "null": False}),
        ("outcome", Varchar, {"length": 20, "default": 'passed', "null": False, "index": True}),
        ("photos", JSON, {"default": '[]', "null": False}),
        ("note", Text, {"default": '', "null": False}),
        ("checked_at", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("checked_by", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("device", UUID, {"default": None, "null": True}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
    ("Handover", "handover", [
        ("id", UUID, {"default": UUID4(), "null": False, "primary_key": True}),
        ("site", ForeignKey, {"references": Site, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade, "target_column": None, "null": False, "index": True}),
        ("shift_start", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("shift_end", Timestamptz, {"default": TimestamptzNow(), "null": False, "index": True}),
        ("summary", JSON, {"default": '{}', "null": False}),
        ("notes", Text, {"default": '', "null": False}),
        ("outgoing", UUID, {"default": UUID4(), "null": False, "index": True}),
        ("outgoing_name", Varchar, {"length": 120, "default": '', "null": False}),
        ("outgoing_signature", Varchar, {"length": 64, "default": '', "null": False, "index": True}),
        ("drafted_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("incoming", UUID, {"default": None, "null": True}),
        ("incoming_name", Varchar, {"length": 120, "default": '', "null": False}),
        ("incoming_signature", Varchar, {"length": 64, "default": '', "null": False, "index": True}),
        ("received_at", Timestamptz, {"default": None, "null": True}),
        ("field_hlc", JSON, {"default": '{}', "null": False}),
        ("space", Varchar, {"length": 60, "default": '', "null": False, "index": True}),
        ("version", BigInt, {"default": 0, "null": False, "index": True}),
        ("created_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
        ("updated_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
    ]),
]


async def forwards():
    manager = MigrationManager(
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
