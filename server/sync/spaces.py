"""Space versions: every change to a synced record happens inside a transaction that bumps
its space's version and stamps the record with it. Pulls page on these versions.

Office edits (reference data, key register, conflict resolutions) call :func:`bump` inside
their transaction; pushes lock and bump the same rows through the sync store.
"""

from __future__ import annotations

from server.sync.tables import SpaceVersion


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
