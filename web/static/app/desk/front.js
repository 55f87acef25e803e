// @ts-check
/**
 * The front desk's own screens, the desk domain's front part (registered in domains.js, phone
 * domain `desk_front`; sync/domains/desk PHONE_PARTS): signing a visitor in (visitors.js),
 * goods-out passes signed with the phone's device key (passes.js, passcode.js), the desk's
 * home, and the rules of those (front_rules.js). A guard's phone does not carry them: it
 * signs no visitor in and issues no pass (server/app_shell/domain_sets.py).
 */

import { begin } from "../db.js";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { route } from "../router.js";
import { may, refused, roleMay } from "../repairs/screens.js";
import { RULES } from "./front_rules.js";
import { nav as shared } from "./index.js";
import { issueScreen, issueSubmit, passScreen, passesScreen, passesSince } from "./passes.js";
import { confirmPart, dayStart, signInScreen, signInSubmit, unitsPart } from "./visitors.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { RULES, conflictText, describe, rejectionText };

/** @type {string[]} */
export const CONFLICT_KINDS = [];

/** The desk's screens are for the roles that sign visitors in. @param {string} role */
export function forRole(role) {
  return roleMay(role, "visitor.sign_in");
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  return roleMay(role, "pass.issue") ? [{ href: "/m/desk/passes", label: t("Goods-out passes") }] : [];
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
  const [visitors, ...handover] = shared(session.user.role);
  const entries = [
    { ...visitors, count: t("{n} inside", { n: inside.length }) },
    ...nav(session.user.role).map((n) => ({ ...n,
      count: t("{n} today", { n: passes.filter((p) => Date.parse(p.data.issued_at) >= day).length }) })),
    ...handover.map((n) => ({ ...n, count: "" })),
  ];
  return { title: t("Front desk"), live: "/m/desk",
    main: html`<h1>${t("Front desk")}</h1><ul class="rows" id="desk-home">${entries.map((n) => html`<li class="key-row">
      <a class="key-code" href="${n.href}">${n.label}</a>${n.count ? html` <span class="badge">${n.count}</span>` : ""}</li>`)}</ul>` };
}

export function registerRoutes() {
  route("GET", "/m/desk", home);
  route("GET", "/m/desk/visitors/new", signInScreen);
  route("POST", "/m/desk/visitors/new", signInSubmit);
  route("GET", "/m/desk/visitors/new/units", unitsPart("visitor.sign_in", "/m/desk/visitors/new/confirm"));
  route("GET", "/m/desk/visitors/new/confirm", confirmPart);
  route("GET", "/m/desk/passes", passesScreen);
  route("GET", "/m/desk/passes/new", issueScreen);
  route("POST", "/m/desk/passes/new", issueSubmit);
  route("GET", "/m/desk/passes/new/units", unitsPart("pass.issue", ""));
  route("GET", "/m/desk/passes/:id", passScreen);
}

/** Where a pass is shown on the phone. @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "goods_pass" ? `/m/desk/passes/${id}` : "";
}
