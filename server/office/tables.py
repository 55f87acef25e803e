"""The office's acknowledgements of exceptions (server/office/exceptions.py): who said, when
and with what note, that an item on the office home is known and being handled.

An acknowledgement names its exception by (kind, record id): the exceptions are computed from
the records, so an acknowledged item leaves the counts while its cause lasts, and an item
whose cause starts again after the acknowledgement (a phone that synced and went quiet again)
counts again. Rows are never changed or deleted; the audit keeps each one too. The
migration adds the (kind, record_id, acked_at) index the home's ``NOT EXISTS`` reads and the
(site, acked_at) index of the acknowledged list (Piccolo declares single-column ones
only)."""

from __future__ import annotations

from piccolo.columns import UUID, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class ExceptionAck(Table, tablename="exception_ack"):
    id = UUID(primary_key=True)
    kind = Varchar(length=60)  # an exception kind's key ("keys.overdue")
    record_type = Varchar(length=40)  # the kind's record type, as the ack was made
    record_id = UUID()
    site = UUID(null=True, default=None)  # the item's site (None: not tied to one)
    title = Varchar(length=255, default="")  # what named the item then
    note = Text()
    staff = UUID()  # who acknowledged it
    acked_at = Timestamptz(default=TimestamptzNow())


TABLES = (ExceptionAck,)
