"""What simulated guards do in the convergence scenario (:mod:`sync.testing`) and the parity
cases (``tests/parity``), the records they start from, and how the end check knows each
patrol event a phone recorded was kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sync import streams
from sync.domains.patrol.records import (
    CHECKLIST,
    CHECKPOINT,
    INCIDENT,
    RETIRED_TAG,
    ROUND,
    ROUTE,
    SCAN,
    STREAM,
)
from sync.storage import Record

KINDS = ("patrol_scan", "patrol_scan", "patrol_scan", "patrol_finish", "patrol_skip",
         "patrol_incident")
_NS = uuid.UUID("a3c6a1f0-9d59-4f55-8c2c-3b8e0f6c2d11")


def scenario_id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


def scenario_token(name: str) -> str:
    return ("T" + uuid.uuid5(_NS, "token:" + name).hex)[:24]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _set(site: str, start: datetime) -> list[tuple[str, str, dict[str, Any], bool]]:
    """One site's patrol set-up: three checkpoints on a route, a retired tag, a checklist,
    two planned rounds around ``start``: (type, id, data, deleted)."""
    cps = [scenario_id(f"{site}:cp{i}") for i in range(3)]
    route = scenario_id(f"{site}:route")
    out: list[tuple[str, str, dict[str, Any], bool]] = [
        (CHECKLIST, scenario_id(f"{site}:list"), {
            "site_id": site, "name": "消防", "for_kind": "hose_reel", "frequency": "",
            "items": [{"id": "pressure", "label": "壓力", "type": "number", "min": 2, "max": 8},
                      {"id": "leak", "label": "漏水", "type": "yesno"}]}, False),
        *((CHECKPOINT, cp, {
            "site_id": site, "code": f"P{site[:2].upper()}-{i}", "name": f"點 {i}",
            "building_id": None, "floor": "", "place": "", "kind": "hose_reel",
            "token": scenario_token(f"{site}:{i}"), "checklist_id": None}, False)
          for i, cp in enumerate(cps)),
        (CHECKPOINT, scenario_id(f"{site}:old"), {
            "site_id": site, "code": f"P{site[:2].upper()}-9", "name": "舊點", "building_id": None,
            "floor": "", "place": "", "kind": "other", "token": scenario_token(f"{site}:old"),
            "checklist_id": None}, True),
        (RETIRED_TAG, scenario_id(f"{site}:retired"), {
            "site_id": site, "checkpoint_id": cps[0], "token": scenario_token(f"{site}:replaced"),
            "retired_at": _iso(start - timedelta(days=3))}, False),
        (ROUTE, route, {"site_id": site, "name": "夜巡", "checkpoint_ids": cps, "ordered": False,
                        "expected_minutes": 40}, False),
    ]
    for n in range(2):
        slot = start + timedelta(hours=2 * n - 1)
        out.append((ROUND, scenario_id(f"{site}:round{n}"), {
            "site_id": site, "route_id": route, "schedule_id": None, "slot_at": _iso(slot),
            "start_by": _iso(slot + timedelta(minutes=30)),
            "due_by": _iso(slot + timedelta(minutes=60)), "guard_ids": [], "status": "planned",
            "started_at": None, "started_by": None, "finished_at": None, "finished_by": None,
            "late": False, "missed_at": None, "unscheduled": False}, False))
    return out


def setup_records(sites: list[str], start: datetime) -> list[Record]:
    """What the office has set up before the phones start (the convergence scenario)."""
    return [Record(t, i, streams.space(site, STREAM), 1, data, deleted=deleted)
            for site in sites for t, i, data, deleted in _set(site, start)]


def parity_records(seed: Any) -> list[dict[str, Any]]:
    """The patrol set-up every parity case starts from (tests/parity/cases.py), with one
    round already finished."""
    out = [seed.rec(t, i, site, data, deleted=deleted)
           for site in seed.sites for t, i, data, deleted in _set(site, seed.t0)]
    s1 = seed.sites[0]
    done = scenario_id(f"{s1}:round0")
    for r in out:
        if r["type"] == ROUND and r["id"] == done:
            guard = seed.actors[3].staff_id
            r["data"] = {**r["data"], "status": "done", "started_at": r["data"]["slot_at"],
                         "started_by": guard, "finished_at": r["data"]["start_by"],
                         "finished_by": guard}
    return out


# --- the convergence scenario ---------------------------------------------------------------

def act(ph: Any, kind: str, a: int, b: int) -> None:
    """One step of a phone (``ph``: :class:`sync.testing.ScenarioPhone`)."""
    rounds = ph.records(ROUND)
    checkpoints = ph.records(CHECKPOINT)
    if not rounds or not checkpoints:
        return  # a phone without patrol (a desk) has nothing to do here
    rnd = rounds[a % len(rounds)]
    cp = checkpoints[b % len(checkpoints)]
    at = ph.now().isoformat()
    if kind == "patrol_scan":
        method, token = "qr", cp.data["token"]
        if b % 5 == 0:
            method, token = "typed", cp.data["code"].lower()
        elif b % 11 == 0:
            token = "Tnot-a-known-token-123"  # noqa: S105 (a tag nobody printed)
        ph.mutate("scan.record", {"scan_id": ph.new_id(), "round_id": rnd.id, "method": method,
                                  "token": token, "scanned_at": at,
                                  "answers": {"pressure": b % 10}, "abnormal": b % 10 > 8})
    elif kind == "patrol_finish":
        ph.mutate("round.finish", {"round_id": rnd.id, "at": at})
    elif kind == "patrol_skip":
        ph.mutate("scan.skip", {"scan_id": ph.new_id(), "round_id": rnd.id,
                                "checkpoint_id": cp.id, "at": at,
                                "reason": "" if b % 6 == 0 else "門鎖上"})
    elif kind == "patrol_incident":
        ph.mutate("incident.report", {"incident_id": ph.new_id(), "checkpoint_id": cp.id,
                                      "round_id": rnd.id, "description": f"漏水 {b}",
                                      "at": at})


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def kept(name: str, a: dict[str, Any], where: str, records: dict[tuple[str, str], Record],
         state: Any, cid: str, mutation_id: int) -> list[str] | None:
    """Problems if a patrol event a phone recorded (and the server did not reject) is not
    stored; None for mutations of other domains."""
    if name in ("scan.record", "scan.skip"):
        scan = records.get((SCAN, a["scan_id"]))
        if scan is None:
            return [f"{where}: visit missing"]
        at = a.get("scanned_at", a.get("at"))
        return [] if _instant(scan.data["scanned_at"]) == _instant(at) else [
            f"{where}: visit differs"]
    if name == "round.finish":
        rnd = records.get((ROUND, a["round_id"]))
        if rnd is None:
            return [f"{where}: round missing"]
        if _instant(rnd.data.get("finished_at")) == _instant(a["at"]):
            return []
        second = [c for c in state.conflicts if c.kind == "double_finish"
                  and _instant(c.details["second"]["finished_at"]) == _instant(a["at"])]
        return [] if second else [f"{where}: finish lost"]
    if name == "incident.report":
        return [] if (INCIDENT, a["incident_id"]) in records else [f"{where}: incident missing"]
    return None
