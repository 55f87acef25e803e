// @ts-check
/**
 * The front-desk logs on the phone, their index part (registered in domains.js, phone domain
 * `desk`): what every role that reads the desk's records does — the visitors still inside and
 * signing one out (at the desk or the gate), the shift handover (handover.js) — with the rules
 * of those (rules.js), and what it adds to the generic screens: the navigation, plain words
 * for its conflicts and refused records in the inbox (words.js).
 *
 * The desk's own screens are the front part (front.js, phone domain `desk_front`: signing a
 * visitor in, goods-out passes, the desk's home); the gate's check of a pass is the gate part
 * (gate.js, phone domain `desk_gate`). A guard's phone carries the index and the gate, a
 * desk's the index and the front (sync/domains/desk PHONE_PARTS).
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { roleMay } from "../repairs/screens.js";
import { handoverNav, registerHandoverRoutes } from "./handover.js";
import { RULES } from "./rules.js";
import { signOutSubmit, visitorsScreen } from "./visitors.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { RULES, conflictText, describe, rejectionText };

export const CONFLICT_KINDS = ["signed_out_twice", "pass_used_twice", "received_twice"];

/** The index gives no one their home (the desk's is the front part's, a guard's patrol's).
 * @param {string} _role */
export function forRole(_role) {
  return false;
}

export const home = visitorsScreen;

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  // the gate may sign a visitor out too: every role that reads the desk's records
  const out = roleMay(role, "visitor.sign_out") ? [{ href: "/m/desk/visitors", label: t("Visitors") }] : [];
  return [...out, ...handoverNav(role)];
}

export function registerRoutes() {
  route("GET", "/m/desk/visitors", visitorsScreen);
  route("POST", "/m/desk/visitors/:id/out", signOutSubmit);
  registerHandoverRoutes();
}

/** Where a conflict's records are shown on the phone: a handover's (a pass's: the front
 * part's; a visitor's conflict names them in its words). @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "handover" ? `/m/desk/handover/${id}` : "";
}
