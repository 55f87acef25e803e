"""What the desk's rules share: who may act, the rejection codes and the checks' messages,
and the reads every rule makes (a site, a unit of it, "a new record or the same one sent
again"). The phone's copy is ``web/static/app/desk/common.js``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync.context import Context
from sync.errors import Reject
from sync.kit.fields import Field
from sync.storage import Record

# who may act
ISSUERS = frozenset({"front_desk", "supervisor", "admin"})  # sign visitors in, issue passes
GATE = frozenset({"patrol", "supervisor", "admin"})  # check passes at the gate
SHIFT = frozenset({"front_desk", "patrol", "supervisor", "admin"})  # sign out, hand over
KEY_HOLDERS = ISSUERS

# rejection codes of this domain
ALREADY_EXISTS = "already_exists"
UNKNOWN_SITE = "unknown_site"
UNKNOWN_UNIT = "unknown_unit"
UNKNOWN_RESIDENT = "unknown_resident"
UNKNOWN_KEY = "unknown_signing_key"  # (keys have their own unknown_key)
UNKNOWN_VISITOR = "unknown_visitor"
UNKNOWN_HANDOVER = "unknown_handover"
OUT_BEFORE_IN = "out_before_in"
SAME_PERSON = "same_person"
CODES = (ALREADY_EXISTS, UNKNOWN_SITE, UNKNOWN_UNIT, UNKNOWN_RESIDENT, UNKNOWN_KEY,
         UNKNOWN_VISITOR, UNKNOWN_HANDOVER, OUT_BEFORE_IN, SAME_PERSON)

# messages of the cross-field checks (English ids of the catalogs)
PICK_RESIDENT = "Pick the resident who confirmed."
NUMBER_CALLED = "Give the number called."
WRITTEN_PHOTO = "Take a photo of the written authorisation."
PHONED_WHEN = "Give the number called and when."
VALID_AFTER_ISSUE = "A pass must be valid after it is issued."
ITEMS_REQUIRED = "List the items."
MISMATCH_SAY = "Say or photograph what does not match."
REFUSE_INVALID = "A pass that is not valid is refused."
OUT_AFTER_IN = "The time out is before the time in."
SHIFT_ORDER = "The shift ends before it starts."
SIGNATURE_REQUIRED = "Sign on the screen."
INCOMING_NAME = "The incoming person's name."
MESSAGES = (PICK_RESIDENT, NUMBER_CALLED, WRITTEN_PHOTO, PHONED_WHEN, VALID_AFTER_ISSUE,
            ITEMS_REQUIRED, MISMATCH_SAY, REFUSE_INVALID, OUT_AFTER_IN, SHIFT_ORDER,
            SIGNATURE_REQUIRED, INCOMING_NAME)


def _before(a: Any, b: Any) -> bool:
    """``a`` is a moment before ``b`` (stored UTC ISO strings compare as text, as on the
    phone: :func:`sync.context.iso`)."""
    return isinstance(a, str) and isinstance(b, str) and a < b


def _site(ctx: Context, site_id: str) -> None:
    site = ctx.get("site", site_id)
    if site is None or site.deleted:
        raise Reject(UNKNOWN_SITE, f"no site {site_id}", "site_id")


def _unit(ctx: Context, unit_id: str, site_id: str) -> Record:
    unit = ctx.get("unit", unit_id)
    if unit is None or unit.deleted or unit.data.get("site_id") != site_id:
        raise Reject(UNKNOWN_UNIT, f"no unit {unit_id} at this site", "unit_id")
    return unit


def _new(ctx: Context, type_: str, id_: str, given: dict[str, Any]) -> bool:
    """True when the record is new; an identical one sent again is a no-op (False)."""
    existing = ctx.get(type_, id_)
    if existing is None:
        return True
    if all(existing.data.get(f) == v for f, v in given.items()):
        return False
    raise Reject(ALREADY_EXISTS, f"{type_} {id_} already exists differently")


def _given(f: Field, **over: Any) -> Field:
    """A record's field as an argument the phone gives (not set by the rules, not null)."""
    return replace(f, server=False, nullable=False, **over)
