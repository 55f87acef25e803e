"""Piccolo app wiring: every table, migrations in the top-level ``migrations/``."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from server.accounts.tables import Device, SignInFailure, Staff, StaffSite, WebSession
from server.cards.door_tables import TABLES as DOOR_TABLES
from server.cards.tables import TABLES as CARD_TABLES
from server.desk.tables import TABLES as DESK_TABLES
from server.estate.tables import Building, Resident, Site, Unit
from server.keys.tables import KeyLoan, KeyTag
from server.office.tables import TABLES as OFFICE_TABLES
from server.patrol.tables import TABLES as PATROL_TABLES
from server.repairs.tables import TABLES as REPAIR_TABLES
from server.sync.tables import (
    AuditEntry,
    Blob,
    BlobRef,
    BlobUpload,
    Conflict,
    Rejection,
    Review,
    SpaceVersion,
    SyncClient,
)

APP_CONFIG = AppConfig(
    app_name="caretaker",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=[
        Site, Building, Unit, Resident,
        Staff, StaffSite, WebSession, Device, SignInFailure,
        KeyTag, KeyLoan,
        *PATROL_TABLES,
        *CARD_TABLES, *DOOR_TABLES,
        *REPAIR_TABLES,
        *DESK_TABLES,
        *OFFICE_TABLES,
        SpaceVersion, SyncClient, AuditEntry, Conflict, Review, Rejection,
        Blob, BlobUpload, BlobRef,
    ],
    migration_dependencies=[],
    commands=[],
)
