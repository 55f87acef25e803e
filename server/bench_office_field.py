"""``caretaker bench-office``'s field records of the keys, patrol and front-desk domains, a
year of each spread over the sites, as the phones push them — with the exceptions a year
leaves: loans never returned (overdue), voided loans, missed and incomplete rounds, late
rounds, skipped and abnormal checkpoint visits awaiting a supervisor, open incidents,
visitors still inside, passes presented twice or not matching, gate checks of forged passes,
handovers waiting to be received."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

from server.bench_office_data import SIGNATURE, Ctx, Item, SiteData, iso
from server.demo.desk_texts import GOODS, PURPOSES
from server.demo.patrol_history import SKIP_REASONS

CHUNK = 5_000
DAY = timedelta(days=1)
BORROWER_KINDS = ("contractor", "contractor", "staff", "resident", "agent")
LOAN_PURPOSES = ("冷氣維修", "單位檢查", "清潔", "抄錶", "睇樓", "裝修", "更換水錶")
INCIDENTS = ("消防喉轆漏水", "走火通道堆放雜物", "天台門未有上鎖", "停車場光管不亮",
             "垃圾房有異味", "升降機大堂地面濕滑")


def _chunks(items: Iterator[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


# --- keys ---------------------------------------------------------------------------------------

def _loans(ctx: Ctx) -> Iterator[Item]:
    n, rng = ctx.plan.count("key_loan"), ctx.rng
    for i in range(n):
        site = ctx.site(i)
        lent = ctx.daytime(ctx.moment(i, n))
        desk = rng.choice(site.people("front_desk"))
        key_id, _code = rng.choice(site.keys)
        due = lent + timedelta(hours=rng.choice((2, 4, 8, 8, 24)))
        r = rng.random()
        back = lent + (due - lent) * rng.uniform(0.2, 1.4)
        # older than two days: returned but a few never (overdue); newer: half still out
        returned = (None if r < 0.006 else back) if ctx.now - lent > 2 * DAY else (
            back if r < 0.5 and back < ctx.now else None)
        voided = r > 0.997
        who = desk if returned is None else rng.choice(site.people("front_desk"))
        rec = ctx.record("key_loan", site, at=lent, data={
            "site_id": site.id, "key_id": key_id, "borrower_name": ctx.name(),
            "borrower_phone": ctx.phone(), "borrower_kind": rng.choice(BORROWER_KINDS),
            "id_type": "hkid", "id_last4": f"{rng.randrange(1000):03d}A",
            "purpose": rng.choice(LOAN_PURPOSES), "approver": "李主任", "owner_consent": "",
            "deposit": rng.choice(("", "HK$100", "HK$500")), "lent_at": iso(lent),
            "due_at": iso(due), "signature_blob": SIGNATURE, "lent_by": desk.id,
            "lent_device": desk.device, "lent_hlc": ctx.hlc(lent, desk),
            "returned_at": iso(returned), "returned_by": ctx.name() if returned else "",
            "return_notes": "", "return_photos": [],
            "return_recorded_by": who.id if returned else None,
            "return_hlc": ctx.hlc(returned, who) if returned else "", "voided": voided,
            "void_reason": "輸入錯誤" if voided else "", "voided_by": desk.id if voided else None})
        ctx.keep(rec)
        yield Item(rec, lent + timedelta(seconds=rng.randrange(2, 90)), desk)


def key_loans(ctx: Ctx) -> Iterator[list[Item]]:
    yield from _chunks(_loans(ctx))


# --- patrol -------------------------------------------------------------------------------------

def _status(ctx: Ctx, slot: float, start_by: float, due: float) -> str:
    now, r = ctx.now.timestamp(), ctx.rng.random()
    if slot > now or (start_by > now and r < 0.5):
        return "planned"
    if due > now:
        return "in_progress"
    if start_by > now - 3600 and r < 0.3:
        return "planned"  # past its start window: the planner marks it missed shortly
    return "missed" if r < 0.06 else "incomplete" if r < 0.10 else "done"


def _scans(ctx: Ctx, site: SiteData, rnd: str, stops: list[str], status: str,
           started: float, guard: int) -> Iterator[Item]:
    rng, now = ctx.rng, ctx.now.timestamp()
    who = site.people("patrol")[guard]
    done = len(stops) if status == "done" else len(stops) // 2
    checkpoints = {c[0]: c for c in site.checkpoints}
    for k, cid in enumerate(stops[:done] if status != "in_progress" else stops):
        at = started + (k + 1) * 480
        if at > now:
            return
        moment = ctx.start.fromtimestamp(at, ctx.now.tzinfo)
        recent = now - at < 3 * 86400
        r = rng.random()
        skipped, abnormal = r < 0.03, 0.03 <= r < 0.05
        review = "" if not (skipped or abnormal) else "pending" if recent else "confirmed"
        rec = ctx.record("scan", site, at=moment, data={
            "site_id": site.id, "round_id": rnd, "checkpoint_id": cid,
            "method": "skip" if skipped else "typed" if r > 0.94 else "qr",
            "token": "" if skipped else checkpoints[cid][2] if r <= 0.94 else checkpoints[cid][1],
            "scanned_at": iso(moment),
            "answers": {} if skipped else {"ok": not abnormal, "clean": True},
            "abnormal": abnormal, "note": "地台有積水" if abnormal else "",
            "severity": rng.choice(("low", "medium", "high")) if abnormal else "none",
            "photos": [], "skip_reason": rng.choice(SKIP_REASONS) if skipped else "",
            "review": review, "review_note": "", "reviewed_by": None,
            "scanned_by": who.id, "scanned_device": who.device,
            "flags": ["late"] if r > 0.99 else []})
        yield Item(rec, moment + timedelta(seconds=rng.randrange(1, 30)), who)


def rounds(ctx: Ctx) -> Iterator[list[Item]]:
    """Every route's rounds over the year (the rest of today still planned), each with the
    visits its guard made."""
    rng = ctx.rng
    per_route = max(1, ctx.plan.count("patrol_round") // sum(len(s.routes) for s in ctx.sites))
    span = (ctx.now + timedelta(hours=12) - ctx.start).total_seconds()
    batch: list[Item] = []
    visits: list[Item] = []
    for site in ctx.sites:
        guards = site.people("patrol")
        for route, stops, schedule in site.routes:
            for k in range(per_route):
                slot = ctx.start.timestamp() + span * k / per_route
                start_by, due = slot + 1800, slot + 4200
                status = _status(ctx, slot, start_by, due)
                started = slot + rng.randrange(60, 1500)
                g = rng.randrange(len(guards))
                at = ctx.start.fromtimestamp(slot, ctx.now.tzinfo)
                went = status in ("in_progress", "done", "incomplete")
                finished = started + 2400 if status in ("done", "incomplete") else None
                late = status == "done" and rng.random() < 0.06

                def t(s: float | None) -> str | None:
                    return iso(ctx.start.fromtimestamp(s, ctx.now.tzinfo)) if s else None

                rec = ctx.record("round", site, at=at - DAY, data={
                    "site_id": site.id, "route_id": route, "schedule_id": schedule,
                    "slot_at": t(slot), "start_by": t(start_by), "due_by": t(due),
                    "guard_ids": [guards[g].id], "status": status,
                    "started_at": t(started) if went else None,
                    "started_by": guards[g].id if went else None, "finished_at": t(finished),
                    "finished_by": guards[g].id if finished else None, "late": late,
                    "missed_at": t(start_by + 300) if status == "missed" else None,
                    "unscheduled": False})
                ctx.keep(rec)
                batch.append(Item(rec, at - DAY, None))
                if went:
                    visits += _scans(ctx, site, rec.id, stops, status, started, g)
                if len(visits) >= CHUNK:
                    yield batch
                    yield visits
                    batch, visits = [], []
    yield batch
    yield visits


def _incidents(ctx: Ctx) -> Iterator[Item]:
    n, rng = ctx.plan.count("patrol_incident"), ctx.rng
    for i in range(n):
        site = ctx.site(i)
        at = ctx.moment(i, n)
        who = rng.choice(site.people("patrol"))
        age = (ctx.now - at).days
        r = rng.random()
        status = ("open" if r < 0.5 else "acknowledged" if r < 0.75 else "closed") \
            if age < 14 else ("open" if r < 0.03 else "closed")
        rec = ctx.record("incident", site, at=at, data={
            "site_id": site.id, "checkpoint_id": rng.choice(site.checkpoints)[0],
            "round_id": None, "scan_id": None, "description": rng.choice(INCIDENTS),
            "severity": rng.choice(("low", "medium", "high")), "photos": [],
            "reported_at": iso(at), "reported_by": who.id, "status": status})
        yield Item(rec, at + timedelta(seconds=rng.randrange(1, 60)), who)


def incidents(ctx: Ctx) -> Iterator[list[Item]]:
    yield from _chunks(_incidents(ctx))


# --- the front desk -----------------------------------------------------------------------------

def _visitors(ctx: Ctx) -> Iterator[Item]:
    n, rng = ctx.plan.count("visitor"), ctx.rng
    weights = [p.weight for p in PURPOSES]
    for i in range(n):
        site = ctx.site(i)
        came = ctx.daytime(ctx.moment(i, n), 8, 22)
        purpose = rng.choices(PURPOSES, weights)[0]
        gone = came + timedelta(minutes=rng.randint(*purpose.minutes))
        # gone, but today's may still be inside, and a few were never signed out
        left = None if gone > ctx.now or rng.random() < 0.002 else gone
        u = rng.randrange(len(site.units))
        unit = site.units[u]
        residents = site.residents.get(unit) or [("", "")]
        by_phone = rng.random() < purpose.by_phone or not residents[0][0]
        desk = rng.choice(site.people("front_desk"))
        rec = ctx.record("visitor", site, at=came, data={
            "site_id": site.id, "unit_id": unit, "name": ctx.name() + rng.choice("先生小姐"[::2]),
            "id_type": "hkid", "id_last4": f"{rng.randrange(1000):03d}{rng.choice('0123456789A')}",
            "phone": ctx.phone(), "confirmed_by": "phone" if by_phone else "resident",
            "resident_id": None if by_phone else rng.choice(residents)[0],
            "called_number": ctx.phone() if by_phone else "", "purpose": purpose.text,
            "badge": f"V{rng.randrange(1, 200):03d}", "time_in": iso(came),
            "signed_in_by": desk.id, "time_out": iso(left),
            "signed_out_by": desk.id if left else None})
        ctx.keep(rec)
        yield Item(rec, came + timedelta(seconds=rng.randrange(1, 40)), desk)


def visitors(ctx: Ctx) -> Iterator[list[Item]]:
    yield from _chunks(_visitors(ctx))


def _code(ctx: Ctx) -> str:
    """A pass's QR text: ``CTP1.<payload>.<signature>`` (base64url)."""
    b64 = base64.urlsafe_b64encode
    return (f"CTP1.{b64(ctx.rng.randbytes(180)).decode().rstrip('=')}."
            f"{b64(ctx.rng.randbytes(64)).decode().rstrip('=')}")


def _check(ctx: Ctx, site: SiteData, pass_id: str, number: str, code: str, at: float,
           verdict: str, outcome: str) -> Item:
    moment = ctx.start.fromtimestamp(at, ctx.now.tzinfo)
    guard = ctx.rng.choice(site.people("patrol"))
    rec = ctx.record("pass_check", site, at=moment, data={
        "site_id": site.id, "pass_id": pass_id, "number": number, "code": code,
        "verdict": verdict, "outcome": outcome, "photos": [],
        "note": "" if outcome == "passed" else "貨物與放行條不符", "checked_at": iso(moment),
        "checked_by": guard.id, "device_id": guard.device})
    ctx.keep(rec)
    return Item(rec, moment + timedelta(seconds=ctx.rng.randrange(1, 600)), guard)


def passes(ctx: Ctx) -> Iterator[list[Item]]:
    """Goods-out passes, and the gate checks of each: most let out once, a few twice, some
    not matching or refused, a few not presented yet; and checks of forged passes."""
    n, rng = ctx.plan.count("goods_pass"), ctx.rng
    batch: list[Item] = []
    checks: list[Item] = []
    for i in range(n):
        site = ctx.site(i)
        issued = ctx.daytime(ctx.moment(i, n), 9, 20)
        desk = rng.choice(site.people("front_desk"))
        goods, count = rng.choice(GOODS)
        basis = rng.choice(("owner_present", "owner_present", "written", "phone"))
        number, code = f"GP-{site.code}-{i:06d}", _code(ctx)
        rec = ctx.record("goods_pass", site, at=issued, data={
            "site_id": site.id, "number": number, "unit_id": rng.choice(site.units),
            "items": list(goods), "item_count": count,
            "plate": f"{rng.choice('ABCDEFGH')}{rng.choice('KLMNPR')} {rng.randrange(1, 9999)}",
            "valid_until": iso(issued + timedelta(hours=12)), "basis": basis,
            "owner_name": ctx.name(), "authorisation_photo": SIGNATURE if basis == "written"
            else "", "phoned_number": ctx.phone() if basis == "phone" else "",
            "phoned_at": iso(issued) if basis == "phone" else None, "issued_at": iso(issued),
            "key_id": site.device_keys[desk.id], "code": code, "issued_by": desk.id,
            "device_id": desk.device})
        batch.append(Item(rec, issued + timedelta(seconds=rng.randrange(1, 60)), desk))
        at = issued.timestamp() + rng.randrange(600, 6 * 3600)
        r = rng.random()
        if at < ctx.now.timestamp() and r < 0.93:
            outcome = "mismatch" if r < 0.02 else "refused" if r < 0.03 else "passed"
            checks.append(_check(ctx, site, rec.id, number, code, at,
                                 "valid" if outcome != "refused" else "expired", outcome))
            if r > 0.92:  # presented again at another gate
                checks.append(_check(ctx, site, rec.id, number, code, at + 900, "used",
                                     "refused"))
        if r > 0.995:  # a forged pass at the gate: its id is no pass of ours
            checks.append(_check(ctx, site, ctx.uuid4(), "GP-X", _code(ctx), at, "forged",
                                 "refused"))
        if len(batch) >= CHUNK:
            yield batch
            yield checks
            batch, checks = [], []
    yield batch
    yield checks


def _handovers(ctx: Ctx) -> Iterator[Item]:
    rng = ctx.rng
    per_site = max(1, ctx.plan.count("handover") // len(ctx.sites))
    shift = (ctx.now - ctx.start) / per_site
    for site in ctx.sites:
        desks = site.people("front_desk")
        for k in range(per_site):
            end = ctx.start + shift * (k + 1)
            out, inc = desks[k % len(desks)], desks[(k + 1) % len(desks)]
            waiting = end > ctx.now - timedelta(hours=1) or rng.random() < 0.01
            key = rng.choice(site.keys)[1]
            rec = ctx.record("handover", site, at=end, data={
                "site_id": site.id, "shift_start": iso(end - shift), "shift_end": iso(end),
                "summary": {"keys_out": rng.randrange(0, 6),
                            "keys_overdue": [{"label": f"{key} {ctx.name()}"}]
                            if rng.random() < 0.08 else [],
                            "cards_in_stock": rng.randrange(80, 300), "blacklists_pending": 0,
                            "rounds_done": rng.randrange(3, 5), "rounds_missed": [],
                            "requests_open": [], "incidents_open": [],
                            "visitors_inside": []},
                "notes": rng.choice(("", "", "B座升降機維修中", "天台門鎖已報修")),
                "outgoing_id": out.id, "outgoing_name": out.name,
                "outgoing_signature": SIGNATURE, "drafted_at": iso(end),
                "incoming_id": None if waiting else inc.id,
                "incoming_name": "" if waiting else inc.name,
                "incoming_signature": "" if waiting else SIGNATURE,
                "received_at": None if waiting else iso(end + timedelta(minutes=5))})
            ctx.keep(rec)
            yield Item(rec, end + timedelta(minutes=6), out)


def handovers(ctx: Ctx) -> Iterator[list[Item]]:
    yield from _chunks(_handovers(ctx))
