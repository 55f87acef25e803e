"""sync/buckets.py: the ids of filtered streams' buckets, which records each holds and which
units are a person's jobs (the memory store and the convergence checks use these functions;
the SQL store's query is tied to them by tests/integration/test_sync_buckets.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sync import buckets, streams
from sync.buckets import Jobs

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
JOBS = Jobs(record_type="job", person_field="who", open_field="state",
            open_values=("open",), recent_field="finished", recent_days=14)


class Rec(NamedTuple):
    type: str
    data: dict[str, Any]
    deleted: bool = False


def test_bucket_ids_round_trip() -> None:
    assert buckets.bucket("S:visits", "U1") == "S:visits@U1"
    assert buckets.bucket("S:visits", "") == "S:visits@-"
    assert buckets.parse("S:visits@U1") == ("S:visits", "U1")
    assert buckets.parse("S:visits@-") == ("S:visits", "")
    assert buckets.parse("S:visits") == ("S:visits", None)


def test_a_record_is_in_exactly_one_bucket() -> None:
    with_unit = {"unit_id": "U1"}
    assert buckets.matches("U1", True, with_unit)
    assert not buckets.matches("U2", True, with_unit)
    assert not buckets.matches("", True, with_unit)
    assert buckets.matches("", True, {"unit_id": None})  # a public area
    assert buckets.matches("", False, {})  # a type without units: the no-unit bucket
    assert not buckets.matches("U1", False, {})
    # a conflict (no unit) reaches only the people it names; dropping a bucket takes all
    conflict = {"staff_ids": ["me", "you"]}
    assert buckets.matches("", False, conflict, "me")
    assert not buckets.matches("", False, conflict, "them")
    assert buckets.matches("", False, conflict, None)
    assert buckets.matches("", False, {}, "them")  # the repair team, the policy


def test_only_roles_reading_a_stream_filtered_get_buckets() -> None:
    assert streams.filtered_streams("technician") == ("residents", "visits")
    for role in ("front_desk", "patrol", "supervisor", "admin"):
        assert streams.filtered_streams(role) == ()
        assert buckets.buckets_of(role, ["S"], [("S", "U1")]) == []
    got = buckets.buckets_of("technician", ["S", "T"], [("S", "U1"), ("X", "U9"), ("S", "")])
    assert got == ["S:residents@-", "S:residents@U1", "S:visits@-", "S:visits@U1",
                   "T:residents@-", "T:visits@-"]  # another site's job is not theirs
    # blobs of the filtered streams' spaces may be named; the spaces are not pulled whole
    assert "S:visits" in streams.blob_spaces("technician", ["S"])
    assert "S:visits" not in streams.readable_spaces("technician", ["S"])


def test_job_units_are_open_or_recently_finished_jobs_of_the_person() -> None:
    def job(unit: str | None, who: str = "me", state: str = "open",
            finished: datetime | None = None, site: str = "S", deleted: bool = False) -> Rec:
        return Rec("job", {"site_id": site, "unit_id": unit, "who": who, "state": state,
                           "finished": finished.isoformat() if finished else None}, deleted)

    records = [
        job("U1"), job("U2", who="other"), job(None), job("U3", site="T"),
        job("U4", state="done", finished=NOW - timedelta(days=13)),
        job("U5", state="done", finished=NOW - timedelta(days=15)),
        job("U6", state="done"), job("U7", deleted=True),
        Rec("other", {"site_id": "S", "unit_id": "U8", "who": "me", "state": "open"}),
    ]
    assert buckets.job_units([JOBS], records, "me", ["S"], NOW) == {("S", "U1"), ("S", "U4")}
    assert buckets.job_units([JOBS], records, "me", ["S", "T"], NOW) == {
        ("S", "U1"), ("S", "U4"), ("T", "U3")}
    assert buckets.job_units([], records, "me", ["S"], NOW) == set()
