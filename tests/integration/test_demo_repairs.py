"""The demo estate's repairs, as the office, the phones and the rules see them: three months
of requests at both sites (fewer at the second), visits with their outcomes, the follow-ups
the sampling rule picks (and no others), ``tech``'s jobs today, the entry chains with exactly
one broken, and every record valid by its declaration — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.repairs.tables import FollowUp, RepairPolicy, RepairRequest, RepairVisit
from sync.domains.repairs.common import FOLLOW_UP_DAYS, charges_total, request_number
from sync.domains.repairs.records import OPEN_STATES
from sync.domains.repairs.sampling import sampled


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


async def _admin() -> Any:
    from server.accounts.schemas import CurrentUser
    from server.accounts.tables import Staff
    from server.estate.tables import Site

    admin = await Staff.select().where(Staff.username == "admin").first()
    assert admin is not None
    sites = tuple(str(s["id"]) for s in await Site.select(Site.id))
    return CurrentUser(id=str(admin["id"]), username="admin", display_name="", role="admin",
                       site_ids=sites)


async def test_the_demo_estate_has_three_months_of_repairs(client: Any, settings: Any) -> None:
    from server.accounts.tables import Staff
    from server.demo.loader import load_demo
    from server.estate.tables import Site
    from server.lib.timezone import estate_zone
    from server.repairs import chain
    from server.sync.tables import AuditEntry, Blob, BlobRef
    from sync.domains import default_registry
    from tests.integration.sync_support import phone, pull_all

    counts = await load_demo()
    assert counts["repair_requests"] == await RepairRequest.count()
    sites = {str(s["id"]): s["code"] for s in await Site.select(Site.id, Site.code)}
    requests = await RepairRequest.select()
    per_site = Counter(sites[str(r["site"])] for r in requests)
    assert 300 <= per_site["HYG"] <= 600 and 100 <= per_site["JHT"] < per_site["HYG"]
    now = datetime.now(UTC)
    assert min(_moment(r["reported_at"]) for r in requests) < now - timedelta(days=85)
    states = Counter(r["state"] for r in requests)
    assert states["done"] + states["followed_up"] > 0.75 * len(requests)
    assert states["cannot_complete"] > 5 and states["closed"] > 0
    assert {"new", "assigned", "in_progress"} <= set(states)
    assert 5 < sum(states[s] for s in OPEN_STATES) < 60
    assert {r["category"] for r in requests} >= {"water", "electricity", "doors_locks", "lift",
                                                 "common_area"}
    assert {r["source"] for r in requests} == {"desk", "patrol", "technician", "office"}
    assert Counter(r["urgency"] for r in requests)["emergency"] > 10
    hk = ZoneInfo("Asia/Hong_Kong")  # the estate's day, not UTC's
    assert all(r["number"] == request_number(str(r["id"]), _moment(r["reported_at"]).isoformat(),
                                             hk) for r in requests)
    assert len({r["number"] for r in requests}) == len(requests)
    # deadlines missed: finished after complete_by, and open ones overdue
    late = [r for r in requests if r["finished_at"] is not None
            and _moment(r["finished_at"]) > _moment(r["complete_by"])]
    overdue = [r for r in requests if r["state"] in OPEN_STATES
               and _moment(r["complete_by"]) < now]
    assert len(late) > 10 and overdue
    assert any(r["anomaly_visit"] and _json(r["photos"]) for r in requests)
    assert any(r["parent"] for r in requests)

    visits = await RepairVisit.select()
    outcomes = Counter(v["outcome"] for v in visits)
    assert {"done", "no_one_home", "follow_up", "cannot_complete"} <= set(outcomes)
    by_request: dict[str, list[dict[str, Any]]] = {}
    for v in visits:
        by_request.setdefault(str(v["request"]), []).append(v)
    assert any(len(vs) > 1 and vs[0]["outcome"] == "no_one_home"
               for vs in (sorted(x, key=lambda v: _moment(v["arrived_at"]))
                          for x in by_request.values()))
    closed = [v for v in visits if v["closed_at"] is not None]
    scores = Counter(v["satisfaction"] for v in closed if v["satisfaction"] is not None)
    assert scores[4] + scores[5] > 0.6 * sum(scores.values()) and scores[1] + scores[2] > 0
    assert any(v["refused_reason"] and v["satisfaction"] for v in closed)
    charged = [v for v in closed if _json(v["charges"])]
    assert len(charged) > 30
    assert all(v["total"] == charges_total(_json(v["charges"])) for v in closed)
    photos = [v for v in closed if _json(v["before_photos"])]
    assert photos and all(v["notice_photo"] for v in closed if v["outcome"] == "no_one_home")
    assert all(v["signature_blob"] or v["refused_reason"] for v in closed
               if v["outcome"] in ("done", "follow_up", "cannot_complete"))
    refs = {(r["record_id"], r["sha256"]) for r in await BlobRef.select(
        BlobRef.record_id, BlobRef.sha256).where(BlobRef.record_type == "repair_visit")}
    assert all((v["id"], sha) in refs for v in photos for sha in _json(v["before_photos"]))
    blobs = {b["sha256"] for b in await Blob.select(Blob.sha256)}
    assert {v["signature_blob"] for v in closed if v["signature_blob"]} <= blobs
    assert await AuditEntry.count().where(AuditEntry.action == "repair.close_visit") > len(closed)

    await _follow_ups_follow_the_sampling_rule(requests, by_request)
    exceptions = await chain.exceptions(await _admin())
    assert [e["kind"] for e in exceptions] == ["key_still_out"]
    keyed = [r for r in requests if r["key_loan"]]
    assert len(keyed) >= 4 and all(by_request.get(str(r["id"])) for r in keyed)

    # every record of the demo is valid by its declaration, as the office's phone receives it
    registry = default_registry()
    admin = await Staff.select(Staff.id).where(Staff.username == "admin").first()
    assert admin is not None
    p = await phone(settings, str(admin["id"]))
    await pull_all(client, p)
    kinds = ("repair_policy", "repair_technician", "repair_request", "repair_visit",
             "follow_up", "key_loan")
    got = Counter(t for t, _i in p.replica if t in kinds)
    assert got["repair_request"] == len(requests) and got["repair_visit"] == len(visits)
    assert got["repair_policy"] == 2 and got["repair_technician"] == 5 and got["key_loan"] >= 5
    for (kind, record_id), data in p.replica.items():
        if kind not in kinds:
            continue
        t = registry.records[kind]
        names = [f.name for f in t.fields]
        stored, problems = t.check_values(data, names)
        assert not problems, (kind, record_id, problems)
        assert stored == {n: data.get(n) for n in names}, (kind, record_id)

    # tech's jobs today, on tech's phone: appointments today, an emergency, four units
    tech = await Staff.select(Staff.id).where(Staff.username == "tech").first()
    assert tech is not None
    tp = await phone(settings, str(tech["id"]))
    await pull_all(client, tp)
    zone = estate_zone()
    today = now.astimezone(zone).date()
    jobs = [d for (t, _i), d in tp.replica.items() if t == "repair_request"
            and d["assignee_id"] == str(tech["id"]) and d["state"] in OPEN_STATES
            and d["appointment_at"]
            and _moment(d["appointment_at"]).astimezone(zone).date() == today]
    assert 3 <= len(jobs) <= 5
    assert [j["urgency"] for j in jobs].count("emergency") == 1
    assert len({j["unit_id"] for j in jobs}) == len(jobs)
    assert all(j["contact_name"] and j["contact_phone"] for j in jobs)
    mine = [d for (t, _i), d in tp.replica.items() if t == "repair_request"]
    assert len(mine) < per_site["HYG"]  # only the units of tech's jobs, and public areas
    assert Counter(t for t, _i in tp.replica)["repair_technician"] == 3


async def _follow_ups_follow_the_sampling_rule(
        requests: list[dict[str, Any]], by_request: dict[str, list[dict[str, Any]]]) -> None:
    policies = {str(p["site"]): p for p in await RepairPolicy.select()}
    assert {p["sample_percent"] for p in policies.values()} == {30}
    follow_ups: dict[str, list[dict[str, Any]]] = {}
    for f in await FollowUp.select():
        follow_ups.setdefault(str(f["request"]), []).append(f)
    reasons: Counter[str] = Counter()
    drawn = picked = 0
    for r in requests:
        policy = policies[str(r["site"])]
        closings = sorted((v for v in by_request.get(str(r["id"]), [])
                           if v["outcome"] in ("done", "follow_up")),
                          key=lambda v: _moment(v["closed_at"]))
        mine = follow_ups.get(str(r["id"]), [])
        if not closings or r["state"] == "closed":  # the office closed it: nothing to call
            assert not mine, r["number"]
            continue
        first = closings[0]
        is_sampled = sampled(policy["sample_seed"], str(r["id"]), policy["sample_percent"])
        want = ("complaint" if r["complaint"] else "unsatisfied"
                if first["satisfaction"] in (1, 2) else "sampled" if is_sampled else "")
        if want == "sampled" or not want:
            drawn += 1
            picked += bool(want)
        if not want:
            assert not mine, r["number"]
            continue
        assert [(f["reason"], f["visit"]) for f in mine] == [(want, first["id"])], r["number"]
        assert _moment(mine[0]["due_at"]) == _moment(first["left_at"]) + timedelta(
            days=FOLLOW_UP_DAYS)
        reasons[want] += 1
        if mine[0]["done_at"] is not None:
            assert mine[0]["reached"] and mine[0]["rating"] in ("A", "B", "C")
    assert set(reasons) == {"complaint", "unsatisfied", "sampled"}
    assert 0.2 < picked / drawn < 0.4
    done = [f for fs in follow_ups.values() for f in fs]
    ratings = Counter(f["rating"] for f in done)
    assert ratings["A"] + ratings["B"] > 4 * ratings["C"] > 0
    assert any(f["done_at"] is None and _moment(f["due_at"]) > datetime.now(UTC) for f in done)
    reopened = [r for r in requests if any(f["rating"] == "C" for f in follow_ups.get(
        str(r["id"]), []))]
    assert all(r["state"] not in ("followed_up",) for r in reopened)


async def test_the_repairs_demo_is_the_same_for_the_same_seed(db: Any) -> None:
    from server.demo import repairs
    from server.demo.loader import load_demo
    from server.estate.tables import Building, Resident, Site, Unit

    await load_demo()
    sites = await Site.objects().order_by(Site.code)
    estate = await repairs.read_estate(sites, await Building.objects(), await Unit.objects(),
                                       await Resident.objects())
    now = datetime(2026, 6, 15, 3, 30, tzinfo=UTC)

    def rows(seed: int) -> tuple[list[Any], ...]:
        h = repairs.build(seed, now, estate).flow
        return h.requests, h.visits, h.follow_ups, h.loans, h.audit

    first, again = rows(2026), rows(2026)
    assert first == again
    assert len(first[0]) > 400
    other = rows(7)
    assert [r["id"] for r in other[0]] != [r["id"] for r in first[0]]
