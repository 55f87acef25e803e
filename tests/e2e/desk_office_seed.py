"""Front-desk records for the office's desk screens in the browser tests, in a site of their
own (前台測試苑, ODK: no phone of the other tests receives it), written through the domain's
mutations as the demo's administrator — run in a subprocess against the running server's
database: ``python -m tests.e2e.desk_office_seed URL``; prints the ids the test opens (JSON).

A visitor still inside since yesterday evening (past the cut-off), one who left; a pass let
out, one whose goods did not match, a gate check of a pass not yet synced and a forged code
refused; a handover with exceptions handed over unresolved (received) and one waiting."""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
import sys
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from server import db
from server.accounts.schemas import CurrentUser
from server.accounts.tables import Staff
from server.estate.tables import Building, Resident, Site, Unit
from server.sync import office
from server.sync.spaces import space_of
from server.sync.tables import Blob, BlobUpload, SpaceVersion
from sync.context import iso
from sync.domains.desk import passcode
from sync.streams import site_spaces


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


async def estate() -> tuple[str, str, str, str]:
    """The site, its two units and a resident."""
    site = uuid.uuid4()
    await Site.insert(Site(id=site, code="ODK", name="前台測試苑",
                           space=space_of("site", str(site)), version=1))
    await SpaceVersion.insert(*[SpaceVersion(space=s, version=1)
                                for s in site_spaces(str(site))])
    building = Building(site=site, code="T", name="T座", space=space_of("building", str(site)),
                        version=1)
    await building.save()
    units = []
    for number in ("T-01A", "T-02B"):
        u = Unit(site=site, building=building.id, number=number, floor="1", area=50.0,
                 use="residential", space=space_of("unit", str(site)), version=1)
        await u.save()
        units.append(str(u.id))
    r = Resident(site=site, unit=units[0], name="陳太", phone="91234567", relation="owner",
                 id_type="hkid", id_last4="1234", space=space_of("resident", str(site)),
                 version=1)
    await r.save()
    return str(site), units[0], units[1], str(r.id)


async def seed(url: str) -> dict[str, Any]:
    engine = db.make_engine(url)
    await db.start(engine)
    try:
        site, u1, u2, resident = await estate()
        admin = await Staff.select(Staff.id).where(Staff.username == "admin").first()
        user = CurrentUser(id=str(admin["id"]), username="admin", display_name="admin",
                           role="admin", site_ids=(site,))
        data = png()
        photo = hashlib.sha256(data).hexdigest()
        await Blob.insert(Blob(sha256=photo, content_type="image/png", size=len(data),
                               data=data)).on_conflict(action="DO NOTHING")
        await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=photo, staff=user.id))
        return await records(user, site, u1, u2, resident, photo)
    finally:
        await db.stop(engine)


async def records(user: CurrentUser, site: str, u1: str, u2: str, resident: str,
                  photo: str) -> dict[str, Any]:
    ids: dict[str, Any] = {"site": site}
    run: list[tuple[str, dict[str, Any]]] = []
    private, public = passcode.new_key()
    key = str(uuid.uuid4())
    run.append(("desk.register_key", {"key_id": key, "site_id": site, "public_key": public,
                                      "holder": "前台一號機", "registered_at": iso(ago(72))}))
    ids["inside"], ids["left"] = str(uuid.uuid4()), str(uuid.uuid4())
    for vid, name, hours, by_phone in ((ids["inside"], "李小明", 30, True),
                                       (ids["left"], "陳大文", 5, False)):
        run.append(("visitor.sign_in", {
            "visitor_id": vid, "site_id": site, "unit_id": u2 if by_phone else u1,
            "name": name, "id_type": "hkid", "id_last4": "123A", "phone": "61234567",
            "confirmed_by": "phone" if by_phone else "resident",
            "resident_id": None if by_phone else resident,
            "called_number": "91234567" if by_phone else "", "purpose": "探訪",
            "badge": "V-01", "time_in": iso(ago(hours))}))
    run.append(("visitor.sign_out", {"visitor_id": ids["left"], "time_out": iso(ago(4))}))
    codes: dict[str, str] = {}
    for number, basis in (("ODK-001", "written"), ("ODK-002", "owner_present"),
                          ("ODK-003", "phone")):
        pid, at = str(uuid.uuid4()), ago(3)
        fields = {"pass_id": pid, "site_id": site, "number": number, "unit_id": u1,
                  "items": ["雪櫃", "梳化"], "item_count": 2, "plate": "AB 1234",
                  "valid_until": iso(at + timedelta(hours=8)), "basis": basis,
                  "owner_name": "陳大文", "issued_at": iso(at), "key_id": key,
                  "authorisation_photo": photo if basis == "written" else "",
                  "phoned_number": "91234567" if basis == "phone" else "",
                  "phoned_at": iso(at) if basis == "phone" else None}
        codes[number] = passcode.sign({s: fields[f] for s, f in passcode.KEYS.items()},
                                      private)
        ids[number] = pid
        if number != "ODK-003":  # ODK-003: checked at the gate, not synced yet
            run.append(("pass.issue", {**fields, "code": codes[number]}))
    forged_id = str(uuid.uuid4())
    _p, content, _s = passcode.split(codes["ODK-002"]) or ("", {}, b"")
    forged = (f"{passcode.PREFIX}.{passcode.payload_text({**content, 'id': forged_id})}."
              f"{codes['ODK-002'].rsplit('.', 1)[1]}")
    ids["forged"], ids["late"] = forged_id, ids["ODK-003"]
    for pid, number, code, verdict, outcome, note in (
            (ids["ODK-001"], "ODK-001", codes["ODK-001"], "valid", "passed", ""),
            (ids["ODK-002"], "ODK-002", codes["ODK-002"], "valid", "mismatch", "多了一部電視"),
            (ids["ODK-003"], "ODK-003", codes["ODK-003"], "valid", "passed", ""),
            (forged_id, "ODK-002", forged, "forged", "refused", "")):
        run.append(("pass.check", {
            "check_id": str(uuid.uuid4()), "site_id": site, "pass_id": pid, "number": number,
            "code": code, "verdict": verdict, "outcome": outcome, "photos": [], "note": note,
            "checked_at": iso(ago(1))}))
    summary = {"keys_out": 2, "keys_overdue": [{"label": "ODK-K001 · 陳大文"}],
               "cards_in_stock": 12, "blacklists_pending": 0, "rounds_done": 4,
               "rounds_missed": [{"label": "夜更路線 02:00"}], "requests_open": [],
               "incidents_open": [], "visitors_inside": [{"label": "李小明 · T-02B"}]}
    ids["handed"], ids["waiting"] = str(uuid.uuid4()), str(uuid.uuid4())
    for hid, end in ((ids["handed"], ago(10)), (ids["waiting"], ago(2))):
        run.append(("handover.draft", {
            "handover_id": hid, "site_id": site, "shift_start": iso(end - timedelta(hours=8)),
            "shift_end": iso(end), "summary": summary, "notes": "大堂冷氣機滴水，已報修",
            "outgoing_name": "黃嘉欣", "outgoing_signature": photo, "drafted_at": iso(end)}))
    run.append(("handover.receive", {"handover_id": ids["handed"], "incoming_name": "李保安",
                                     "incoming_signature": photo,
                                     "received_at": iso(ago(9.9)), "own_phone": False}))
    await office.apply(user, run)
    return ids


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed(sys.argv[1]))))
