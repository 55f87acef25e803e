"""Repairs (報修), in-home visits (入室服務) and follow-ups (回訪): the fourth domain on the kit.

``records`` declares the site's repair policy and team, the requests, the visits and the
follow-ups; ``rules`` the mutations (the visits' in ``visit``, the shared pieces in
``common``, the follow-up sample in ``sampling``); ``jobs`` which requests are a
technician's jobs (:mod:`sync.buckets`); ``scenario`` what simulated desks and technicians do
in the convergence and parity tests. The phone's side lives in ``web/static/app/repairs/``,
the office's in ``server/repairs/``.

The phone code comes in two parts (:data:`PHONE_PARTS`): ``index.js`` (phone domain
``repairs``: the report form, the desk's screens, the follow-ups) and ``visits.js`` (phone
domain ``repairs_visits``: the technician's jobs and visits), so a desk's or a guard's phone
does not carry the technician's screens and rules (``server/app_shell/domain_sets.py``)."""

from sync.domains.repairs.jobs import JOBS
from sync.domains.repairs.records import RECORDS
from sync.domains.repairs.rules import MUTATIONS

# phone part (web/static/app/repairs/<part>.js, phone domain repairs_<part>) -> the mutations
# whose rules and screens it carries; the index part (index.js) carries the others
PHONE_PARTS = {
    "repairs_visits": ("repair.start_visit", "repair.update_visit", "repair.close_visit"),
    # the office's closing (supervisors and admins): no field phone carries its rule
    "repairs_office": ("repair.close",),
}

__all__ = ["JOBS", "MUTATIONS", "PHONE_PARTS", "RECORDS"]
