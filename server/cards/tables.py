"""IC cards (IC卡中心): the tables behind ``sync/domains/cards/records.py``.

The office keeps each site's card policy, its named access zones and per-unit quota
overrides; cards are the physical stock (imported by the office, or met first at the desk);
an issue (IC卡領取登記表) hands a card to a person of a unit. Issues are field records,
created offline with client UUIDs and never deleted: ``created_at`` is the server's receipt
time, kept beside the desk's own ``issued_at``. References between cards and issues are plain
UUID columns (a card names its current issue, an issue its card: no foreign-key circle)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site, Unit


class CardPolicy(Table, tablename="card_policy"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    quota = Integer(default=4)  # cards per unit
    validity_days = Integer(default=730)
    fee = DoublePrecision(default=0.0)
    deposit = DoublePrecision(default=0.0)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CardZone(Table, tablename="card_zone"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    code = Varchar(length=20, index=True)  # in a card's access scope
    name = Varchar(length=120)
    kind = Varchar(length=20, default="door")
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CardQuota(Table, tablename="card_quota"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    unit = ForeignKey(references=Unit, index=True, null=False)
    quota = Integer(default=4)
    notes = Text(default="")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Card(Table, tablename="card"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    number = Varchar(length=40, index=True)  # printed on the card, upper case
    uid = Varchar(length=40, default="", index=True)  # the chip's
    technology = Varchar(length=20, default="ic")
    batch = Varchar(length=40, default="", index=True)
    status = Varchar(length=20, default="in_stock", index=True)
    registered = Boolean(default=True)  # False: met first at the desk, not in the stock
    # the current issue (no index: its name, card_issue, is the issue table's)
    issue = UUID(null=True, default=None)
    unit = ForeignKey(references=Unit, null=True, default=None, index=True)
    blacklisted_at = Timestamptz(null=True, default=None, index=True)
    door_taken_at = Timestamptz(null=True, default=None)
    notes = Text(default="")
    field_hlc = JSON(default="{}")  # field -> HLC of its last write (last-writer-wins)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CardIssue(Table, tablename="card_issue"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    card = UUID(index=True)
    unit = ForeignKey(references=Unit, index=True, null=False)
    resident = UUID(null=True, default=None, index=True)
    holder_name = Varchar(length=120)
    relation = Varchar(length=20, default="owner")
    # Never a full ID number: the type and the last four characters only (PCPD / PIPL).
    id_type = Varchar(length=20, default="none")
    id_last4 = Varchar(length=4, default="")
    authorisation_blob = Varchar(length=64, default="", index=True)  # 委托書 photo
    owner_confirmation = Varchar(length=255, default="")
    scope = JSON(default="[]")  # zone codes
    valid_until = Timestamptz(index=True)
    fee = DoublePrecision(default=0.0)
    deposit = DoublePrecision(default=0.0)
    receipt_no = Varchar(length=40, default="")
    signature_blob = Varchar(length=64, default="", index=True)
    issued_at = Timestamptz(index=True)  # the desk's time
    replaces_issue = UUID(null=True, default=None)
    issued_by = UUID(index=True)  # staff
    issued_device = UUID(null=True, default=None)
    issued_hlc = Varchar(length=32, default="")
    ended_at = Timestamptz(null=True, default=None, index=True)
    end_reason = Varchar(length=20, default="")
    end_notes = Text(default="")
    deposit_refunded = DoublePrecision(null=True, default=None)
    ended_by = UUID(null=True, default=None)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


TABLES = (CardPolicy, CardZone, CardQuota, Card, CardIssue)
