"""Front-desk logs (來訪登記 / 放行條 / 交接班): the tables behind
``sync/domains/desk/records.py``.

All are field records, created offline with client UUIDs and never deleted: ``created_at`` is
the server's receipt time, kept beside the device's own times (``time_in``, ``issued_at``,
``checked_at``, ``drafted_at``…). A gate check names its pass by a plain UUID column: the
check may reach the server before the pass it checked (both phones offline)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.estate.tables import Site, Unit


class DeviceKey(Table, tablename="device_key"):
    """A phone's public key at a site: the gate's phones verify the passes it signs."""

    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    public_key = Varchar(length=90)
    holder = Varchar(length=120)
    registered_at = Timestamptz()
    staff = UUID(index=True)
    device = UUID(null=True, default=None, index=True)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class Visitor(Table, tablename="visitor"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    unit = ForeignKey(references=Unit, null=False, index=True)
    name = Varchar(length=120)
    id_type = Varchar(length=20, default="hkid")
    id_last4 = Varchar(length=4, default="")
    phone = Varchar(length=40, default="")
    confirmed_by = Varchar(length=20, default="resident")
    resident = UUID(null=True, default=None)
    called_number = Varchar(length=40, default="")
    purpose = Varchar(length=200, default="")
    badge = Varchar(length=20, default="")
    time_in = Timestamptz(index=True)  # the device's time
    signed_in_by = UUID(index=True)  # staff
    time_out = Timestamptz(null=True, default=None, index=True)
    signed_out_by = UUID(null=True, default=None)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class GoodsPass(Table, tablename="goods_pass"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    number = Varchar(length=24, index=True)
    unit = ForeignKey(references=Unit, null=False, index=True)
    items = JSON(default="[]")
    item_count = Integer(default=1)
    plate = Varchar(length=12, default="")
    valid_until = Timestamptz()
    basis = Varchar(length=20, default="owner_present")
    owner_name = Varchar(length=120, default="")
    authorisation_photo = Varchar(length=64, default="", index=True)
    phoned_number = Varchar(length=40, default="")
    phoned_at = Timestamptz(null=True, default=None)
    issued_at = Timestamptz(index=True)  # the device's time
    key = UUID(index=True)  # device_key
    code = Varchar(length=1400, default="")
    issued_by = UUID(index=True)  # staff
    device = UUID(null=True, default=None)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class PassCheck(Table, tablename="pass_check"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    pass_id = UUID(index=True)  # the pass as its QR said (it may not be here yet)
    number = Varchar(length=24, default="")
    code = Varchar(length=1400, default="")
    verdict = Varchar(length=20, default="valid")
    outcome = Varchar(length=20, default="passed", index=True)
    photos = JSON(default="[]")  # sha256 list
    note = Text(default="")
    checked_at = Timestamptz(index=True)  # the device's time
    checked_by = UUID(index=True)  # staff
    device = UUID(null=True, default=None)
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


class Handover(Table, tablename="handover"):
    id = UUID(primary_key=True)
    site = ForeignKey(references=Site, index=True, null=False)
    shift_start = Timestamptz()
    shift_end = Timestamptz(index=True)
    summary = JSON(default="{}")
    notes = Text(default="")
    outgoing = UUID(index=True)  # staff
    outgoing_name = Varchar(length=120, default="")
    outgoing_signature = Varchar(length=64, default="", index=True)
    drafted_at = Timestamptz()
    incoming = UUID(null=True, default=None)  # staff, when signed on their own phone
    incoming_name = Varchar(length=120, default="")
    incoming_signature = Varchar(length=64, default="", index=True)
    received_at = Timestamptz(null=True, default=None)
    field_hlc = JSON(default="{}")
    space = Varchar(length=60, index=True)
    version = BigInt(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow())  # the server's receipt time
    updated_at = Timestamptz(default=TimestamptzNow())


TABLES = (DeviceKey, Visitor, GoodsPass, PassCheck, Handover)
