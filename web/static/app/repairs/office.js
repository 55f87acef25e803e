// @ts-check
/**
 * The repairs' office part (registered in domains.js, phone domain `repairs_office`;
 * sync/domains/repairs PHONE_PARTS): the rule of the office closing a request, which only
 * supervisors and admins do, so a desk's, a guard's or a technician's phone does not carry
 * it. No screens of its own: the inbox's words are the index's (words.js).
 */

import { Problem } from "../kit/fields.js";
import { CLOSE_REASON_REQUIRED, REQUEST, openVisits, requestOf, working } from "./common.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { conflictText, describe, rejectionText };

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "repair.close": {
    check(a) {
      return a.reason ? [] : [new Problem("reason", CLOSE_REASON_REQUIRED)];
    },
    async apply(ctx, a) {
      let request = await requestOf(ctx, a.request_id);
      if (request.data.state === "closed") return; // the first closing stands
      request = ctx.update(request, { state: "closed", closed_at: a.closed_at, close_reason: a.reason });
      for (const visit of await openVisits(ctx, request.id)) {
        // a technician is inside: their visit goes on being recorded, the office checks
        ctx.conflict("closed_while_working", { record_type: REQUEST, record_ids: [request.id],
          details: working(request, visit.id, visit.data.arrived_at),
          staff_ids: [visit.data.technician_id, ctx.actor.staff_id] });
      }
    },
  },
};

/** Its conflicts are the index's to put in words. @type {string[]} */
export const CONFLICT_KINDS = [];

/** No one's home. @param {string} _role */
export function forRole(_role) {
  return false;
}

/** (Never anyone's home: forRole; the contract's screen is the index's.) */
export { home } from "./index.js";

export function registerRoutes() {}

/** @param {string} _role @returns {{href: string, label: string}[]} */
export function nav(_role) {
  return [];
}

/** @param {string} _type @param {string} _id */
export function recordHref(_type, _id) {
  return "";
}
