// @ts-check
/**
 * The key register's office part (registered in domains.js, phone domain `keys_office`;
 * sync/domains/keys PHONE_PARTS): the rule of voiding a loan, which only supervisors and
 * admins do, so a desk's phone does not carry it. No screens of its own: the inbox's words
 * are the index's.
 */

import { Reject } from "../kit/reject.js";
import { LOAN, LOAN_VOIDED, REASON_REQUIRED, UNKNOWN_LOAN } from "./rules.js";
import { conflictText } from "./views.js";
import { describe } from "./index.js";

export { conflictText, describe };

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "key.void_loan": {
    async apply(ctx, a) {
      if (!a.reason) throw new Reject(REASON_REQUIRED, "voiding a loan needs a reason", "reason");
      const loan = await ctx.get(LOAN, a.loan_id);
      if (!loan) throw new Reject(UNKNOWN_LOAN, `no loan ${a.loan_id}`, "loan_id");
      if (loan.data.voided) throw new Reject(LOAN_VOIDED, `loan ${a.loan_id} is already voided`, "loan_id");
      ctx.update(loan, { voided: true, void_reason: a.reason, voided_by: ctx.actor.staff_id },
        { deleted: true });
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
