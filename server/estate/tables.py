"""Reference data of the estate: sites (小區), buildings (座/棟), units (房號), residents.

Every synced table carries ``space`` (the site id, or ``org``) and ``version`` (the space
version that last changed the row): pulls page on them. ``active = False`` deactivates a
row; field records are never hard-deleted.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Float,
    ForeignKey,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Site(Table, tablename="site"):
    id = UUID(primary_key=True)
    code = Varchar(length=20, unique=True)
    name = Varchar(length=120)
    address = Varchar(length=255, default="")
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Building(Table, tablename="building"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    code = Varchar(length=20)
    name = Varchar(length=120)
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Unit(Table, tablename="unit"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    building = ForeignKey(references=Building, index=True, null=False)
    number = Varchar(length=40, index=True)  # 房號, e.g. "A座 12樓 03室" shown as "12/F-03"
    floor = Varchar(length=10)
    area = Float(null=True, default=None)  # m²
    use = Varchar(length=20, default="residential")
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Resident(Table, tablename="resident"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    unit = ForeignKey(references=Unit, index=True, null=False)
    name = Varchar(length=120)
    phone = Varchar(length=40, default="")
    relation = Varchar(length=20, default="owner")
    # Never a full ID number: the type and the last four characters only (PCPD / PIPL).
    id_type = Varchar(length=20, default="none")
    id_last4 = Varchar(length=4, default="")
    notes = Text(default="")
    active = Boolean(default=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
