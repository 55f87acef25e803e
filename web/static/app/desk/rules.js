// @ts-check
/**
 * The front-desk rules on the phone: its copy of sync/domains/desk/rules.py (the authority),
 * run for the optimistic apply and the form checks — what the desk and the gate both do:
 * signing a visitor out, the shift handover. The desk's own (the device key, signing a visitor
 * in, issuing a pass) are in front_rules.js (the front part, front.js), the gate's check of a
 * pass in gate_rules.js (the gate part, gate.js); the shared pieces in common.js. tests/parity runs generated sequences of every desk mutation through both and
 * fails on any difference in records, rejections or conflicts — change the two together.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import {
  HANDOVER, INCOMING_NAME, OUT_AFTER_IN, OUT_BEFORE_IN, SAME_PERSON, SHIFT_ORDER,
  SIGNATURE_REQUIRED, UNKNOWN_HANDOVER, UNKNOWN_VISITOR, VISITOR, before, isNew, missing, pick,
  siteOf,
} from "./common.js";

export { DEVICE_KEY, GOODS_PASS, HANDOVER, PASS_CHECK, VISITOR } from "./common.js";

const DRAFT_ARGS = ["site_id", "shift_start", "shift_end", "summary", "notes", "outgoing_name",
  "outgoing_signature", "drafted_at"];

/** The rules of the mutations the index part carries.
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
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
