"""Importing a site's checklists from a spreadsheet (CSV or XLSX), beside the checkpoints'
import (:mod:`server.patrol.imports`: the same reader, checks and all-or-nothing store). One
row per checklist; its items in one cell, one item per line (or separated by ``;``), written
as on the checklist's form (``Pressure | number | 2-8 | bar | photo``). A name already used
at the site updates that checklist (items keep their ids by label)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from server.accounts.schemas import CurrentUser
from server.db import write_transaction
from server.estate import importer
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import json_value, plain
from server.patrol import labels
from server.patrol.tables import PatrolChecklist
from server.refdata.forms import check_raw, message
from server.refdata.store import now
from server.review.service import audit
from server.sync.spaces import bump_for
from sync.domains.patrol.records import CHECKLIST_TYPE, KINDS

KIND = "checklists"
COLUMNS = (
    ("name", lazy("checklist name"), True),
    ("for_kind", lazy("for kind of place"), False),
    ("frequency", lazy("how often"), False),
    ("items", lazy("items"), True),
)
HEADERS = {"for_kind": ("kind", "類別", "地點類別"), "frequency": ("frequency", "頻率"),
           "items": ("檢查項目", "項目")}
importer.COLUMNS.setdefault(KIND, COLUMNS)
for _field, _names in HEADERS.items():
    importer.EXTRA_HEADERS[_field] = tuple(dict.fromkeys((
        *importer.EXTRA_HEADERS.get(_field, ()), *_names)))


async def _check(site: str, rows: list[tuple[int, dict[str, str]]]
                 ) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    existing = {c["name"].lower(): plain(c) for c in await PatrolChecklist.select().where(
        PatrolChecklist.site == site)}
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        kind = raw.get("for_kind", "")
        fields = {"name": raw.get("name", ""), "frequency": raw.get("frequency", ""),
                  "for_kind": importer.code_for("for_kind", kind, KINDS) if kind else ""}
        values, problems = check_raw(CHECKLIST_TYPE, fields)
        bad = [f"{_(CHECKLIST_TYPE.field(p.field.split('.')[0]).label)}: {message(p)}"
               for p in problems]
        name = str(values.get("name", "")).lower()
        row = existing.get(name)
        previous = json_value(row["items"]) if row else []
        text = "\n".join(re.split(r"[;\n]", raw.get("items", "")))
        items, problem = labels.parse_items(text, previous if isinstance(previous, list)
                                            else [])
        if problem is not None:
            bad.append(_(problem.message, **problem.params))
        if name in seen:
            bad.append(_("the name {name} is also on row {row}", name=values["name"],
                         row=seen[name]))
        seen.setdefault(name, number)
        if bad:
            errors.append((number, "; ".join(bad)))
            continue
        out.append({"values": {**values, "items": items}, "row": row})
    return out, errors


async def store(user: CurrentUser, site: str, checked: list[dict[str, Any]]) -> None:
    at = now()
    async with write_transaction():
        space, version = await bump_for("checklist", site)
        for item in checked:
            values, row = item["values"], item["row"]
            if row is None:
                rid = str(uuid.uuid4())
                await PatrolChecklist.insert(PatrolChecklist(
                    id=rid, site=site, space=space, version=version, **values))
                await audit(user, "checklist", rid, space, version, "office.import",
                            {k: (None, v) for k, v in values.items()})
                continue
            before = {k: json_value(row[k]) if k == "items" else row[k] for k in values}
            changed = {k: (before[k], v) for k, v in values.items() if before[k] != v}
            if not changed and row["active"]:
                continue
            await PatrolChecklist.update({
                **{getattr(PatrolChecklist, k): v for k, v in values.items()},
                PatrolChecklist.active: True, PatrolChecklist.version: version,
                PatrolChecklist.updated_at: at}).where(PatrolChecklist.id == row["id"])
            await audit(user, "checklist", str(row["id"]), space, version, "office.import",
                        {**changed, **({} if row["active"] else {"active": (False, True)})})
