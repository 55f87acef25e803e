"""The demo estate as a whole, as the office console meets it: eight weeks of history in
every domain ending now (keys, patrol, cards, repairs, front desk), nobody's key out twice,
open conflicts in every domain that has conflict kinds — made by two phones' offline pushes
— a few resolved with notes, rejections in several domains, every exception on the office
home non-zero, and exactly one phone of someone on shift quiet for more than four hours —
on SQLite and PostgreSQL. And ``caretaker demo`` loads it all in under 30 s on SQLite."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WEEKS = 8
STREAM_DOMAIN = {"keys": "keys", "patrol": "patrol", "cards": "cards", "visits": "repairs",
                 "desk": "desk"}
LOAD_LIMIT = 30.0


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _weeks(moments: list[datetime], now: datetime) -> set[int]:
    """Which of the last eight weeks (0 = the latest) have a moment."""
    return {int((now - m) / timedelta(weeks=1)) for m in moments if m <= now} & set(
        range(WEEKS))


async def test_the_demo_estate_has_eight_weeks_and_a_console_to_work(db: Any) -> None:
    from server.cards.tables import CardIssue
    from server.demo.loader import load_demo
    from server.desk.tables import GoodsPass, Handover, Visitor
    from server.keys.tables import KeyLoan, KeyTag
    from server.patrol.tables import PatrolRound
    from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
    from server.sync.tables import AuditEntry, Conflict, Rejection

    seconds: dict[str, float] = {}
    counts = await load_demo(report=None, seconds=seconds)
    assert {"estate", "patrol", "cards", "repairs", "keys", "desk", "console"} <= set(seconds)
    now = datetime.now(UTC)

    # every domain: a record in each of the last eight weeks (and none from the future)
    history = {
        "keys": [_moment(r["lent_at"]) for r in await KeyLoan.select(KeyLoan.lent_at)],
        "patrol": [_moment(r["started_at"]) for r in await PatrolRound.select(
            PatrolRound.started_at).where(PatrolRound.started_at.is_not_null())],
        "cards": [_moment(r["issued_at"]) for r in await CardIssue.select(CardIssue.issued_at)],
        "repairs": [_moment(r["reported_at"]) for r in await RepairRequest.select(
            RepairRequest.reported_at)],
        "desk visitors": [_moment(r["time_in"]) for r in await Visitor.select(Visitor.time_in)],
        "desk passes": [_moment(r["issued_at"]) for r in await GoodsPass.select(
            GoodsPass.issued_at)],
        "desk handovers": [_moment(r["shift_end"]) for r in await Handover.select(
            Handover.shift_end)],
    }
    for domain, moments in history.items():
        assert _weeks(moments, now) == set(range(WEEKS)), domain
        assert max(moments) <= now + timedelta(seconds=5), domain
    assert min(history["cards"]) < now - timedelta(days=700)  # its two years
    assert min(history["repairs"]) < now - timedelta(days=85)  # its three months

    await _keys_are_never_out_twice(now)
    assert counts["key_loans"] > 200
    loans = await KeyLoan.select(KeyLoan.due_at, KeyLoan.returned_at, KeyLoan.voided)
    late = [r for r in loans if r["returned_at"] is not None
            and _moment(r["returned_at"]) > _moment(r["due_at"])]
    overdue = [r for r in loans if r["returned_at"] is None and not r["voided"]
               and _moment(r["due_at"]) < now]
    assert len(late) > 10 and 3 <= len(overdue) <= 12
    first = {r["id"] for r in await KeyTag.select(KeyTag.id).where(KeyTag.code <= "HYG-K030")}
    lent = {r["key"] for r in await KeyLoan.select(KeyLoan.key)}
    assert not first & lent  # the browser tests' keys

    # conflicts: open ones in every domain that has kinds, made on phones; a few resolved
    conflicts = await Conflict.select()
    by_domain = defaultdict(set)
    for c in conflicts:
        by_domain[STREAM_DOMAIN[c["space"].partition(":")[2]]].add(c["status"])
    assert all("open" in by_domain[d] for d in ("keys", "patrol", "cards", "repairs", "desk"))
    kinds = Counter((c["kind"], c["status"]) for c in conflicts)
    assert {("double_loan", "open"), ("double_finish", "open"), ("quota_exceeded", "open"),
            ("closed_while_working", "open"), ("pass_used_twice", "open")} <= set(kinds)
    resolved = [c for c in conflicts if c["status"] == "resolved"]
    assert len(resolved) >= 3 and all(c["resolution_note"] and c["resolved_by"]
                                      and _moment(c["resolved_at"]) <= now for c in resolved)
    pushed = [c for c in conflicts if c["kind"] != "unregistered_card"]
    for c in pushed:  # each from a phone's push: its records' audit names the device
        ids = [str(i) for i in _json(c["record_ids"])]
        assert await AuditEntry.count().where(
            AuditEntry.record_id.is_in(ids) & AuditEntry.device.is_not_null()) > 0, c["kind"]

    # rejections: pushes the rules refused, in three domains or more, one closed with a note
    rejections = await Rejection.select()
    domains = {STREAM_DOMAIN[r["space"].partition(":")[2]] for r in rejections}
    assert len(domains) >= 3, rejections
    assert {r["code"] for r in rejections} >= {"key_retired", "unknown_tag", "issue_ended",
                                               "request_closed"}
    assert any(r["status"] == "resolved" and r["resolution_note"] for r in rejections)
    assert any(r["status"] == "open" for r in rejections)

    # repairs: past their deadline, visits without a signature, follow-ups rated C
    visits = await RepairVisit.select(RepairVisit.signature_blob, RepairVisit.refused_reason,
                                      RepairVisit.closed_at)
    assert any(v["closed_at"] and not v["signature_blob"] and v["refused_reason"]
               for v in visits)
    assert await FollowUp.count().where(FollowUp.rating == "C") > 0

    await _the_office_home_has_something_in_every_exception(now)
    await _one_quiet_phone(now)


async def _keys_are_never_out_twice(now: datetime) -> None:
    """A key's loans never overlap — but for the loans a double_loan conflict names."""
    from server.keys.tables import KeyLoan
    from server.sync.tables import Conflict

    doubled = {str(i) for c in await Conflict.select(Conflict.record_ids).where(
        Conflict.kind == "double_loan") for i in _json(c["record_ids"])}
    spans = defaultdict(list)
    for r in await KeyLoan.select(KeyLoan.id, KeyLoan.key, KeyLoan.lent_at, KeyLoan.returned_at,
                                  KeyLoan.voided):
        if str(r["id"]) not in doubled and not r["voided"]:
            end = _moment(r["returned_at"]) if r["returned_at"] is not None else now
            spans[str(r["key"])].append((_moment(r["lent_at"]), end))
    for key, found in spans.items():
        found.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(found)), key


async def _the_office_home_has_something_in_every_exception(now: datetime) -> None:
    from server.accounts.schemas import CurrentUser
    from server.accounts.tables import Staff
    from server.estate.tables import Site
    from server.lib.timezone import estate_zone
    from server.office.exceptions import Ask, totals
    from server.office.kinds import kinds
    from server.patrol.tables import PatrolRound

    sites = [str(s["id"]) for s in await Site.select(Site.id).order_by(Site.code)]
    zone = estate_zone()
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    passed = await PatrolRound.count().where(
        (PatrolRound.site == sites[0]) & (PatrolRound.slot_at >= midnight)
        & (PatrolRound.start_by < now - timedelta(minutes=6)))
    wanted = {"keys.overdue", "patrol.skips", "repairs.overdue", "repairs.unsigned",
              "repairs.unsatisfied", "cards.door_pending", "cards.quota", "review.conflicts",
              "review.rejections", "phones.stale"} | ({"patrol.missed"} if passed else set())
    for username, role, theirs in (("admin", "admin", sites), ("office", "supervisor",
                                                                sites[:1])):
        staff = await Staff.select(Staff.id).where(Staff.username == username).first()
        assert staff is not None
        user = CurrentUser(id=str(staff["id"]), username=username, display_name="",
                           role=role, site_ids=tuple(theirs))
        counted = {c["key"]: c for c in await totals(kinds(), Ask(user, now, 4))}
        assert wanted <= set(counted), wanted - set(counted)
        empty = [k for k in sorted(wanted) if not counted[k]["count"]]
        assert not empty, (username, empty)
        assert counted["phones.stale"]["sites"] == {sites[0]: 1}  # one phone, of 海悅花園


async def _one_quiet_phone(now: datetime) -> None:
    """The guard on duty's phone has not synced for five hours; they have a round now; every
    other phone synced within four."""
    from server.accounts.tables import Device, Staff
    from server.demo import roster
    from server.lib.timezone import estate_zone
    from server.patrol.tables import PatrolRound

    quiet, since = roster.quiet_phone(now, estate_zone())
    names = {str(s["id"]): s["username"] for s in await Staff.select(Staff.id, Staff.username)}
    devices = {names[str(d["staff"])]: _moment(d["last_seen_at"]) for d in await Device.select(
        Device.staff, Device.last_seen_at)}
    assert len(devices) >= 12
    assert devices[quiet] <= since + timedelta(minutes=2) < now - timedelta(hours=4)
    others = [at for user, at in devices.items() if user != quiet]
    assert all(now - timedelta(hours=4) < at <= now for at in others)
    assert max(others) - min(others) > timedelta(hours=1)  # various
    assert len({at.replace(second=0) for at in others}) >= len(others) // 2
    rounds = await PatrolRound.select(PatrolRound.guard_ids).where(
        (PatrolRound.slot_at <= now) & (PatrolRound.due_by >= now))
    quiet_id = next(i for i, u in names.items() if u == quiet)
    assert any(quiet_id in (_json(r["guard_ids"]) or []) for r in rounds)


def test_caretaker_demo_loads_in_under_30_seconds_on_sqlite(tmp_path: Path) -> None:
    """The whole command on a fresh SQLite file: migrations, the estate and each domain's
    history (the figure is printed; run with -s to see it)."""
    url = f"sqlite:///{tmp_path / 'caretaker.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "CARETAKER_SECRET_KEY": "demo-" + "x" * 40,
           "CARETAKER_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "server.cli", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if "demo estate loaded in" in x)
    parts = dict((p, float(s)) for p, s in re.findall(r"(\w+) (\d+\.\d) s", line.split("(")[1]))
    print(f"\ncaretaker demo on SQLite: {took:.1f} s in all; {line}")
    assert set(parts) == {"estate", "patrol", "cards", "repairs", "desk", "keys", "console"}
    assert took < LOAD_LIMIT
