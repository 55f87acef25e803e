"""Importing a site's checkpoints from a spreadsheet (CSV or XLSX), like the estate's units:
the same reader (:func:`server.estate.importer.read_sheet`: encodings, Chinese or English
headers, size limits), the same field checks (:func:`server.refdata.forms.check_raw`), and
every row checked before any is stored — then all rows in one transaction with one version
of the site's patrol space, each audited. A code already at the site updates that
checkpoint (its QR token stays); a new code gets a new random token."""

from __future__ import annotations

import uuid
from typing import Any

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.estate import importer
from server.estate.tables import Building
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import as_id, plain, site_and_sites
from server.patrol import checklist_import, labels
from server.patrol.lists import CHECKPOINT_LIST
from server.patrol.tables import PatrolChecklist, PatrolCheckpoint
from server.refdata.forms import check_raw, message
from server.refdata.store import now
from server.review.service import audit
from server.sync.spaces import bump_for
from sync.domains.patrol.records import CHECKPOINT_TYPE, KINDS

KIND = "checkpoints"
COLUMNS = (
    ("code", lazy("printed code"), True),
    ("name", lazy("checkpoint name"), True),
    ("building", lazy("building code"), False),
    ("floor", lazy("floor"), False),
    ("place", lazy("place"), False),
    ("kind", lazy("kind of place"), False),
    ("checklist", lazy("checklist"), False),
)
HEADERS = {"code": ("code", "編號", "代號", "巡更點編號"),
           "place": ("location", "位置", "地點"), "kind": ("kind", "type", "類別", "種類"),
           "checklist": ("檢查表",)}
# the estate's reader maps headers by kind: patrol's columns are registered beside its own
importer.COLUMNS.setdefault(KIND, COLUMNS)
for _field, _names in HEADERS.items():
    importer.EXTRA_HEADERS.setdefault(_field, ())
    importer.EXTRA_HEADERS[_field] = tuple(dict.fromkeys((*importer.EXTRA_HEADERS[_field],
                                                          *_names)))
SHOWN_ERRORS = 200
NO_FILE = lazy("Choose a CSV or XLSX file.")


KINDS_SHOWN = (("checkpoints", lazy("Checkpoints")), ("checklists", lazy("Checklists")))


async def page(user: CurrentUser, site: str, kind: str = KIND) -> dict[str, Any]:
    CHECKPOINT_LIST.check_writer(user)
    chosen, sites = await site_and_sites(user, site)
    kind = kind if kind == checklist_import.KIND else KIND
    return {"site": chosen, "sites": sites, "errors": [], "kind": kind, "kinds": KINDS_SHOWN,
            "columns": {KIND: COLUMNS, checklist_import.KIND: checklist_import.COLUMNS},
            "max_mb": importer.MAX_UPLOAD_BYTES // (1024 * 1024), "file_error": ""}


async def _check(site: str, rows: list[tuple[int, dict[str, str]]]
                 ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    buildings = {b["code"].lower(): str(b["id"]) for b in await Building.select(
        Building.id, Building.code).where(Building.site == site)}
    checklists = {c["name"].lower(): str(c["id"]) for c in await PatrolChecklist.select(
        PatrolChecklist.id, PatrolChecklist.name).where(
        (PatrolChecklist.site == site) & PatrolChecklist.active.eq(True))}
    existing = {c["code"]: plain(c) for c in await PatrolCheckpoint.select().where(
        PatrolCheckpoint.site == site)}
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        fields = {k: raw.get(k, "") for k in ("code", "name", "floor", "place")}
        fields["kind"] = importer.code_for("kind", raw.get("kind", ""), KINDS) or "other"
        values, problems = check_raw(CHECKPOINT_TYPE, fields)
        bad = [f"{_(CHECKPOINT_TYPE.field(p.field.split('.')[0]).label)}: {message(p)}"
               for p in problems]
        building = raw.get("building", "").strip()
        if building and building.lower() not in buildings:
            bad.append(_("no building {code} at this site", code=building))
        checklist = raw.get("checklist", "").strip()
        if checklist and checklist.lower() not in checklists:
            bad.append(_("no checklist named {name} at this site", name=checklist))
        code = values.get("code", "")
        if code in seen:
            bad.append(_("the code {code} is also on row {row}", code=code, row=seen[code]))
        seen.setdefault(code, number)
        if bad:
            errors.append((number, "; ".join(bad)))
            continue
        values["building_id"] = buildings.get(building.lower()) if building else None
        values["checklist_id"] = checklists.get(checklist.lower()) if checklist else None
        out.append({"values": values, "row": existing.get(code)})
    return out, errors


async def run(user: CurrentUser, site: str, file_name: str, data: bytes,
              kind: str = KIND) -> dict[str, Any]:
    """Check the file and, when every row is right, store it. The page's context, with
    ``count`` (rows stored) or the errors (nothing stored)."""
    context = await page(user, site, kind)
    sid, kind = context["site"]["id"], context["kind"]
    sheet = importer.read_sheet(kind, file_name, data)
    if sheet.error:
        return {**context, "file_error": sheet.error}
    check = checklist_import._check if kind == checklist_import.KIND else _check
    checked, errors = await check(sid, sheet.rows)
    if errors:
        return {**context, "errors": errors[:SHOWN_ERRORS], "error_count": len(errors)}
    if kind == checklist_import.KIND:
        await checklist_import.store(user, sid, checked)
        return {**context, "count": len(checked)}
    at = now()
    async with write_transaction():
        space, version = await bump_for("checkpoint", sid)
        for item in checked:
            values, row = item["values"], item["row"]
            columns = {CHECKPOINT_LIST.db_column(k): v for k, v in values.items()}
            if row is None:
                rid = str(uuid.uuid4())
                token = labels.new_token()
                await PatrolCheckpoint.insert(PatrolCheckpoint(
                    id=rid, site=sid, token=token, space=space, version=version, **columns))
                await audit(user, "checkpoint", rid, space, version, "office.import",
                            {k: (None, v) for k, v in values.items()})
                continue
            changed = {k: (_stored(row, k), v) for k, v in values.items()
                       if _stored(row, k) != v}
            if not changed and row["active"]:
                continue
            update = {getattr(PatrolCheckpoint, CHECKPOINT_LIST.db_column(k)): v
                      for k, v in values.items()}
            update.update({PatrolCheckpoint.active: True, PatrolCheckpoint.version: version,
                           PatrolCheckpoint.updated_at: at})
            await PatrolCheckpoint.update(update).where(PatrolCheckpoint.id == row["id"])
            await audit(user, "checkpoint", str(row["id"]), space, version, "office.import",
                        {**changed, **({} if row["active"] else {"active": (False, True)})})
    return {**context, "count": len(checked)}


def _stored(row: dict[str, Any], name: str) -> Any:
    value = row.get(CHECKPOINT_LIST.db_column(name))
    return as_id(value) if name.endswith("_id") else value
