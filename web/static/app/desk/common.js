// @ts-check
/**
 * What the front-desk rules share on the phone — the copy of the shared pieces of
 * sync/domains/desk/rules.py: the record types, the rejection codes and check messages, the
 * reads every rule makes (a site, a unit of it), the "new record or the same one sent again"
 * test. The index part's rules are in rules.js, the front part's in front_rules.js, the gate's
 * (pass.check) in gate_rules.js.
 */

import { same } from "../kit/context.js";
import { Reject } from "../kit/reject.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export const DEVICE_KEY = "device_key";
export const VISITOR = "visitor";
export const GOODS_PASS = "goods_pass";
export const PASS_CHECK = "pass_check";
export const HANDOVER = "handover";

export const ALREADY_EXISTS = "already_exists";
export const UNKNOWN_SITE = "unknown_site";
export const UNKNOWN_UNIT = "unknown_unit";
export const UNKNOWN_RESIDENT = "unknown_resident";
export const UNKNOWN_KEY = "unknown_signing_key";
export const UNKNOWN_VISITOR = "unknown_visitor";
export const UNKNOWN_HANDOVER = "unknown_handover";
export const OUT_BEFORE_IN = "out_before_in";
export const SAME_PERSON = "same_person";

export const PICK_RESIDENT = "Pick the resident who confirmed.";
export const NUMBER_CALLED = "Give the number called.";
export const WRITTEN_PHOTO = "Take a photo of the written authorisation.";
export const PHONED_WHEN = "Give the number called and when.";
export const VALID_AFTER_ISSUE = "A pass must be valid after it is issued.";
export const ITEMS_REQUIRED = "List the items.";
export const MISMATCH_SAY = "Say or photograph what does not match.";
export const REFUSE_INVALID = "A pass that is not valid is refused.";
export const OUT_AFTER_IN = "The time out is before the time in.";
export const SHIFT_ORDER = "The shift ends before it starts.";
export const SIGNATURE_REQUIRED = "Sign on the screen.";
export const INCOMING_NAME = "The incoming person's name.";

/** @param {any} v */
export const missing = (v) => v === null || v === undefined;

/** `a` is a moment before `b` (stored UTC ISO strings compare as text, as on the server).
 * @param {any} a @param {any} b */
export function before(a, b) {
  return typeof a === "string" && typeof b === "string" && a < b;
}

/** The arguments named, as given. @param {Record<string, any>} a @param {string[]} names
 * @returns {Record<string, any>} */
export function pick(a, names) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const f of names) out[f] = a[f];
  return out;
}

/** @param {Context} ctx @param {string} siteId */
export async function siteOf(ctx, siteId) {
  const site = await ctx.get("site", siteId);
  if (!site || site.deleted) throw new Reject(UNKNOWN_SITE, `no site ${siteId}`, "site_id");
}

/** @param {Context} ctx @param {string} unitId @param {string} siteId @returns {Promise<Rec>} */
export async function unitOf(ctx, unitId, siteId) {
  const unit = await ctx.get("unit", unitId);
  if (!unit || unit.deleted || unit.data.site_id !== siteId) {
    throw new Reject(UNKNOWN_UNIT, `no unit ${unitId} at this site`, "unit_id");
  }
  return unit;
}

/** True when the record is new; an identical one sent again is a no-op (false); another
 * with the same id refuses `already_exists`. @param {Context} ctx @param {string} type
 * @param {string} id @param {Record<string, any>} given */
export async function isNew(ctx, type, id, given) {
  const existing = await ctx.get(type, id);
  if (!existing) return true;
  if (Object.entries(given).every(([f, v]) => same(existing.data[f] ?? null, v))) return false;
  throw new Reject(ALREADY_EXISTS, `${type} ${id} already exists differently`);
}
