// @ts-check
/**
 * card.issue on the phone (IC卡領取登記表) — the copy of sync/domains/cards/issue.py, and
 * the quota the issue form shows before issuing. tests/parity runs generated sequences
 * through both and fails on any difference: change the two together.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import { recordDecl } from "../kit/declarations.js";
import { same } from "../kit/context.js";
import {
  ALREADY_EXISTS, CARD, DEFAULT_QUOTA, ID_LAST4_EXACTLY, ID_LAST4_WITHOUT_TYPE, ISSUE, POLICY,
  PROXY_NEEDS_CONFIRMATION, PROXY_NEEDS_LETTER, QUOTA, REPLACE_NEEDS_REASON, UNKNOWN_CARD,
  UNKNOWN_ISSUE, UNKNOWN_RESIDENT, UNKNOWN_SITE, UNKNOWN_UNIT, UNKNOWN_ZONE, VALID_AFTER_ISSUE,
  WRONG_UNIT, ZONE, blacklist, blacklisted, endIssue, openIssues, summary,
} from "./common.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

/** The arguments an issue keeps as they were given. */
const ISSUE_ARGS = ["site_id", "unit_id", "resident_id", "holder_name", "relation", "id_type",
  "id_last4", "authorisation_blob", "owner_confirmation", "scope", "valid_until", "fee",
  "deposit", "receipt_no", "signature_blob", "issued_at", "replaces_issue_id"];

/** The unit's card quota: its own override, else the site's policy, else the default.
 * @param {Record<string, any> | null | undefined} policy
 * @param {Record<string, any> | null | undefined} override @returns {number} */
export function quotaOf(policy, override) {
  if (override) return Math.trunc(Number(override.quota || 0));
  if (policy) return Math.trunc(Number(policy.quota || 0));
  return DEFAULT_QUOTA;
}

/** What the issue form shows before issuing ("2 of 4 cards").
 * @param {Record<string, any> | null | undefined} policy
 * @param {Record<string, any> | null | undefined} override @param {number} held open issues
 * @returns {{quota: number, held: number, left: number, full: boolean}} */
export function quotaState(policy, override, held) {
  const quota = quotaOf(policy, override);
  return { quota, held, left: Math.max(quota - held, 0), full: held >= quota };
}

/** One record of several (the lowest id). @param {Rec[]} records @returns {Rec | null} */
function first(records) {
  return records.reduce((/** @type {Rec | null} */ best, r) => (!best || r.id < best.id ? r : best), null);
}

/** @param {Context} ctx @param {string} siteId @param {string} unitId */
export async function unitQuota(ctx, siteId, unitId) {
  const policy = first(await ctx.find(POLICY, "site_id", siteId));
  const override = first(await ctx.find(QUOTA, "unit_id", unitId));
  return quotaOf(policy ? policy.data : null, override ? override.data : null);
}

/** @param {Record<string, any>} a @returns {Problem[]} */
export function issueCheck(a) {
  const problems = [];
  if (a.id_type === "none" && a.id_last4) problems.push(new Problem("id_last4", ID_LAST4_WITHOUT_TYPE));
  else if (a.id_type !== "none" && [...a.id_last4].length !== 4) problems.push(new Problem("id_last4", ID_LAST4_EXACTLY));
  if (a.relation === "proxy") {
    if (!a.authorisation_blob) problems.push(new Problem("authorisation_blob", PROXY_NEEDS_LETTER));
    if (!a.owner_confirmation) problems.push(new Problem("owner_confirmation", PROXY_NEEDS_CONFIRMATION));
  }
  if (a.valid_until <= a.issued_at) problems.push(new Problem("valid_until", VALID_AFTER_ISSUE));
  if (a.replaces_issue_id !== null && a.replaces_issue_id !== undefined && !a.replace_reason) {
    problems.push(new Problem("replace_reason", REPLACE_NEEDS_REASON));
  }
  return problems;
}

/** The site's card with this number. @param {Context} ctx @param {Record<string, any>} a */
async function siteCard(ctx, a) {
  return first((await ctx.find(CARD, "number", a.number)).filter((c) => c.data.site_id === a.site_id));
}

/** @param {Context} ctx @param {Rec} existing @param {Record<string, any>} a */
async function sameIssue(ctx, existing, a) {
  const d = existing.data;
  if (!ISSUE_ARGS.every((f) => same(d[f] ?? null, a[f]))) return false;
  const card = await siteCard(ctx, a);
  return d.card_id === a.card_id || (card !== null && d.card_id === card.id);
}

/** @param {Context} ctx @param {Record<string, any>} a */
async function checkPeople(ctx, a) {
  const site = await ctx.get("site", a.site_id);
  if (!site || site.deleted) throw new Reject(UNKNOWN_SITE, `no site ${a.site_id}`, "site_id");
  const unit = await ctx.get("unit", a.unit_id);
  if (!unit || unit.deleted || unit.data.site_id !== a.site_id) {
    throw new Reject(UNKNOWN_UNIT, `no unit ${a.unit_id} at this site`, "unit_id");
  }
  if (a.resident_id !== null && a.resident_id !== undefined) {
    const resident = await ctx.get("resident", a.resident_id);
    if (!resident || resident.deleted || resident.data.unit_id !== a.unit_id) {
      throw new Reject(UNKNOWN_RESIDENT, `no resident ${a.resident_id} of this unit`, "resident_id");
    }
  }
}

/** @param {Context} ctx @param {Record<string, any>} a */
async function checkScope(ctx, a) {
  if (!a.scope.length) return;
  const zones = new Set((await ctx.find(ZONE, "site_id", a.site_id))
    .filter((z) => !z.deleted && z.data.site_id === a.site_id).map((z) => z.data.code));
  for (const code of a.scope) {
    if (!zones.has(code)) throw new Reject(UNKNOWN_ZONE, `no zone ${code} at this site`, "scope");
  }
}

/** The issue this one replaces: of the same unit; still held, it ends now and its card is
 * blacklisted. @param {Context} ctx @param {Record<string, any>} a */
async function replaceOld(ctx, a) {
  if (a.replaces_issue_id === null || a.replaces_issue_id === undefined) return;
  const old = await ctx.get(ISSUE, a.replaces_issue_id);
  if (!old) throw new Reject(UNKNOWN_ISSUE, `no issue ${a.replaces_issue_id}`, "replaces_issue_id");
  if (old.data.unit_id !== a.unit_id) {
    throw new Reject(WRONG_UNIT, `issue ${a.replaces_issue_id} is another unit's`, "replaces_issue_id");
  }
  if (old.data.ended_at !== null && old.data.ended_at !== undefined) return;
  endIssue(ctx, old, a.issued_at, a.replace_reason, "");
  const oldCard = await ctx.get(CARD, String(old.data.card_id));
  if (oldCard) blacklist(ctx, oldCard, a.replace_reason, a.issued_at);
}

/** The card handed over, and whether the desk met it first (a new, unregistered card).
 * @param {Context} ctx @param {Record<string, any>} a @returns {Promise<[Rec, boolean]>} */
async function cardFor(ctx, a) {
  const card = await siteCard(ctx, a);
  if (card) return [card, false];
  if (await ctx.get(CARD, a.card_id)) {
    throw new Reject(UNKNOWN_CARD, `card ${a.card_id} is not number ${a.number} of this site`, "card_id");
  }
  const inserted = await ctx.insert(CARD, a.card_id, {
    site_id: a.site_id, number: a.number, uid: "", technology: a.technology, batch: "",
    status: "issued", registered: false, issue_id: a.issue_id, unit_id: a.unit_id,
    blacklisted_at: null, door_taken_at: null, notes: "",
  }, { lww: recordDecl(CARD)?.lww || [] });
  return [inserted, true];
}

/** The card's open issues before this one (not the one it replaces).
 * @param {Context} ctx @param {Rec} card @param {Record<string, any>} a */
async function holders(ctx, card, a) {
  if (card.id === a.card_id) {
    return (await openIssues(ctx, "card_id", card.id)).filter((r) => r.id !== a.replaces_issue_id)
      .map((r) => summary(r.id, r.data));
  }
  const d = card.data; // known by its number only: its current issue is all the phone can say
  const current = d.issue_id;
  if (d.status === "issued" && current && current !== a.replaces_issue_id) {
    return [{ issue_id: current, card_id: card.id, unit_id: d.unit_id ?? null, holder_name: null,
      relation: null, issued_at: null, issued_by: null }];
  }
  return [];
}

/** @param {Context} ctx @param {Record<string, any>} a */
async function checkQuota(ctx, a) {
  const quota = await unitQuota(ctx, a.site_id, a.unit_id);
  const issues = await openIssues(ctx, "unit_id", a.unit_id);
  if (issues.length > quota) {
    // two desks issued offline: the cards were handed over, the office decides
    ctx.conflict("quota_exceeded", { record_type: ISSUE, record_ids: issues.map((r) => r.id),
      details: { unit_id: a.unit_id, quota, issues: issues.map((r) => summary(r.id, r.data)) },
      staff_ids: issues.map((r) => r.data.issued_by) });
  }
}

/** @param {Context} ctx @param {Record<string, any>} a */
export async function applyIssue(ctx, a) {
  const existing = await ctx.get(ISSUE, a.issue_id);
  if (existing) {
    if (await sameIssue(ctx, existing, a)) return; // the same form sent again
    throw new Reject(ALREADY_EXISTS, `issue ${a.issue_id} already exists with other details`);
  }
  await checkPeople(ctx, a);
  await checkScope(ctx, a);
  await replaceOld(ctx, a);
  const [card, isNew] = await cardFor(ctx, a);
  const actor = ctx.actor;
  /** @type {Record<string, any>} */
  const data = { card_id: card.id };
  for (const f of ISSUE_ARGS) data[f] = a[f];
  Object.assign(data, { scope: [...a.scope], issued_by: actor.staff_id,
    issued_device: actor.device_id, issued_hlc: ctx.hlc, ended_at: null, end_reason: "",
    end_notes: "", deposit_refunded: null, ended_by: null });
  const mine = summary(a.issue_id, data);
  const d = card.data;
  if (isNew) {
    await ctx.insert(ISSUE, a.issue_id, data);
    ctx.conflict("unregistered_card", { record_type: CARD, record_ids: [card.id], details: {
      card_id: card.id, number: a.number, issue_id: a.issue_id, unit_id: a.unit_id },
    staff_ids: [actor.staff_id] });
  } else if (blacklisted(d)) {
    // another desk reported it lost (or it was revoked, damaged): it stays blacklisted until
    // the office decides
    await ctx.insert(ISSUE, a.issue_id, data);
    ctx.update(card, { issue_id: a.issue_id, unit_id: a.unit_id });
    ctx.conflict("issued_while_lost", { record_type: CARD, record_ids: [card.id], details: {
      card_id: card.id, number: d.number ?? null, status: d.status ?? null,
      blacklisted_at: d.blacklisted_at ?? null, issues: [mine], report: null },
    staff_ids: [actor.staff_id] });
  } else {
    const held = await holders(ctx, card, a);
    await ctx.insert(ISSUE, a.issue_id, data);
    ctx.update(card, { status: "issued", issue_id: a.issue_id, unit_id: a.unit_id });
    if (held.length) {
      ctx.conflict("double_issue", { record_type: ISSUE,
        record_ids: [...held.map((h) => h.issue_id), a.issue_id],
        details: { card_id: card.id, number: d.number ?? null, issues: [...held, mine] },
        staff_ids: [...held.map((h) => h.issued_by), actor.staff_id] });
    }
  }
  await checkQuota(ctx, a);
}
