"""The office home's exceptions (server/office/exceptions.py): the acknowledgements table (one
row per acknowledgement, never changed; the home leaves acknowledged items out with
``NOT EXISTS`` on (kind, record_id, acked_at), the acknowledged list reads a site's newest
first through (site, acked_at)), and the indexes the home's counts read.

Each kind counts its items per site in one ``GROUP BY site`` query, naming the sites. A
table's site index alone would make each count read all of a site's rows (SQLite, never
ANALYZEd, takes an equality on ``site`` for selective): each kind gets an index led by the
site, then the columns its condition constrains (so that it constrains more columns than
any other index and wins), holding only the kind's candidates — a partial index whose WHERE
is the kind's condition, written in the kind's clause exactly as here (SQLite uses a partial
index only for a query holding its terms as written; the lists of codes are constants of
sync/domains: OPEN_STATES, BLACKLISTED) — or, for today's rounds, (site, slot_at).
tests/integration/test_office_exceptions.py checks that every count reads through one."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T10:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Office home: acknowledgements of exceptions, the indexes of its counts"

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
    ("kind", Varchar, {"length": 60, "default": '', "null": False}),
    ("record_type", Varchar, {"length": 40, "default": '', "null": False}),
    ("record_id", UUID, {"default": UUID4(), "null": False}),
    ("site", UUID, {"default": None, "null": True}),
    ("title", Varchar, {"length": 255, "default": '', "null": False}),
    ("note", Text, {"default": '', "null": False}),
    ("staff", UUID, {"default": UUID4(), "null": False}),
    ("acked_at", Timestamptz, {"default": TimestamptzNow(), "null": False}),
]

INDEXES = (
    ("exception_ack_kind_record", "exception_ack (kind, record_id, acked_at)"),
    ("exception_ack_site_time", "exception_ack (site, acked_at)"),
    # keys out (and overdue)
    ("home_key_loan_out", "key_loan (site, returned_at, due_at) WHERE returned_at IS NULL"),
    # today's rounds (missed, late), skips awaiting a supervisor, open incidents
    # patrol_round (site, slot_at): patrol_round_site_slot_at (the lists' migration, 10:20)
    ("home_patrol_scan_pending", "patrol_scan (site, review) WHERE review = 'pending'"),
    ("home_patrol_incident_open", "patrol_incident (site, status) WHERE status = 'open'"),
    # cards: current issues (expiring), unregistered, blacklist entries not taken
    ("home_card_issue_current",
     "card_issue (site, ended_at, valid_until) WHERE ended_at IS NULL"),
    ("home_card_unregistered", "card (site, registered) WHERE NOT registered"),
    ("home_card_blacklist_pending", "card (site, door_taken_at, status, blacklisted_at) "
                                    "WHERE door_taken_at IS NULL "
                                    "AND status IN ('lost', 'damaged', 'revoked')"),
    # repairs: open requests (overdue, new; a technician's job today), those a key was lent
    # for (the entry chain), visits open (on shift) or unsigned, follow-ups open or rated C
    ("home_repair_request_open", "repair_request (site, state, complete_by) "
                                 "WHERE state IN ('new', 'assigned', 'in_progress')"),
    ("home_repair_request_keyed",
     "repair_request (site, key_loan) WHERE key_loan IS NOT NULL"),
    ("home_repair_visit_open",
     "repair_visit (site, closed_at, arrived_at) WHERE closed_at IS NULL"),
    ("home_repair_visit_unsigned",
     "repair_visit (site, signature_blob, arrived_at) WHERE signature_blob = ''"),
    ("home_follow_up_open", "follow_up (site, done_at, due_at) WHERE done_at IS NULL"),
    ("home_follow_up_rated_c", "follow_up (site, rating) WHERE rating = 'C'"),
    # visitors still inside, handovers nobody has received
    ("home_visitor_inside", "visitor (site, time_out, time_in) WHERE time_out IS NULL"),
    ("home_handover_waiting",
     "handover (site, received_at, shift_end) WHERE received_at IS NULL"),
    # the sync engine's conflicts and rejections not resolved
    ("home_sync_conflict_open", "sync_conflict (space, status) WHERE status = 'open'"),
    ("home_sync_rejection_open", "sync_rejection (space, status) WHERE status = 'open'"),
)


class AckManager(MigrationManager):
    """Adds the indexes once the table's columns exist, in the migration's transaction
    (Piccolo runs ``add_raw`` steps before its tables, and declares single-column indexes
    only)."""

    async def _run_add_columns(self, backwards: bool = False):
        await super()._run_add_columns(backwards=backwards)
        if backwards or self.preview:
            return
        from piccolo.engine.finder import engine_finder

        for name, on in INDEXES:
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")


async def forwards():
    manager = AckManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )

    async def drop_indexes():
        from piccolo.engine.finder import engine_finder

        for name, on in INDEXES:
            if not on.startswith("exception_ack "):  # those go with their table
                await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw_backwards(drop_indexes)
    manager.add_table(class_name="ExceptionAck", tablename="exception_ack", schema=None,
                      columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="ExceptionAck",
            tablename="exception_ack",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={**COMMON, **params},
            schema=None,
        )
    return manager
