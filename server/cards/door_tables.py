"""The door system's integration: the tokens of door controllers (other vendors' systems).

A controller token is a kind of its own — not a person's session, not a phone's device
token: it reads one site's card changes (``/api/door/v1``) and acknowledges the blacklist
entries the door system has taken, nothing else. The office creates it (the token is shown
once; only its SHA-256 is stored) and revokes it."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site


class DoorControllerToken(Table, tablename="card_door_token"):
    id = UUID(primary_key=True)
    name = Varchar(length=120)  # which controller / vendor, as the office names it
    site = ForeignKey(references=Site, index=True, null=False)  # the one site it reads
    token_hash = Varchar(length=64, unique=True)  # SHA-256 of the token; never the token
    created_by = UUID(index=True)  # staff
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = UUID(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


TABLES = (DoorControllerToken,)
