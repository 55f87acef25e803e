// @ts-check
/** The guard's round screens: today's rounds, start (planned or unscheduled), a round, skip,
 * finish and "report a problem". Each write: arguments built and checked by the kit first,
 * then ONE IndexedDB transaction stores the mutation and applies it through the rules
 * (outbox.record, durably) — a mutation the rules refuse is not queued, its reason shown. */

import { begin, inTx } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { record } from "../outbox.js";
import { notForRole } from "../views/home.js";
import { errorsOf, refusalText } from "./words.js";
import { isMine, roundView, roundsAndRoutes } from "./data.js";
import { CHECKPOINT, RULES } from "./rules.js";
import { finishWarning, reportForm, roundScreen, skipForm, today } from "./views.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 */

const SHA256 = /^[0-9a-f]{64}$/;
const SHIFT_MS = 12 * 3600000;

/** Roles that patrol (set by index.js from the declarations). @type {(role: string) => boolean} */
let patrols = () => false;
/** @param {(role: string) => boolean} fn */
export function setRoles(fn) {
  patrols = fn;
}

/** @param {Ctx} ctx @returns {Session | null} */
export function guard(ctx) {
  return ctx.session && patrols(ctx.session.user.role) ? ctx.session : null;
}

/** @returns {Screen} */
export function refused() {
  return { title: t("Not available for your role"), main: notForRole(), status: 403 };
}

/** @returns {Screen} */
function notHere() {
  return { title: t("Not found."), status: 404,
    main: html`<section class="card"><h1>${t("This round is not on this phone.")}</h1>
      <p><a href="/m/patrol">${t("Back to today's rounds")}</a></p></section>` };
}

/**
 * Store a mutation (one durable transaction); the rules' refusal is thrown, nothing queued.
 * @param {Ctx} ctx @param {Session} session @param {string} name @param {Record<string, any>} args
 * @param {string[]} [blobs]
 */
export async function save(ctx, session, name, args, blobs = []) {
  await inTx("readwrite", async (tx) => {
    const { outcome } = await record(tx, session, name, args, { blobs, now: ctx.now });
    if (outcome.reject) throw outcome.reject;
  }, "strict");
  ctx.afterWrite();
}

/** Photos named in a form that are stored on this phone. @param {string} value */
export async function storedPhotos(value) {
  const shas = value.split(",").map((s) => s.trim()).filter((s) => SHA256.test(s));
  const tx = await begin("readonly");
  const found = await Promise.all(shas.map((s) => tx.blob(s)));
  await tx.done;
  return shas.filter((_s, i) => found[i]);
}

/** Today's rounds are the guard's shift, not the calendar day: slots from 12 h ago to 12 h
 * ahead (a night's rounds, 22:00 to 06:00, stay together across midnight; no time zone).
 * @param {StoredRecord} r @param {number} now */
function groupOf(r, now) {
  const d = r.data;
  const at = (/** @type {string} */ f) => Date.parse(d[f]);
  // started and not finished (the server marks one past its due time incomplete: it can
  // still be walked and finished)
  if (d.status === "in_progress" || (d.status === "incomplete" && !d.finished_at)) return "in_progress";
  if (["done", "incomplete"].includes(d.status)) return at("finished_at") > now - SHIFT_MS ? "finished" : "";
  if (Math.abs(at("slot_at") - now) >= SHIFT_MS && !(["planned", "missed"].includes(d.status) && at("slot_at") <= now && at("due_by") > now)) return "";
  if (d.status === "missed" || at("due_by") <= now) return "missed";
  if (at("slot_at") > now) return "upcoming";
  return at("start_by") >= now ? "due" : "late";
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function homeScreen(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const { rounds, routes } = await roundsAndRoutes();
  const keys = ["in_progress", "due", "late", "upcoming", "missed", "finished"];
  /** @type {Record<string, StoredRecord[]>} */
  const by = Object.fromEntries(keys.map((k) => [k, []]));
  for (const r of rounds) {
    if (!isMine(r, session.user.id)) continue;
    const g = groupOf(r, ctx.now);
    if (g) by[g].push(r);
  }
  for (const k of keys) by[k].sort((a, b) => String(a.data.slot_at).localeCompare(String(b.data.slot_at)));
  const v = { groups: keys.map((key) => ({ key, rounds: by[key] })), routes, now: ctx.now };
  return { title: t("Today's rounds"), main: today(v), live: "/m/patrol" };
}

/** @param {Ctx} ctx @param {string} roundId @param {string} [confirmation] @returns {Promise<Screen>} */
export async function roundScreenFor(ctx, roundId, confirmation) {
  const v = await roundView(roundId);
  if (!v) return notHere();
  const name = v.route ? String(v.route.data.name) : t("Round");
  return { title: name, main: roundScreen({ ...v, name, confirmation }), live: `/m/patrol/rounds/${roundId}` };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function roundScreenHandler(ctx) {
  if (!guard(ctx)) return refused();
  return roundScreenFor(ctx, ctx.params.id);
}

/** @param {Ctx} ctx @param {string} roundId @param {Record<string, any>} args @returns {Promise<Screen>} */
async function startWith(ctx, roundId, args) {
  const session = guard(ctx);
  if (!session) return refused();
  /** @param {string} message */
  const withAlert = async (message) => {
    const screen = await homeScreen(ctx);
    return { ...screen, main: html`<p class="alert" role="alert">${message}</p>${screen.main}` };
  };
  const found = errorsOf(problems("round.start", args).problems);
  if (Object.keys(found).length) return withAlert(Object.values(found)[0]);
  try {
    await save(ctx, session, "round.start", args);
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    return withAlert(refusalText(err));
  }
  const screen = await roundScreenFor(ctx, roundId, t("Round started. Saved on this phone."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/patrol/rounds/${roundId}` } };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function startSubmit(ctx) {
  const at = new Date(ctx.now).toISOString();
  return startWith(ctx, ctx.params.id, { round_id: ctx.params.id, at, route_id: null, due_by: null });
}

/** An unscheduled round on a route: due after the route's expected time.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function unscheduledSubmit(ctx) {
  const routeId = (await ctx.form()).get("route_id") || "";
  const { routes } = await roundsAndRoutes();
  const route = routes.find((r) => r.id === routeId);
  const minutes = route ? Number(route.data.expected_minutes) || 30 : 30;
  const roundId = uuid7(ctx.now);
  const args = { round_id: roundId, at: new Date(ctx.now).toISOString(), route_id: routeId,
    due_by: new Date(ctx.now + minutes * 60000).toISOString() };
  return startWith(ctx, roundId, args);
}

/** @param {Ctx} ctx @param {Record<string, string>} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function skipScreenWith(ctx, values, errors) {
  const v = await roundView(ctx.params.id);
  if (!v) return notHere();
  return { title: t("Skip a checkpoint"), main: skipForm({ roundId: ctx.params.id, stops: v.stops, values, errors }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function skipScreen(ctx) {
  if (!guard(ctx)) return refused();
  return skipScreenWith(ctx, { checkpoint_id: ctx.query.get("checkpoint") || "", reason: "" }, {});
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function skipSubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  const values = { checkpoint_id: form.get("checkpoint_id") || "", reason: form.get("reason") || "" };
  const args = { scan_id: uuid7(ctx.now), round_id: ctx.params.id, checkpoint_id: values.checkpoint_id,
    at: new Date(ctx.now).toISOString(), reason: values.reason };
  const errors = errorsOf(problems("scan.skip", args, RULES["scan.skip"].check).problems);
  if (!values.reason.trim()) errors.reason = t("Write why the checkpoint is skipped.");
  if (Object.keys(errors).length) return skipScreenWith(ctx, values, errors);
  try {
    await save(ctx, session, "scan.skip", args);
  } catch (err) {
    if (err instanceof Reject) return skipScreenWith(ctx, values, { [err.field === "reason" ? "reason" : "checkpoint_id"]: refusalText(err) });
    throw err;
  }
  const screen = await roundScreenFor(ctx, ctx.params.id, t("Checkpoint skipped. A supervisor will review the reason."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/patrol/rounds/${ctx.params.id}` } };
}

/** Finish: a warning first when checkpoints were neither visited nor skipped.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function finishSubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const roundId = ctx.params.id;
  const confirmed = (await ctx.form()).get("confirm") === "1";
  const v = await roundView(roundId);
  if (!v) return notHere();
  const missing = v.stops.filter((s) => !s.state).map((s) => s.checkpoint);
  if (missing.length && !confirmed) {
    return { title: t("Finish the round?"), main: finishWarning({ roundId, missing }) };
  }
  try {
    await save(ctx, session, "round.finish", { round_id: roundId, at: new Date(ctx.now).toISOString() });
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    return roundScreenFor(ctx, roundId, refusalText(err));
  }
  const screen = await roundScreenFor(ctx, roundId, t("Round finished. Saved on this phone; it syncs by itself."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/patrol/rounds/${roundId}` } };
}

/** @param {Ctx} ctx @param {Record<string, string>} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function reportScreenWith(ctx, values, errors) {
  const roundId = ctx.query.get("round") || "";
  const scanId = ctx.query.get("scan") || "";
  const v = roundId ? await roundView(roundId) : null;
  let checkpoints = v ? v.stops.map((s) => s.checkpoint) : [];
  if (!checkpoints.length) {
    const tx = await begin("readonly");
    checkpoints = (await tx.recordsOfType(CHECKPOINT)).filter((c) => !c.deleted);
    await tx.done;
  }
  if (!values.checkpoint_id && scanId && v) {
    const stop = v.stops.find((s) => s.visit && s.visit.id === scanId);
    if (stop) values.checkpoint_id = stop.checkpoint.id;
  }
  const qs = new URLSearchParams({ round: roundId, scan: scanId }).toString();
  return { title: t("Report a problem"), main: reportForm({ action: `/m/patrol/report?${qs}`, checkpoints, values, errors,
    back: scanId ? `/m/patrol/scans/${scanId}` : roundId ? `/m/patrol/rounds/${roundId}` : "/m/patrol" }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function reportScreen(ctx) {
  if (!guard(ctx)) return refused();
  return reportScreenWith(ctx, { checkpoint_id: "", description: "", severity: "medium", photos: "" }, {});
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function reportSubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  /** @type {Record<string, string>} */
  const values = {};
  for (const f of ["checkpoint_id", "description", "severity", "photos"]) values[f] = form.get(f) || "";
  const photos = await storedPhotos(values.photos);
  const roundId = ctx.query.get("round") || null;
  const args = { incident_id: uuid7(ctx.now), checkpoint_id: values.checkpoint_id, round_id: roundId,
    scan_id: ctx.query.get("scan") || null, description: values.description, severity: values.severity || "medium",
    photos, at: new Date(ctx.now).toISOString() };
  const errors = errorsOf(problems("incident.report", args).problems);
  if (Object.keys(errors).length) return reportScreenWith(ctx, values, errors);
  try {
    await save(ctx, session, "incident.report", args, photos);
  } catch (err) {
    if (err instanceof Reject) return reportScreenWith(ctx, values, { checkpoint_id: refusalText(err) });
    throw err;
  }
  const sent = t("Problem reported. The office sees it after the next sync.");
  const screen = roundId ? await roundScreenFor(ctx, roundId, sent) : await homeScreen(ctx);
  return { ...screen, headers: { "HX-Replace-Url": roundId ? `/m/patrol/rounds/${roundId}` : "/m/patrol" } };
}
