"""Building blocks of the engine: the overlay view and the mutator context, field
last-writer-wins, and the pull cookie."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.context import Context, Principal, View
from sync.cookie import Cookie, SpaceProgress, decode_cookie, encode_cookie
from sync.errors import TryAgain
from sync.lww import merge_fields
from sync.storage import Record

pytestmark = pytest.mark.unit

ACTOR = Principal("staff", "front_desk", frozenset({"s"}), "device")


def loan(id_: str, key: str, **data: Any) -> Record:
    return Record("key_loan", id_, "s", 1, {"key_id": key, **data})


def test_find_follows_changes_made_before_and_after_the_index_is_built() -> None:
    view = View({("key_loan", "1"): loan("1", "k1"), ("key_loan", "2"): loan("2", "k1")})
    ctx = Context(view, ACTOR, client_id="c")
    ctx.begin(1, "t", "s", "h")
    ctx.update(view.base[("key_loan", "1")], {"key_id": "k2"})  # staged only
    assert [r.id for r in ctx.find("key_loan", "key_id", "k1")] == ["2"]
    assert [r.id for r in ctx.find("key_loan", "key_id", "k2")] == ["1"]
    ctx.commit()
    assert [r.id for r in view.find("key_loan", "key_id", "k1")] == ["2"]
    fresh = View(view.base)  # an index built after the change
    fresh.put(view.changed[("key_loan", "1")], view.base[("key_loan", "1")])
    fresh._indexes.clear()
    assert [r.id for r in fresh.find("key_loan", "key_id", "k1")] == ["2"]


def test_a_strict_view_refuses_undeclared_reads() -> None:
    view = View({}, refs={("key", "a")}, lookups={("key_loan", "key_id", "a")})
    assert view.get("key", "a") is None
    assert view.find("key_loan", "key_id", "a") == []
    with pytest.raises(LookupError):
        view.get("key", "b")
    with pytest.raises(LookupError):
        view.find("key_loan", "key_id", "b")


def test_rollback_discards_and_records_are_never_changed_in_place() -> None:
    original = loan("1", "k1", label="x")
    view = View({("key_loan", "1"): original})
    ctx = Context(view, ACTOR, client_id="c", server_time="now")
    ctx.begin(1, "t", "s", "h")
    new = ctx.update(original, {"label": "y"})
    assert new is not original and original.data["label"] == "x"
    ctx.rollback()
    assert ctx.get("key_loan", "1") is original and not view.changed
    ctx.begin(2, "t", "s", "h")
    assert ctx.update(original, {"label": "x"}) is original  # nothing changed
    ctx.update(original, {"label": "z"}, deleted=True)
    ctx.commit()
    (row,) = ctx.audit
    assert row.changes == {"label": ["x", "z"], "deleted": [False, True]}


def test_writes_stay_in_the_mutation_space() -> None:
    view = View({("key_loan", "1"): Record("key_loan", "1", "other", 1, {})})
    ctx = Context(view, ACTOR, client_id="c")
    ctx.begin(1, "t", "s", "h")
    with pytest.raises(RuntimeError, match="wrote into space"):
        ctx.update(view.base[("key_loan", "1")], {"x": 1})
    ctx.begin(2, "t", "", "h")  # the space was unknown before the locks
    with pytest.raises(TryAgain):
        ctx.insert("key", "k", {})


@given(st.dictionaries(st.sampled_from("abcd"), st.integers(0, 3)),
       st.dictionaries(st.sampled_from("abcd"), st.sampled_from(["h1", "h3"])),
       st.dictionaries(st.sampled_from("abcd"), st.integers(0, 3), min_size=1),
       st.sampled_from(["h0", "h2", "h4"]))
def test_merge_fields_never_drops_a_value(current: dict[str, int], stamps: dict[str, str],
                                          incoming: dict[str, int], hlc: str) -> None:
    merge = merge_fields(current, stamps, incoming, hlc)
    lost = {o.field for o in merge.lost}
    for field, value in incoming.items():
        if hlc > stamps.get(field, ""):
            assert merge.changes[field] == value and merge.field_hlc[field] == hlc
        else:
            assert field not in merge.changes and merge.field_hlc.get(field) == stamps[field]
            assert (field in lost) == (current.get(field) != value)


def test_cookie_roundtrip_and_garbage() -> None:
    cookie = Cookie(schema=1, spaces={"s": SpaceProgress(3, 5, (4, "key", "x"))},
                    rejections=7, total=10, sent=4)
    text = encode_cookie(cookie)
    assert "=" not in text and decode_cookie(text, 1) == cookie
    # another schema version: every space from nothing, named so that the pull drops those
    # that no longer exist
    assert decode_cookie(text, 2) == Cookie(schema=2, spaces={"s": SpaceProgress(0, 0)},
                                            rejections=7)
    for bad in (None, "", "%%%", "bnVsbA", encode_cookie(cookie)[:-3]):
        assert decode_cookie(bad, 1) == Cookie(schema=1)
    inconsistent = Cookie(schema=1, spaces={"s": SpaceProgress(3, 5, (9, "key", "x"))})
    assert decode_cookie(encode_cookie(inconsistent), 1) == Cookie(schema=1)
