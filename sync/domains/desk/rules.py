"""The front-desk logs' mutations and their rules — the authority. The phones run their copy
(``web/static/app/desk/rules.js``; the gate check's in
``web/static/app/desk/gate_rules.js``) for their optimistic apply and their form checks;
``tests/parity`` runs generated sequences through both and fails on any difference.

A phone registers its device key for a site (``desk.register_key``); the desk signs a
visitor in (``visitor.sign_in``) and out (``visitor.sign_out``: the gate may too), issues a
goods-out pass signed with its key (``pass.issue``); the gate guard records the check of a
pass it scanned (``pass.check``); at the end of a shift the outgoing person drafts and signs
the handover (``handover.draft``) and the incoming person signs it (``handover.receive``).

The signature itself is verified by the phones (Web Crypto) and shown to the office by the
server (:mod:`sync.domains.desk.passcode`); the rules keep what was presented and what the
guard decided, so a forged pass that was refused is on record too.

Rejection codes: already_exists, unknown_site, unknown_unit, unknown_resident,
unknown_signing_key, unknown_visitor, unknown_handover, out_before_in, same_person (and the
engine's invalid_args, forbidden_role, forbidden_site…). Conflict kinds: signed_out_twice,
pass_used_twice, received_twice.
"""

from __future__ import annotations

from typing import Any

from sync.context import Context
from sync.domains.desk.common import (
    CODES,
    GATE,
    INCOMING_NAME,
    ISSUERS,
    ITEMS_REQUIRED,
    KEY_HOLDERS,
    MESSAGES,
    MISMATCH_SAY,
    NUMBER_CALLED,
    OUT_AFTER_IN,
    OUT_BEFORE_IN,
    PHONED_WHEN,
    PICK_RESIDENT,
    REFUSE_INVALID,
    SAME_PERSON,
    SHIFT,
    SHIFT_ORDER,
    SIGNATURE_REQUIRED,
    UNKNOWN_HANDOVER,
    UNKNOWN_KEY,
    UNKNOWN_RESIDENT,
    UNKNOWN_VISITOR,
    VALID_AFTER_ISSUE,
    WRITTEN_PHOTO,
    _before,
    _given,
    _new,
    _site,
    _unit,
)
from sync.domains.desk.records import (
    DEVICE_KEY,
    DEVICE_KEY_TYPE,
    GOODS_PASS,
    GOODS_PASS_TYPE,
    HANDOVER,
    HANDOVER_TYPE,
    PASS_CHECK,
    PASS_CHECK_TYPE,
    STREAM,
    VISITOR,
    VISITOR_TYPE,
)
from sync.errors import Reject
from sync.kit.args import Arg, arg, id_arg, record_args
from sync.kit.fields import Field, Problem
from sync.registry import MutationSpec, SpaceFrom
from sync.storage import Lookup

# --- desk.register_key ----------------------------------------------------------------------

KEY_ARGS = ("site_id", "public_key", "holder", "registered_at")


def _register_key(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in KEY_ARGS}
    if not _new(ctx, DEVICE_KEY, a.key_id, given):
        return
    _site(ctx, a.site_id)
    actor = ctx.actor
    ctx.insert(DEVICE_KEY, a.key_id, {**given, "staff_id": actor.staff_id,
                                      "device_id": actor.device_id})


# --- visitor.sign_in / visitor.sign_out -----------------------------------------------------

VISITOR_ARGS = ("site_id", "unit_id", "name", "id_type", "id_last4", "phone", "confirmed_by",
                "resident_id", "called_number", "purpose", "badge", "time_in")


def _sign_in_check(a: Any) -> list[Problem]:
    if a.confirmed_by == "resident" and a.resident_id is None:
        return [Problem("resident_id", PICK_RESIDENT)]
    if a.confirmed_by == "phone" and not a.called_number:
        return [Problem("called_number", NUMBER_CALLED)]
    return []


def _sign_in(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in VISITOR_ARGS}
    if a.confirmed_by == "phone":
        given["resident_id"] = None
    else:
        given["called_number"] = ""
    if not _new(ctx, VISITOR, a.visitor_id, given):
        return
    _site(ctx, a.site_id)
    _unit(ctx, a.unit_id, a.site_id)
    if given["resident_id"] is not None:
        resident = ctx.get("resident", a.resident_id)
        if resident is None or resident.deleted or resident.data.get("unit_id") != a.unit_id:
            raise Reject(UNKNOWN_RESIDENT, f"no resident {a.resident_id} of this unit",
                         "resident_id")
    ctx.insert(VISITOR, a.visitor_id, {**given, "signed_in_by": ctx.actor.staff_id,
                                       "time_out": None, "signed_out_by": None})


def _sign_out(ctx: Context, a: Any) -> None:
    visitor = ctx.get(VISITOR, a.visitor_id)
    if visitor is None or visitor.deleted:
        raise Reject(UNKNOWN_VISITOR, f"no visitor {a.visitor_id}", "visitor_id")
    d = visitor.data
    if _before(a.time_out, d.get("time_in")):
        raise Reject(OUT_BEFORE_IN, OUT_AFTER_IN, "time_out")
    actor = ctx.actor
    if d.get("time_out") is not None:
        if d.get("time_out") == a.time_out and d.get("signed_out_by") == actor.staff_id:
            return  # the same sign-out sent again
        # signed out on two phones: the first stands, the office sees both
        ctx.conflict("signed_out_twice", record_type=VISITOR, record_ids=[visitor.id],
                     details={"visitor_id": visitor.id, "unit_id": d.get("unit_id"),
                              "sign_outs": [
                                  {"staff_id": d.get("signed_out_by"),
                                   "time_out": d.get("time_out")},
                                  {"staff_id": actor.staff_id, "time_out": a.time_out}]},
                     staff_ids=[d.get("signed_out_by"), actor.staff_id])
        return
    ctx.update(visitor, {"time_out": a.time_out, "signed_out_by": actor.staff_id})


# --- pass.issue / pass.check ----------------------------------------------------------------

PASS_ARGS = ("site_id", "number", "unit_id", "items", "item_count", "plate", "valid_until",
             "basis", "owner_name", "authorisation_photo", "phoned_number", "phoned_at",
             "issued_at", "key_id", "code")


def _issue_check(a: Any) -> list[Problem]:
    if not [i for i in a.items if i]:
        return [Problem("items", ITEMS_REQUIRED)]
    if a.basis == "written" and not a.authorisation_photo:
        return [Problem("authorisation_photo", WRITTEN_PHOTO)]
    if a.basis == "phone" and (not a.phoned_number or a.phoned_at is None):
        return [Problem("phoned_number", PHONED_WHEN)]
    if not _before(a.issued_at, a.valid_until):
        return [Problem("valid_until", VALID_AFTER_ISSUE)]
    return []


def _issue(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in PASS_ARGS}
    given["items"] = list(a.items)
    if a.basis != "written":
        given["authorisation_photo"] = ""
    if a.basis != "phone":
        given["phoned_number"], given["phoned_at"] = "", None
    if not _new(ctx, GOODS_PASS, a.pass_id, given):
        return
    _site(ctx, a.site_id)
    _unit(ctx, a.unit_id, a.site_id)
    key = ctx.get(DEVICE_KEY, a.key_id)
    if key is None or key.deleted or key.data.get("site_id") != a.site_id:
        raise Reject(UNKNOWN_KEY, f"no device key {a.key_id} at this site", "key_id")
    actor = ctx.actor
    ctx.insert(GOODS_PASS, a.pass_id, {**given, "issued_by": actor.staff_id,
                                       "device_id": actor.device_id})


CHECK_ARGS = ("site_id", "pass_id", "number", "code", "verdict", "outcome", "photos", "note",
              "checked_at")


def _check_check(a: Any) -> list[Problem]:
    if a.verdict != "valid" and a.outcome != "refused":
        return [Problem("outcome", REFUSE_INVALID)]
    if a.outcome == "mismatch" and not a.note and not a.photos:
        return [Problem("note", MISMATCH_SAY)]
    return []


def _check(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in CHECK_ARGS}
    given["photos"] = list(a.photos)
    if not _new(ctx, PASS_CHECK, a.check_id, given):
        return
    _site(ctx, a.site_id)
    actor = ctx.actor
    check = ctx.insert(PASS_CHECK, a.check_id, {**given, "checked_by": actor.staff_id,
                                                "device_id": actor.device_id})
    if a.outcome != "passed":
        return
    earlier = sorted((r for r in ctx.find(PASS_CHECK, "pass_id", a.pass_id)
                      if r.id != check.id and not r.deleted
                      and r.data.get("outcome") == "passed"),
                     key=lambda r: (str(r.data.get("checked_at")), r.id))
    if earlier:
        first = earlier[0]
        ctx.conflict("pass_used_twice", record_type=PASS_CHECK,
                     record_ids=[first.id, check.id],
                     details={"pass_id": a.pass_id, "number": a.number,
                              "checks": [{"check_id": first.id,
                                          "staff_id": first.data.get("checked_by"),
                                          "checked_at": first.data.get("checked_at")},
                                         {"check_id": check.id, "staff_id": actor.staff_id,
                                          "checked_at": a.checked_at}]},
                     staff_ids=[first.data.get("checked_by"), actor.staff_id])


# --- handover.draft / handover.receive ------------------------------------------------------

DRAFT_ARGS = ("site_id", "shift_start", "shift_end", "summary", "notes", "outgoing_name",
              "outgoing_signature", "drafted_at")


def _draft_check(a: Any) -> list[Problem]:
    if not _before(a.shift_start, a.shift_end):
        return [Problem("shift_end", SHIFT_ORDER)]
    if not a.outgoing_signature:
        return [Problem("outgoing_signature", SIGNATURE_REQUIRED)]
    return []


def _draft(ctx: Context, a: Any) -> None:
    given = {f: getattr(a, f) for f in DRAFT_ARGS}
    if not _new(ctx, HANDOVER, a.handover_id, given):
        return
    _site(ctx, a.site_id)
    ctx.insert(HANDOVER, a.handover_id, {
        **given, "outgoing_id": ctx.actor.staff_id, "incoming_id": None,
        "incoming_name": "", "incoming_signature": "", "received_at": None})


def _receive_check(a: Any) -> list[Problem]:
    if not a.incoming_name:
        return [Problem("incoming_name", INCOMING_NAME)]
    if not a.incoming_signature:
        return [Problem("incoming_signature", SIGNATURE_REQUIRED)]
    return []


def _receive(ctx: Context, a: Any) -> None:
    handover = ctx.get(HANDOVER, a.handover_id)
    if handover is None or handover.deleted:
        raise Reject(UNKNOWN_HANDOVER, f"no handover {a.handover_id}", "handover_id")
    d = handover.data
    actor = ctx.actor
    incoming = actor.staff_id if a.own_phone else None
    if incoming is not None and incoming == d.get("outgoing_id"):
        raise Reject(SAME_PERSON, "the outgoing person cannot receive their own handover",
                     "handover_id")
    if d.get("received_at") is not None:
        if (d.get("incoming_name"), d.get("received_at")) == (a.incoming_name, a.received_at):
            return  # the same signature sent again
        ctx.conflict("received_twice", record_type=HANDOVER, record_ids=[handover.id],
                     details={"handover_id": handover.id, "receipts": [
                         {"name": d.get("incoming_name"), "staff_id": d.get("incoming_id"),
                          "received_at": d.get("received_at")},
                         {"name": a.incoming_name, "staff_id": incoming,
                          "received_at": a.received_at}]},
                     staff_ids=[d.get("outgoing_id"), actor.staff_id])
        return
    ctx.update(handover, {"incoming_id": incoming, "incoming_name": a.incoming_name,
                          "incoming_signature": a.incoming_signature,
                          "received_at": a.received_at})


# --- registration ---------------------------------------------------------------------------

SITE_SPACE = SpaceFrom("site_id", stream=STREAM)


def _a(rt: Any, name: str) -> Arg:
    return arg(name, _given(rt.field(name)))


MUTATIONS: tuple[MutationSpec, ...] = (
    MutationSpec(
        name="desk.register_key", label="Device key registered",
        args=(id_arg("key_id", DEVICE_KEY),
              *record_args(DEVICE_KEY_TYPE, "site_id", "public_key", "holder",
                           "registered_at")),
        space_from=(SITE_SPACE,),
        apply=_register_key, roles=KEY_HOLDERS, creates=((DEVICE_KEY, "key_id"),),
        description="A phone's public key (ECDSA P-256, raw, base64url) for a site, made at "
                    "sign-in: the gate's phones verify the passes it signs with it. Refused: "
                    "`already_exists` (the id with another key; identical = no-op), "
                    "`unknown_site`.",
    ),
    MutationSpec(
        name="visitor.sign_in", label="Visitor signed in",
        args=(id_arg("visitor_id", VISITOR),
              *record_args(VISITOR_TYPE, "site_id", "unit_id", "name", "id_type", "purpose",
                           "confirmed_by", "time_in", id_last4="", phone="", resident_id=None,
                           called_number="", badge="")),
        check=_sign_in_check,
        space_from=(SITE_SPACE,),
        apply=_sign_in, roles=ISSUERS, creates=((VISITOR, "visitor_id"),),
        description="來訪登記: a visitor for a unit, confirmed by one of its residents or by "
                    "phone (the number called). Refused: `already_exists`, `unknown_site`, "
                    "`unknown_unit`, `unknown_resident` (not a resident of the unit), "
                    "`invalid_args`.",
    ),
    MutationSpec(
        name="visitor.sign_out", label="Visitor signed out",
        args=(id_arg("visitor_id", VISITOR), _a(VISITOR_TYPE, "time_out")),
        space_from=(SpaceFrom("visitor_id", record=VISITOR),),
        apply=_sign_out, roles=SHIFT,
        description="The visitor leaves (at the desk or the gate). Refused: "
                    "`unknown_visitor`, `out_before_in`. Flagged: `signed_out_twice` "
                    "(signed out on two phones: the first stands).",
    ),
    MutationSpec(
        name="pass.issue", label="Goods-out pass issued",
        args=(id_arg("pass_id", GOODS_PASS),
              *record_args(GOODS_PASS_TYPE, "site_id", "number", "unit_id", "items",
                           "item_count", "issued_at", "valid_until", "basis", "owner_name",
                           "key_id", "code", plate="", authorisation_photo="",
                           phoned_number="", phoned_at=None)),
        check=_issue_check,
        space_from=(SITE_SPACE,),
        apply=_issue, roles=ISSUERS, creates=((GOODS_PASS, "pass_id"),),
        description="放行條: goods leaving a unit, on the basis the manual requires (the "
                    "owner present, a photo of their written authorisation, or the owner "
                    "reached by phone), with `code`, the QR text signed by the phone's "
                    "device key. Refused: `already_exists`, `unknown_site`, `unknown_unit`, "
                    "`unknown_signing_key` (not a device key registered at the site), "
                    "`invalid_args`.",
    ),
    MutationSpec(
        name="pass.check", label="Pass checked at the gate",
        args=(id_arg("check_id", PASS_CHECK),
              *record_args(PASS_CHECK_TYPE, "site_id", "pass_id", "number", "code",
                           "verdict", "outcome", "checked_at", photos=[], note="")),
        check=_check_check,
        space_from=(SITE_SPACE,),
        apply=_check, roles=GATE, creates=((PASS_CHECK, "check_id"),),
        lookups=lambda a: [Lookup(PASS_CHECK, "pass_id", a.pass_id)],
        description="The gate guard's check of a scanned pass: the signature's verdict "
                    "(made on the phone, offline) and the goods (match: let out; do not "
                    "match: a note or photo; refused). Refused: `already_exists`, "
                    "`unknown_site`, `invalid_args` (a pass not valid let out…). Flagged: "
                    "`pass_used_twice` (let out at two gates).",
    ),
    MutationSpec(
        name="handover.draft", label="Handover signed",
        args=(id_arg("handover_id", HANDOVER),
              *record_args(HANDOVER_TYPE, "site_id", "shift_start", "shift_end", "summary",
                           "outgoing_name", "outgoing_signature", "drafted_at", notes="")),
        check=_draft_check,
        space_from=(SITE_SPACE,),
        apply=_draft, roles=SHIFT, creates=((HANDOVER, "handover_id"),),
        description="交接班: the outgoing person's handover, drafted from the data (keys, "
                    "cards, rounds, requests, visitors inside), their notes and signature. "
                    "Refused: `already_exists`, `unknown_site`, `invalid_args`.",
    ),
    MutationSpec(
        name="handover.receive", label="Handover received",
        args=(id_arg("handover_id", HANDOVER),
              *record_args(HANDOVER_TYPE, "incoming_name", "incoming_signature"),
              _a(HANDOVER_TYPE, "received_at"),
              arg("own_phone", Field("own_phone", "bool", label="On their own phone"), False)),
        check=_receive_check,
        space_from=(SpaceFrom("handover_id", record=HANDOVER),),
        apply=_receive, roles=SHIFT,
        description="The incoming person signs the handover, on the outgoing phone (their "
                    "name typed) or on their own (`own_phone`: they are the one signed in). "
                    "Refused: `unknown_handover`, `same_person`. Flagged: `received_twice` "
                    "(signed on two phones: the first stands).",
    ),
)

__all__ = ["CODES", "MESSAGES", "MUTATIONS"]
