"""The office's pages at a year of records (``caretaker bench-office``: 1,000,000 across
the domains): the indexes its lists and exceptions read, named.

* A list of several sites, newest first, walks a time index (``key_loan_lent_at``) and
  stops after its page; one site's walks (site, time). Without them both databases read
  every row of the sites and sorted them for each page of 50.
* The exceptions — keys out and overdue, visitors still inside, open requests per state,
  cards waiting for the door system, follow-ups due, visits awaiting review — read their
  few open rows through an index led by what makes a row open (``returned_at`` null…),
  instead of every row of the user's sites.
* The figures and the monthly report read one site's month through (site, time)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Office pages at a year of records: indexes of their lists and exceptions"

INDEXES = (
    # keys: the loans list (every site, one site), open and overdue loans, who lent
    ("key_loan_lent_at", "key_loan", "lent_at"),
    ("key_loan_site_lent_at", "key_loan", "site, lent_at"),
    ("key_loan_open", "key_loan", "returned_at, voided, site, due_at"),
    ("key_loan_lent_by_site", "key_loan", "lent_by, site"),
    # repairs: the board (one site), its counts per state and the overdue ones; visits and
    # follow-ups by time (figures, the report, today's visits); the requests a key was lent
    # for (the entry chain)
    ("repair_request_site_reported_at", "repair_request", "site, reported_at"),
    ("repair_request_site_state", "repair_request", "site, state"),
    ("repair_request_site_key_loan", "repair_request", "site, key_loan"),
    ("repair_visit_site_arrived_at", "repair_visit", "site, arrived_at"),
    ("repair_visit_site_closed_at", "repair_visit", "site, closed_at"),
    ("follow_up_open", "follow_up", "done_at, site, due_at"),
    # desk: visitors still inside
    ("visitor_inside", "visitor", "time_out, site"),
    # cards: by status (blacklists waiting for the doors, stock), issues by time
    ("card_site_status", "card", "site, status"),
    ("card_issue_site_issued_at", "card_issue", "site, issued_at"),
    ("card_issue_site_ended_at", "card_issue", "site, ended_at"),
    ("card_issue_current", "card_issue", "ended_at, site, valid_until"),
    # patrol: rounds of a day, visits by time, visits awaiting review, open incidents
    ("patrol_round_site_slot_at", "patrol_round", "site, slot_at"),
    ("patrol_scan_site_scanned_at", "patrol_scan", "site, scanned_at"),
    ("patrol_scan_review", "patrol_scan", "review, site, scanned_at"),
    ("patrol_incident_status", "patrol_incident", "status, site"),
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="caretaker", description=DESCRIPTION
    )

    async def add_indexes():
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        for name, table, columns in INDEXES:
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")

    async def drop_indexes():
        from piccolo.engine.finder import engine_finder

        engine = engine_finder()
        for name, _table, _columns in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(add_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
