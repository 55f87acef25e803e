// @ts-check
/**
 * The IC-card domain's rules on the phone: its copy of sync/domains/cards/rules.py (the
 * authority), run for the optimistic apply and the form checks; card.issue's rule is in
 * issue_rule.js, the shared pieces in common.js. tests/parity runs generated sequences of
 * every card mutation through both and fails on any difference in records, rejections or
 * conflicts — change the two together.
 */

import { same } from "../kit/context.js";
import { recordDecl } from "../kit/declarations.js";
import { Reject } from "../kit/reject.js";
import {
  ALREADY_EXISTS, CARD, CARD_NOT_BLACKLISTED, ISSUE, ISSUE_ENDED, NUMBER_IN_USE, REASON_REQUIRED,
  UNKNOWN_ISSUE, UNKNOWN_SITE, blacklist, blacklisted, cardOf, endIssue, holderAfter,
  openIssues, summary,
} from "./common.js";
import { applyIssue, issueCheck, quotaOf, quotaState } from "./issue_rule.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export { BLACKLISTED, CARD, ISSUE, POLICY, QUOTA, ZONE } from "./common.js";
export { quotaOf, quotaState };

const STOCK_FIELDS = ["site_id", "number", "uid", "technology", "batch", "notes"];

/** The issue named, of this card and still held. @param {Context} ctx @param {string} cardId
 * @param {string} issueId @returns {Promise<Rec>} */
async function issueOf(ctx, cardId, issueId) {
  const issue = await ctx.get(ISSUE, issueId);
  if (!issue || issue.data.card_id !== cardId) {
    throw new Reject(UNKNOWN_ISSUE, `no issue ${issueId} of card ${cardId}`, "issue_id");
  }
  if (issue.data.ended_at !== null && issue.data.ended_at !== undefined) {
    throw new Reject(ISSUE_ENDED, `issue ${issueId} has ended`, "issue_id");
  }
  return issue;
}

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "card.stock": {
    async apply(ctx, a) {
      /** @type {Record<string, any>} */
      const given = {};
      for (const f of STOCK_FIELDS) given[f] = a[f];
      const existing = await ctx.get(CARD, a.card_id);
      if (existing) {
        if (Object.entries(given).every(([f, v]) => same(existing.data[f] ?? null, v))) return;
        throw new Reject(ALREADY_EXISTS, `card ${a.card_id} is already in the stock differently`);
      }
      const site = await ctx.get("site", a.site_id);
      if (!site || site.deleted) throw new Reject(UNKNOWN_SITE, `no site ${a.site_id}`, "site_id");
      for (const other of await ctx.find(CARD, "number", a.number)) {
        if (other.id !== a.card_id && other.data.site_id === a.site_id) {
          throw new Reject(NUMBER_IN_USE, `another card of this site has the number ${a.number}`, "number");
        }
      }
      await ctx.insert(CARD, a.card_id, { ...given, status: "in_stock", registered: true,
        issue_id: null, unit_id: null, blacklisted_at: null, door_taken_at: null },
      { lww: recordDecl(CARD)?.lww || [] });
    },
  },

  "card.issue": { check: issueCheck, apply: applyIssue },

  "card.report_lost": {
    async apply(ctx, a) {
      const card = await cardOf(ctx, a.card_id);
      const d = card.data;
      if (blacklisted(d)) return; // already blacklisted: the first report stands
      const issues = await openIssues(ctx, "card_id", card.id);
      const unseen = issues.filter((r) => r.id !== a.issue_id);
      const notes = a.reported_by && a.notes ? `${a.reported_by}: ${a.notes}` : a.reported_by || a.notes;
      for (const r of issues) {
        if (r.id === a.issue_id) endIssue(ctx, r, a.reported_at, "lost", notes);
      }
      blacklist(ctx, card, "lost", a.reported_at);
      if (unseen.length) {
        // issued on another phone the reporting desk did not see: that issue stays open, the
        // card stays blacklisted until the office decides
        const actor = ctx.actor;
        ctx.conflict("issued_while_lost", { record_type: CARD, record_ids: [card.id], details: {
          card_id: card.id, number: d.number ?? null, status: "lost", blacklisted_at: a.reported_at,
          issues: unseen.map((r) => summary(r.id, r.data)),
          report: { staff_id: actor.staff_id, reported_by: a.reported_by, notes: a.notes } },
        staff_ids: [...unseen.map((r) => r.data.issued_by), actor.staff_id] });
      }
    },
  },

  "card.return": {
    async apply(ctx, a) {
      const card = await cardOf(ctx, a.card_id);
      const issue = await issueOf(ctx, card.id, a.issue_id);
      endIssue(ctx, issue, a.returned_at, "returned", a.notes, a.deposit_refunded);
      if (blacklisted(card.data)) return; // a lost card brought back stays blacklisted
      const held = holderAfter(card, await openIssues(ctx, "card_id", card.id));
      ctx.update(card, { status: "returned", ...held });
    },
  },

  "card.revoke": {
    async apply(ctx, a) {
      const card = await cardOf(ctx, a.card_id);
      if (a.issue_id !== null && a.issue_id !== undefined) await issueOf(ctx, card.id, a.issue_id);
      if (!a.reason) throw new Reject(REASON_REQUIRED, "revoking a card needs a reason", "reason");
      for (const issue of await openIssues(ctx, "card_id", card.id)) {
        endIssue(ctx, issue, a.revoked_at, "revoked", a.reason);
      }
      blacklist(ctx, card, "revoked", a.revoked_at);
    },
  },

};
