// @ts-check
/**
 * What the card rules share on the phone — the copy of sync/domains/cards/common.py: the
 * rejection codes and check messages, a card and its open issues, ending an issue,
 * blacklisting. Lists of issues are sorted by (issued_at, id), as on the server.
 */

import { Reject } from "../kit/reject.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export const CARD = "card";
export const ISSUE = "card_issue";
export const POLICY = "card_policy";
export const ZONE = "card_zone";
export const QUOTA = "card_quota";
export const DEFAULT_QUOTA = 4;
/** The statuses whose card must not open any door. */
export const BLACKLISTED = ["lost", "damaged", "revoked"];

export const ALREADY_EXISTS = "already_exists";
export const UNKNOWN_SITE = "unknown_site";
export const UNKNOWN_UNIT = "unknown_unit";
export const UNKNOWN_RESIDENT = "unknown_resident";
export const UNKNOWN_CARD = "unknown_card";
export const UNKNOWN_ISSUE = "unknown_issue";
export const NUMBER_IN_USE = "number_in_use";
export const UNKNOWN_ZONE = "unknown_zone";
export const ISSUE_ENDED = "issue_ended";
export const CARD_NOT_BLACKLISTED = "card_not_blacklisted";
export const REASON_REQUIRED = "reason_required";
export const WRONG_UNIT = "wrong_unit";

export const ID_LAST4_WITHOUT_TYPE = "Choose the ID type, or leave the last 4 characters empty.";
export const ID_LAST4_EXACTLY = "Enter exactly the last 4 characters of the ID.";
export const PROXY_NEEDS_LETTER = "A proxy needs a photo of the owner's authorisation letter.";
export const PROXY_NEEDS_CONFIRMATION = "A proxy needs the owner's confirmation by phone.";
export const VALID_AFTER_ISSUE = "The card must be valid after the day it is issued.";
export const REPLACE_NEEDS_REASON = "Say why the old card is replaced: lost or damaged.";

/** Whether a card's data says it must not open any door. @param {Record<string, any>} d */
export function blacklisted(d) {
  return BLACKLISTED.includes(d.status);
}

/** An issue still held. @param {Record<string, any>} d */
export function isOpen(d) {
  return d.ended_at === null || d.ended_at === undefined;
}

/** @param {Context} ctx @param {string} cardId @returns {Promise<Rec>} */
export async function cardOf(ctx, cardId) {
  const card = await ctx.get(CARD, cardId);
  if (!card) throw new Reject(UNKNOWN_CARD, `no card ${cardId}`, "card_id");
  return card;
}

/** @param {Rec} a @param {Rec} b */
function issuedOrder(a, b) {
  const x = String(a.data.issued_at || "");
  const y = String(b.data.issued_at || "");
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The open issues whose `field` is `value` (a card's, a unit's), oldest first.
 * @param {Context} ctx @param {string} field @param {string} value @returns {Promise<Rec[]>} */
export async function openIssues(ctx, field, value) {
  return (await ctx.find(ISSUE, field, value)).filter((r) => isOpen(r.data)).sort(issuedOrder);
}

/** An issue as a conflict's details name it. @param {string} issueId @param {Record<string, any>} d */
export function summary(issueId, d) {
  return { issue_id: issueId, card_id: d.card_id ?? null, unit_id: d.unit_id ?? null,
    holder_name: d.holder_name ?? null, relation: d.relation ?? null,
    issued_at: d.issued_at ?? null, issued_by: d.issued_by ?? null };
}

/** The issue ends now (lost, damaged, returned, revoked) by the acting person.
 * @param {Context} ctx @param {Rec} issue @param {string} at @param {string} reason
 * @param {string} notes @param {number | null} [refunded] */
export function endIssue(ctx, issue, at, reason, notes, refunded = null) {
  return ctx.update(issue, { ended_at: at, end_reason: reason, end_notes: notes,
    deposit_refunded: refunded, ended_by: ctx.actor.staff_id });
}

/** The card stops opening doors (a blacklisted one keeps its first blacklisting).
 * @param {Context} ctx @param {Rec} card @param {string} status @param {string} at */
export function blacklist(ctx, card, status, at) {
  if (blacklisted(card.data)) return ctx.update(card, { status });
  return ctx.update(card, { status, blacklisted_at: at, door_taken_at: null });
}

/** Who holds a card once an issue of it ended or its blacklisting is lifted: its current
 * issue if still open, else the latest open one, else nobody.
 * @param {Rec} card @param {Rec[]} remaining @returns {Record<string, any>} */
export function holderAfter(card, remaining) {
  if (!remaining.length) return { issue_id: null, unit_id: null };
  const held = remaining.find((r) => r.id === card.data.issue_id) || remaining[remaining.length - 1];
  return { status: "issued", issue_id: held.id, unit_id: held.data.unit_id ?? null };
}
