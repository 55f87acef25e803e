// @ts-check
/**
 * The patrol domain on the phone (registered in domains.js): its rules, its screens and
 * routes, and what it adds to the generic screens. The camera's page-side module and the
 * QR decoder are not part of the shell: the worker caches them (cacheScanner) when a guard
 * opens today's rounds or a round, so the camera works offline from then on.
 */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { mutationDecl } from "../kit/declarations.js";
import { route } from "../router.js";
import { RULES } from "./rules.js";
import {
  finishSubmit,
  homeScreen,
  reportScreen,
  reportSubmit,
  roundScreenHandler,
  setRoles,
  skipScreen,
  skipSubmit,
  startSubmit,
  unscheduledSubmit,
} from "./screens.js";
import { answerSubmit, anomalySubmit, scanScreenHandler, scanSubmit, visitScreenHandler } from "./visit.js";

export { RULES };

/** Whether a role patrols: the roles that may record a visit (declared with scan.record).
 * @param {string} role */
export function forRole(role) {
  const decl = mutationDecl("scan.record");
  return Boolean(decl && decl.roles.includes(role));
}
setRoles(forRole);

const LAZY = ["./scan.js", "../../vendor/jsqr/jsQR.js"].map((p) => new URL(p, import.meta.url).href);
const LAZY_CACHE = `patrol-scanner-${new URL(import.meta.url).pathname.split("/")[2] || ""}`;

/** @type {Promise<void> | null} */
let caching_ = null;

/** Keep the camera's module and the decoder in a cache of their own (the worker answers
 * /v/ from every cache); older versions' caches go. Online only; harmless when offline.
 * One run at a time (every patrol screen asks; two at once raced on the same entries), and
 * the two files go in together or not at all (addAll). */
export function cacheScanner() {
  caching_ = caching_ || (async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("patrol-scanner-") && name !== LAZY_CACHE) await caches.delete(name);
    }
    const cache = await caches.open(LAZY_CACHE);
    const have = await Promise.all(LAZY.map((url) => cache.match(url)));
    if (have.some((hit) => !hit)) await cache.addAll(LAZY);
  })().finally(() => { caching_ = null; });
  return caching_;
}

/** @param {import("../router.js").Handler} handler @returns {import("../router.js").Handler} */
function caching(handler) {
  return async (ctx) => {
    if (ctx.session && forRole(ctx.session.user.role)) ctx.waitUntil(cacheScanner().catch(() => undefined));
    return handler(ctx);
  };
}

export function registerRoutes() {
  route("GET", "/m/patrol", caching(homeScreen));
  route("POST", "/m/patrol/start", unscheduledSubmit);
  route("GET", "/m/patrol/rounds/:id", caching(roundScreenHandler));
  route("POST", "/m/patrol/rounds/:id/start", startSubmit);
  route("GET", "/m/patrol/rounds/:id/scan", scanScreenHandler);
  route("POST", "/m/patrol/rounds/:id/scan", scanSubmit);
  route("GET", "/m/patrol/rounds/:id/skip", skipScreen);
  route("POST", "/m/patrol/rounds/:id/skip", skipSubmit);
  route("POST", "/m/patrol/rounds/:id/finish", finishSubmit);
  route("GET", "/m/patrol/scans/:id", visitScreenHandler);
  route("POST", "/m/patrol/scans/:id/answer", answerSubmit);
  route("POST", "/m/patrol/scans/:id/anomaly", anomalySubmit);
  route("GET", "/m/patrol/report", reportScreen);
  route("POST", "/m/patrol/report", reportSubmit);
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  return forRole(role) ? [{ href: "/m/patrol", label: t("Today's rounds") }] : [];
}

/** The home of the roles whose only work here is patrol (supervisors and administrators
 * see it in the navigation). @param {import("../router.js").Ctx} ctx */
export function home(ctx) {
  return caching(homeScreen)(ctx);
}

export const CONFLICT_KINDS = ["double_finish"];

/** Plain words for a conflict. @param {import("../db.js").StoredRecord} c */
export function conflictText(c) {
  const d = c.data;
  const resolved = d.status && d.status !== "open";
  const text = d.kind === "double_finish"
    ? t("This round was finished on two phones. The first finish stands; the office sees both.")
    : t("The office was asked to check this record ({kind}).", { kind: d.kind });
  return html`${text} ${resolved ? html`<span class="badge ok">${t("Resolved by the office")}</span>` : html`<span class="badge is-alert">${t("Open")}</span>`}`;
}

/** Where a conflict's records are shown on the phone. @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  if (recordType === "round") return `/m/patrol/rounds/${id}`;
  return recordType === "scan" ? `/m/patrol/scans/${id}` : "";
}

/** What a refused record was, in plain words (null: not this domain's).
 * @param {string} name @param {Record<string, any>} args @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  const rnd = args.round_id ? lookup("round", args.round_id) : undefined;
  const routeName = rnd ? (lookup("route", rnd.route_id) || {}).name || "" : "";
  /** @type {Record<string, string>} */
  const words = {
    "round.start": t("Start of a round {route}", { route: routeName }),
    "round.finish": t("Finish of a round {route}", { route: routeName }),
    "scan.record": t("Checkpoint visit ({method}: {code})", { method: args.method || "", code: args.method === "typed" ? args.token : "" }),
    "scan.answer": t("Checklist answers"),
    "scan.skip": t("Skipped checkpoint: {reason}", { reason: args.reason || "" }),
    "incident.report": t("Problem report: {text}", { text: args.description || "" }),
  };
  return words[name] ?? null;
}
