// @ts-check
/** The technician's visit, offline: start it at the door (repair.start_visit), record the
 * work part by part — each tap one small durable transaction (repair.update_visit) whose
 * answer is only the part saved, so a tap is saved and shown in a few milliseconds — and
 * close it (repair.close_visit: signature or refusal, satisfaction, outcome; the ids of a
 * follow-up request and of a follow-up call are made here, on the phone). */

import { begin } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { chargesTotal, requestNumber } from "./common.js";
import { REQUEST, UUID, VISIT, teamOf, visitOpen } from "./data.js";
import { may, notHere, photosIn, refused, save } from "./screens.js";
import { closeCheck, startCheck, updateCheck } from "./visit_rule.js";
import { CHECKS, chargesForm, closeForm, closedVisit, openVisit, photosForm, startForm, toggle, workForm } from "./visit_views.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./visit_views.js").Line} Line
 */

const SHA256 = /^[0-9a-f]{64}$/;
const START = ["request_id", "basis", "second_staff_id", "witness", "resident_present", "resident_consent",
  "only_minors", "uniform_badge", "shoe_covers", "floor_protection"];
const CLOSE = ["outcome", "outcome_reason", "notice_photo", "signature_blob", "refused_reason", "satisfaction"];
const MAX_LINES = 31; // one more than the rules allow: the rules' own check says so

/** @param {URLSearchParams} form @param {string[]} fields */
function pick(form, fields) {
  /** @type {Record<string, string>} */
  const v = {};
  for (const f of fields) v[f] = form.get(f) || "";
  return v;
}

/** A part of the screen as the answer to its own form. @param {import("../html.js").Raw} part
 * @returns {Screen} */
const partOnly = (part) => ({ title: "", main: part, fragment: part });

/** Stored charges as the form's lines. @param {any} charges @returns {Line[]} */
function linesOf(charges) {
  return (Array.isArray(charges) ? charges : []).map((c) => ({ item: String(c.item ?? ""), qty: String(c.qty ?? ""), amount: String(c.amount ?? "") }));
}

/** A number typed (no number: null, which the rules' check refuses). @param {string} s */
function num(s) {
  const x = s.trim().replace(/,/g, "");
  return /^\d+(\.\d+)?$/.test(x) ? Number(x) : null;
}

// --- reads ----------------------------------------------------------------------------------

/**
 * @typedef {{visit: StoredRecord, req: StoredRecord | undefined, unit: StoredRecord | undefined,
 *   team: StoredRecord[]}} VisitView
 */

/** A visit with its request, unit and the site's team. @param {string} id
 * @returns {Promise<VisitView | null>} */
async function visitView(id) {
  if (!UUID.test(id)) return null;
  const tx = await begin("readonly");
  const visit = await tx.record(VISIT, id);
  if (!visit) {
    await tx.done;
    return null;
  }
  const [req, unit, team] = await Promise.all([
    tx.record(REQUEST, visit.data.request_id),
    visit.data.unit_id ? tx.record("unit", visit.data.unit_id) : undefined,
    teamOf(tx, visit.data.site_id),
  ]);
  await tx.done;
  return { visit, req, unit, team };
}

// --- start -----------------------------------------------------------------------------------

/** @param {Ctx} ctx @param {string} requestId @param {Record<string, string> | null} values
 * @param {Record<string, string>} errors @returns {Promise<Screen>} */
async function startFormScreen(ctx, requestId, values, errors) {
  const me = ctx.session ? ctx.session.user.id : "";
  const tx = await begin("readonly");
  const req = UUID.test(requestId) ? await tx.record("repair_request", requestId) : undefined;
  const [unit, team, visits] = req ? await Promise.all([
    req.data.unit_id ? tx.record("unit", req.data.unit_id) : undefined, teamOf(tx, req.data.site_id),
    tx.find(VISIT, "request_id", req.id),
  ]) : [undefined, [], []];
  await tx.done;
  if (!req) return notHere(t("This repair request is not on this phone."));
  const mine = visits.find((x) => visitOpen(x) && x.data.technician_id === me);
  if (mine && !values) return { title: "", main: html``, redirect: `/m/repairs/visits/${mine.id}` };
  // consent and the conduct checklist are ticked by the technician, never assumed
  const v = values || { basis: req.data.appointment_at ? "appointment" : "request", resident_present: "1" };
  return { title: t("Start visit"), main: startForm({ req, unit, team, me, values: v, errors }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function startScreen(ctx) {
  if (!may(ctx, "repair.start_visit")) return refused();
  return startFormScreen(ctx, ctx.query.get("request") || "", null, {});
}

/** "Arrived": the visit starts now. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function startSubmit(ctx) {
  const session = may(ctx, "repair.start_visit");
  if (!session) return refused();
  const v = pick(await ctx.form(), START);
  const id = uuid7(ctx.now);
  const args = {
    visit_id: id, request_id: v.request_id, basis: v.basis,
    second_staff_id: UUID.test(v.second_staff_id) ? v.second_staff_id : null, witness: v.witness,
    resident_present: Boolean(v.resident_present), resident_consent: Boolean(v.resident_consent),
    only_minors: Boolean(v.only_minors), arrived_at: new Date(ctx.now).toISOString(),
    uniform_badge: Boolean(v.uniform_badge), shoe_covers: Boolean(v.shoe_covers), floor_protection: Boolean(v.floor_protection),
  };
  const errors = errorsOf(problems("repair.start_visit", args, startCheck).problems);
  if (Object.keys(errors).length) return startFormScreen(ctx, v.request_id, v, errors);
  try {
    await save(session, "repair.start_visit", args, ctx.now, [], async () => undefined);
  } catch (err) {
    if (err instanceof Reject) return startFormScreen(ctx, v.request_id, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  const screen = await visitScreenFor(ctx, id, t("Visit started. Saved on this phone; it syncs by itself."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/repairs/visits/${id}` } };
}

// --- the visit -------------------------------------------------------------------------------

/** @param {Ctx} ctx @param {string} id @param {string} [confirmation] @returns {Promise<Screen>} */
async function visitScreenFor(ctx, id, confirmation) {
  const v = await visitView(id);
  if (!v) return notHere(t("This visit is not on this phone."));
  const d = v.visit.data;
  const page = { ...v, me: ctx.session ? ctx.session.user.id : "", lines: linesOf(d.charges),
    total: chargesTotal(Array.isArray(d.charges) ? d.charges : []), confirmation };
  // the desk sees an open visit as it stands; the technicians record it
  const work = !d.closed_at && may(ctx, "repair.update_visit");
  return { title: `${t("Visit")} · ${v.req ? v.req.data.number : ""}`, main: work ? openVisit(page) : closedVisit(page) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function visitScreen(ctx) {
  if (!may(ctx, "repair.start_visit") && !may(ctx, "repair.assign")) return refused();
  return visitScreenFor(ctx, ctx.params.id);
}

/**
 * One correction of the open visit, saved on its tap: the answer is the part again (saved,
 * or with its problem). @param {Ctx} ctx @param {Record<string, any>} fields @param {string[]} blobs
 * @param {(visit: StoredRecord, errors: Record<string, string>, saved: boolean) => import("../html.js").Raw} render
 * @returns {Promise<Screen>}
 */
async function update(ctx, fields, blobs, render) {
  const session = may(ctx, "repair.update_visit");
  if (!session) return refused();
  const id = ctx.params.id;
  const args = { visit_id: id, fields };
  let errors = errorsOf(problems("repair.update_visit", args, updateCheck).problems);
  if (!Object.keys(errors).length) {
    try {
      const visit = await save(session, "repair.update_visit", args, ctx.now, blobs, (tx) => tx.record(VISIT, id));
      ctx.afterWrite();
      if (visit) return partOnly(render(visit, {}, true));
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      errors = refusal(err);
    }
  }
  const tx = await begin("readonly");
  const visit = UUID.test(id) ? await tx.record(VISIT, id) : undefined;
  await tx.done;
  return visit ? partOnly(render(visit, errors, false)) : notHere(t("This visit is not on this phone."));
}

/** A conduct item answered yes or no. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function checkSubmit(ctx) {
  const form = await ctx.form();
  const field = form.get("field") || "";
  if (!CHECKS.includes(field)) return visitScreenFor(ctx, ctx.params.id);
  return update(ctx, { [field]: form.get("value") === "1" }, [], (visit, _e, saved) => toggle(visit, field, saved));
}

/** What was found and done. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function workSubmit(ctx) {
  const v = pick(await ctx.form(), ["found", "work_done"]);
  return update(ctx, { found: v.found, work_done: v.work_done }, [],
    (visit, e, saved) => workForm(visit, saved ? { found: visit.data.found || "", work_done: visit.data.work_done || "" } : v, e, saved));
}

/** The charges' lines (blank ones dropped); the total shown is the rules' own sum.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function chargesSubmit(ctx) {
  const form = await ctx.form();
  /** @type {Line[]} */
  const typed = [];
  for (let i = 0; i < MAX_LINES && form.has(`item-${i}`); i++) {
    const l = { item: (form.get(`item-${i}`) || "").trim(), qty: form.get(`qty-${i}`) || "", amount: form.get(`amount-${i}`) || "" };
    if (l.item || l.qty.trim() || l.amount.trim()) typed.push(l);
  }
  const charges = typed.map((l) => ({ item: l.item, qty: num(l.qty), amount: num(l.amount) }));
  return update(ctx, { charges }, [], (visit, e, saved) => {
    const stored = Array.isArray(visit.data.charges) ? visit.data.charges : [];
    return saved ? chargesForm(visit, linesOf(stored), chargesTotal(stored), e, true)
      : chargesForm(visit, typed, chargesTotal(stored), e);
  });
}

/** Before or after photos (page.js downscaled and stored them as blobs).
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function photosSubmit(ctx) {
  const form = await ctx.form();
  const field = form.has("after_photos") ? "after_photos" : "before_photos";
  const tx = await begin("readonly");
  const visit = UUID.test(ctx.params.id) ? await tx.record(VISIT, ctx.params.id) : undefined;
  const photos = await photosIn(tx, form.get(field) || "", visit ? visit.data[field] || [] : []);
  await tx.done;
  return update(ctx, { [field]: photos }, photos, (rec, e, saved) => photosForm(rec, field, e, saved));
}

// --- close -----------------------------------------------------------------------------------

/** @param {Ctx} ctx @param {Record<string, string>} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function closeFormScreen(ctx, values, errors) {
  const v = await visitView(ctx.params.id);
  if (!v) return notHere(t("This visit is not on this phone."));
  if (v.visit.data.closed_at) return visitScreenFor(ctx, v.visit.id);
  return { title: t("Close the visit"), main: closeForm({ ...v, values, errors }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function closeScreen(ctx) {
  if (!may(ctx, "repair.close_visit")) return refused();
  return closeFormScreen(ctx, pick(new URLSearchParams(), CLOSE), {});
}

/** "Left": the visit closes now. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function closeSubmit(ctx) {
  const session = may(ctx, "repair.close_visit");
  if (!session) return refused();
  const v = pick(await ctx.form(), CLOSE);
  const id = ctx.params.id;
  const now = ctx.now;
  const tx = await begin("readonly");
  const [visit, sigs, notices] = await Promise.all([UUID.test(id) ? tx.record(VISIT, id) : undefined,
    photosIn(tx, v.signature_blob), photosIn(tx, v.notice_photo)]);
  await tx.done;
  if (!visit) return notHere(t("This visit is not on this phone."));
  const sig = sigs.pop() || "";
  const notice = notices.pop() || "";
  const leftAt = new Date(now).toISOString();
  const follow = v.outcome === "follow_up" ? uuid7(now) : null;
  const args = {
    visit_id: id, request_id: visit.data.request_id, site_id: visit.data.site_id,
    left_at: leftAt, signature_blob: sig,
    refused_reason: v.refused_reason, satisfaction: /^[1-5]$/.test(v.satisfaction) ? Number(v.satisfaction) : null,
    outcome: v.outcome, outcome_reason: v.outcome_reason, notice_photo: notice,
    follow_request_id: follow, follow_request_number: follow ? requestNumber(follow, leftAt, true) : "",
    follow_up_id: uuid7(now),
  };
  const errors = errorsOf(problems("repair.close_visit", args, closeCheck).problems);
  if (Object.keys(errors).length) return closeFormScreen(ctx, { ...v, signature_blob: sig, notice_photo: notice }, errors);
  try {
    await save(session, "repair.close_visit", args, now, [sig, notice].filter((s) => SHA256.test(s)), async () => undefined);
  } catch (err) {
    if (err instanceof Reject) return closeFormScreen(ctx, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  const screen = await visitScreenFor(ctx, id, t("Visit closed. Saved on this phone; it syncs by itself."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/repairs/visits/${id}` } };
}
