// @ts-check
/** Scanning a checkpoint and its visit: the scan is saved at once (scan.record, one durable
 * transaction, before anything else is shown), then the checklist — each answer saved on
 * its tap (scan.answer merges item by item) — and the anomaly (note, severity, photos). */

import { inTx } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { record } from "../outbox.js";
import { abnormalItems, roundView, visitView } from "./data.js";
import { RULES, SCAN } from "./rules.js";
import { guard, refused, roundScreenFor, storedPhotos } from "./screens.js";
import { itemForm, scanScreen, visitScreen } from "./visit_views.js";
import { errorsOf, refusalText } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("./data.js").Item} Item
 */

const METHODS = ["qr", "typed", "nfc"];

/** @param {Ctx} ctx @param {string} message @param {string} code @param {boolean} typed
 * @param {string} [refused] a label just refused (the camera does not send it again)
 * @returns {Promise<Screen>} */
async function scanScreenWith(ctx, message, code, typed, refused = "") {
  const v = await roundView(ctx.params.id);
  if (!v) return { title: t("Not found."), status: 404, main: html`<p><a href="/m/patrol">${t("Back to today's rounds")}</a></p>` };
  const name = v.route ? String(v.route.data.name) : "";
  return { title: t("Scan a checkpoint"), main: scanScreen({ roundId: ctx.params.id, name, message, code, typed, refused }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function scanScreenHandler(ctx) {
  if (!guard(ctx)) return refused();
  return scanScreenWith(ctx, "", "", ctx.query.get("typed") === "1");
}

/** A tag read (QR, NFC) or a code typed: saved at once, then the checkpoint's visit.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function scanSubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  const method = METHODS.includes(form.get("method") || "") ? String(form.get("method")) : "qr";
  const typed = method === "typed";
  const token = (typed ? form.get("code") || "" : form.get("token") || "").trim();
  if (!token) return scanScreenWith(ctx, typed ? t("Type the code printed on the label.") : "", "", typed);
  const scanId = uuid7(ctx.now);
  const args = { scan_id: scanId, round_id: ctx.params.id, method, token,
    scanned_at: new Date(ctx.now).toISOString(), answers: {}, abnormal: false, note: "",
    severity: "none", photos: [] };
  const found = problems("scan.record", args, RULES["scan.record"].check).problems;
  if (found.length) {
    const e = errorsOf(found);
    return scanScreenWith(ctx, e.token || Object.values(e)[0], typed ? token : "", typed, typed ? "" : token);
  }
  try {
    await inTx("readwrite", async (tx) => {
      const { outcome } = await record(tx, session, "scan.record", args, { now: ctx.now });
      if (outcome.reject) throw outcome.reject;
    }, "strict");
  } catch (err) {
    if (err instanceof Reject) return scanScreenWith(ctx, refusalText(err), typed ? token : "", typed, typed ? "" : token);
    throw err;
  }
  ctx.afterWrite();
  const screen = await visitScreenFor(ctx, scanId, {}, {}, t("Checkpoint recorded. Saved on this phone."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/patrol/scans/${scanId}` } };
}

/** @param {Ctx} ctx @param {string} scanId @param {Record<string, string>} values
 * @param {Record<string, string>} errors @param {string} [confirmation] @returns {Promise<Screen>} */
async function visitScreenFor(ctx, scanId, values, errors, confirmation) {
  const { scan, checkpoint, items } = await visitView(scanId);
  if (!scan || !checkpoint) {
    return { title: t("Not found."), status: 404, main: html`<p><a href="/m/patrol">${t("Back to today's rounds")}</a></p>` };
  }
  const d = scan.data;
  const v = { note: d.note || "", severity: d.severity || "none", photos: (d.photos || []).join(","), ...values };
  return { title: String(checkpoint.data.name), main: visitScreen({ scan, checkpoint, items, values: v, errors, confirmation }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function visitScreenHandler(ctx) {
  if (!guard(ctx)) return refused();
  return visitScreenFor(ctx, ctx.params.id, {}, {});
}

/** @param {Item} item @param {string} text @returns {string | number | boolean | null} */
function valueOf(item, text) {
  if (item.type === "yesno") return text === "yes" ? true : text === "no" ? false : null;
  if (item.type === "number") {
    const n = Number(text.replace(",", "."));
    return text.trim() && Number.isFinite(n) ? n : null;
  }
  if (item.type === "choice") return (item.choices || []).includes(text) ? text : null;
  return text.trim().slice(0, 500);
}

/** Whether the visit is not normal: an item answered out of normal, or a severity given.
 * @param {Item[]} items @param {Record<string, any>} answers @param {string} severity */
function isAbnormal(items, answers, severity) {
  return abnormalItems(items, answers).length > 0 || (Boolean(severity) && severity !== "none");
}

/** Save a scan.answer; "not normal" is worked out in its transaction, from what is stored
 * then: two answers tapped at once must not each judge from what they read before it.
 * @param {Ctx} ctx @param {import("../session.js").Session} session
 * @param {Record<string, any>} args @param {Item[]} items @param {string[]} [photos]
 * @returns {Promise<Record<string, any>>} the visit's answers after it */
async function saveAnswer(ctx, session, args, items, photos = []) {
  /** @type {Record<string, any>} */
  let saved = {};
  await inTx("readwrite", async (tx) => {
    const cur = await tx.record(SCAN, args.scan_id);
    /** @type {Record<string, any>} */
    const d = cur ? cur.data : {};
    args.abnormal = isAbnormal(items, { ...d.answers, ...args.answers }, args.severity ?? d.severity);
    const { outcome } = await record(tx, session, "scan.answer", args, { blobs: photos, now: ctx.now });
    if (outcome.reject) throw outcome.reject;
    const after = await tx.record(SCAN, args.scan_id);
    if (after) saved = after.data.answers;
  }, "strict");
  ctx.afterWrite();
  return saved;
}

/** One checklist answer, saved on its tap; the response is the item again.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function answerSubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  const { scan, items } = await visitView(ctx.params.id);
  const item = items.find((i) => i.id === form.get("item"));
  if (!scan || !item) return visitScreenFor(ctx, ctx.params.id, {}, {});
  const value = valueOf(item, form.get("value") || "");
  if (value === null) {
    return { title: "", main: html``, fragment: itemForm(scan.id, item, scan.data.answers || {}) };
  }
  const args = { scan_id: scan.id, answers: { [item.id]: value }, abnormal: false, note: null, severity: null, photos: null };
  let saved;
  try {
    saved = await saveAnswer(ctx, session, args, items);
  } catch (err) {
    if (err instanceof Reject) return visitScreenFor(ctx, scan.id, {}, { note: refusalText(err) });
    throw err;
  }
  return { title: "", main: html``, fragment: itemForm(scan.id, item, saved, true) };
}

/** Note, severity and photos of the visit (a photo is required when an item that asks for
 * one is not normal). "Done here" sends this form too (next=1): what was typed or added is
 * saved, not lost, on the way to the round. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function anomalySubmit(ctx) {
  const session = guard(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  const values = { note: form.get("note") || "", severity: form.get("severity") || "none", photos: form.get("photos") || "" };
  const { scan, items } = await visitView(ctx.params.id);
  if (!scan) return visitScreenFor(ctx, ctx.params.id, values, {});
  const photos = await storedPhotos(values.photos);
  const answers = scan.data.answers && typeof scan.data.answers === "object" ? scan.data.answers : {};
  const args = { scan_id: scan.id, answers: {}, abnormal: isAbnormal(items, answers, values.severity),
    note: values.note, severity: values.severity, photos };
  const errors = errorsOf(problems("scan.answer", args, RULES["scan.answer"].check).problems);
  const next = form.get("next") === "1";
  if (!next && !photos.length && abnormalItems(items, answers).some((i) => i.photo_if_abnormal)) {
    errors.photos = t("Not normal: a photo is required. Add it below.");
  }
  if (Object.keys(errors).length) return visitScreenFor(ctx, scan.id, values, errors);
  const d = scan.data;
  if (!next || values.note !== (d.note || "") || values.severity !== (d.severity || "none") || String(photos) !== String(d.photos || [])) {
    try {
      await saveAnswer(ctx, session, args, items, photos);
    } catch (err) {
      if (err instanceof Reject) return visitScreenFor(ctx, scan.id, values, { note: refusalText(err) });
      throw err;
    }
  }
  if (next) return { ...(await roundScreenFor(ctx, d.round_id)), headers: { "HX-Push-Url": `/m/patrol/rounds/${d.round_id}` } };
  return visitScreenFor(ctx, scan.id, {}, {}, t("Saved on this phone; it syncs by itself."));
}
