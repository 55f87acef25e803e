"""Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", 2014).

A timestamp is ``(wall, counter, node)``: ``wall`` is milliseconds since the Unix epoch (the
largest physical time seen), ``counter`` orders events within one ``wall`` millisecond, and
``node`` (derived from the device/client id) breaks ties between devices.

Text encoding, fixed width (31 characters, fits the server's ``varchar(32)`` columns)::

    0001732754000123-00a1-5f0c2b7d9e11      (illustrative)
    ^^^^^^^^^^^^^ 13 decimal digits of wall ms, zero-padded
                  ^^^^ counter, 4 lowercase hex digits (0…ffff)
                       ^^^^^^^^^^^^ node, 12 lowercase hex digits

so comparing two encoded strings gives the same order as comparing ``(wall, counter, node)``
tuples: causal order, with the node as tie-break. The counter never overflows: when it would
pass ``ffff`` the clock moves ``wall`` on by one millisecond instead (still monotonic, drift of
at most 1 ms per 65,536 events in one millisecond).

Everything here is pure; the physical clock is a parameter (``now_ms``) so tests inject it.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

WALL_DIGITS = 13
COUNTER_MAX = 0xFFFF
NODE_LEN = 12
ENCODED_LEN = WALL_DIGITS + 1 + 4 + 1 + NODE_LEN  # 31
WALL_MAX = 10**WALL_DIGITS - 1

_PATTERN = re.compile(r"\d{13}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_HEX = re.compile(r"[0-9a-f]+", re.ASCII)


class HLC(NamedTuple):
    """One hybrid-logical-clock timestamp. Tuple order is causal order."""

    wall: int
    counter: int
    node: str

    def encode(self) -> str:
        return encode(self)

    @property
    def physical_time(self) -> datetime:
        """The physical part as an aware UTC datetime (the device's claimed time)."""
        return datetime.fromtimestamp(self.wall / 1000, tz=UTC)


def node_id(raw: str) -> str:
    """A 12-hex-digit node id for a device or client id.

    For a UUID the *last* 12 hex digits are used: they are random in UUIDv4 and UUIDv7,
    whereas the first 12 digits of a UUIDv7 are its creation time (two phones installed in the
    same millisecond would collide). Anything else is hashed.
    """
    compact = raw.replace("-", "").lower()
    if len(compact) >= NODE_LEN and _HEX.fullmatch(compact):
        return compact[-NODE_LEN:]
    return hashlib.sha256(raw.encode()).hexdigest()[:NODE_LEN]


def encode(h: HLC) -> str:
    if not 0 <= h.wall <= WALL_MAX or not 0 <= h.counter <= COUNTER_MAX:
        raise ValueError(f"HLC out of range: {h!r}")
    if len(h.node) != NODE_LEN:
        raise ValueError(f"HLC node must be {NODE_LEN} hex digits: {h.node!r}")
    return f"{h.wall:013d}-{h.counter:04x}-{h.node}"


def parse(text: str) -> HLC:
    """Decode an encoded HLC; ``ValueError`` when it is not exactly the fixed format."""
    if len(text) != ENCODED_LEN or _PATTERN.fullmatch(text) is None:
        raise ValueError(f"not an HLC: {text[:40]!r}")
    return HLC(int(text[:13]), int(text[14:18], 16), text[19:])


def parse_wall(text: str) -> int:
    """The wall part of an encoded HLC, checking the whole format like :func:`parse`."""
    if len(text) != ENCODED_LEN or _PATTERN.fullmatch(text) is None:
        raise ValueError(f"not an HLC: {text[:40]!r}")
    return int(text[:13])


def wall_iso(wall: int) -> str:
    """``iso(HLC.physical_time)`` of a wall time in ms: ISO-8601 in UTC, as
    ``datetime.isoformat()`` writes it."""
    return datetime.fromtimestamp(wall / 1000, tz=UTC).isoformat()


def _bounded(wall: int, counter: int, node: str) -> HLC:
    if counter > COUNTER_MAX:  # never wrap: move on by one millisecond
        return HLC(wall + 1, 0, node)
    return HLC(wall, counter, node)


def send(last: HLC, physical_ms: int) -> HLC:
    """The timestamp of a local event (or a message send), after ``last``."""
    if physical_ms > last.wall:
        return HLC(physical_ms, 0, last.node)
    return _bounded(last.wall, last.counter + 1, last.node)


def receive(last: HLC, remote: HLC, physical_ms: int) -> HLC:
    """The local clock after receiving ``remote``: greater than both ``last`` and ``remote``
    (in (wall, counter) order), keeping ``last.node``."""
    wall = max(last.wall, remote.wall, physical_ms)
    if wall == last.wall == remote.wall:
        counter = max(last.counter, remote.counter) + 1
    elif wall == last.wall:
        counter = last.counter + 1
    elif wall == remote.wall:
        counter = remote.counter + 1
    else:
        counter = 0
    return _bounded(wall, counter, last.node)


class Clamped(NamedTuple):
    """A remote timestamp as received (``original``) and as used (``value``)."""

    original: HLC
    value: HLC

    @property
    def clamped(self) -> bool:
        return self.value is not self.original


def clamp(remote: HLC, physical_ms: int, max_ahead_ms: int) -> Clamped:
    """Clamp a remote timestamp whose wall time runs more than ``max_ahead_ms`` ahead of the
    local physical clock to ``physical_ms + max_ahead_ms`` (counter and node kept), so a phone
    with a clock set to next year cannot win every last-writer-wins race. The caller keeps
    both values (the audit keeps the original, the record the clamped one)."""
    limit = physical_ms + max_ahead_ms
    if remote.wall > limit:
        return Clamped(remote, HLC(limit, remote.counter, remote.node))
    return Clamped(remote, remote)


def system_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """A stateful HLC for one node. ``now_ms`` is the injectable physical clock."""

    def __init__(
        self,
        node: str,
        now_ms: Callable[[], int] = system_ms,
        last: HLC | None = None,
    ) -> None:
        if len(node) != NODE_LEN or _HEX.fullmatch(node) is None:
            node = node_id(node)
        self.node = node
        self.now_ms = now_ms
        self.last = last if last is not None else HLC(0, 0, node)
        if self.last.node != node:
            self.last = HLC(self.last.wall, self.last.counter, node)

    def now(self) -> HLC:
        """Tick for a local event and return its timestamp (alias: :meth:`send`)."""
        self.last = send(self.last, self.now_ms())
        return self.last

    send = now

    def receive(self, remote: HLC) -> HLC:
        self.last = receive(self.last, remote, self.now_ms())
        return self.last
