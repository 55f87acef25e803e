"""Shared helpers for the office's front-desk page tests: a two-site estate with a front desk,
a gate guard and residents, and visitors, passes (signed with a real device key), gate
checks and handovers written through the domain's own mutations — as the office
(:func:`server.sync.office.apply`) or pushed by a phone (a device: its name shows)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device
from server.lib.timezone import estate_zone
from server.settings import Settings
from server.sync import office
from server.sync.tables import BlobUpload
from sync.context import iso
from sync.domains.desk import passcode
from tests.integration.cards_office_support import png
from tests.integration.office_keys_support import Estate
from tests.integration.sync_support import PUSH, Phone, phone

ROLES = {"root": "admin", "boss": "supervisor", "desk": "front_desk", "guard": "patrol",
         "guard2": "patrol", "deskb": "front_desk"}


def user_of(e: Estate, who: str = "root") -> CurrentUser:
    """``root`` (admin of both sites), ``boss`` (supervisor of A), ``desk`` (A's front desk),
    ``guard`` and ``guard2`` (A's gate), ``deskb`` (B's front desk)."""
    sites = (e.a, e.b) if who == "root" else (e.b,) if who == "deskb" else (e.a,)
    return CurrentUser(id=getattr(e, who), username=who, display_name=who, role=ROLES[who],
                       site_ids=sites)


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the estate's day ``days_ago`` days before today, in UTC."""
    day = datetime.now(UTC).astimezone(estate_zone()).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, minute,
                    tzinfo=estate_zone()).astimezone(UTC)


def ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


async def desk_estate(factory: Any) -> Estate:
    """Site A (HYG: units A-01A with resident 陳太, A-02A) and site B (JHT: J-01A)."""
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    ids = {who: await factory.staff(who, role=role, sites=(b,) if who == "deskb" else (a,))
           for who, role in ROLES.items() if who != "root"}
    root = await factory.staff("root", role="admin")
    building = await factory.building(a, code="A")
    u1 = await factory.unit(a, building, number="A-01A")
    u2 = await factory.unit(a, building, number="A-02A")
    ub = await factory.unit(b, number="J-01A")
    resident = await factory.resident(a, u1, name="陳太")
    photo = await factory.blob(png())
    for who in (root, *ids.values()):
        await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=photo, staff=who))
    return Estate(a=a, b=b, root=root, u1=u1, u2=u2, ub=ub, resident=resident, photo=photo,
                  **ids)


async def a_phone(settings: Settings, e: Estate, who: str, name: str) -> Phone:
    """A signed-in phone of ``who``, its device named ``name``."""
    p = await phone(settings, getattr(e, who))
    await Device.update({Device.name: name}).where(Device.id == p.device_id)
    return p


async def push(client: Any, p: Phone, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(PUSH, headers=p.headers, json=p.body([p.mutation(name, args)]))
    assert r.status_code == 200, r.text
    assert r.json()["rejected"] == 0, r.json()
    return dict(r.json())


async def run(e: Estate, who: str, name: str, args: dict[str, Any], *, client: Any = None,
              via: Phone | None = None) -> None:
    """A mutation as ``who``: pushed by the phone ``via``, else as the office."""
    if via is not None:
        await push(client, via, name, args)
    else:
        await office.apply(user_of(e, who), [(name, args)])


async def device_key(e: Estate, site: str = "", who: str = "desk", *, client: Any = None,
                     via: Phone | None = None) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A key pair registered for ``site`` (``desk.register_key``): the private key, its id."""
    private, public = passcode.new_key()
    key_id = str(uuid.uuid4())
    await run(e, who, "desk.register_key", {
        "key_id": key_id, "site_id": site or e.a, "public_key": public, "holder": "前台一號機",
        "registered_at": iso(ago(48))}, client=client, via=via)
    return private, key_id


async def visitor_in(e: Estate, name: str, unit: str, time_in: datetime, *,
                     phone_number: str = "", resident: str | None = None, badge: str = "",
                     purpose: str = "探訪", site: str = "", who: str = "desk") -> str:
    """A visitor signed in: confirmed by ``resident``, else by phone (``phone_number``)."""
    vid = str(uuid.uuid4())
    await run(e, who, "visitor.sign_in", {
        "visitor_id": vid, "site_id": site or e.a, "unit_id": unit, "name": name,
        "id_type": "hkid", "id_last4": "123A", "phone": "61234567",
        "confirmed_by": "phone" if phone_number else "resident",
        "resident_id": None if phone_number else resident, "called_number": phone_number,
        "purpose": purpose, "badge": badge, "time_in": iso(time_in)})
    return vid


async def visitor_out(e: Estate, vid: str, time_out: datetime, who: str = "desk") -> None:
    await run(e, who, "visitor.sign_out", {"visitor_id": vid, "time_out": iso(time_out)})


def pass_code(private: ec.EllipticCurvePrivateKey, fields: dict[str, Any]) -> str:
    """The QR text of a pass's fields (pass.issue's arguments), signed with ``private``."""
    return passcode.sign({short: fields[f] for short, f in passcode.KEYS.items()}, private)


def tampered(code: str, **changes: Any) -> str:
    """``code`` with its content edited and its signature kept (a forged pass)."""
    _payload, content, _sig = passcode.split(code) or ("", {}, b"")
    signature = code.rsplit(".", 1)[1]
    return f"{passcode.PREFIX}.{passcode.payload_text({**content, **changes})}.{signature}"


async def issue(e: Estate, key: tuple[ec.EllipticCurvePrivateKey, str], number: str, *,
                unit: str = "", items: tuple[str, ...] = ("雪櫃", "梳化"),
                issued_at: datetime | None = None, basis: str = "owner_present",
                code: str | None = None, site: str = "", who: str = "desk",
                client: Any = None, via: Phone | None = None, pass_id: str = "",
                signed: dict[str, Any] | None = None) -> tuple[str, str]:
    """A pass issued and signed with ``key`` (``signed``: fields whose signed value is not
    the stored one); its id and code."""
    at = issued_at or ago(2)
    fields: dict[str, Any] = {
        "pass_id": pass_id or str(uuid.uuid4()), "site_id": site or e.a, "number": number,
        "unit_id": unit or e.u1, "items": list(items), "item_count": len(items),
        "plate": "AB 1234", "valid_until": iso(at + timedelta(hours=8)), "basis": basis,
        "owner_name": "陳大文", "authorisation_photo": e.photo if basis == "written" else "",
        "phoned_number": "91234567" if basis == "phone" else "",
        "phoned_at": iso(at - timedelta(minutes=5)) if basis == "phone" else None,
        "issued_at": iso(at), "key_id": key[1]}
    code = code or pass_code(key[0], {**fields, **(signed or {})})
    await run(e, who, "pass.issue", {**fields, "code": code}, client=client, via=via)
    return fields["pass_id"], code


async def check(e: Estate, pass_id: str, number: str, code: str, *, outcome: str = "passed",
                verdict: str = "valid", at: datetime | None = None, note: str = "",
                site: str = "", who: str = "guard", client: Any = None,
                via: Phone | None = None) -> str:
    """A gate check of a scanned pass; its id."""
    cid = str(uuid.uuid4())
    await run(e, who, "pass.check", {
        "check_id": cid, "site_id": site or e.a, "pass_id": pass_id, "number": number,
        "code": code, "verdict": verdict, "outcome": outcome, "photos": [], "note": note,
        "checked_at": iso(at or ago(1))}, client=client, via=via)
    return cid


async def handover(e: Estate, summary: dict[str, Any], *, end: datetime, notes: str = "",
                   site: str = "", who: str = "desk", name: str = "黃嘉欣") -> str:
    hid = str(uuid.uuid4())
    await run(e, who, "handover.draft", {
        "handover_id": hid, "site_id": site or e.a, "shift_start": iso(end - timedelta(hours=8)),
        "shift_end": iso(end), "summary": summary, "notes": notes, "outgoing_name": name,
        "outgoing_signature": e.photo, "drafted_at": iso(end)})
    return hid


async def receive(e: Estate, hid: str, at: datetime, *, who: str = "guard",
                  name: str = "李保安", own_phone: bool = True) -> None:
    await run(e, who, "handover.receive", {
        "handover_id": hid, "incoming_name": name, "incoming_signature": e.photo,
        "received_at": iso(at), "own_phone": own_phone})


# --- the tests' records -------------------------------------------------------------------

SUMMARY = {
    "keys_out": 3, "keys_overdue": [{"label": "HYG-K001 · 陳大文", "loan_id": "x"}],
    "cards_in_stock": 40, "blacklists_pending": 1, "rounds_done": 5,
    "rounds_missed": [{"label": "夜更路線 02:00"}], "requests_open": [],
    "incidents_open": [{"label": "B座走廊漏水"}],
    "visitors_inside": [{"label": "李小明 · A-02A"}, {"label": "王五 · A-01A"}],
}


async def seed_visitors(e: Estate) -> dict[str, str]:
    """Four visitors at A (two days ago: in and out by noon, and in at 22:00 never out;
    three days ago: out at 23:30 — after the cut-off; and 王五 by phone, badge V-77, out
    before the cut-off yesterday) and one at B."""
    return {
        "陳大文": await _came_and_left(e, "陳大文", e.u1, local(2, 10), local(2, 12),
                                     resident=e.resident, badge="V-01"),
        "李小明": await visitor_in(e, "李小明", e.u2, local(2, 22), phone_number="91234567"),
        "張三": await _came_and_left(e, "張三", e.u1, local(3, 21), local(3, 23, 30),
                                    resident=e.resident),
        "王五": await _came_and_left(e, "王五", e.u2, local(1, 9), local(1, 22, 59),
                                    phone_number="98765432", badge="V-77",
                                    purpose="=HYPERLINK(\"x\")"),
        "景華訪客": await visitor_in(e, "景華訪客", e.ub, local(2, 23, 30), site=e.b,
                                 phone_number="23456789", who="deskb"),
    }


async def _came_and_left(e: Estate, name: str, unit: str, time_in: Any, time_out: Any,
                         **kw: Any) -> str:
    vid = await visitor_in(e, name, unit, time_in, **kw)
    await visitor_out(e, vid, time_out)
    return vid


async def seed_passes(e: Estate) -> dict[str, Any]:
    """At A: GP-001 let out; GP-002 not checked; GP-003 goods did not match; GP-004 let out
    at two gates; GP-005 expired, refused; a forged code refused (GP-FAKE: no such pass);
    GP-LATE checked and let out before its pass reached the server. At B: GP-B."""
    key = await device_key(e)
    out: dict[str, Any] = {"key": key}
    for n in ("GP-001", "GP-002", "GP-003", "GP-004", "GP-005"):
        out[n] = await issue(e, key, n, issued_at=ago(3) if n != "GP-005" else ago(30))
    await check(e, out["GP-001"][0], "GP-001", out["GP-001"][1])
    await check(e, out["GP-003"][0], "GP-003", out["GP-003"][1], outcome="mismatch",
                note="多了一部電視")
    await check(e, out["GP-004"][0], "GP-004", out["GP-004"][1], at=ago(1))
    await check(e, out["GP-004"][0], "GP-004", out["GP-004"][1], at=ago(0.5), who="guard2")
    await check(e, out["GP-005"][0], "GP-005", out["GP-005"][1], outcome="refused",
                verdict="expired")
    forged = tampered(out["GP-002"][1], n="GP-FAKE", id=str(uuid.uuid4()))
    fake_id = passcode.split(forged)[1]["id"]  # type: ignore[index]
    out["fake"] = (fake_id, await check(e, fake_id, "GP-FAKE", forged, outcome="refused",
                                        verdict="forged"))
    late_id = str(uuid.uuid4())
    late_code = pass_code(key[0], {
        "pass_id": late_id, "number": "GP-LATE", "site_id": e.a, "unit_id": e.u2,
        "items": ["床褥"], "item_count": 1, "plate": "", "basis": "owner_present",
        "valid_until": iso(ago(-5)), "issued_at": iso(ago(1)), "key_id": key[1]})
    out["late"] = (late_id, late_code, await check(e, late_id, "GP-LATE", late_code))
    bkey = await device_key(e, e.b, "deskb")
    out["GP-B"] = await issue(e, bkey, "GP-B", unit=e.ub, site=e.b, who="deskb")
    return out


async def sign_in_en(client: Any, username: str) -> None:
    from tests.integration.cards_office_support import sign_in_en as cards_sign_in

    await cards_sign_in(client, username)
