"""Shared helpers for the office's repair page tests: a two-site estate with technicians, and
requests reported, assigned, visited and closed through the domain's own mutations (the
rules write the rows, as on a phone)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.repairs.tables import RepairRequest, RepairVisit
from server.sync import office
from server.sync.tables import BlobUpload
from sync.context import iso
from sync.domains.repairs.common import request_number
from tests.integration.cards_office_support import png
from tests.integration.office_keys_support import Estate


def user_of(e: Estate, who: str = "root") -> CurrentUser:
    """``root`` (admin), ``boss`` (supervisor of A), ``desk`` (A's front desk), ``tech`` and
    ``tech2`` (A's technicians)."""
    roles = {"root": "admin", "boss": "supervisor", "desk": "front_desk",
             "tech": "technician", "tech2": "technician"}
    sites = (e.a, e.b) if who == "root" else (e.a,)
    return CurrentUser(id=getattr(e, who), username=who, display_name=who, role=roles[who],
                       site_ids=sites)


def ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


async def repairs_estate(factory: Any) -> Estate:
    """Site A (HYG: building A with units A-01A, A-02A; building B with B-01A) and site B
    (JHT, unit J-01A); ``boss`` supervises A, ``root`` is an admin, ``desk`` is A's front
    desk, ``tech`` and ``tech2`` are A's technicians, ``techb`` is B's."""
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    root = await factory.staff("root", role="admin")
    desk = await factory.staff("desk", role="front_desk", sites=(a,))
    tech = await factory.staff("tech", role="technician", sites=(a,))
    tech2 = await factory.staff("tech2", role="technician", sites=(a,))
    techb = await factory.staff("techb", role="technician", sites=(b,))
    ba = await factory.building(a, code="A")
    bb = await factory.building(a, code="B")
    u1 = await factory.unit(a, ba, number="A-01A")
    u2 = await factory.unit(a, ba, number="A-02A")
    u3 = await factory.unit(a, bb, number="B-01A")
    ub = await factory.unit(b, number="J-01A")
    photo = await factory.blob(png())
    for who in (root, tech):
        await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=photo, staff=who))
    return Estate(a=a, b=b, boss=boss, root=root, desk=desk, tech=tech, tech2=tech2,
                  techb=techb, ba=ba, bb=bb, u1=u1, u2=u2, u3=u3, ub=ub, photo=photo)


async def report(e: Estate, *, unit: str | None = None, area: str = "", site: str = "",
                 at: datetime | None = None, category: str = "water",
                 urgency: str = "normal", complaint: bool = False,
                 description: str = "廚房水喉漏水", who: str = "root",
                 photos: tuple[str, ...] = ()) -> str:
    """A request reported at the desk (``repair.report``); its id."""
    rid = str(uuid.uuid4())
    at = at or ago(1)
    await office.apply(user_of(e, who), [("repair.report", {
        "request_id": rid, "site_id": site or e.a, "number": request_number(rid, iso(at)),
        "unit_id": unit, "area": area, "category": category, "urgency": urgency,
        "complaint": complaint, "description": description, "photos": list(photos),
        "contact_name": "陳大文", "contact_phone": "91234567", "contact_pref": "call_first",
        "source": "desk", "anomaly_visit_id": None, "parent_id": None,
        "reported_at": iso(at)})])
    return rid


async def assign(e: Estate, request_id: str, technician: str = "tech") -> None:
    await office.apply(user_of(e), [("repair.assign", {
        "request_id": request_id, "assignee_id": getattr(e, technician),
        "appointment_at": None, "assigned_at": iso(ago(0.5))})])


async def start_visit(e: Estate, request_id: str, *, at: datetime | None = None,
                      who: str = "tech") -> str:
    visit = str(uuid.uuid4())
    await office.apply(user_of(e, who), [("repair.start_visit", {
        "visit_id": visit, "request_id": request_id, "basis": "request",
        "second_staff_id": None, "witness": "", "resident_present": True,
        "resident_consent": True, "only_minors": False, "arrived_at": iso(at or ago(0.4)),
        "uniform_badge": True, "shoe_covers": True, "floor_protection": False})])
    return visit


async def update_visit(e: Estate, visit: str, fields: dict[str, Any], who: str = "tech"
                       ) -> None:
    await office.apply(user_of(e, who), [("repair.update_visit", {
        "visit_id": visit, "fields": fields})])


async def close_visit(e: Estate, visit: str, *, at: datetime | None = None,
                      outcome: str = "done", satisfaction: int | None = 5,
                      follow_up: bool = False, who: str = "tech") -> str | None:
    """Close a visit (refused to sign, with a reason); the follow-up id it offered."""
    follow = str(uuid.uuid4()) if follow_up else None
    row = await RepairVisit.select(RepairVisit.request, RepairVisit.site).where(
        RepairVisit.id == visit).first()
    await office.apply(user_of(e, who), [("repair.close_visit", {
        "visit_id": visit, "request_id": str(row["request"]), "site_id": str(row["site"]),
        "left_at": iso(at or ago(0.1)), "signature_blob": "",
        "refused_reason": "住戶趕時間", "satisfaction": satisfaction, "outcome": outcome,
        "outcome_reason": "", "notice_photo": "", "follow_request_id": None,
        "follow_up_id": follow})])
    return follow


async def number_of(request_id: str) -> str:
    row = await RepairRequest.select(RepairRequest.number).where(
        RepairRequest.id == request_id).first()
    return str(row["number"])


async def link_key(e: Estate, request_id: str, loan: str) -> None:
    await office.apply(user_of(e), [("repair.link_key", {
        "request_id": request_id, "key_loan_id": loan})])


async def sign_in_en(client: Any, username: str) -> None:
    from tests.integration.cards_office_support import sign_in_en as cards_sign_in

    await cards_sign_in(client, username)
