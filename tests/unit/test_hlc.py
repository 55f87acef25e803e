"""Hybrid logical clock: properties (hypothesis) and the fixed-width encoding."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import hlc
from sync.hlc import HLC, Clock

pytestmark = pytest.mark.unit

NODE = "0123456789ab"
walls = st.integers(0, 10**13 - 10**6)
counters = st.integers(0, hlc.COUNTER_MAX)
nodes = st.text("0123456789abcdef", min_size=12, max_size=12)
stamps = st.builds(HLC, walls, counters, nodes)


@given(stamps)
def test_encode_parse_roundtrip(h: HLC) -> None:
    text = h.encode()
    assert len(text) == hlc.ENCODED_LEN == 31
    assert hlc.parse(text) == h


@given(stamps, stamps)
def test_string_order_is_tuple_order(a: HLC, b: HLC) -> None:
    assert (a.encode() < b.encode()) == (a < b)
    assert (a.encode() == b.encode()) == (a == b)


@given(st.lists(walls, min_size=1, max_size=50))
def test_send_is_strictly_monotonic_even_when_the_wall_clock_goes_back(times: list[int]) -> None:
    last = HLC(0, 0, NODE)
    for pt in times:
        nxt = hlc.send(last, pt)
        assert nxt > last
        assert nxt.wall >= pt  # never behind the physical clock
        last = nxt


@given(stamps, stamps, walls)
def test_receive_is_after_both(local: HLC, remote: HLC, pt: int) -> None:
    out = hlc.receive(local, remote, pt)
    assert out[:2] > local[:2]
    assert out[:2] > remote[:2]
    assert out.wall >= pt
    assert out.node == local.node


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5000)), min_size=1, max_size=40),
       st.integers(-10**6, 10**6))
def test_causal_order_across_two_nodes(events: list[tuple[bool, int]], skew: int) -> None:
    """A message from A to B: everything B does after receiving it sorts after the send,
    however wrong B's physical clock is."""
    base = 1_700_000_000_000
    a = Clock("aaaaaaaaaaaa", now_ms=lambda: base)
    b_time = [base + skew]
    b = Clock("bbbbbbbbbbbb", now_ms=lambda: b_time[0])
    history = []
    for a_sends, advance in events:
        b_time[0] += advance
        if a_sends:
            sent = a.send()
            got = b.receive(sent)
            assert got > sent
            history.append((sent, got))
        else:
            later = b.now()
            for sent, _ in history:
                assert later > sent
                assert later.encode() > sent.encode()


def test_counter_overflow_moves_the_wall_on() -> None:
    last = HLC(1000, hlc.COUNTER_MAX, NODE)
    nxt = hlc.send(last, 999)
    assert nxt == HLC(1001, 0, NODE)
    assert nxt.encode() > last.encode()


@given(stamps, walls, st.integers(0, 10**7))
def test_clamp(remote: HLC, now: int, max_ahead: int) -> None:
    c = hlc.clamp(remote, now, max_ahead)
    assert c.original == remote
    assert c.value.wall <= max(remote.wall, now + max_ahead)
    if remote.wall > now + max_ahead:
        assert c.clamped
        assert c.value == HLC(now + max_ahead, remote.counter, remote.node)
    else:
        assert not c.clamped
        assert c.value == remote


@pytest.mark.parametrize("text", [
    "", "1", "0001700000000000-0000-0123456789ab",  # too long
    "170000000000-00000-0123456789ab", "1700000000000-000g-0123456789ab",
    "1700000000000-0000-0123456789AB", "1700000000000_0000-0123456789ab",
    "+700000000000-0000-0123456789ab", "1700000000000-0x10-0123456789ab",
    "１700000000000-0000-0123456789ab",  # a full-width digit
])
def test_parse_refuses_anything_but_the_exact_format(text: str) -> None:
    with pytest.raises(ValueError, match="not an HLC"):
        hlc.parse(text)


@given(st.text(max_size=40))
def test_parse_never_fails_otherwise(text: str) -> None:
    try:
        h = hlc.parse(text)
    except ValueError:
        return
    assert h.encode() == text


def test_node_id_uses_the_random_end_of_a_uuid() -> None:
    u = uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")  # a UUIDv7
    assert hlc.node_id(str(u)) == "b302099a8057"
    other = hlc.node_id("server")
    assert len(other) == 12 and int(other, 16) >= 0


def test_physical_time_and_encoding_example() -> None:
    h = HLC(1_736_150_400_123, 10, NODE)
    assert h.encode() == "1736150400123-000a-0123456789ab"
    assert h.physical_time == datetime(2025, 1, 6, 8, 0, 0, 123000, tzinfo=UTC)


def test_clock_is_injectable_and_accepts_any_id() -> None:
    t = [5000]
    clock = Clock(str(uuid.UUID(int=7)), now_ms=lambda: t[0])
    assert clock.node == "000000000007"
    first = clock.now()
    second = clock.send()
    assert first == HLC(5000, 0, clock.node) and second == HLC(5000, 1, clock.node)
    t[0] = 4000  # the clock went back
    assert clock.now() == HLC(5000, 2, clock.node)
    restored = Clock(clock.node, now_ms=lambda: 0, last=clock.last)
    assert restored.now() > clock.last
