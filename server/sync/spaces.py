"""Space versions: every change to a synced record happens inside a transaction that bumps
its space's version and stamps the record with it. Pulls page on these versions.

A record's space is its site × the stream its type is declared in (:mod:`sync.streams`):
:func:`space_of` is the one place the server turns a record type and a site into a space.
Office edits (reference data, resolutions) call :func:`bump` inside their transaction;
pushes lock and bump the same rows through the sync store.
"""

from __future__ import annotations

from server.sync.tables import SpaceVersion
from sync import streams
from sync.domains import default_registry


def stream_of(record_type: str) -> str:
    stream = default_registry().records[record_type].stream
    if not stream:
        raise ValueError(f"{record_type} has no stream of its own")
    return stream


def space_of(record_type: str, site_id: str) -> str:
    """The space a record of ``record_type`` at ``site_id`` lives in."""
    return streams.space(str(site_id), stream_of(record_type))


async def bump(space: str) -> int:
    """Increment ``space``'s version (creating it) and return the new version.

    Call inside a transaction that also writes the changed rows with this version, so a
    pull never sees the version without the rows."""
    rows = await SpaceVersion.update(
        {SpaceVersion.version: SpaceVersion.version + 1}
    ).where(SpaceVersion.space == space).returning(SpaceVersion.version)
    if rows:
        return int(rows[0]["version"])
    await SpaceVersion.insert(SpaceVersion(space=space, version=1))
    return 1


async def bump_for(record_type: str, site_id: str) -> tuple[str, int]:
    """The space of a record of ``record_type`` at ``site_id``, and its new version."""
    space = space_of(record_type, site_id)
    return space, await bump(space)
