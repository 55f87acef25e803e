"""Filtered streams: a role that receives only part of a stream (PowerSync's parameter queries).

A technician must see the repair requests, visits and residents of the units on their own jobs
— not every resident of the site. A stream declares such roles in ``Stream.by_unit``
(:mod:`sync.streams`); a domain declares what a *job* is (:class:`Jobs`, a domain module's
``JOBS``). At each pull the engine asks the store for the person's job units and gives them one
**bucket** per unit and filtered stream::

    <site>:<stream>@<unit id>   the stream's records whose unit_id is that unit
    <site>:<stream>@-           its records with no unit (public areas) and those of its types
                                that have no unit_id field (the site's repair team, policy),
                                and the space's conflicts that name the person

A bucket pages on its parent space's versions, like the space itself: a record of the space
belongs to exactly one bucket (its unit), so filtering a version range is exact and a new job
starts its unit's bucket from nothing (the unit's whole history arrives). When a job leaves the
person's list, the bucket goes (``del`` of the bucket's id; the phone drops the parent space's
records of that unit). Records keep their parent space (``S:visits``): writes, locks and the
rules see no difference. Blob names on the records of a filtered stream's space count as
readable for the role (a push naming them passes); they are SHA-256 hashes nobody guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync import streams

UNIT_FIELD = "unit_id"
PEOPLE_FIELD = "staff_ids"  # a conflict's people: the only ones its bucket sends it to
MARK = "@"
NO_UNIT = "-"


@dataclass(frozen=True, slots=True)
class Jobs:
    """Which records are a person's jobs: records of ``record_type`` whose ``person_field`` is
    the person, that are open (``open_field`` in ``open_values``) or were finished within
    ``recent_days`` (``recent_field``, a timestamp). Their units are the person's job units."""

    record_type: str
    person_field: str
    open_field: str
    open_values: tuple[str, ...]
    recent_field: str
    recent_days: int
    unit_field: str = UNIT_FIELD
    site_field: str = "site_id"

    def since(self, now: datetime) -> str:
        """The oldest finish that still counts (an ISO moment in UTC)."""
        return (now - timedelta(days=self.recent_days)).isoformat()

    def is_job(self, data: Mapping[str, Any], staff_id: str, since: str) -> bool:
        if data.get(self.person_field) != staff_id or not data.get(self.unit_field):
            return False
        if data.get(self.open_field) in self.open_values:
            return True
        finished = data.get(self.recent_field)
        return isinstance(finished, str) and finished >= since


def bucket(space: str, unit: str) -> str:
    """The bucket of ``unit`` ("" = no unit) in ``space``."""
    return f"{space}{MARK}{unit or NO_UNIT}"


def parse(space_or_bucket: str) -> tuple[str, str | None]:
    """(parent space, unit filter): the filter is None for a whole space, "" for the no-unit
    bucket, else the unit id."""
    space, mark, unit = space_or_bucket.partition(MARK)
    if not mark:
        return space, None
    return space, "" if unit == NO_UNIT else unit


def matches(unit: str, has_unit_field: bool, data: Mapping[str, Any],
            staff: str | None = None) -> bool:
    """Whether a record (of a type with or without a unit_id field) is in a bucket of
    ``unit`` read by ``staff``: a conflict (no unit; the people it involves in
    ``staff_ids``) only reaches the people it names — a technician does not receive the
    site's other conflicts. ``staff`` None: whoever reads it (a phone dropping a bucket)."""
    if not has_unit_field:
        if unit != "":
            return False
        people = data.get(PEOPLE_FIELD)
        return staff is None or not isinstance(people, list) or staff in people
    return (data.get(UNIT_FIELD) or "") == unit


def buckets_of(role: str, sites: Iterable[str],
               units: Iterable[tuple[str, str]]) -> list[str]:
    """Every bucket a person of ``role`` at ``sites`` with these job units (site, unit) reads."""
    wanted = list(streams.filtered_streams(role))
    if not wanted:
        return []
    site_list = sorted(set(sites))
    by_site: dict[str, set[str]] = {}
    for site, unit in units:
        if site in site_list and unit:
            by_site.setdefault(site, set()).add(unit)
    out = []
    for site in site_list:
        for stream in wanted:
            space = streams.space(site, stream)
            out.append(bucket(space, ""))
            out += [bucket(space, u) for u in sorted(by_site.get(site, ()))]
    return out


def job_units(jobs: Iterable[Jobs], records: Iterable[Any], staff_id: str,
              sites: Iterable[str], now: datetime) -> set[tuple[str, str]]:
    """The (site, unit) of the person's jobs among ``records`` (objects with ``type``,
    ``data`` and ``deleted``): what the SQL store computes with one query per declaration."""
    site_set = set(sites)
    decls = {j.record_type: (j, j.since(now)) for j in jobs}
    out: set[tuple[str, str]] = set()
    for rec in records:
        found = decls.get(rec.type)
        if found is None or rec.deleted:
            continue
        j, since = found
        site = rec.data.get(j.site_field)
        if site in site_set and j.is_job(rec.data, staff_id, since):
            out.add((str(site), str(rec.data[j.unit_field])))
    return out
