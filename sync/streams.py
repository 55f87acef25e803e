"""Sync streams: who receives what, declared as data (as PowerSync's bucket rules are).

A *space* is a site × a stream — ``<site id>:<stream>`` — plus the org-wide space ``org``.
Every record type belongs to one stream (its declaration says which); every role reads a set
of streams at each of its sites. Per-space version rows, locks and cursors work unchanged:
spaces are only finer, so a guard's phone never receives key borrowers' phone numbers or
residents' details, and pushes to different streams of one site do not contend.

A stream may also name roles that receive only part of it (``by_unit``): a technician gets
the residents, requests and visits of the units on their own jobs (:mod:`sync.buckets`).
The desk stream of a domain still to come is declared here already and stays empty until
its records arrive. ``tests/integration/test_sync_streams.py`` proves the
matrix on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sync import ORG_SPACE

SEPARATOR = ":"

# The staff roles (code -> label, a message id of the catalogs): declared once, here.
ROLE_LABELS = {
    "patrol": "Patrol guard", "technician": "Technician", "front_desk": "Front desk",
    "supervisor": "Supervisor", "admin": "Administrator",
}
ROLES = tuple(ROLE_LABELS)
# These read every stream of their sites.
EVERYTHING = frozenset({"admin", "supervisor"})


@dataclass(frozen=True, slots=True)
class Stream:
    name: str
    readers: frozenset[str]  # roles that read it (besides admin and supervisor)
    description: str = ""
    # roles that receive only the records of the units on their own jobs (sync.buckets)
    by_unit: frozenset[str] = frozenset()


STREAMS: tuple[Stream, ...] = (
    Stream("estate", frozenset(ROLES), "sites, buildings, units"),
    Stream("residents", frozenset({"front_desk"}), "residents of units (personal data)",
           by_unit=frozenset({"technician"})),
    Stream("keys", frozenset({"front_desk"}), "key register and key loans"),
    Stream("patrol", frozenset({"patrol"}), "patrol: checkpoints, routes, rounds, visits"),
    Stream("cards", frozenset({"front_desk"}), "IC cards: policy, zones, quotas, cards, issues"),
    Stream("visits", frozenset({"front_desk"}),
           "repair requests, in-home visits and follow-ups", by_unit=frozenset({"technician"})),
    Stream("desk", frozenset({"front_desk", "patrol"}),
           "front-desk logs: visitors, goods-out passes and their gate checks, handovers"),
)
BY_NAME = {s.name: s for s in STREAMS}


def space(site_id: str, stream: str) -> str:
    """The space of ``stream`` at ``site_id``."""
    return f"{site_id}{SEPARATOR}{stream}"


def site_of(space_id: str) -> str:
    """The site a space belongs to ("" for ``org``)."""
    site, sep, _stream = space_id.partition(SEPARATOR)
    return site if sep else ""


def stream_of(space_id: str) -> str:
    _site, sep, stream = space_id.partition(SEPARATOR)
    return stream if sep else ""


def streams_of(role: str) -> tuple[str, ...]:
    """The streams ``role`` reads at each of its sites."""
    return tuple(s.name for s in STREAMS if role in EVERYTHING or role in s.readers)


def filtered_streams(role: str) -> tuple[str, ...]:
    """The streams ``role`` receives only the job units' part of (``by_unit``)."""
    whole = set(streams_of(role))
    return tuple(s.name for s in STREAMS if role in s.by_unit and s.name not in whole)


def readable_spaces(role: str, sites: Iterable[str]) -> frozenset[str]:
    """Every space a person of ``role`` assigned to ``sites`` receives (``org`` included)."""
    streams = streams_of(role)
    return frozenset({ORG_SPACE, *(space(site, s) for site in sites for s in streams)})


def blob_spaces(role: str, sites: Iterable[str]) -> frozenset[str]:
    """The spaces whose records' blobs ``role`` may name and fetch: those it reads, and the
    spaces of the streams it receives filtered (a technician's request photos)."""
    site_list = list(sites)
    return readable_spaces(role, site_list) | {
        space(site, s) for site in site_list for s in filtered_streams(role)}


def site_spaces(site_id: str) -> list[str]:
    """Every stream's space of one site (the office's writes to a site, a new site)."""
    return [space(site_id, s.name) for s in STREAMS]
