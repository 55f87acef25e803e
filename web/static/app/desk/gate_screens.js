// @ts-check
/** The gate's screens: scan a pass (camera or pasted code), the verdict made on this phone,
 * offline (passcode.js verifyPass: the issuing phone's public key came by sync, the pass
 * itself need not have), and the guard's check recorded through the outbox (pass.check: a
 * refused pass is recorded too, so the office sees it). The worker decides the verdict again
 * when the check is recorded: the form carries only the code presented. */

import { actorOf } from "../apply.js";
import { begin } from "../db.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { maxLength } from "../kit/declarations.js";
import { Reject } from "../kit/reject.js";
import { may, photosIn, refused, save } from "../repairs/screens.js";
import { RULES } from "./gate_rules.js";
import { CHECK, gateScreen, missing, receipt, verdictScreen } from "./gate_views.js";
import { cacheLazy, verifyPass } from "./passcode.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// what a scanner or a paste may add around a code: whitespace, controls, invisible marks
const NOISE = /[\s\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+/g;
/** The camera's page-side module and its QR decoder (patrol's), kept for offline use. */
const SCANNER = ["../patrol/scan.js", "../../vendor/jsqr/jsQR.js"].map((p) => new URL(p, import.meta.url).href);

/** @param {number} ms */
const stamp = (ms) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;

/** The gate's site: the one asked for when it is the guard's, else their first.
 * @param {Session} session @param {string | null} wanted */
function siteOf(session, wanted) {
  const sites = actorOf(session).sites;
  return wanted && sites.includes(wanted) ? wanted : sites[0] || "";
}

/** @param {Ctx} ctx @param {Session} session @param {string} site @param {string} message @param {string} code
 * @returns {Promise<Screen>} */
async function scanScreen(ctx, session, site, message = "", code = "") {
  ctx.waitUntil(cacheLazy("desk-gate-", SCANNER).catch(() => undefined)); // online: kept for offline
  const ids = actorOf(session).sites;
  const tx = await begin("readonly");
  const recs = await Promise.all(ids.map((id) => tx.record("site", id)));
  await tx.done;
  const sites = ids.map((id, i) => {
    const rec = recs[i];
    return { id, name: rec ? String(rec.data.name) : id };
  });
  return { title: t("Check a pass"), main: gateScreen({ sites, site, message, code }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function gateHandler(ctx) {
  const session = may(ctx, "pass.check");
  if (!session) return refused();
  return scanScreen(ctx, session, siteOf(session, ctx.query.get("site")));
}

/** The verdict on a code at the gate of `site`, with the check form.
 * @param {Ctx} ctx @param {string} code @param {string} site
 * @param {Record<string, string>} values @param {Record<string, string>} errors @returns {Promise<Screen>} */
async function verdictFor(ctx, code, site, values, errors) {
  const verified = await verifyPass(code, site, ctx.now);
  const c = verified.content;
  const tx = await begin("readonly");
  const unit = c && typeof c.u === "string" && UUID.test(c.u) ? await tx.record("unit", c.u) : undefined;
  await tx.done;
  // a text with no pass id in it cannot be recorded against a pass: the guard scans again
  const recordable = Boolean(c && typeof c.id === "string" && UUID.test(c.id));
  return { title: t("Check a pass"), main: verdictScreen({ verified, code, site, unit, values, errors, recordable }) };
}

/** A code scanned or pasted: the verdict. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function scanSubmit(ctx) {
  const session = may(ctx, "pass.check");
  if (!session) return refused();
  const form = await ctx.form();
  const site = siteOf(session, form.get("site_id"));
  const code = (form.get("token") || form.get("code") || "").replace(NOISE, "");
  if (!code) return scanScreen(ctx, session, site, t("Scan the pass's QR code, or paste its code."));
  return verdictFor(ctx, code, site, {}, {});
}

/** The guard's check: the verdict again, then pass.check through the outbox.
 * @param {Ctx} ctx @returns {Promise<Screen>} */
export async function checkSubmit(ctx) {
  const session = may(ctx, "pass.check");
  if (!session) return refused();
  const form = await ctx.form();
  const site = siteOf(session, form.get("site_id"));
  const code = (form.get("code") || "").replace(NOISE, "");
  const values = { outcome: form.get("outcome") || "", note: form.get("note") || "", photos: form.get("photos") || "" };
  const verified = await verifyPass(code, site, ctx.now);
  const c = verified.content || {};
  if (typeof c.id !== "string" || !UUID.test(c.id)) return scanScreen(ctx, session, site, t("This is not a goods-out pass's QR code."), code);
  const read = await begin("readonly");
  const photos = await photosIn(read, values.photos);
  await read.done;
  const id = uuid7(ctx.now);
  const raw = {
    check_id: id, site_id: site, pass_id: c.id, number: String(c.n ?? "").replace(NOISE, " ").slice(0, maxLength(CHECK, "number")),
    code: code.slice(0, maxLength(CHECK, "code")), verdict: verified.status, outcome: values.outcome, photos,
    note: values.note, checked_at: stamp(ctx.now),
  };
  const { args, problems: found } = problems("pass.check", raw, RULES["pass.check"].check);
  let errors = errorsOf(found);
  if (!Object.keys(errors).length && args) {
    try {
      const check = await save(session, "pass.check", args, ctx.now, photos, (tx) => tx.record(CHECK, id));
      ctx.afterWrite();
      if (check) {
        return { title: t("Check recorded"), main: receipt({ check, site }),
          headers: { "HX-Replace-Url": `/m/desk/gate/checks/${id}` } };
      }
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      errors = refusal(err);
    }
  }
  return verdictFor(ctx, code, site, values, errors);
}

/** A check recorded on this phone. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function checkScreen(ctx) {
  if (!may(ctx, "pass.check")) return refused();
  const tx = await begin("readonly");
  const check = UUID.test(ctx.params.id) ? await tx.record(CHECK, ctx.params.id) : undefined;
  await tx.done;
  if (!check) return { title: t("Not found."), status: 404, main: missing() };
  return { title: t("Check recorded"), main: receipt({ check, site: String(check.data.site_id) }) };
}
