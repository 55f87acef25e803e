// @ts-check
/**
 * The front-desk logs on the phone, their index part (registered in domains.js, phone domain
 * `desk`): the rules of the device key, the visitor register, issuing goods-out passes and the
 * shift handover; the visitor register's screens (visitors.js), the passes' (passes.js), the
 * handover's (handover.js); and what it adds to the generic screens — the navigation, the
 * desk's home (visitors inside, passes today, the handover), plain words for its conflicts
 * and refused records in the inbox (words.js).
 *
 * The gate's check of a pass is the other part (gate.js, phone domain `desk_gate`): a desk's
 * phone does not carry the camera and the check (sync/domains/desk PHONE_PARTS).
 */

import { begin } from "../db.js";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { route } from "../router.js";
import { may, refused, roleMay } from "../repairs/screens.js";
import { handoverNav, registerHandoverRoutes } from "./handover.js";
import { issueScreen, issueSubmit, passScreen, passesScreen, passesSince } from "./passes.js";
import { RULES } from "./rules.js";
import { confirmPart, dayStart, signInScreen, signInSubmit, signOutSubmit, unitsPart, visitorsScreen } from "./visitors.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { RULES, conflictText, describe, rejectionText };

export const CONFLICT_KINDS = ["signed_out_twice", "pass_used_twice", "received_twice"];

/** The desk's screens are for the roles that sign visitors in (a guard's home is patrol's).
 * @param {string} role */
export function forRole(role) {
  return roleMay(role, "visitor.sign_in");
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  /** @type {{href: string, label: string}[]} */
  const out = [];
  // the gate may sign a visitor out too: every role that reads the desk's records
  if (roleMay(role, "visitor.sign_out")) out.push({ href: "/m/desk/visitors", label: t("Visitors") });
  if (roleMay(role, "pass.issue")) out.push({ href: "/m/desk/passes", label: t("Goods-out passes") });
  return [...out, ...handoverNav(role)];
}

/** The desk's home: visitors still inside, passes issued today, the handover.
 * @param {import("../router.js").Ctx} ctx @returns {Promise<import("../router.js").Screen>} */
export async function home(ctx) {
  const session = may(ctx, "visitor.sign_in");
  if (!session) return refused();
  const tx = await begin("readonly");
  const [inside, passes] = await Promise.all([tx.openOf("visitor"), passesSince(tx, ctx.now, 0)]);
  await tx.done;
  const day = dayStart(ctx.now);
  // the first two entries of its navigation (it may run both): visitors, passes
  const counts = [t("{n} inside", { n: inside.length }),
    t("{n} today", { n: passes.filter((p) => Date.parse(p.data.issued_at) >= day).length })];
  return { title: t("Front desk"), live: "/m/desk",
    main: html`<h1>${t("Front desk")}</h1><ul class="rows" id="desk-home">${nav(session.user.role).map((n, i) => html`<li class="key-row">
      <a class="key-code" href="${n.href}">${n.label}</a>${counts[i] ? html` <span class="badge">${counts[i]}</span>` : ""}</li>`)}</ul>` };
}

export function registerRoutes() {
  route("GET", "/m/desk", home);
  route("GET", "/m/desk/visitors", visitorsScreen);
  route("GET", "/m/desk/visitors/new", signInScreen);
  route("POST", "/m/desk/visitors/new", signInSubmit);
  route("GET", "/m/desk/visitors/new/units", unitsPart("visitor.sign_in", "/m/desk/visitors/new/confirm"));
  route("GET", "/m/desk/visitors/new/confirm", confirmPart);
  route("POST", "/m/desk/visitors/:id/out", signOutSubmit);
  route("GET", "/m/desk/passes", passesScreen);
  route("GET", "/m/desk/passes/new", issueScreen);
  route("POST", "/m/desk/passes/new", issueSubmit);
  route("GET", "/m/desk/passes/new/units", unitsPart("pass.issue", ""));
  route("GET", "/m/desk/passes/:id", passScreen);
  registerHandoverRoutes();
}

/** Where a conflict's records are shown on the phone: a pass's, a handover's (a visitor's
 * conflict names them in its words; a gate check's: the gate part's).
 * @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "goods_pass" || recordType === "handover"
    ? `/m/desk/${recordType === "handover" ? "handover" : "passes"}/${id}` : "";
}
