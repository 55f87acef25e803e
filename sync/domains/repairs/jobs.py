"""What makes a unit a technician's job (:class:`sync.buckets.Jobs`): a request assigned to
them and open, or finished within the last 14 days; and a visit of theirs still open, or
closed within the last 14 days — so a visit under way stays on their phone when the office
closes or reassigns its request. The units of these jobs are what a technician's phone
receives of the ``visits`` and ``residents`` streams."""

from __future__ import annotations

from sync.buckets import Jobs
from sync.domains.repairs.records import OPEN_STATES, REQUEST, VISIT

RECENT_DAYS = 14

JOBS = (
    Jobs(record_type=REQUEST, person_field="assignee_id", open_field="state",
         open_values=OPEN_STATES, recent_field="finished_at", recent_days=RECENT_DAYS),
    Jobs(record_type=VISIT, person_field="technician_id", open_field="outcome",
         open_values=("",), recent_field="closed_at", recent_days=RECENT_DAYS),
)
