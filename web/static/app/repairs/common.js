// @ts-check
/**
 * What the repair rules share on the phone — the copy of sync/domains/repairs/common.py: the
 * rejection codes and check messages, the request number, the deadlines, the charges and
 * their total, the reads every rule makes. Times are the stored UTC ISO strings (Python's
 * isoformat() of the UTC moment); lists are sorted by (time, id), as on the server.
 */

import { message, Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import * as text from "../kit/text.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export const POLICY = "repair_policy";
export const REQUEST = "repair_request";
export const VISIT = "repair_visit";
export const FOLLOW_UP = "follow_up";
/** A request still to be worked on. */
export const OPEN_STATES = ["new", "assigned", "in_progress"];
/** Deadlines by urgency (minutes): respond, complete. */
export const DEFAULT_DEADLINES = /** @type {Record<string, [number, number]>} */ ({
  emergency: [30, 240], urgent: [120, 1440], normal: [1440, 4320] });
export const DEFAULT_SAMPLE_PERCENT = 30;
export const DEFAULT_SEED = "caretaker";
export const FOLLOW_UP_DAYS = 3;
export const MONEY_MAX = 1000000;
export const MAX_CHARGES = 30;
export const MAX_QTY = 10000;
export const ITEM_MAX = 120;

export const ALREADY_EXISTS = "already_exists";
export const UNKNOWN_SITE = "unknown_site";
export const UNKNOWN_UNIT = "unknown_unit";
export const UNKNOWN_REQUEST = "unknown_request";
export const UNKNOWN_VISIT = "unknown_visit";
export const UNKNOWN_FOLLOW_UP = "unknown_follow_up";
export const UNKNOWN_LOAN = "unknown_loan";
export const REQUEST_CLOSED = "request_closed";
export const VISIT_CLOSED = "visit_closed";
export const NOT_YOUR_VISIT = "not_your_visit";
export const LEFT_BEFORE_ARRIVAL = "left_before_arrival";

export const UNIT_OR_AREA = "Choose a unit or name the public area.";
export const EMERGENCY_WITNESS = "An emergency entry needs a second staff member or a named witness.";
export const ONLY_MINORS = "No entry when only minors are at home.";
export const RESIDENT_CONSENT = "The resident present must consent to the entry.";
export const CHARGE_RULE = "Each charge needs an item, a quantity above 0 and an amount from 0 to {max}.";
export const CHARGES_TOO_HIGH = "The charges add up to more than {max}.";
export const OUTCOME_REQUIRED = "Choose how the visit ended.";
export const SIGN_OR_SAY = "The resident signs, or say why they did not.";
export const NOTICE_PHOTO = "Take a photo of the notice left.";
export const FOLLOW_REQUEST_NEEDED = "A follow-up needs a new request for the rest of the work.";
export const CANNOT_COMPLETE_REASON = "Say why it could not be completed.";
export const LEFT_BEFORE_ARRIVING = "Left before arriving.";
export const RATING_REQUIRED = "Give the rating the resident gave.";
export const NO_RATING_UNREACHED = "No rating when the resident was not reached.";
export const CLOSE_REASON_REQUIRED = "Say why the request is closed.";

// --- the request number and the deadlines ---------------------------------------------------

/** `R-` + YYMMDD of the report + `-` + the id's last six hex digits (the office's twin:
 * request_number). `local`: the day of this phone's clock (the estate's: a request logged
 * at 2 a.m. carries that day); else the UTC day, the rules' fallback when no number came.
 * @param {string} id @param {string} reportedAt an RFC 3339 moment @param {boolean} [local] */
export function requestNumber(id, reportedAt, local = false) {
  const at = new Date(Date.parse(reportedAt));
  const day = local
    ? [at.getFullYear() % 100, at.getMonth() + 1, at.getDate()]
    : [at.getUTCFullYear() % 100, at.getUTCMonth() + 1, at.getUTCDate()];
  return `R-${day.map((n) => String(n).padStart(2, "0")).join("")}-${id.slice(-6).toUpperCase()}`;
}

/** A stored moment plus whole minutes, in the stored form. @param {string} at
 * @param {number} minutes @returns {string} */
export function addMinutes(at, minutes) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{6})?\+00:00$/.exec(at);
  if (!m) throw new Error(`not a stored moment: ${at}`);
  const moved = new Date(Date.parse(`${m[1]}Z`) + minutes * 60000).toISOString().slice(0, 19);
  return `${moved}${m[2] || ""}+00:00`;
}

/** @param {any} v */
const isInt = (v) => typeof v === "number" && Number.isInteger(v);

/** @param {Record<string, any> | null} policy @param {string} kind @param {string} urgency */
function minutesOf(policy, kind, urgency) {
  const fallback = DEFAULT_DEADLINES[urgency][kind === "respond" ? 0 : 1];
  if (!policy) return fallback;
  const value = policy[`${kind}_${urgency}`];
  return isInt(value) ? value : fallback;
}

/** [respond by, complete by] of a request: its report plus the site's policy's minutes for
 * its urgency (defaults without a policy). @param {Record<string, any> | null} policy
 * @param {string} urgency @param {string} reportedAt @returns {[string, string]} */
export function deadlines(policy, urgency, reportedAt) {
  const u = urgency in DEFAULT_DEADLINES ? urgency : "normal";
  return [addMinutes(reportedAt, minutesOf(policy, "respond", u)),
    addMinutes(reportedAt, minutesOf(policy, "complete", u))];
}

/** [seed, percent] of the site's follow-up sample. @param {Record<string, any> | null} policy
 * @returns {[string, number]} */
export function sampleRule(policy) {
  if (!policy) return [DEFAULT_SEED, DEFAULT_SAMPLE_PERCENT];
  const seed = policy.sample_seed;
  const percent = policy.sample_percent;
  return [typeof seed === "string" && seed ? seed : DEFAULT_SEED,
    isInt(percent) ? percent : DEFAULT_SAMPLE_PERCENT];
}

// --- charges --------------------------------------------------------------------------------

/** `x` (not negative) rounded to cents, halves up. @param {number} x */
export function roundCents(x) {
  const scaled = x * 100;
  const whole = Math.floor(scaled);
  return (whole + (scaled - whole >= 0.5 ? 1 : 0)) / 100;
}

/** The sum of quantity × unit price, rounded to cents (summed in order, as on the server).
 * @param {{qty: number, amount: number}[]} charges @returns {number} */
export function chargesTotal(charges) {
  let total = 0;
  for (const c of charges) total += c.qty * c.amount;
  return roundCents(total);
}

/** @param {any} v */
const isNumber = (v) => typeof v === "number";

/** The charges in their stored form, and the problems (on `path`).
 * @param {any} value @param {string} [path]
 * @returns {[{item: string, qty: number, amount: number}[], Problem[]]} */
export function cleanCharges(value, path = "charges") {
  const bad = [new Problem(path, CHARGE_RULE, { max: MONEY_MAX })];
  if (!Array.isArray(value)) return [[], bad];
  if (value.length > MAX_CHARGES) return [[], [new Problem(path, message("TOO_MANY"), { n: MAX_CHARGES })]];
  const out = [];
  for (const c of value) {
    if (c === null || typeof c !== "object" || Array.isArray(c)
      || Object.keys(c).sort().join(",") !== "amount,item,qty") return [[], bad];
    const { qty, amount } = c;
    if (typeof c.item !== "string" || text.forbidden(c.item, "line")) return [[], bad];
    const item = text.normalize(c.item, "line");
    if (!text.visible(item) || text.length(item) > ITEM_MAX) return [[], bad];
    if (!(isNumber(qty) && qty > 0 && qty <= MAX_QTY && isNumber(amount) && amount >= 0
      && amount <= MONEY_MAX)) return [[], bad];
    out.push({ item, qty, amount });
  }
  if (chargesTotal(out) > MONEY_MAX) return [[], [new Problem(path, CHARGES_TOO_HIGH, { max: MONEY_MAX })]];
  return [out, []];
}

// --- reads ----------------------------------------------------------------------------------

/** One record of several (the lowest id). @param {Rec[]} records @returns {Rec | null} */
export function first(records) {
  return records.reduce((/** @type {Rec | null} */ best, r) => (!best || r.id < best.id ? r : best), null);
}

/** The site's repair policy. @param {Context} ctx @param {string} siteId
 * @returns {Promise<Record<string, any> | null>} */
export async function policyOf(ctx, siteId) {
  const found = (await ctx.find(POLICY, "site_id", siteId))
    .filter((r) => !r.deleted && r.data.site_id === siteId);
  const chosen = first(found);
  return chosen ? chosen.data : null;
}

/** @param {Context} ctx @param {string} requestId @param {string} [field] @returns {Promise<Rec>} */
export async function requestOf(ctx, requestId, field = "request_id") {
  const request = await ctx.get(REQUEST, requestId);
  if (!request || request.deleted) throw new Reject(UNKNOWN_REQUEST, `no repair request ${requestId}`, field);
  return request;
}

/** @param {Context} ctx @param {string} visitId @returns {Promise<Rec>} */
export async function visitOf(ctx, visitId) {
  const visit = await ctx.get(VISIT, visitId);
  if (!visit || visit.deleted) throw new Reject(UNKNOWN_VISIT, `no visit ${visitId}`, "visit_id");
  return visit;
}

/** A visit the acting person may record on: a technician only their own (or one they are the
 * second staff member of); supervisors any of their sites'.
 * @param {import("../kit/context.js").Context} ctx @param {string} visitId */
export async function ownVisit(ctx, visitId) {
  const visit = await visitOf(ctx, visitId);
  const actor = ctx.actor;
  const people = [visit.data.technician_id, visit.data.second_staff_id];
  if (actor.role === "technician" && !people.includes(actor.staff_id)) {
    throw new Reject(NOT_YOUR_VISIT, `visit ${visitId} is another technician's`, "visit_id");
  }
  return visit;
}

/** A visit still open. @param {Record<string, any>} d */
export function visitIsOpen(d) {
  return d.closed_at === null || d.closed_at === undefined;
}

/** @param {Rec} a @param {Rec} b */
function arrivedOrder(a, b) {
  const x = String(a.data.arrived_at || "");
  const y = String(b.data.arrived_at || "");
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The request's visits still open, first arrival first. @param {Context} ctx
 * @param {string} requestId @returns {Promise<Rec[]>} */
export async function openVisits(ctx, requestId) {
  return (await ctx.find(VISIT, "request_id", requestId))
    .filter((r) => !r.deleted && visitIsOpen(r.data)).sort(arrivedOrder);
}

/** A closed_while_working conflict's details (both orders say the same).
 * @param {Rec} request @param {string} visitId @param {any} arrivedAt */
export function working(request, visitId, arrivedAt) {
  const d = request.data;
  return { request_id: request.id, number: d.number ?? null, closed_at: d.closed_at ?? null,
    close_reason: d.close_reason ?? null, visit_id: visitId, arrived_at: arrivedAt ?? null };
}
