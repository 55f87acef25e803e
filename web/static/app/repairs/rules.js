// @ts-check
/**
 * The repair domain's rules on the phone: its copy of sync/domains/repairs/rules.py (the
 * authority), run for the optimistic apply and the form checks; the visits' rules are in
 * visit_rule.js (the visits part's, visits.js: a desk's or a guard's phone does not carry
 * them), the shared pieces in common.js, the follow-up sample in sampling.js.
 * tests/parity runs generated sequences of every repair mutation through both and fails on
 * any difference in records, rejections or conflicts — change the two together.
 */

import { same } from "../kit/context.js";
import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import {
  ALREADY_EXISTS, CLOSE_REASON_REQUIRED, FOLLOW_UP, NO_RATING_UNREACHED, OPEN_STATES,
  RATING_REQUIRED, REQUEST, REQUEST_CLOSED, UNIT_OR_AREA, UNKNOWN_FOLLOW_UP, UNKNOWN_LOAN,
  UNKNOWN_SITE, UNKNOWN_UNIT, deadlines, openVisits, policyOf, requestOf, working,
} from "./common.js";

/** @typedef {import("../kit/context.js").Context} Context */

export {
  DEFAULT_DEADLINES, FOLLOW_UP, OPEN_STATES, POLICY, REQUEST, VISIT, addMinutes, chargesTotal,
  cleanCharges, deadlines, requestNumber, sampleRule,
} from "./common.js";

/** The arguments a request keeps as they were given. */
const REPORT_ARGS = ["site_id", "number", "unit_id", "area", "category", "urgency", "complaint",
  "description", "photos", "contact_name", "contact_phone", "contact_pref", "source",
  "anomaly_visit_id", "parent_id", "reported_at"];

/** @param {any} v */
const missing = (v) => v === null || v === undefined;

/** The rules of the mutations the index part carries (the visits': visits.js).
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "repair.report": {
    check(a) {
      return missing(a.unit_id) && !a.area ? [new Problem("area", UNIT_OR_AREA)] : [];
    },
    async apply(ctx, a) {
      /** @type {Record<string, any>} */
      const given = {};
      for (const f of REPORT_ARGS) given[f] = a[f];
      const existing = await ctx.get(REQUEST, a.request_id);
      if (existing) {
        if (Object.entries(given).every(([f, v]) => same(existing.data[f] ?? null, v))) return;
        throw new Reject(ALREADY_EXISTS, `request ${a.request_id} already exists differently`);
      }
      const site = await ctx.get("site", a.site_id);
      if (!site || site.deleted) throw new Reject(UNKNOWN_SITE, `no site ${a.site_id}`, "site_id");
      if (!missing(a.unit_id)) {
        const unit = await ctx.get("unit", a.unit_id);
        if (!unit || unit.deleted || unit.data.site_id !== a.site_id) {
          throw new Reject(UNKNOWN_UNIT, `no unit ${a.unit_id} at this site`, "unit_id");
        }
      }
      const [respondBy, completeBy] = deadlines(await policyOf(ctx, a.site_id), a.urgency, a.reported_at);
      const actor = ctx.actor;
      const onSite = a.source === "technician"; // the technician reporting it does it
      await ctx.insert(REQUEST, a.request_id, { ...given, photos: [...a.photos],
        reported_by: actor.staff_id, respond_by: respondBy, complete_by: completeBy,
        state: onSite ? "assigned" : "new", assignee_id: onSite ? actor.staff_id : null,
        appointment_at: null, assigned_at: onSite ? a.reported_at : null, started_at: null,
        finished_at: null, outcome_reason: "", key_loan_id: null, closed_at: null, close_reason: "" });
    },
  },

  "repair.assign": {
    async apply(ctx, a) {
      const request = await requestOf(ctx, a.request_id);
      const state = request.data.state;
      if (!OPEN_STATES.includes(state)) {
        throw new Reject(REQUEST_CLOSED, `request ${a.request_id} is ${state}`, "request_id");
      }
      ctx.update(request, { assignee_id: a.assignee_id, appointment_at: a.appointment_at,
        assigned_at: a.assigned_at, state: state === "new" ? "assigned" : state });
    },
  },

  "repair.link_key": {
    async apply(ctx, a) {
      const request = await requestOf(ctx, a.request_id);
      const loan = await ctx.get("key_loan", a.key_loan_id);
      if (!loan || loan.deleted || loan.data.site_id !== request.data.site_id) {
        // a loan of another site is none of this request's (its borrower stays there)
        throw new Reject(UNKNOWN_LOAN, `no key loan ${a.key_loan_id} at the request's site`, "key_loan_id");
      }
      ctx.update(request, { key_loan_id: a.key_loan_id });
    },
  },

  "repair.follow_up": {
    check(a) {
      if (a.reached && !a.rating) return [new Problem("rating", RATING_REQUIRED)];
      if (!a.reached && a.rating) return [new Problem("rating", NO_RATING_UNREACHED)];
      return [];
    },
    async apply(ctx, a) {
      const follow = await ctx.get(FOLLOW_UP, a.follow_up_id);
      if (!follow || follow.deleted) {
        throw new Reject(UNKNOWN_FOLLOW_UP, `no follow-up ${a.follow_up_id}`, "follow_up_id");
      }
      const d = follow.data;
      const actor = ctx.actor;
      if (!missing(d.done_at)) {
        // recorded on two phones: the first stands, the office sees both
        const firstOne = { staff_id: d.done_by ?? null, done_at: d.done_at ?? null,
          method: d.method ?? null, reached: d.reached ?? null, rating: d.rating ?? null,
          notes: d.notes ?? null };
        const second = { staff_id: actor.staff_id, done_at: a.done_at, method: a.method,
          reached: a.reached, rating: a.rating, notes: a.notes };
        ctx.conflict("double_follow_up", { record_type: FOLLOW_UP, record_ids: [follow.id],
          details: { follow_up_id: follow.id, request_id: d.request_id ?? null,
            follow_ups: [firstOne, second] },
          staff_ids: [d.done_by, actor.staff_id] });
        return;
      }
      if (!a.reached) {
        ctx.update(follow, { method: a.method, notes: a.notes }); // still due
        return;
      }
      ctx.update(follow, { method: a.method, reached: true, rating: a.rating, notes: a.notes,
        done_at: a.done_at, done_by: actor.staff_id });
      if (typeof d.request_id !== "string") return;
      const request = await ctx.get(REQUEST, d.request_id);
      if (!request || request.data.state === "closed") return; // the office's closing stands
      const state = a.rating === "C" ? (request.data.assignee_id ? "assigned" : "new") : "followed_up";
      ctx.update(request, { state });
    },
  },

};
