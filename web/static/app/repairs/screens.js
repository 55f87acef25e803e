// @ts-check
/** The repair screens' shared handlers, in both phone parts (index.js: the desk's, the
 * reports and follow-ups; visits.js: the technician's jobs and visits): who may do what
 * (from the mutations' declared roles), whether this phone carries the other part's screens,
 * saving a mutation (ONE durable IndexedDB transaction through outbox.record: a mutation the
 * rules refuse is never queued, its reason shown on the form). A request's page:
 * request_screen.js; the desk's screens: desk_screens.js; follow-ups: follow_screens.js;
 * the technician's jobs: jobs.js; visits: visit_screens.js. */

import { inTx } from "../db.js";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { mutationDecl } from "../kit/declarations.js";
import { record } from "../outbox.js";
import { match } from "../router.js";
import { notForRole } from "../views/home.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 * @typedef {import("../db.js").Tx} Tx
 */

/** Whether a role may run a mutation (its declared roles). @param {string} role @param {string} name */
export function roleMay(role, name) {
  const m = mutationDecl(name);
  return Boolean(m && m.roles.includes(role));
}

/** The session, when its person may run `name`. @param {Ctx} ctx @param {string} name
 * @returns {Session | null} */
export function may(ctx, name) {
  return ctx.session && roleMay(ctx.session.user.role, name) ? ctx.session : null;
}

/** Whether a role reads the requests: the desk (assigns them) and the technicians (start
 * visits); a guard only reports one from an anomaly. @param {string} role */
export function readsRequests(role) {
  return roleMay(role, "repair.assign") || roleMay(role, "repair.start_visit");
}

/**
 * The handler of a screen of the domain's other phone part (index.js: the desk's; visits.js:
 * the technician's) when this phone's worker carries it: a worker carries the parts its
 * people's roles need (server/app_shell/domain_sets.py), so a screen links to or hands over
 * to the other part's screens only through this. @param {string} path
 * @returns {import("../router.js").Handler | null}
 */
export function carried(path) {
  const found = match("GET", path);
  return found ? found.handler : null;
}

/** @returns {Screen} */
export function refused() {
  return { title: t("Not available for your role"), main: notForRole(), status: 403 };
}

/** @param {string} text @returns {Screen} */
export function notHere(text) {
  return { title: t("Not found."), status: 404,
    main: html`<section class="card"><h1>${text}</h1><p><a href="/m/repairs">${t("Back to repairs")}</a></p></section>` };
}

/**
 * Store a mutation (one durable transaction) and read back what the screen shows in the same
 * transaction; the rules' refusal is thrown, nothing queued.
 * @template T
 * @param {Session} session @param {string} name @param {Record<string, any>} args
 * @param {number} now @param {string[]} blobs @param {(tx: Tx) => Promise<T>} read
 * @returns {Promise<T>}
 */
export async function save(session, name, args, now, blobs, read) {
  return inTx("readwrite", async (tx) => {
    const { outcome } = await record(tx, session, name, args, { blobs, now });
    if (outcome.reject) throw outcome.reject;
    return read(tx);
  }, "strict");
}

/** Blobs named in a form that this phone holds or the record already names.
 * @param {Tx} tx @param {string} value @param {string[]} [kept] */
export async function photosIn(tx, value, kept = []) {
  const shas = [...new Set(value.split(",").map((s) => s.trim()).filter((s) => /^[0-9a-f]{64}$/.test(s)))];
  const found = await Promise.all(shas.map((s) => (kept.includes(s) ? true : tx.blob(s))));
  return shas.filter((_s, i) => found[i]);
}
