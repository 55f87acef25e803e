"""The repair figures the database adds up (server/repairs/figures_sql.py) are the figures a
plain Python count over the same rows gives: seeded requests, visits and follow-ups on the
edges of the estate's local months (a microsecond before a month begins, the moment it
begins, the first moment after the last month, before the first), in Hong Kong (a month
begins at 16:00 UTC the day before) and New York (the offset changes with daylight saving),
with rows the figures must leave out (another site's, no score, not rated, not done) and rows
that count in the total but in no month or no category; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.lib import timezone
from server.lib.queries import staff_names
from server.repairs import figures
from server.repairs.board import technicians
from server.repairs.tables import FollowUp, RepairRequest, RepairVisit
from sync.domains.repairs.records import CATEGORIES, OPEN_STATES

US = timedelta(microseconds=1)


@pytest.fixture(params=["Asia/Hong_Kong", "America/New_York"])
def zone(request: pytest.FixtureRequest) -> Iterator[ZoneInfo]:
    timezone.configure(request.param)
    try:
        yield timezone.estate_zone()
    finally:
        timezone.configure(timezone.DEFAULT_TIMEZONE)


def local_first(zone: ZoneInfo, year: int, month: int) -> datetime:
    """Where a local month begins, in UTC (months past December roll over)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


class Seed:
    """Rows written straight to the tables, and kept here for the plain count."""

    def __init__(self, site: str, other: str) -> None:
        self.site, self.other = site, other
        self.requests: list[dict[str, Any]] = []
        self.visits: list[dict[str, Any]] = []
        self.follow_ups: list[dict[str, Any]] = []

    def request(self, *, site: str = "", category: str = "water", state: str = "done",
                assignee: str | None = None, respond_by: datetime | None = None,
                complete_by: datetime | None = None, started_at: datetime | None = None,
                finished_at: datetime | None = None) -> str:
        rid = str(uuid.uuid4())
        far = datetime(2030, 1, 1, tzinfo=UTC)
        self.requests.append({
            "id": rid, "site": site or self.site, "category": category, "state": state,
            "assignee": assignee, "respond_by": respond_by or far,
            "complete_by": complete_by or far, "started_at": started_at,
            "finished_at": finished_at})
        return rid

    def visit(self, request: str, closed_at: datetime | None, satisfaction: int | None, *,
              site: str = "", technician: str | None = None,
              arrived_at: datetime | None = None) -> None:
        self.visits.append({
            "site": site or self.site, "request": request, "closed_at": closed_at,
            "satisfaction": satisfaction, "technician": technician or str(uuid.uuid4()),
            "arrived_at": arrived_at or closed_at or datetime(2024, 1, 1, tzinfo=UTC)})

    def follow_up(self, request: str, done_at: datetime | None, rating: str, *,
                  site: str = "") -> None:
        self.follow_ups.append({"site": site or self.site, "request": request,
                                "done_at": done_at, "rating": rating})

    async def write(self) -> None:
        await RepairRequest.insert(*[RepairRequest(
            id=r["id"], site=r["site"], number=f"R{n:06d}", category=r["category"],
            state=r["state"], assignee=r["assignee"], reported_at=datetime(
                2024, 1, 1, tzinfo=UTC), reported_by=uuid.uuid4(), respond_by=r["respond_by"],
            complete_by=r["complete_by"], started_at=r["started_at"],
            finished_at=r["finished_at"], space="test") for n, r in enumerate(self.requests)])
        if self.visits:
            await RepairVisit.insert(*[RepairVisit(
                site=v["site"], request=v["request"], technician=v["technician"],
                arrived_at=v["arrived_at"], closed_at=v["closed_at"],
                satisfaction=v["satisfaction"], space="test") for v in self.visits])
        if self.follow_ups:
            await FollowUp.insert(*[FollowUp(
                site=f["site"], request=f["request"], due_at=datetime(2024, 1, 1, tzinfo=UTC),
                done_at=f["done_at"], rating=f["rating"], space="test")
                for f in self.follow_ups])


# --- the plain counts ---------------------------------------------------------------------

def plain_satisfaction(seed: Seed, zone: ZoneInfo, at: datetime
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    local = at.astimezone(zone)
    firsts = [local_first(zone, local.year, local.month - back) for back in range(11, -1, -1)]
    keys = [month_key(f, zone) for f in firsts]
    categories = {r["id"]: r["category"] for r in seed.requests if r["site"] == seed.site}

    def blank(key: str) -> dict[str, Any]:
        return {"key": key, "scored": 0, "score_sum": 0, "A": 0, "B": 0, "C": 0}

    by_month = {k: blank(k) for k in keys}
    by_category = {k: blank(k) for k in CATEGORIES}
    total = blank("")

    def lines(moment: datetime, request: str) -> list[dict[str, Any]]:
        found = [by_month.get(month_key(moment, zone)),
                 by_category.get(categories.get(request, "")), total]
        return [line for line in found if line is not None]

    for v in seed.visits:
        if (v["site"] == seed.site and v["satisfaction"] is not None
                and v["closed_at"] is not None and v["closed_at"] >= firsts[0]):
            for line in lines(v["closed_at"], v["request"]):
                line["scored"] += 1
                line["score_sum"] += v["satisfaction"]
    for f in seed.follow_ups:
        if (f["site"] == seed.site and f["rating"] in ("A", "B", "C")
                and f["done_at"] is not None and f["done_at"] >= firsts[0]):
            for line in lines(f["done_at"], f["request"]):
                line[f["rating"]] += 1
    for line in [*by_month.values(), *by_category.values(), total]:
        rated = line["A"] + line["B"] + line["C"]
        line["average"] = round(line["score_sum"] / line["scored"], 2) if line["scored"] \
            else None
        line["rated"] = rated
        line["satisfied"] = round(100 * (line["A"] + line["B"]) / rated) if rated else None
    return list(by_month.values()), list(by_category.values()), total


def plain_workload(seed: Seed, zone: ZoneInfo, at: datetime, people: dict[str, str],
                   names: dict[str, str]) -> list[dict[str, Any]]:
    local = at.astimezone(zone)
    month_start = local_first(zone, local.year, local.month)
    lines: dict[str, dict[str, Any]] = {}

    def line(staff: str) -> dict[str, Any]:
        return lines.setdefault(staff, {
            "id": staff, "name": people.get(staff) or names.get(staff, ""), "open": 0,
            "in_progress": 0, "overdue": 0, "finished": 0, "visits": 0})

    for staff in people:
        line(staff)
    for r in seed.requests:
        is_open = r["state"] in OPEN_STATES
        finished = r["finished_at"] is not None and r["finished_at"] >= month_start
        if r["site"] != seed.site or r["assignee"] is None or not (is_open or finished):
            continue
        mine = line(r["assignee"])
        if is_open:
            mine["open"] += 1
            mine["in_progress"] += r["state"] == "in_progress"
            mine["overdue"] += (r["started_at"] is None and r["respond_by"] < at) or \
                r["complete_by"] < at
        mine["finished"] += finished
    for v in seed.visits:
        if v["site"] == seed.site and v["arrived_at"] >= month_start:
            line(v["technician"])["visits"] += 1
    return sorted(lines.values(), key=lambda v: (-v["open"], v["name"]))


# --- the tests -----------------------------------------------------------------------------

async def two_sites(factory: Any) -> tuple[str, str]:
    return await factory.site(code="HYG"), await factory.site(code="JHT")


def moment_after_month_began(zone: ZoneInfo) -> datetime:
    """Five minutes into March 2026, local time (in Hong Kong still February in UTC)."""
    return local_first(zone, 2026, 3) + timedelta(minutes=5)


async def test_satisfaction_counted_by_the_database_matches_a_plain_count(
        factory: Any, zone: ZoneInfo) -> None:
    site, other = await two_sites(factory)
    at = moment_after_month_began(zone)
    seed = Seed(site, other)
    # one request per category, an unknown category, and another site's request
    ids = [seed.request(category=c) for c in CATEGORIES]
    unknown = seed.request(category="garden")
    elsewhere = seed.request(site=other, category="lift")
    bounds = [local_first(zone, 2025, 4 + i) for i in range(13)]  # April 2025 … April 2026
    for i, bound in enumerate(bounds):
        request = ids[i % len(ids)]
        # the last microsecond of the month before and the first of this one
        seed.visit(request, bound - US, i % 6)
        seed.visit(request, bound, 5 - i % 6)
        seed.follow_up(request, bound - US, "ABC"[i % 3])
        seed.follow_up(request, bound, "CAB"[i % 3])
        # left out: no score, not rated, another site's
        seed.visit(request, bound + US, None)
        seed.follow_up(request, bound + US, "")
        seed.visit(elsewhere, bound, 1, site=other)
        seed.follow_up(elsewhere, bound, "C", site=other)
    seed.visit(unknown, bounds[5] + timedelta(days=3), 2)  # a month, no category
    seed.follow_up(unknown, bounds[5] + timedelta(days=3), "A")
    seed.visit(str(uuid.uuid4()), bounds[6], 4)  # no request: a month, no category
    seed.visit(elsewhere, bounds[7], 3)  # the site's visit of another site's request
    seed.visit(ids[0], bounds[12] + timedelta(days=40), 5)  # after the months: total only
    seed.follow_up(ids[1], bounds[12] + timedelta(days=40), "B")
    seed.follow_up(ids[1], None, "A")  # not done
    await seed.write()

    by_month, by_category, total = await figures.satisfaction(site, at)
    assert (by_month, by_category, total) == plain_satisfaction(seed, zone, at)
    # each month: its first microsecond and its last one; the first bound's microsecond
    # before is left out; the moment the thirteenth month begins counts in the total only
    assert [line["key"] for line in by_month][::11] == ["2025-04", "2026-03"]
    assert [line["scored"] for line in by_month] == [2, 2, 2, 2, 2, 3, 3, 3, 2, 2, 2, 2]
    assert [line["rated"] for line in by_month] == [2, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2]
    assert (total["scored"], total["rated"]) == (24 + 3 + 1 + 1, 24 + 1 + 1 + 1)
    assert sum(line["scored"] for line in by_category) == 24 + 1 + 1
    # April: 5 at its first microsecond, 1 at its last (the microsecond before May)
    assert (by_month[0]["score_sum"], by_month[0]["average"]) == (6, 3.0)


async def test_workload_counted_by_the_database_matches_a_plain_count(
        factory: Any, zone: ZoneInfo) -> None:
    site, other = await two_sites(factory)
    tech = await factory.staff("tech", role="technician", sites=(site,))
    idle = await factory.staff("idle", role="technician", sites=(site,))
    boss = await factory.staff("boss", role="supervisor", sites=(site,))
    elsewhere = await factory.staff("techb", role="technician", sites=(other,))
    stranger = str(uuid.uuid4())  # no staff record: no name
    at = moment_after_month_began(zone)
    month_start = local_first(zone, 2026, 3)
    before, after = at - timedelta(hours=1), at + timedelta(hours=1)
    seed = Seed(site, other)
    seed.request(state="new", assignee=tech, respond_by=before)  # overdue: not started
    seed.request(state="assigned", assignee=tech, respond_by=after, complete_by=after)
    seed.request(state="in_progress", assignee=tech, respond_by=before, started_at=before,
                 complete_by=after)  # started in time, not late yet
    seed.request(state="in_progress", assignee=tech, started_at=before, complete_by=before)
    seed.request(state="assigned", assignee=tech, finished_at=month_start)  # reopened
    seed.request(state="done", assignee=tech, finished_at=month_start)
    seed.request(state="done", assignee=tech, finished_at=month_start - US)  # last month
    seed.request(state="followed_up", assignee=tech, finished_at=after)
    seed.request(state="closed", assignee=tech)  # closed by the office, never finished
    seed.request(state="new", assignee=boss, respond_by=before, started_at=before)
    seed.request(state="in_progress", assignee=elsewhere, complete_by=before)
    seed.request(state="done", assignee=stranger, finished_at=after)
    seed.request(state="new", respond_by=before)  # nobody's
    seed.request(site=other, state="new", assignee=tech, respond_by=before)
    job = seed.request()
    for who, arrived in ((tech, month_start - US), (tech, month_start), (idle, after),
                         (idle, month_start), (stranger, before)):
        seed.visit(job, None, None, technician=who, arrived_at=arrived)
    seed.visit(job, None, None, site=other, technician=elsewhere, arrived_at=after)
    await seed.write()

    lines = await figures.workload(site, at)
    people = {t["id"]: t["name"] for t in await technicians([site])}
    names = await staff_names([boss, elsewhere, stranger])
    assert lines == plain_workload(seed, zone, at, people, names)
    mine = next(line for line in lines if line["id"] == tech)
    assert [mine[k] for k in ("open", "in_progress", "overdue", "finished", "visits")] == [
        5, 2, 2, 3, 1]
    assert [line["id"] for line in lines][-1] == idle  # nothing open: last
    assert next(line for line in lines if line["id"] == idle)["visits"] == 2
    assert next(line for line in lines if line["id"] == stranger)["name"] == ""
