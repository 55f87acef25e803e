"""IC cards (IC卡中心): the third domain on the kit.

``records`` declares the site's card policy, zones and per-unit quotas, the cards and their
issues; ``rules`` the mutations; ``scenario`` what simulated desks do in the convergence and
parity tests. The phone's side lives in ``web/static/app/cards/``, the office's and the door
system's in ``server/cards/``."""

from sync.domains.cards.records import RECORDS
from sync.domains.cards.rules import MUTATIONS

__all__ = ["MUTATIONS", "RECORDS"]
