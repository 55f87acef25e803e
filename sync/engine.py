"""Push and pull of sync protocol v1: pure orchestration over :mod:`sync.storage`.

Each call is one transaction that the server opens around it (and retries on a serialization
failure or :class:`sync.errors.TryAgain`). The numbered comments in the code match these steps.

Push (``POST /api/v1/sync/push``)
  1. Check ``schema_version`` (current or previous) — else ``UpdateRequired`` (426).
  2. Load the client's row, locked; a new client starts at last_mutation_id 0. A client of
     another staff member — ``ClientMismatch`` (403).
  3. Drop mutations with id <= last_mutation_id: retries, already applied, acknowledged.
  4. The first remaining id must be last_mutation_id + 1 and the ids consecutive — else
     ``MutationGap`` (409, expected id) and nothing is written. Nothing left: answer at once.
  5. Per mutation: find its spec (``unknown_mutation``), upgrade args of the previous schema
     version, decode them (``invalid_args``), parse its HLC (``invalid_hlc``) and clamp an HLC
     running more than ``max_clock_ahead_ms`` ahead of the server clock.
  6. Resolve each mutation's space: ``spaces_of`` all refs in one call, then ``spec.space`` in
     batch order (records a mutation ``creates`` resolve the mutations after it).
  7. Authorise: role in ``spec.roles`` (``forbidden_role``), the space's site among the
     actor's sites (``forbidden_site``); every blob the arguments name was uploaded by the
     actor or is named by a record the actor may read (``unknown_blob``).
  8. Lock the authorised mutations' spaces in sorted order and read their versions.
  9. Load every ref and lookup of the authorised mutations in one call.
  10. Apply the mutations in order over one overlay view (each sees the effects of the ones
      before it). A ``Reject`` from the rules discards that mutation's effects and becomes a
      rejection row; it still counts. Effects give audit rows (before/after per changed
      field, user, device, device HLC and time, server time) and conflict rows.
  11. Each space with changes gets ONE new version (old + 1); every changed record is stamped
      with it (conflicts too).
  12. ONE ``store.write``: records, audit, conflicts, rejections, versions and the client's
      new last_mutation_id — in the push's transaction.
  13. Answer ``PushResponse`` (last_mutation_id, applied, rejected, conflicts).

Pull (``POST /api/v1/sync/pull``)
  1. Check ``schema_version`` — else ``UpdateRequired``.
  2. Decode the cookie; a bad one means "from nothing" (never an error); one of another
     schema version restarts every space from nothing, after ``del space`` for its spaces.
  3. The actor's spaces: each of their sites × each stream their role reads, plus ``org``
     (:mod:`sync.streams`).
  4. Spaces in the cookie no longer assigned: send ``del space <id>`` (the phone drops every
     record of it) and forget them. Newly assigned spaces start at version 0.
  5. Read the client's last_mutation_id and the spaces' current versions (one snapshot).
  6. When no round is in progress, reset the progress counters (total, sent).
  7. Per space, in sorted order: a cookie ahead of the server (a restored database) restarts
     the space with ``del space`` and version 0; an idle space behind the current version
     starts a round with a fixed target (the current version) and adds ``count_changed`` to
     ``total``; then records in (done, target] after the cursor, in (version, type, id) order,
     up to the page budget: ``put`` with the record's data plus ``space``, ``version`` (and
     ``hlc``, the newest field HLC, when the record has any), or ``del`` for a tombstone (data
     ``{"reason": …}`` when known). A round that ran out of records completes (done = target).
  8. ``more`` while any round is in progress or any space is past its ``done`` version, so
     a pull answered with ``more=False`` is complete up to the snapshot that read
     ``last_mutation_id`` (the phone drops confirmed mutations only then).
  9. The client's rejections after the cookie's last delivered mutation id (only rows of the
     acting staff member: a borrowed client id shows nobody else's args).
  10. Answer ``PullResponse`` with the new cookie.
"""

from sync.cookie import Cookie
from sync.office import OfficeResult, apply_office
from sync.pull import DEFAULT_PAGE_SIZE, RESERVED, pull, render, render_all
from sync.push import (
    DEFAULT_MAX_CLOCK_AHEAD_MS,
    check_schema,
    push,
    push_isolating,
)

__all__ = [
    "DEFAULT_MAX_CLOCK_AHEAD_MS", "DEFAULT_PAGE_SIZE", "RESERVED", "Cookie", "OfficeResult",
    "apply_office", "check_schema", "pull", "push", "push_isolating", "render", "render_all",
]
