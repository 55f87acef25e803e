"""One goods-out pass as the office reads it: the issue (items, basis, the authorisation
photo, who issued it on which phone, the phone's time beside the server's receipt), whether
its stored QR code is genuine — the signature checked with the issuing phone's device key
(:func:`sync.domains.desk.passcode.verify`) and the signed content compared with the stored
fields — and every gate check side by side, with the code each guard was shown checked the
same way. A pass that has not reached the server yet still has a page when a gate check
names it ("pass not yet synced"). Scoped to the person's sites (else 404)."""

from __future__ import annotations

from typing import Any

from server.accounts.schemas import CurrentUser
from server.desk.passes import C, P, check_columns, decorate, decorate_checks, select
from server.desk.queries import conflicts_about
from server.desk.tables import DeviceKey
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import as_id, device_names, local_time, plain, require_id, to_datetime
from server.review import present
from server.review.queries import history
from sync.domains.desk import passcode
from sync.domains.desk.records import GOODS_PASS

# the stored column each signed field is compared with
COLUMNS = {"pass_id": "id", "site_id": "site", "unit_id": "unit", "key_id": "key"}
TIMES = ("valid_until", "issued_at")
LABELS = {"pass_id": "Pass"}


def _same(field: str, signed: Any, stored: Any) -> bool:
    if field in TIMES:
        a, b = to_datetime(signed), to_datetime(stored)
        return a is not None and a == b
    if field.endswith("_id"):
        return as_id(signed) is not None and as_id(signed) == as_id(stored)
    if field == "items":
        return isinstance(signed, list) and [str(i) for i in signed] == list(stored or [])
    if field == "item_count":
        return isinstance(signed, int) and signed == stored
    return isinstance(signed, str) and signed == (stored or "")


def _shown(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field in TIMES:
        return local_time(value, seconds=True) or str(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def differences(content: dict[str, Any], stored: dict[str, Any]) -> list[dict[str, str]]:
    """Each signed field whose value is not the stored one: the QR's beside the record's."""
    out = []
    for short, field in passcode.KEYS.items():
        column = COLUMNS.get(field, field)
        signed = content.get(short)
        if not _same(field, signed, stored.get(column)):
            out.append({"label": LABELS.get(field) or present.field_label(GOODS_PASS, field),
                        "signed": _shown(field, signed) if short in content
                        else _("not in the code"),
                        "stored": _shown(field, stored.get(column))})
    return out


def verdict(code: str, key: dict[str, Any] | None) -> dict[str, Any]:
    """Whether ``code`` was signed by ``key``: ``state`` is genuine, forged (the signature
    does not match), unknown_key (no such device key on record) or unreadable."""
    parts = passcode.split(code) if code else None
    if parts is None:
        return {"state": "unreadable", "content": None}
    if key is None:
        return {"state": "unknown_key", "content": parts[1]}
    content = passcode.verify(code, str(key["public_key"]))
    return {"state": "genuine" if content is not None else "forged", "content": content}


async def keys_by_id(ids: list[Any]) -> dict[str, dict[str, Any]]:
    wanted = sorted({i for i in (as_id(x) for x in ids) if i})
    if not wanted:
        return {}
    rows = [plain(r) for r in await DeviceKey.select(
        DeviceKey.id, DeviceKey.site, DeviceKey.public_key, DeviceKey.holder,
        DeviceKey.registered_at, DeviceKey.device, DeviceKey.created_at).where(
        DeviceKey.id.is_in(wanted))]
    devices = await device_names(r["device"] for r in rows)
    for r in rows:
        r["device_name"] = devices.get(str(r["device"]), "")
        r["registered"] = local_time(r["registered_at"], seconds=True)
    return {str(r["id"]): r for r in rows}


def _key_of(code: str) -> str | None:
    parts = passcode.split(code) if code else None
    return as_id(parts[1].get("k")) if parts is not None else None


async def judge_checks(checks: list[dict[str, Any]], issued_code: str, site_id: str) -> None:
    """Each gate check's presented code checked with the key it names (of the site)."""
    keys = await keys_by_id([_key_of(c["code"]) for c in checks])
    for c in checks:
        key = keys.get(_key_of(c["code"]) or "")
        if key is not None and str(key["site"]) != site_id:
            key = None
        c["code_check"] = verdict(c["code"], key)
        c["same_code"] = bool(issued_code) and c["code"] == issued_code


async def pass_page(user: CurrentUser, pass_id: str) -> dict[str, Any]:
    wanted = require_id(pass_id)
    row = await select().where(P.id == wanted).first()
    if row is None:
        return await _not_synced(user, wanted)
    if not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    p = (await decorate([plain(row)]))[0]
    key = (await keys_by_id([p["key"]])).get(str(p["key"]))
    if key is not None and str(key["site"]) != str(p["site"]):
        key = None
    check = verdict(p["code"], key)
    diffs = differences(check["content"], p) if check["state"] == "genuine" else []
    await judge_checks(p["checks"], p["code"], str(p["site"]))
    return {"p": p, "synced": True, "key": key, "verification": check,
            "differences": diffs, "checks": p["checks"],
            "phoned_at": local_time(p["phoned_at"], seconds=True),
            "conflicts": await conflicts_about(p["id"], *(c["id"] for c in p["checks"])),
            "history": await history("goods_pass", p["id"])}


async def _not_synced(user: CurrentUser, pass_id: str) -> dict[str, Any]:
    """A pass the server does not have, as its gate checks at the person's sites saw it."""
    checks = [plain(r) for r in await C.select(*check_columns()).where(
        C.pass_id == pass_id).order_by(C.checked_at)]
    checks = [c for c in checks if user.can_see_site(str(c["site"]))]
    if not checks:
        raise NotFound(_("Not found."))
    await decorate_checks(checks)
    await judge_checks(checks, "", str(checks[0]["site"]))
    return {"p": {"id": pass_id, "number": checks[-1]["number"], "site": checks[0]["site"]},
            "synced": False, "key": None, "verification": None, "differences": [],
            "checks": checks,
            "conflicts": await conflicts_about(*(c["id"] for c in checks)), "history": []}


async def pass_of_check(user: CurrentUser, check_id: str) -> str:
    """The pass a gate check names (the check's site must be the person's, else 404)."""
    row = await C.select(C.pass_id, C.site).where(C.id == require_id(check_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    return str(row["pass_id"])
