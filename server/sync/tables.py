"""Server-side state of sync protocol v1: space versions, clients, the audit trail,
conflicts, rejections and blobs."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Bytea,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SpaceVersion(Table, tablename="space_version"):
    """One row per space (``<site id>:<stream>``, or ``org``); a push locks and increments
    it."""

    space = Varchar(length=60, primary_key=True)
    version = BigInt(default=0)


class SyncClient(Table, tablename="sync_client"):
    """A client (one app installation). ``last_mutation_id`` is written in the same
    transaction as the mutations' effects."""

    client_id = UUID(primary_key=True)
    staff = UUID(index=True)
    device = UUID(null=True, default=None)
    last_mutation_id = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_push_at = Timestamptz(null=True, default=None)
    last_pull_at = Timestamptz(null=True, default=None)


class AuditEntry(Table, tablename="audit_entry"):
    id = UUID(primary_key=True)
    record_type = Varchar(length=40)
    record_id = UUID(index=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0)
    action = Varchar(length=60)  # mutation name, or office action
    staff = UUID(null=True, default=None)
    device = UUID(null=True, default=None)
    client_id = UUID(null=True, default=None)
    mutation_id = BigInt(null=True, default=None)
    device_hlc = Varchar(length=32, default="")
    device_time = Timestamptz(null=True, default=None)
    server_time = Timestamptz(default=TimestamptzNow())
    changes = JSON(default="{}")  # field -> [before, after]


class Conflict(Table, tablename="sync_conflict"):
    """An invariant break that was applied and flagged (both facts kept)."""

    id = UUID(primary_key=True)
    kind = Varchar(length=40, index=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    record_type = Varchar(length=40)
    record_ids = JSON(default="[]")
    details = JSON(default="{}")
    staff_ids = JSON(default="[]")  # who is involved (their phones show it)
    status = Varchar(length=20, default="open", index=True)
    resolution = Varchar(length=40, default="")
    resolution_note = Text(default="")
    resolved_by = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Review(Table, tablename="sync_review"):
    """The office's review of one synced record (sync/kit/reviews.py): pulled by the phones
    of the record's space, its author's inbox shows it."""

    id = UUID(primary_key=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    record_type = Varchar(length=40)
    record_id = UUID()
    state = Varchar(length=20)
    comment = Text(default="")
    staff_ids = JSON(default="[]")  # the record's author(s): their phones show it
    reviewed_by = UUID()
    reviewed_at = Timestamptz()


class Rejection(Table, tablename="sync_rejection"):
    """A mutation that can never apply. It advanced ``last_mutation_id``; the next pull
    returns it to its client with the reason."""

    id = UUID(primary_key=True)
    client_id = UUID(index=True)
    mutation_id = BigInt()
    name = Text()  # as the phone sent it (an unknown mutation's name too)
    code = Varchar(length=40)
    reason = Text()
    field = Varchar(length=120, default="")  # the argument at fault, when one is
    args = JSON(default="{}")
    staff = UUID(null=True, default=None)
    space = Varchar(length=60, default="")
    status = Varchar(length=20, default="open")
    resolution_note = Text(default="")
    resolved_by = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Blob(Table, tablename="blob"):
    sha256 = Varchar(length=64, primary_key=True)
    content_type = Varchar(length=60)
    size = Integer()
    data = Bytea()
    uploaded_by = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    note = Text(default="")


class BlobUpload(Table, tablename="blob_upload"):
    """Who uploaded a blob: everyone who sent its bytes (the same photo may come from two
    phones). A mutation may name a blob its author uploaded, or one a record they may read
    names."""

    id = UUID(primary_key=True)  # uuid5 of sha256 and staff: one row per pair
    sha256 = Varchar(length=64, index=True)
    staff = UUID(index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class BlobRef(Table, tablename="blob_ref"):
    """A blob named in a list field of a record (a return's photos): who may see the blob
    follows from the records that name it. Single blob fields (a signature) are indexed
    columns of their own tables instead."""

    id = UUID(primary_key=True)  # uuid5 of record type, record id and sha256
    sha256 = Varchar(length=64, index=True)
    record_type = Varchar(length=40)
    record_id = UUID()
    space = Varchar(length=60, index=True)
