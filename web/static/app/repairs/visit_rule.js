// @ts-check
/**
 * The technician's visit on the phone — the copy of sync/domains/repairs/visit.py:
 * repair.start_visit, repair.update_visit and repair.close_visit (and the follow-up a
 * closing may make due). tests/parity runs generated sequences through both and fails on any
 * difference: change the two together.
 */

import { same } from "../kit/context.js";
import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import {
  ALREADY_EXISTS, CANNOT_COMPLETE_REASON, EMERGENCY_WITNESS, FOLLOW_REQUEST_NEEDED, FOLLOW_UP,
  FOLLOW_UP_DAYS, LEFT_BEFORE_ARRIVAL, NOTICE_PHOTO, ONLY_MINORS, OUTCOME_REQUIRED, REQUEST,
  RESIDENT_CONSENT, SIGN_OR_SAY, UNKNOWN_REQUEST, UNKNOWN_SITE, VISIT, VISIT_CLOSED, addMinutes,
  chargesTotal, cleanCharges, deadlines, policyOf, requestNumber, ownVisit, requestOf, sampleRule,
  working,
} from "./common.js";
import { sampled } from "./sampling.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

/** What a repeated start must name alike to be the same visit. */
const SAME_VISIT = ["request_id", "basis", "arrived_at"];
const START_ARGS = ["request_id", "basis", "second_staff_id", "witness", "resident_present",
  "resident_consent", "only_minors", "arrived_at", "uniform_badge", "shoe_covers", "floor_protection"];
/** The outcomes the resident signs (or refuses to sign) for. */
const SIGNED = ["done", "follow_up", "cannot_complete"];
/** The outcomes a follow-up (回訪) may follow. */
const FOLLOWED = ["done", "follow_up"];

/** @param {any} v */
const missing = (v) => v === null || v === undefined;

// --- repair.start_visit ---------------------------------------------------------------------

/** @param {Record<string, any>} a @returns {Problem[]} */
export function startCheck(a) {
  const problems = [];
  if (a.basis === "emergency" && missing(a.second_staff_id) && !a.witness) {
    problems.push(new Problem("witness", EMERGENCY_WITNESS));
  }
  if (a.only_minors) problems.push(new Problem("only_minors", ONLY_MINORS));
  if (a.resident_present && !a.resident_consent) problems.push(new Problem("resident_consent", RESIDENT_CONSENT));
  return problems;
}

/** @param {Context} ctx @param {Record<string, any>} a */
export async function applyStart(ctx, a) {
  const existing = await ctx.get(VISIT, a.visit_id);
  if (existing) {
    if (SAME_VISIT.every((f) => same(existing.data[f] ?? null, a[f]))) return; // sent again
    throw new Reject(ALREADY_EXISTS, `visit ${a.visit_id} already exists with other details`);
  }
  const request = await requestOf(ctx, a.request_id);
  const d = request.data;
  const actor = ctx.actor;
  /** @type {Record<string, any>} */
  const data = { site_id: d.site_id ?? null, unit_id: d.unit_id ?? null };
  for (const f of START_ARGS) data[f] = a[f];
  Object.assign(data, { technician_id: actor.staff_id, device_id: actor.device_id, left_at: null,
    clean_up: false, found: "", work_done: "", charges: [], total: 0, before_photos: [],
    after_photos: [], signature_blob: "", refused_reason: "", satisfaction: null, outcome: "",
    outcome_reason: "", notice_photo: "", follow_request_id: null, closed_at: null, close_hlc: "" });
  await ctx.insert(VISIT, a.visit_id, data);
  if (d.state === "closed") {
    // the office closed it while the technician was on the way: the visit is kept
    ctx.conflict("closed_while_working", { record_type: REQUEST, record_ids: [request.id],
      details: working(request, a.visit_id, a.arrived_at), staff_ids: [actor.staff_id] });
    return;
  }
  /** @type {Record<string, any>} */
  const changes = { state: "in_progress" };
  if (missing(d.started_at)) changes.started_at = a.arrived_at;
  if (missing(d.assignee_id)) changes.assignee_id = actor.staff_id;
  ctx.update(request, changes);
}

// --- repair.update_visit --------------------------------------------------------------------

/** @param {Record<string, any>} a @returns {Problem[]} */
export function updateCheck(a) {
  return "charges" in a.fields ? cleanCharges(a.fields.charges)[1] : [];
}

/** @param {Context} ctx @param {Record<string, any>} a */
export async function applyUpdate(ctx, a) {
  const visit = await ownVisit(ctx, a.visit_id);
  if (!missing(visit.data.closed_at)) throw new Reject(VISIT_CLOSED, `visit ${a.visit_id} is closed`, "visit_id");
  const changes = { ...a.fields };
  if ("charges" in changes) {
    const charges = cleanCharges(changes.charges)[0];
    changes.charges = charges;
    changes.total = chargesTotal(charges);
  }
  ctx.update(visit, changes);
}

// --- repair.close_visit ---------------------------------------------------------------------

/** @param {Record<string, any>} a @returns {Problem[]} */
export function closeCheck(a) {
  const outcome = a.outcome;
  if (!outcome) return [new Problem("outcome", OUTCOME_REQUIRED)];
  const problems = [];
  if (SIGNED.includes(outcome) && !a.signature_blob && !a.refused_reason) {
    problems.push(new Problem("signature_blob", SIGN_OR_SAY));
  }
  if (outcome === "no_one_home" && !a.notice_photo) problems.push(new Problem("notice_photo", NOTICE_PHOTO));
  if (outcome === "follow_up" && missing(a.follow_request_id)) {
    problems.push(new Problem("follow_request_id", FOLLOW_REQUEST_NEEDED));
  }
  if (outcome === "cannot_complete" && !a.outcome_reason) {
    problems.push(new Problem("outcome_reason", CANNOT_COMPLETE_REASON));
  }
  return problems;
}

/** Why a finished request is followed up: a complaint and a low rating always, else the
 * site's seeded sample; "" when it is not. @param {Record<string, any>} request
 * @param {string} requestId @param {number | null} satisfaction
 * @param {Record<string, any> | null} policy */
export function followReason(request, requestId, satisfaction, policy) {
  if (request.complaint) return "complaint";
  if (satisfaction === 1 || satisfaction === 2) return "unsatisfied";
  const [seed, percent] = sampleRule(policy);
  return sampled(seed, requestId, percent) ? "sampled" : "";
}

/** @param {Context} ctx @param {Rec} visit @param {Record<string, any>} a */
function doubleClose(ctx, visit, a) {
  const v = visit.data;
  const actor = ctx.actor;
  const firstClosing = { staff_id: v.technician_id ?? null, device_id: v.device_id ?? null,
    hlc: v.close_hlc ?? null, left_at: v.left_at ?? null, outcome: v.outcome ?? null,
    satisfaction: v.satisfaction ?? null };
  const second = { staff_id: actor.staff_id, device_id: actor.device_id, hlc: ctx.hlc,
    left_at: a.left_at, outcome: a.outcome, satisfaction: a.satisfaction };
  ctx.conflict("double_close", { record_type: VISIT, record_ids: [visit.id], details: {
    visit_id: visit.id, request_id: v.request_id ?? null, closings: [firstClosing, second] },
  staff_ids: [v.technician_id, actor.staff_id] });
}

/** The rest of the work as a new request, assigned to the technician who closed.
 * @param {Context} ctx @param {Rec} request @param {Record<string, any>} a
 * @param {Record<string, any> | null} policy */
async function followRequest(ctx, request, a, policy) {
  const d = request.data;
  const [respondBy, completeBy] = deadlines(policy, String(d.urgency), a.left_at);
  const actor = ctx.actor;
  await ctx.insert(REQUEST, a.follow_request_id, {
    site_id: d.site_id ?? null, number: a.follow_request_number || requestNumber(a.follow_request_id, a.left_at),
    unit_id: d.unit_id ?? null, area: d.area ?? null, category: d.category ?? null,
    urgency: d.urgency ?? null, complaint: false,
    description: a.outcome_reason || `Follow-up of ${d.number || ""}`, photos: [],
    contact_name: d.contact_name ?? null, contact_phone: d.contact_phone ?? null,
    contact_pref: d.contact_pref ?? null, source: "technician", anomaly_visit_id: null,
    parent_id: request.id, reported_at: a.left_at, reported_by: actor.staff_id,
    respond_by: respondBy, complete_by: completeBy, state: "assigned",
    assignee_id: actor.staff_id, appointment_at: null, assigned_at: a.left_at, started_at: null,
    finished_at: null, outcome_reason: "", key_loan_id: null, closed_at: null, close_reason: "",
  });
}

/** @param {string} outcome @param {Record<string, any>} a @returns {Record<string, any>} */
function requestAfter(outcome, a) {
  if (FOLLOWED.includes(outcome)) return { state: "done", finished_at: a.left_at };
  if (outcome === "no_one_home") return { state: "assigned" };
  return { state: "cannot_complete", outcome_reason: a.outcome_reason };
}

/** @param {Context} ctx @param {Record<string, any>} a */
export async function applyClose(ctx, a) {
  const visit = await ownVisit(ctx, a.visit_id);
  const v = visit.data;
  if (v.request_id !== a.request_id) {
    throw new Reject(UNKNOWN_REQUEST, `visit ${a.visit_id} is not of request ${a.request_id}`, "request_id");
  }
  const request = await requestOf(ctx, a.request_id);
  const d = request.data;
  if (d.site_id !== a.site_id) {
    throw new Reject(UNKNOWN_SITE, `request ${a.request_id} is not of site ${a.site_id}`, "site_id");
  }
  const arrived = v.arrived_at;
  if (typeof arrived === "string" && a.left_at < arrived) {
    throw new Reject(LEFT_BEFORE_ARRIVAL, "left before arriving", "left_at");
  }
  if (!missing(v.closed_at)) {
    doubleClose(ctx, visit, a); // closed on another phone: the first closing stands
    return;
  }
  const policy = await policyOf(ctx, a.site_id);
  const openRequest = d.state !== "closed"; // closed by the office: left as it is
  const follow = openRequest && a.outcome === "follow_up" && !missing(a.follow_request_id);
  if (follow && (await ctx.get(REQUEST, a.follow_request_id))) {
    throw new Reject(ALREADY_EXISTS, `request ${a.follow_request_id} already exists`, "follow_request_id");
  }
  let reason = "";
  if (openRequest && FOLLOWED.includes(a.outcome) && !missing(a.follow_up_id)
    && !(await ctx.find(FOLLOW_UP, "request_id", request.id)).some((f) => !f.deleted)) {
    reason = followReason(d, request.id, a.satisfaction, policy);
  }
  if (reason && (await ctx.get(FOLLOW_UP, a.follow_up_id))) {
    throw new Reject(ALREADY_EXISTS, `follow-up ${a.follow_up_id} already exists`, "follow_up_id");
  }
  ctx.update(visit, { left_at: a.left_at, signature_blob: a.signature_blob,
    refused_reason: a.refused_reason, satisfaction: a.satisfaction, outcome: a.outcome,
    outcome_reason: a.outcome_reason, notice_photo: a.notice_photo,
    follow_request_id: follow ? a.follow_request_id : null, closed_at: a.left_at, close_hlc: ctx.hlc });
  if (openRequest) ctx.update(request, requestAfter(a.outcome, a));
  if (follow) await followRequest(ctx, request, a, policy);
  if (reason) {
    await ctx.insert(FOLLOW_UP, a.follow_up_id, {
      site_id: d.site_id ?? null, request_id: request.id, visit_id: visit.id,
      unit_id: d.unit_id ?? null, reason, due_at: addMinutes(a.left_at, FOLLOW_UP_DAYS * 24 * 60),
      method: "call", reached: false, rating: "", notes: "", done_at: null, done_by: null });
  }
}
