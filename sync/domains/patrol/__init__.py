"""Patrol rounds (巡更/巡視): the second domain on the kit.

``records`` declares checkpoints, tags, checklists, routes, schedules, rounds, visits and
incidents; ``rules`` the mutations (the visits' rules in ``visits``, what they share in
``common``); ``scenario`` what simulated guards do in the convergence
and parity tests. The phone's side lives in ``web/static/app/patrol/``, the office's in
``server/patrol/``."""

from sync.domains.patrol.records import RECORDS
from sync.domains.patrol.rules import MUTATIONS

__all__ = ["MUTATIONS", "RECORDS"]
