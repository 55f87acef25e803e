// @ts-check
/**
 * The front-desk rules on the phone: its copy of sync/domains/desk/rules.py (the authority),
 * run for the optimistic apply and the form checks — the device key, the visitor register,
 * issuing a goods-out pass, the shift handover. The gate's check of a pass is in
 * gate_rules.js (the gate part, gate.js: a desk's phone does not carry it), the shared pieces
 * in common.js. tests/parity runs generated sequences of every desk mutation through both and
 * fails on any difference in records, rejections or conflicts — change the two together.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import {
  DEVICE_KEY, GOODS_PASS, HANDOVER, INCOMING_NAME, ITEMS_REQUIRED, NUMBER_CALLED, OUT_AFTER_IN,
  OUT_BEFORE_IN, PHONED_WHEN, PICK_RESIDENT, SAME_PERSON, SHIFT_ORDER, SIGNATURE_REQUIRED,
  UNKNOWN_HANDOVER, UNKNOWN_KEY, UNKNOWN_RESIDENT, UNKNOWN_VISITOR, VALID_AFTER_ISSUE, VISITOR,
  WRITTEN_PHOTO, before, isNew, missing, pick, siteOf, unitOf,
} from "./common.js";

export { DEVICE_KEY, GOODS_PASS, HANDOVER, PASS_CHECK, VISITOR } from "./common.js";

const KEY_ARGS = ["site_id", "public_key", "holder", "registered_at"];
const VISITOR_ARGS = ["site_id", "unit_id", "name", "id_type", "id_last4", "phone",
  "confirmed_by", "resident_id", "called_number", "purpose", "badge", "time_in"];
const PASS_ARGS = ["site_id", "number", "unit_id", "items", "item_count", "plate",
  "valid_until", "basis", "owner_name", "authorisation_photo", "phoned_number", "phoned_at",
  "issued_at", "key_id", "code"];
const DRAFT_ARGS = ["site_id", "shift_start", "shift_end", "summary", "notes", "outgoing_name",
  "outgoing_signature", "drafted_at"];

/** The rules of the mutations the index part carries (the gate's: gate_rules.js).
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "desk.register_key": {
    async apply(ctx, a) {
      const given = pick(a, KEY_ARGS);
      if (!(await isNew(ctx, DEVICE_KEY, a.key_id, given))) return;
      await siteOf(ctx, a.site_id);
      const actor = ctx.actor;
      await ctx.insert(DEVICE_KEY, a.key_id, { ...given, staff_id: actor.staff_id,
        device_id: actor.device_id });
    },
  },

  "visitor.sign_in": {
    check(a) {
      if (a.confirmed_by === "resident" && missing(a.resident_id)) {
        return [new Problem("resident_id", PICK_RESIDENT)];
      }
      if (a.confirmed_by === "phone" && !a.called_number) {
        return [new Problem("called_number", NUMBER_CALLED)];
      }
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, VISITOR_ARGS);
      if (a.confirmed_by === "phone") given.resident_id = null;
      else given.called_number = "";
      if (!(await isNew(ctx, VISITOR, a.visitor_id, given))) return;
      await siteOf(ctx, a.site_id);
      await unitOf(ctx, a.unit_id, a.site_id);
      if (!missing(given.resident_id)) {
        const resident = await ctx.get("resident", a.resident_id);
        if (!resident || resident.deleted || resident.data.unit_id !== a.unit_id) {
          throw new Reject(UNKNOWN_RESIDENT, `no resident ${a.resident_id} of this unit`, "resident_id");
        }
      }
      await ctx.insert(VISITOR, a.visitor_id, { ...given, signed_in_by: ctx.actor.staff_id,
        time_out: null, signed_out_by: null });
    },
  },

  "visitor.sign_out": {
    async apply(ctx, a) {
      const visitor = await ctx.get(VISITOR, a.visitor_id);
      if (!visitor || visitor.deleted) {
        throw new Reject(UNKNOWN_VISITOR, `no visitor ${a.visitor_id}`, "visitor_id");
      }
      const d = visitor.data;
      if (before(a.time_out, d.time_in)) throw new Reject(OUT_BEFORE_IN, OUT_AFTER_IN, "time_out");
      const actor = ctx.actor;
      if (!missing(d.time_out)) {
        if (d.time_out === a.time_out && d.signed_out_by === actor.staff_id) return; // sent again
        // signed out on two phones: the first stands, the office sees both
        ctx.conflict("signed_out_twice", { record_type: VISITOR, record_ids: [visitor.id],
          details: { visitor_id: visitor.id, unit_id: d.unit_id ?? null, sign_outs: [
            { staff_id: d.signed_out_by ?? null, time_out: d.time_out },
            { staff_id: actor.staff_id, time_out: a.time_out }] },
          staff_ids: [d.signed_out_by, actor.staff_id] });
        return;
      }
      ctx.update(visitor, { time_out: a.time_out, signed_out_by: actor.staff_id });
    },
  },

  "pass.issue": {
    check(a) {
      if (!a.items.some((/** @type {string} */ i) => i)) return [new Problem("items", ITEMS_REQUIRED)];
      if (a.basis === "written" && !a.authorisation_photo) {
        return [new Problem("authorisation_photo", WRITTEN_PHOTO)];
      }
      if (a.basis === "phone" && (!a.phoned_number || missing(a.phoned_at))) {
        return [new Problem("phoned_number", PHONED_WHEN)];
      }
      if (!before(a.issued_at, a.valid_until)) return [new Problem("valid_until", VALID_AFTER_ISSUE)];
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, PASS_ARGS);
      given.items = [...a.items];
      if (a.basis !== "written") given.authorisation_photo = "";
      if (a.basis !== "phone") {
        given.phoned_number = "";
        given.phoned_at = null;
      }
      if (!(await isNew(ctx, GOODS_PASS, a.pass_id, given))) return;
      await siteOf(ctx, a.site_id);
      await unitOf(ctx, a.unit_id, a.site_id);
      const key = await ctx.get(DEVICE_KEY, a.key_id);
      if (!key || key.deleted || key.data.site_id !== a.site_id) {
        throw new Reject(UNKNOWN_KEY, `no device key ${a.key_id} at this site`, "key_id");
      }
      const actor = ctx.actor;
      await ctx.insert(GOODS_PASS, a.pass_id, { ...given, issued_by: actor.staff_id,
        device_id: actor.device_id });
    },
  },

  "handover.draft": {
    check(a) {
      if (!before(a.shift_start, a.shift_end)) return [new Problem("shift_end", SHIFT_ORDER)];
      if (!a.outgoing_signature) return [new Problem("outgoing_signature", SIGNATURE_REQUIRED)];
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, DRAFT_ARGS);
      if (!(await isNew(ctx, HANDOVER, a.handover_id, given))) return;
      await siteOf(ctx, a.site_id);
      await ctx.insert(HANDOVER, a.handover_id, { ...given, outgoing_id: ctx.actor.staff_id,
        incoming_id: null, incoming_name: "", incoming_signature: "", received_at: null });
    },
  },

  "handover.receive": {
    check(a) {
      if (!a.incoming_name) return [new Problem("incoming_name", INCOMING_NAME)];
      if (!a.incoming_signature) return [new Problem("incoming_signature", SIGNATURE_REQUIRED)];
      return [];
    },
    async apply(ctx, a) {
      const handover = await ctx.get(HANDOVER, a.handover_id);
      if (!handover || handover.deleted) {
        throw new Reject(UNKNOWN_HANDOVER, `no handover ${a.handover_id}`, "handover_id");
      }
      const d = handover.data;
      const actor = ctx.actor;
      const incoming = a.own_phone ? actor.staff_id : null;
      if (incoming !== null && incoming === d.outgoing_id) {
        throw new Reject(SAME_PERSON, "the outgoing person cannot receive their own handover", "handover_id");
      }
      if (!missing(d.received_at)) {
        if (d.incoming_name === a.incoming_name && d.received_at === a.received_at) return; // sent again
        ctx.conflict("received_twice", { record_type: HANDOVER, record_ids: [handover.id],
          details: { handover_id: handover.id, receipts: [
            { name: d.incoming_name ?? null, staff_id: d.incoming_id ?? null, received_at: d.received_at },
            { name: a.incoming_name, staff_id: incoming, received_at: a.received_at }] },
          staff_ids: [d.outgoing_id, actor.staff_id] });
        return;
      }
      ctx.update(handover, { incoming_id: incoming, incoming_name: a.incoming_name,
        incoming_signature: a.incoming_signature, received_at: a.received_at });
    },
  },
};
