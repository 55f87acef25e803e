// @ts-check
/**
 * The IC cards' office part (registered in domains.js, phone domain `cards_office`;
 * sync/domains/cards PHONE_PARTS): the rules of what only supervisors and admins do to a card
 * — correct it, record the door system taking its blacklisting, lift a blacklisting — so a
 * desk's phone, which does none of them, does not carry them. No screens of its own: the
 * inbox's words are the index's (words.js).
 */

import { Reject } from "../kit/reject.js";
import { CARD_NOT_BLACKLISTED, REASON_REQUIRED, blacklisted, cardOf, holderAfter, openIssues } from "./common.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { conflictText, describe, rejectionText };

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "card.update": {
    async apply(ctx, a) {
      ctx.correct(await cardOf(ctx, a.card_id), a.fields);
    },
  },

  "card.door_taken": {
    async apply(ctx, a) {
      const card = await cardOf(ctx, a.card_id);
      if (!blacklisted(card.data)) {
        throw new Reject(CARD_NOT_BLACKLISTED, `card ${a.card_id} is not blacklisted`, "card_id");
      }
      if (card.data.door_taken_at === null || card.data.door_taken_at === undefined) {
        ctx.update(card, { door_taken_at: a.taken_at });
      }
    },
  },

  "card.lift_blacklist": {
    async apply(ctx, a) {
      const card = await cardOf(ctx, a.card_id);
      if (!blacklisted(card.data)) {
        throw new Reject(CARD_NOT_BLACKLISTED, `card ${a.card_id} is not blacklisted`, "card_id");
      }
      if (!a.reason) throw new Reject(REASON_REQUIRED, "lifting a blacklisting needs a reason", "reason");
      ctx.update(card, { status: "in_stock", blacklisted_at: null, door_taken_at: null,
        ...holderAfter(card, await openIssues(ctx, "card_id", card.id)) });
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
