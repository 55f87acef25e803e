"""Filtered streams (sync/buckets.py), proven on SQLite and PostgreSQL: a technician receives
the residents, requests and visits of the units on their own jobs — not every resident of the
site — gains a unit's whole history when a job arrives, and loses it when the job goes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.repairs.tables import RepairRequest, RepairTechnician, RepairVisit
from server.sync.spaces import bump
from sync import streams
from tests.integration.sync_support import phone, pull_all

NOW = datetime.now(UTC)


@pytest.fixture
async def estate(factory: Any) -> dict[str, Any]:
    site = await factory.site(code="ONE")
    units = [await factory.unit(site) for _ in range(3)]
    return {
        "site": site, "units": units,
        "residents": [await factory.resident(site, u) for u in units],
        "tech": await factory.staff("tech1", role="technician", sites=(site,)),
        "tech2": await factory.staff("tech2", role="technician", sites=(site,)),
        "desk": await factory.staff("desk1", role="front_desk", sites=(site,)),
    }


async def _request(site: str, unit: str | None, assignee: str | None, *, state: str = "assigned",
                   finished: datetime | None = None, request_id: uuid.UUID | None = None
                   ) -> str:
    """A repair request (written as the office would: a new version of the visits space)."""
    space = streams.space(site, "visits")
    version = await bump(space)
    rid = request_id or uuid.uuid4()
    values = dict(site=site, number=f"R-{str(rid)[:4].upper()}", unit=unit,
                  area="" if unit else "大堂", category="water", urgency="normal",
                  description="漏水", reported_at=NOW, reported_by=assignee or uuid.uuid4(),
                  respond_by=NOW + timedelta(hours=24), complete_by=NOW + timedelta(hours=72),
                  state=state, assignee=assignee, finished_at=finished, space=space,
                  version=version)
    if request_id is None:
        await RepairRequest(id=rid, **values).save()
    else:
        await RepairRequest.update(values).where(RepairRequest.id == rid)  # type: ignore[arg-type]
    return str(rid)


def _of(p: Any, type_: str) -> set[str]:
    return {id_ for (t, id_) in p.replica if t == type_}


async def test_a_technician_receives_only_their_jobs_units(client, settings, estate) -> None:
    site, units, residents = estate["site"], estate["units"], estate["residents"]
    mine = await _request(site, units[0], estate["tech"])
    others = await _request(site, units[1], estate["tech2"])
    public = await _request(site, None, estate["tech2"])
    space = streams.space(site, "visits")
    await RepairTechnician(site=site, staff=estate["tech"], name="李師傅", space=space,
                           version=await bump(space)).save()

    tech = await phone(settings, estate["tech"])
    await pull_all(client, tech)
    assert _of(tech, "resident") == {residents[0]}
    assert _of(tech, "repair_request") == {mine, public}  # public areas: every technician
    assert len(_of(tech, "repair_technician")) == 1  # types without a unit: whole
    assert others not in _of(tech, "repair_request")

    # the desk reads the whole stream
    desk = await phone(settings, estate["desk"])
    await pull_all(client, desk)
    assert _of(desk, "resident") == set(residents)
    assert _of(desk, "repair_request") == {mine, others, public}


async def test_a_new_job_brings_its_units_history_and_a_finished_one_takes_it(
        client, settings, estate) -> None:
    site, units, residents = estate["site"], estate["units"], estate["residents"]
    old = await _request(site, units[2], estate["tech2"], state="done",
                         finished=NOW - timedelta(days=40))  # the unit's history
    tech = await phone(settings, estate["tech"])
    await pull_all(client, tech)
    assert residents[2] not in _of(tech, "resident")
    assert old not in _of(tech, "repair_request")

    job = await _request(site, units[2], estate["tech"])
    await pull_all(client, tech)
    assert residents[2] in _of(tech, "resident")
    assert {old, job} <= _of(tech, "repair_request")  # the unit's earlier visits too

    # finished 10 days ago: still theirs (a callback, a question); 20 days ago: gone
    await _request(site, units[2], estate["tech"], state="done",
                   finished=NOW - timedelta(days=10), request_id=uuid.UUID(job))
    await pull_all(client, tech)
    assert residents[2] in _of(tech, "resident")
    await _request(site, units[2], estate["tech"], state="done",
                   finished=NOW - timedelta(days=20), request_id=uuid.UUID(job))
    pages = await pull_all(client, tech)
    dropped = {op["id"] for page in pages for op in page["patch"]
               if op["type"] == "space" and op["op"] == "del"}
    assert dropped == {f"{streams.space(site, s)}@{units[2]}" for s in ("residents", "visits")}
    assert residents[2] not in _of(tech, "resident")
    assert not _of(tech, "repair_request") & {old, job}
    assert _of(tech, "unit") == set(units)  # the estate stream stays whole


async def test_reassigning_moves_the_unit_to_the_other_technician(client, settings,
                                                                   estate) -> None:
    site, units, residents = estate["site"], estate["units"], estate["residents"]
    job = await _request(site, units[1], estate["tech"])
    tech, tech2 = (await phone(settings, estate["tech"]), await phone(settings, estate["tech2"]))
    await pull_all(client, tech)
    await pull_all(client, tech2)
    assert residents[1] in _of(tech, "resident")
    assert residents[1] not in _of(tech2, "resident")

    await _request(site, units[1], estate["tech2"], request_id=uuid.UUID(job))
    await pull_all(client, tech)
    await pull_all(client, tech2)
    assert residents[1] not in _of(tech, "resident")
    assert job not in _of(tech, "repair_request")
    assert residents[1] in _of(tech2, "resident")
    assert job in _of(tech2, "repair_request")


async def test_a_technician_receives_only_the_conflicts_that_name_them(client, settings, estate,
                                                                       factory) -> None:
    site, units = estate["site"], estate["units"]
    job = await _request(site, units[0], estate["tech"])
    await _request(site, units[1], estate["tech2"])
    space = streams.space(site, "visits")
    theirs = await factory.conflict(space, [job], kind="double_close",
                                    record_type="repair_request", staff_ids=[estate["tech"]])
    others = await factory.conflict(space, [job], kind="double_follow_up",
                                    record_type="repair_request", staff_ids=[estate["desk"]])
    await bump(space)
    tech = await phone(settings, estate["tech"])
    await pull_all(client, tech)
    assert _of(tech, "conflict") == {theirs}
    desk = await phone(settings, estate["desk"])
    await pull_all(client, desk)
    assert {theirs, others} <= _of(desk, "conflict")


async def test_an_open_visit_keeps_its_unit_when_the_office_closes_the_request(
        client, settings, estate) -> None:
    """The technician is inside when the office closes (or reassigns) the request: the
    visit under way stays on their phone, with the unit's residents, until it is closed."""
    site, units, residents = estate["site"], estate["units"], estate["residents"]
    job = await _request(site, units[1], estate["tech"], state="in_progress")
    space = streams.space(site, "visits")
    visit = uuid.uuid4()
    await RepairVisit(id=visit, site=site, request=uuid.UUID(job), unit=units[1],
                      technician=estate["tech"], arrived_at=NOW, space=space,
                      version=await bump(space)).save()
    tech = await phone(settings, estate["tech"])
    await pull_all(client, tech)
    await _request(site, units[1], estate["tech2"], state="closed", request_id=uuid.UUID(job))
    await pull_all(client, tech)
    assert str(visit) in _of(tech, "repair_visit")
    assert residents[1] in _of(tech, "resident")
    # closed 20 days ago: the unit goes
    await RepairVisit.update({RepairVisit.outcome: "done",
                              RepairVisit.closed_at: NOW - timedelta(days=20),
                              RepairVisit.version: await bump(space)}).where(
        RepairVisit.id == visit)
    await pull_all(client, tech)
    assert str(visit) not in _of(tech, "repair_visit")
    assert residents[1] not in _of(tech, "resident")
