"""The pull engine over the in-memory store: paging with a fixed round target and a cursor,
progress counts, bad cookies, spaces following the assignment, tombstones."""

from __future__ import annotations

from typing import Any

import pytest

from sync import ORG_SPACE
from sync.context import Principal
from sync.storage import Record
from sync.streams import site_spaces, stream_of, streams_of
from tests.unit.sync_helpers import (
    OTHER,
    SITE,
    Phone,
    keys_space,
    new_db,
    person,
    pull,
    pull_all,
    push,
    register_args,
    uid,
    with_key,
)

pytestmark = pytest.mark.unit


async def test_pull_pages_with_progress_and_misses_nothing_committed_meanwhile() -> None:
    db, desk = new_db(SITE), Phone(person())
    keys = [uid() for _ in range(9)]  # and the site: ten records
    await push(db, desk, [desk.m("key.register", register_args(k)) for k in keys])
    page1 = await pull(db, desk, page_size=4)
    assert (len(page1.patch), page1.more, page1.sent, page1.total) == (4, True, 4, 10)
    # a push lands mid-round: an already-sent key changes, a new one appears
    changed = next(op.id for op in page1.patch if op.type == "key")
    new_key = uid()
    await push(db, desk, [desk.m("key.update", {"key_id": changed, "fields": {"label": "x"}}),
                          desk.m("key.register", register_args(new_key))])
    pages, cookie = await pull_all(db, desk, page1.cookie, page_size=4)
    got: dict[str, dict[str, Any]] = {op.id: op.data or {} for op in page1.patch}
    for p in pages:
        for op in p.patch:
            got[op.id] = op.data or {}
    assert set(got) == {*keys, new_key, SITE}
    assert got[changed]["label"] == "x" and got[changed]["version"] == 2
    assert got[new_key]["space"] == keys_space(SITE)
    assert "hlc" in got[changed]  # the newest field HLC, for the phone's clock
    assert set(got[changed]["field_hlc"]) == {"code", "label", "category", "notes", "unit_id",
                                              "retired"}  # for its own last-writer-wins
    first_round = [(p.sent, p.total) for p in pages if p.total == 10]
    assert first_round[-1] == (10, 10)  # the first round completes, then a new one starts
    assert pages[-1].more is False
    empty = await pull(db, desk, cookie)
    assert (empty.patch, empty.more, empty.total, empty.sent) == ([], False, 0, 0)


async def test_every_record_is_sent_once_in_version_type_id_order() -> None:
    db, desk = new_db(), Phone(person())
    keys = [uid() for _ in range(7)]
    await push(db, desk, [desk.m("key.register", register_args(k)) for k in keys[:3]])
    await push(db, desk, [desk.m("key.register", register_args(k)) for k in keys[3:]])
    pages, _ = await pull_all(db, desk, page_size=2)
    ids = [op.id for p in pages for op in p.patch if op.type == "key"]
    assert sorted(ids) == sorted(keys) and len(ids) == len(set(ids))
    versions = [op.data["version"] for p in pages for op in p.patch if op.data]
    assert versions == sorted(versions)


@pytest.mark.parametrize("cookie", ["", "garbage!!", "eyJ4IjoxfQ", "bnVsbA", "e30",
                                    "eyJzY2hlbWEiOjEsInNwYWNlcyI6eyJ4IjpbNSwxLG51bGxdfX0"])
async def test_a_bad_cookie_starts_from_nothing(cookie: str) -> None:
    db, desk = new_db(SITE), Phone(person())
    await with_key(db, desk)
    page = await pull(db, desk, cookie)
    assert [op.type for op in page.patch] == ["site", "key"] and not page.more


async def test_a_cookie_of_the_previous_schema_drops_its_spaces_and_restarts() -> None:
    """Schema 1's spaces were whole sites: an app from before the update is told to drop
    them, then receives the site's streams from nothing."""
    import base64
    import json

    db, desk = new_db(SITE), Phone(person())
    key_id = await with_key(db, desk)
    old = {"schema": 1, "spaces": {SITE: [7, 7, None], "org": [0, 0, None]},
           "rejections": 3, "total": 0, "sent": 0}
    cookie = base64.urlsafe_b64encode(json.dumps(old).encode()).decode().rstrip("=")
    pages, _ = await pull_all(db, desk, cookie)
    patch = [(op.op, op.type, op.id) for p in pages for op in p.patch]
    assert patch[0] == ("del", "space", SITE)
    assert {("put", "site", SITE), ("put", "key", key_id)} <= set(patch)


async def test_spaces_follow_the_assignment() -> None:
    db, desk = new_db(), Phone(person(sites=(SITE, OTHER)))
    await with_key(db, desk, site=SITE)
    other_key = await with_key(db, desk, site=OTHER)
    db.office_write([Record("site_setting", uid(), ORG_SPACE, data={"k": 1})])
    pages, cookie = await pull_all(db, desk)
    assert {(op.type, op.data["space"]) for p in pages for op in p.patch if op.data} == {
        ("key", keys_space(SITE)), ("key", keys_space(OTHER)), ("site", f"{SITE}:estate"),
        ("site", f"{OTHER}:estate"), ("site_setting", ORG_SPACE)}
    # OTHER is taken away, then given back: every stream of it goes, then comes back
    desk.actor = Principal(desk.actor.staff_id, desk.actor.role, frozenset({SITE}),
                           desk.actor.device_id)
    page = await pull(db, desk, cookie)
    dropped = [(op.op, op.type, op.id) for op in page.patch]
    assert dropped == [("del", "space", s) for s in sorted(site_spaces(OTHER))
                       if stream_of(s) in streams_of("front_desk")]
    desk.actor = Principal(desk.actor.staff_id, desk.actor.role, frozenset({SITE, OTHER}),
                           desk.actor.device_id)
    page = await pull(db, desk, page.cookie)
    assert sorted((op.op, op.id) for op in page.patch) == sorted([("put", other_key),
                                                                  ("put", OTHER)])


async def test_a_cookie_ahead_of_the_server_resends_the_space() -> None:
    db, desk = new_db(SITE), Phone(person())
    key_id = await with_key(db, desk)
    restored = new_db(SITE)  # a backup taken now, restored after more work
    restored.office_write([db.records[("key", key_id)]])
    await with_key(db, desk)
    _, cookie = await pull_all(db, desk)
    page = await pull(restored, desk, cookie)
    assert [(op.op, op.type, op.id) for op in page.patch] == [
        ("del", "space", keys_space(SITE)), ("put", "key", key_id)]


