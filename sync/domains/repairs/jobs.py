"""What makes a repair request a technician's job (:class:`sync.buckets.Jobs`): assigned to
them and open, or finished within the last 14 days. The units of these jobs are what a
technician's phone receives of the ``visits`` and ``residents`` streams."""

from __future__ import annotations

from sync.buckets import Jobs
from sync.domains.repairs.records import OPEN_STATES, REQUEST

RECENT_DAYS = 14

JOBS = Jobs(record_type=REQUEST, person_field="assignee_id", open_field="state",
            open_values=OPEN_STATES, recent_field="finished_at", recent_days=RECENT_DAYS)
