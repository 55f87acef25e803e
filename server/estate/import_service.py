"""Importing units and residents from a spreadsheet: upload → preview → confirm.

The preview checks every row against the site and names each bad row. The parsed rows travel
to the confirm step inside the page, compressed and signed (HMAC with the server's secret,
bound to the admin, the site and the time), so nothing is kept on the server between the two
steps and nothing can be slipped in. Confirming checks every row again and stores all of them
in one transaction with one space-version bump — or none of them when any row is bad.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import zlib
from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.estate.importer import KINDS, MAX_UPLOAD_BYTES, code_for, read_sheet
from server.estate.schemas import ImportConfirm, ImportUpload
from server.estate.tables import Building, Resident, Site, Unit
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import as_id
from server.refdata.common import Outcome, require_admin
from server.refdata.forms import check_raw, message
from server.refdata.store import now
from server.settings import Settings
from server.sync.spaces import bump_for
from sync.domains.estate import RESIDENT, UNIT

PAYLOAD_TTL_SECONDS = 3600
PREVIEW_ROWS = 100
SHOWN_ERRORS = 200
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
INSERT_CHUNK = 500


class Payload(msgspec.Struct, kw_only=True):
    kind: str
    site: str
    user: str
    issued_at: int
    file_name: str
    size: int
    rows: list[tuple[int, dict[str, str]]]


class Checked(msgspec.Struct, kw_only=True):
    """Rows checked against the site: what each would do, and every problem by row."""

    rows: list[dict[str, Any]] = msgspec.field(default_factory=list)
    errors: list[tuple[int, str]] = msgspec.field(default_factory=list)
    new: int = 0
    updated: int = 0


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), b"caretaker-import:" + payload.encode(),
                    hashlib.sha256).hexdigest()


def _pack(secret: str, payload: Payload) -> tuple[str, str]:
    packed = base64.urlsafe_b64encode(zlib.compress(msgspec.json.encode(payload), 6)).decode()
    return packed, _sign(secret, packed)


def _unpack(secret: str, form: ImportConfirm, user: CurrentUser) -> Payload | None:
    if not form.payload or not hmac.compare_digest(_sign(secret, form.payload),
                                                   form.signature):
        return None
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(form.payload),
                                              MAX_PAYLOAD_BYTES)
        payload = msgspec.json.decode(raw, type=Payload)
    except (ValueError, zlib.error, msgspec.DecodeError):
        return None
    if payload.user != user.id or time.time() - payload.issued_at > PAYLOAD_TTL_SECONDS:
        return None
    return payload


async def _site(site_id: str) -> dict[str, Any] | None:
    sid = as_id(site_id)
    row = await Site.select(Site.id, Site.name, Site.code, Site.active).where(
        Site.id == sid).first() if sid else None
    return {**row, "id": str(row["id"])} if row else None


async def _sites() -> list[dict[str, Any]]:
    rows = await Site.select(Site.id, Site.code, Site.name).where(
        Site.active.eq(True)).order_by(Site.code)
    return [{**r, "id": str(r["id"])} for r in rows]


async def upload_page(user: CurrentUser, site: str = "", kind: str = "units"
                      ) -> dict[str, Any]:
    require_admin(user)
    return {"sites": await _sites(), "site": site, "kind": kind if kind in KINDS else "units",
            "errors": {}, "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024), "preview": None}


async def _check(kind: str, site: dict[str, Any], rows: list[tuple[int, dict[str, str]]]
                 ) -> Checked:
    out = Checked()
    buildings = {b["code"].lower(): {**b, "id": str(b["id"])} for b in await Building.select(
        Building.id, Building.code, Building.active).where(Building.site == site["id"])}
    units: dict[tuple[str, str], str] = {}  # (building, number lower-cased) -> number
    ids: dict[tuple[str, str], str] = {}  # (building, number lower-cased) -> unit id
    by_value: dict[tuple[str, int], list[str]] = {}  # all-digit numbers by value
    for u in await Unit.select(Unit.id, Unit.building, Unit.number).where(
            Unit.site == site["id"]):
        key = (str(u["building"]), u["number"].lower())
        units[key], ids[key] = u["number"], str(u["id"])
        if u["number"].isdigit():
            by_value.setdefault((str(u["building"]), int(u["number"])), []).append(u["number"])
    residents: set[tuple[str, str]] = set()
    if kind == "residents":
        residents = {(str(r["unit"]), r["name"].lower()) for r in await Resident.select(
            Resident.unit, Resident.name).where(
            (Resident.site == site["id"]) & Resident.active.eq(True))}
    seen: dict[tuple[str, str], int] = {}
    for number, cells in rows:
        problems: list[str] = []
        code = cells.get("building", "").strip()
        building = buildings.get(code.lower())
        if not code:
            problems.append(_("Row {row}: the building code is empty.", row=number))
        elif building is None:
            problems.append(_("Row {row}: building '{code}' does not exist in {site}.",
                              row=number, code=code, site=site["name"]))
        elif not building["active"]:
            problems.append(_("Row {row}: building '{code}' is deactivated.", row=number,
                              code=code))
        values, errors = _fields(kind, cells)
        problems += [_("Row {row}, {column}: {problem}", row=number, column=_(_LABELS[f]),
                       problem=m) for f, m in errors.items()]
        action = "new"
        if building is not None and values.get("number"):
            number_as_stored = _stored_number(building["id"], values["number"], units, by_value)
            values["number"] = number_as_stored
            key = (building["id"], number_as_stored.lower())
            unit_id = ids.get(key)
            if kind == "units":
                action = "update" if unit_id else "new"
                values["unit_id"] = unit_id
                dup = seen.setdefault(key, number)
            else:
                values["unit_id"] = unit_id
                if unit_id is None:
                    problems.append(_("Row {row}: building '{code}' has no unit {unit}.",
                                      row=number, unit=values["number"], code=code))
                elif (unit_id, str(values.get("name", "")).lower()) in residents:
                    problems.append(_("Row {row}: {name} is already a resident of {unit}.",
                                      row=number, name=values["name"],
                                      unit=values["number"]))
                dup = seen.setdefault((str(unit_id), str(values.get("name", "")).lower()),
                                      number)
            if dup != number:
                problems.append(_("Row {row} repeats row {other}.", row=number, other=dup))
        values["building_id"] = building["id"] if building else None
        out.errors += [(number, p) for p in problems]
        if not problems:
            out.new += action == "new"
            out.updated += action == "update"
        out.rows.append({"row": number, "cells": cells, "parsed": values, "action": action,
                         "ok": not problems})
    return out


def _fields(kind: str, cells: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A row's fields checked by the declarations (as the office's forms are): the stored
    values and each field's problem. Codes may be written as their labels (either language)."""
    if kind == "units":
        rt, raw = UNIT, {
            "number": cells.get("number", ""), "floor": cells.get("floor", ""),
            "area": cells.get("area", ""),
            "use": code_for("use", cells.get("use", ""), UNIT.field("use").choices)
            or "residential"}
    else:
        rt, raw = RESIDENT, {
            "name": cells.get("name", ""), "phone": cells.get("phone", ""),
            "relation": code_for("relation", cells.get("relation", ""),
                                 RESIDENT.field("relation").choices) or "owner",
            "id_type": code_for("id_type", cells.get("id_type", ""),
                                RESIDENT.field("id_type").choices) or "none",
            "id_last4": cells.get("id_last4", ""), "notes": ""}
    values, problems = check_raw(rt, raw)
    errors: dict[str, str] = {}
    for p in problems:
        errors.setdefault(p.field.split(".")[0], message(p))
    if kind == "residents":
        number = " ".join(cells.get("number", "").split())
        values["number"] = number
        if not number:
            errors["number"] = _("Required.")
    return values, errors


def _stored_number(building: str, number: str, units: dict[tuple[str, str], str],
                   by_value: dict[tuple[str, int], list[str]]) -> str:
    """The unit number as stored: a spreadsheet turns a typed "0301" into the number 301, so
    an all-digit number that matches no unit matches the one unit with the same value."""
    if (building, number.lower()) in units or not number.isdigit():
        return number
    same = by_value.get((building, int(number)), [])
    return same[0] if len(same) == 1 else number


_LABELS = {"number": "unit number", "floor": "floor", "area": "area (m²)", "use": "use",
           "name": "name", "phone": "phone", "relation": "relation", "id_type": "ID type",
           "id_last4": "ID last 4", "notes": "notes"}


def _preview(kind: str, site: dict[str, Any], file_name: str, size: int, checked: Checked,
             packed: tuple[str, str] | None) -> dict[str, Any]:
    return {
        "kind": kind, "site": site, "file_name": file_name, "size": size,
        "total": len(checked.rows), "rows": checked.rows[:PREVIEW_ROWS],
        "errors": checked.errors[:SHOWN_ERRORS],
        "more_errors": max(0, len(checked.errors) - SHOWN_ERRORS),
        "bad_rows": len({r for r, _m in checked.errors}),
        "new": checked.new, "updated": checked.updated,
        "payload": packed[0] if packed else "", "signature": packed[1] if packed else "",
    }


async def preview_import(user: CurrentUser, settings: Settings, upload: ImportUpload
                         ) -> Outcome:
    """Read and check an uploaded file. Errors in the form (no site, no file) come back as
    field errors; the preview itself lists the bad rows (and offers no confirm then)."""
    require_admin(user)
    errors: dict[str, str] = {}
    site = await _site(upload.site)
    if site is None or not site["active"]:
        errors["site"] = _("Choose one of the listed sites.")
    if upload.kind not in KINDS:
        errors["kind"] = _("Choose units or residents.")
    file = upload.file
    if not hasattr(file, "read") or not getattr(file, "filename", ""):
        errors["file"] = _("Choose a CSV or XLSX file.")
    data = b""
    if not errors:
        data = await file.read(MAX_UPLOAD_BYTES + 1)
    sheet = read_sheet(upload.kind, file.filename, data) if not errors else None
    if sheet is not None and sheet.error:
        errors["file"] = sheet.error
    if errors or site is None or sheet is None:
        context = await upload_page(user, upload.site, upload.kind)
        return Outcome(errors=errors, context={**context, "errors": errors})
    checked = await _check(upload.kind, site, sheet.rows)
    packed = None
    if not checked.errors:
        packed = _pack(settings.secret_key, Payload(
            kind=upload.kind, site=site["id"], user=user.id, issued_at=int(time.time()),
            file_name=file.filename[:200], size=len(data), rows=sheet.rows))
    preview = _preview(upload.kind, site, file.filename, len(data), checked, packed)
    preview["ignored"] = sheet.ignored
    context = await upload_page(user, site["id"], upload.kind)
    return Outcome(id=site["id"], context={**context, "preview": preview})


async def confirm_import(user: CurrentUser, settings: Settings, form: ImportConfirm
                         ) -> Outcome:
    """Store every row of a previewed file in one transaction, or none (re-checked now)."""
    require_admin(user)
    payload = _unpack(settings.secret_key, form, user)
    if payload is None:
        errors = {"file": _("This preview has expired or was changed. Upload the file again.")}
        context = await upload_page(user)
        return Outcome(errors=errors, context={**context, "errors": errors})
    site = await _site(payload.site)
    if site is None:
        raise NotFound(_("Not found."))
    async with write_transaction():
        checked = await _check(payload.kind, site, payload.rows)
        if not checked.errors:
            await _store(payload.kind, site["id"], checked)
    if checked.errors:
        preview = _preview(payload.kind, site, payload.file_name, payload.size, checked, None)
        context = await upload_page(user, site["id"], payload.kind)
        errors = {"rows": _("Nothing was imported: the rows below are not valid now.")}
        return Outcome(errors=errors, context={**context, "errors": errors,
                                               "preview": {**preview, "ignored": []}})
    return Outcome(id=site["id"], context={"kind": payload.kind, "count": len(checked.rows)})


async def _store(kind: str, site_id: str, checked: Checked) -> None:
    space, version = await bump_for("unit" if kind == "units" else "resident", site_id)
    stamp = now()
    inserts: list[Any] = []
    for r in checked.rows:
        v = r["parsed"]
        if kind == "units" and v["unit_id"]:
            await Unit.update({Unit.floor: v["floor"], Unit.area: v["area"],
                               Unit.use: v["use"], Unit.version: version,
                               Unit.updated_at: stamp}).where(Unit.id == v["unit_id"])
        elif kind == "units":
            inserts.append(Unit(site=site_id, building=v["building_id"], number=v["number"],
                                floor=v["floor"], area=v["area"], use=v["use"],
                                space=space, version=version))
        else:
            inserts.append(Resident(site=site_id, unit=v["unit_id"], name=v["name"],
                                    phone=v["phone"], relation=v["relation"],
                                    id_type=v["id_type"], id_last4=v["id_last4"],
                                    space=space, version=version))
    table = Unit if kind == "units" else Resident
    for i in range(0, len(inserts), INSERT_CHUNK):
        await table.insert(*inserts[i:i + INSERT_CHUNK])
