"""IC cards (IC卡中心): the third domain on the kit.

``records`` declares the site's card policy, zones and per-unit quotas, the cards and their
issues; ``rules`` the mutations; ``scenario`` what simulated desks do in the convergence and
parity tests. The phone's side lives in ``web/static/app/cards/``, the office's and the door
system's in ``server/cards/``.

The phone code comes in two parts (:data:`PHONE_PARTS`): ``index.js`` (phone domain
``cards``: the desk's card screens and rules) and ``office.js`` (phone domain
``cards_office``: the rules of what only supervisors and admins do to a card), so a desk's
phone does not carry rules it never runs."""

from sync.domains.cards.records import RECORDS
from sync.domains.cards.rules import MUTATIONS

# phone part (web/static/app/cards/<part>.js, phone domain cards_<part>) -> the mutations
# whose rules it carries; the index part carries the others
PHONE_PARTS = {
    "cards_office": ("card.update", "card.door_taken", "card.lift_blacklist"),
}

__all__ = ["MUTATIONS", "PHONE_PARTS", "RECORDS"]
