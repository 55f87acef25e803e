"""``caretaker bench-office``'s IC cards, repair jobs, conflicts and rejections: a year of each,
with their exceptions — lost and revoked cards the door system has not taken yet, cards met
first at the desk, issues about to expire; repair requests past their deadlines, visits in
progress, follow-ups due; open conflicts and rejections (older ones resolved)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from server.bench_office_data import (
    SIGNATURE,
    Ctx,
    Item,
    Person,
    SiteData,
    Writer,
    converted,
    iso,
)
from server.bench_office_field import CHUNK, DAY
from server.demo.repairs_texts import JOBS
from server.sync.records import Column
from server.sync.sql_write import CONFLICT_COLUMNS, REJECTION_COLUMNS

# --- cards --------------------------------------------------------------------------------------

STATUSES = ((0.60, "issued"), (0.64, "lost"), (0.65, "damaged"), (0.69, "returned"),
            (0.70, "revoked"), (1.0, "in_stock"))
BLACKLISTED = ("lost", "damaged", "revoked")


def _issue(ctx: Ctx, site: SiteData, card: str, unit: str, issued: datetime,
           ended: datetime | None, reason: str) -> Item:
    rng = ctx.rng
    desk = rng.choice(site.people("front_desk"))
    holder = rng.choice(site.residents.get(unit) or [(None, ctx.name())])
    rec = ctx.record("card_issue", site, at=issued, data={
        "site_id": site.id, "card_id": card, "unit_id": unit, "resident_id": holder[0],
        "holder_name": holder[1], "relation": "owner", "id_type": "hkid",
        "id_last4": f"{rng.randrange(10000):04d}", "authorisation_blob": "",
        "owner_confirmation": "", "scope": site.zones[:rng.randrange(1, len(site.zones) + 1)],
        "valid_until": iso(issued + timedelta(days=730)), "fee": 50.0, "deposit": 100.0,
        "receipt_no": f"RC{rng.randrange(10**6):06d}", "signature_blob": SIGNATURE,
        "issued_at": iso(issued), "replaces_issue_id": None, "issued_by": desk.id,
        "issued_device": desk.device, "issued_hlc": ctx.hlc(issued, desk),
        "ended_at": iso(ended), "end_reason": reason, "end_notes": "",
        "deposit_refunded": 100.0 if reason == "returned" else None,
        "ended_by": desk.id if ended else None})
    ctx.keep(rec)
    return Item(rec, issued + timedelta(seconds=rng.randrange(1, 60)), desk)


def _between(ctx: Ctx, first: datetime, last: datetime) -> datetime:
    return first + (last - first) * ctx.rng.random()


def cards(ctx: Ctx) -> Iterator[list[Item]]:
    """The stock of each site: most cards issued (some with an earlier, ended issue), some
    lost, damaged, returned or revoked, the rest in stock."""
    n, rng = ctx.plan.count("card"), ctx.rng
    batch: list[Item] = []
    issues: list[Item] = []
    for i in range(n):
        site = ctx.site(i)
        r = rng.random()
        status = next(s for limit, s in STATUSES if r < limit)
        unit, card = rng.choice(site.units), ctx.uuid4()
        current = None
        blacklisted = taken = None
        if rng.random() < 0.3:  # an earlier holder who gave it back
            first = _between(ctx, ctx.start, ctx.now - 20 * DAY)
            ended = _between(ctx, first, ctx.now - 10 * DAY)
            issues.append(_issue(ctx, site, card, unit, first, ended, "returned"))
        if status == "issued":
            issued = _between(ctx, ctx.start, ctx.now) if rng.random() > 0.005 \
                else ctx.now - timedelta(days=rng.randrange(705, 725))  # expiring soon
            current = _issue(ctx, site, card, unit, issued, None, "")
            issues.append(current)
        elif status != "in_stock":
            issued = _between(ctx, ctx.start, ctx.now - 2 * DAY)
            ended = _between(ctx, issued, ctx.now)
            issues.append(_issue(ctx, site, card, unit, issued, ended, status))
            if status in BLACKLISTED:
                blacklisted = ended
                taken = None if ctx.now - ended < 3 * DAY else ended + DAY
        at = ctx.start - 30 * DAY
        rec = ctx.record("card", site, rid=card, data={
            "site_id": site.id, "number": f"{site.code}{i:07d}",
            "uid": f"{rng.getrandbits(32):08X}", "technology": rng.choice(("ic", "ic", "cpu")),
            "batch": f"{site.code}-2025-{i % 4 + 1}", "status": status,
            "registered": current is None or rng.random() > 0.005,
            "issue_id": current.record.id if current else None,
            "unit_id": unit if current else None, "blacklisted_at": iso(blacklisted),
            "door_taken_at": iso(taken), "notes": ""})
        batch.append(Item(rec, at))
        if len(issues) >= CHUNK:
            yield batch
            yield issues
            batch, issues = [], []
    yield batch
    yield issues


# --- repairs ------------------------------------------------------------------------------------

URGENCY = (("emergency", 30, 240, 0.05), ("urgent", 120, 1440, 0.3), ("normal", 1440, 4320, 1))
CLOSED_STATES = ((0.05, "in_progress"), (0.6, "done"), (0.85, "followed_up"),
                 (0.95, "closed"), (1.0, "cannot_complete"))
RECENT_STATES = ((0.25, "new"), (0.5, "assigned"), (0.65, "in_progress"), (1.0, "done"))


def _visit(ctx: Ctx, site: SiteData, req: dict[str, Any], rid: str, tech: Person,
           arrived: datetime, left: datetime | None, outcome: str) -> Item:
    rng = ctx.rng
    job = rng.choice(JOBS)
    charges: list[dict[str, Any]] = [{"item": p[0], "qty": p[1], "amount": p[1] * p[2]}
                                     for p in job.parts]
    rec = ctx.record("repair_visit", site, at=arrived, data={
        "site_id": site.id, "request_id": rid, "unit_id": req["unit_id"], "basis": "request",
        "technician_id": tech.id, "device_id": tech.device, "second_staff_id": None,
        "witness": "", "resident_present": True, "resident_consent": True,
        "only_minors": False, "arrived_at": iso(arrived), "left_at": iso(left),
        "uniform_badge": True, "shoe_covers": True, "floor_protection": True,
        "clean_up": left is not None, "found": job.found if left else "",
        "work_done": job.work if outcome == "done" else "", "charges": charges,
        "total": float(sum(c["amount"] for c in charges)), "before_photos": [],
        "after_photos": [], "signature_blob": SIGNATURE if outcome == "done" else "",
        "refused_reason": "", "satisfaction": rng.choice((3, 4, 4, 5, 5)) if outcome == "done"
        else None, "outcome": outcome, "outcome_reason": "", "notice_photo": "",
        "follow_request_id": None, "closed_at": iso(left),
        "close_hlc": ctx.hlc(left, tech) if left else ""})
    ctx.keep(rec)
    return Item(rec, (left or arrived) + timedelta(seconds=rng.randrange(5, 120)), tech)


def _follow_up(ctx: Ctx, site: SiteData, req: dict[str, Any], rid: str, visit: str,
               finished: datetime) -> Item:
    rng = ctx.rng
    due = finished + 2 * DAY
    done = due + timedelta(hours=rng.randrange(1, 30)) if rng.random() < 0.95 else None
    done = done if done and done < ctx.now else None
    desk = rng.choice(site.people("front_desk"))
    rec = ctx.record("follow_up", site, at=due, data={
        "site_id": site.id, "request_id": rid, "visit_id": visit, "unit_id": req["unit_id"],
        "reason": "complaint" if req["complaint"] else "sampled", "due_at": iso(due),
        "method": "call", "reached": bool(done), "rating": rng.choice("AABC") if done else "",
        "notes": "", "done_at": iso(done), "done_by": desk.id if done else None})
    return Item(rec, done or due, desk if done else None)


def _key_loan(ctx: Ctx, site: SiteData, tech: Person, started: datetime,
              finished: datetime | None) -> Item:
    """The key a technician borrowed for a job in an empty flat (the entry chain)."""
    rng = ctx.rng
    desk = rng.choice(site.people("front_desk"))
    lent = started - timedelta(minutes=20)
    back = finished + timedelta(minutes=30) if finished else None
    back = back if back and back < ctx.now and rng.random() < 0.97 else None
    rec = ctx.record("key_loan", site, at=lent, data={
        "site_id": site.id, "key_id": rng.choice(site.keys)[0], "borrower_name": tech.name,
        "borrower_phone": ctx.phone(), "borrower_kind": "staff", "id_type": "none",
        "id_last4": "", "purpose": "入屋維修", "approver": "李主任",
        "owner_consent": "" if rng.random() < 0.1 else "業主電郵同意入屋（已存檔）",
        "deposit": "", "lent_at": iso(lent), "due_at": iso(lent + timedelta(hours=4)),
        "signature_blob": SIGNATURE, "lent_by": desk.id, "lent_device": desk.device,
        "lent_hlc": ctx.hlc(lent, desk), "returned_at": iso(back),
        "returned_by": tech.name if back else "", "return_notes": "", "return_photos": [],
        "return_recorded_by": desk.id if back else None,
        "return_hlc": ctx.hlc(back, desk) if back else "", "voided": False, "void_reason": "",
        "voided_by": None})
    return Item(rec, lent + timedelta(seconds=30), desk)


def repairs(ctx: Ctx) -> Iterator[list[Item]]:
    """Requests by the desk (a few by patrol or a technician), their visits and the
    follow-ups the sampling picked."""
    n, rng = ctx.plan.count("repair_request"), ctx.rng
    out: dict[str, list[Item]] = {"key_loan": [], "repair_request": [], "repair_visit": [],
                                  "follow_up": []}
    for i in range(n):
        site = ctx.site(i)
        reported = ctx.daytime(ctx.moment(i, n), 8, 21)
        urgency, respond, complete, _w = next(u for u in URGENCY if rng.random() < u[3])
        table = CLOSED_STATES if ctx.now - reported > 7 * DAY else RECENT_STATES
        r = rng.random()
        state = next(s for limit, s in table if r < limit)
        tech = rng.choice(site.people("technician"))
        assigned = reported + timedelta(minutes=rng.randrange(10, 240))
        started = assigned + timedelta(hours=rng.randrange(1, 48))
        finished = started + timedelta(minutes=rng.randrange(30, 180))
        if state not in ("new", "assigned") and started > ctx.now:
            state = "assigned"
        if state not in ("new", "assigned", "in_progress") and finished > ctx.now:
            state = "in_progress"
        job = rng.choice(JOBS)
        desk = rng.choice(site.people("front_desk"))
        unit = rng.choice(site.units) if rng.random() < 0.85 else None
        working = state not in ("new", "assigned")
        ended = state not in ("new", "assigned", "in_progress")
        closed = finished + DAY if state == "closed" and finished + DAY < ctx.now else None
        data: dict[str, Any] = {
            "site_id": site.id, "number": f"R-{site.code}-{i:06d}", "unit_id": unit,
            "area": "" if unit else "大堂", "category": job.category, "urgency": urgency,
            "complaint": rng.random() < 0.05, "description": job.ask, "photos": [],
            "contact_name": ctx.name() if unit else "", "contact_phone": ctx.phone(),
            "contact_pref": "call_first", "source": rng.choice(("desk",) * 7 + (
                "patrol", "technician", "office")), "anomaly_visit_id": None,
            "parent_id": None, "reported_at": iso(reported), "reported_by": desk.id,
            "respond_by": iso(reported + timedelta(minutes=respond)),
            "complete_by": iso(reported + timedelta(minutes=complete)), "state": state,
            "assignee_id": tech.id if state != "new" else None,
            "appointment_at": iso(started) if state != "new" else None,
            "assigned_at": iso(assigned) if state != "new" else None,
            "started_at": iso(started) if working else None,
            "finished_at": iso(finished) if ended else None,
            "outcome_reason": "需更換整組喉管" if state == "cannot_complete" else "",
            "key_loan_id": None, "closed_at": iso(closed),
            "close_reason": "住戶自行處理" if closed else ""}
        if working and unit and rng.random() < 0.04:  # no one home: the owner's key lent
            loan = _key_loan(ctx, site, tech, started, finished if ended else None)
            data["key_loan_id"] = loan.record.id
            out["key_loan"].append(loan)
        rec = ctx.record("repair_request", site, at=reported, data=data)
        ctx.keep(rec)
        out["repair_request"].append(Item(rec, reported + timedelta(seconds=30), desk))
        if working:
            if rng.random() < 0.1:  # no one home the first time: a notice left
                early = started - DAY
                out["repair_visit"].append(_visit(ctx, site, data, rec.id, tech, early,
                                                  early + timedelta(minutes=10), "no_one_home"))
            outcome = {"in_progress": "", "cannot_complete": "cannot_complete"}.get(
                state, "done")
            visit = _visit(ctx, site, data, rec.id, tech, started,
                           finished if ended else None, outcome)
            out["repair_visit"].append(visit)
            if state in ("done", "followed_up") and (data["complaint"] or rng.random() < 0.3):
                out["follow_up"].append(_follow_up(ctx, site, data, rec.id, visit.record.id,
                                                   finished))
        if len(out["repair_request"]) >= CHUNK:
            yield from out.values()
            out = {k: [] for k in out}
    yield from out.values()


# --- conflicts and rejections -------------------------------------------------------------------

KINDS = (("double_loan", "key_loan", 30), ("double_issue", "card_issue", 12),
         ("signed_out_twice", "visitor", 15), ("pass_used_twice", "pass_check", 10),
         ("double_close", "repair_visit", 8), ("double_finish", "round", 15),
         ("received_twice", "handover", 10))
CONFLICT_MORE = (Column("", "resolved_by", "uuid"), Column("", "resolved_at", "ts"))
REJECTED = (("key.lend", "invalid_args", "borrower_name", "借用人姓名不可留空"),
            ("visitor.sign_in", "forbidden_site", "site_id", "不是你的小區"),
            ("scan.record", "invalid_args", "token", "此二維碼已停用"),
            ("card.issue", "mutation_failed", "card_id", "此卡已掛失"),
            ("repair.report", "unknown_blob", "photos", "相片未上載"))


def _details(kind: str, recs: list[Any]) -> dict[str, Any]:
    if kind != "double_loan":
        return {"records": [r.id for r in recs]}
    return {"key_id": recs[0].data["key_id"], "loans": [
        {"loan_id": r.id, "borrower_name": r.data["borrower_name"],
         "lent_by": r.data["lent_by"]} for r in recs]}


def _resolved(ctx: Ctx, at: datetime) -> bool:
    age = ctx.now - at
    return ctx.rng.random() < (0.97 if age > 30 * DAY else 0.4 if age > DAY else 0.1)


async def conflicts(ctx: Ctx, writer: Writer) -> None:
    n, rng = ctx.plan.count("sync_conflict"), ctx.rng
    weights = [k[2] for k in KINDS]
    rows = []
    for i in range(n):
        kind, type_, _w = rng.choices(KINDS, weights)[0]
        pool = ctx.samples.get(type_) or ctx.samples["key_loan"]
        first = rng.randrange(len(pool))
        pair = [p for p in pool[first + 1:first + 4] if p.space == pool[first].space][:1]
        recs = [pool[first], *pair]
        at = ctx.moment(i, n)
        site = next(s for s in ctx.sites if recs[0].space.startswith(s.id))
        space = recs[0].space
        version = ctx.versions[space] = ctx.versions.get(space, 0) + 1
        resolved = _resolved(ctx, at)
        boss = site.people("supervisor")[0]
        staff = sorted({str(v) for r in recs for k, v in r.data.items()
                        if k in ("lent_by", "signed_in_by", "checked_by", "issued_by",
                                 "technician_id", "started_by", "outgoing_id") and v})
        rows.append((ctx.uuid7(at), kind, space, version, recs[0].type, [r.id for r in recs],
                     _details(kind, recs), staff, "resolved" if resolved else "open",
                     "resolved_with_note" if resolved else "", "已跟進" if resolved else "",
                     iso(at), boss.id if resolved else None,
                     iso(min(ctx.now, at + DAY)) if resolved else None))
    columns = [*CONFLICT_COLUMNS, *CONFLICT_MORE]
    await writer.rows("sync_conflict", [c.column for c in columns],
                      converted(ctx.d, columns, rows))


async def rejections(ctx: Ctx, writer: Writer) -> None:
    n, rng = ctx.plan.count("sync_rejection"), ctx.rng
    rows = []
    for i in range(n):
        site = ctx.site(i)
        who = rng.choice(site.people("front_desk") + site.people("patrol"))
        name, code, field, reason = rng.choice(REJECTED)
        stream = {"key": "keys", "vis": "desk", "sca": "patrol", "car": "cards"}.get(
            name[:3], "visits")
        at = ctx.moment(i, n)
        resolved = _resolved(ctx, at)
        rows.append((ctx.uuid7(at), who.client, 1000 + i, name, code, reason,
                     {field: "" if field != "photos" else [SIGNATURE]}, who.id,
                     f"{site.id}:{stream}", "resolved" if resolved else "open",
                     "已通知同事" if resolved else "", iso(at), field))
    await writer.rows("sync_rejection", [c.column for c in REJECTION_COLUMNS],
                      converted(ctx.d, REJECTION_COLUMNS, rows))
