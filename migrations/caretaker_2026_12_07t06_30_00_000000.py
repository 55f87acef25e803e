"""Front-desk logs: the office's lists read one site's records newest first (visitors by
their time in, passes by their issue, gate checks by their check, handovers by the shift's
end), paged and exported in batches: one (site, time) index each, so a list walks the
index instead of sorting the whole site (SQLite sorted 40,000 visitors for every page)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Front-desk logs: (site, time) indexes for the office's lists"

INDEXES = (("visitor", "time_in"), ("goods_pass", "issued_at"),
           ("pass_check", "checked_at"), ("handover", "shift_end"))


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )

    async def add_indexes():
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        for table, column in INDEXES:
            await engine.run_ddl(
                f"CREATE INDEX IF NOT EXISTS {table}_site_{column} ON {table} (site, {column})")

    async def drop_indexes():
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        for table, column in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {table}_site_{column}")

    manager.add_raw(add_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
