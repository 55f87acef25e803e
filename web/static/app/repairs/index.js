// @ts-check
/**
 * The repair domain on the phone, its index part (registered in domains.js, phone domain
 * `repairs`): the rules of reporting, assigning, linking a key loan, the follow-up calls and
 * the office's closing; the report form (the desk; a guard from a patrol anomaly; a
 * technician on site), the desk's open requests, a request's page (assign, link a key loan),
 * the follow-up calls; and what it adds to the generic screens — the navigation, the desk's
 * home, plain words for its conflicts and refused records in the inbox (words.js).
 *
 * The technician's jobs and visits are the other part (visits.js, phone domain
 * `repairs_visits`): a desk's or a guard's phone does not carry them
 * (sync/domains/repairs PHONE_PARTS; server/app_shell/domain_sets.py). These screens reach
 * them only where this phone carries them (screens.js carried()).
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { assignSubmit, contactPart, deskListScreen, keySubmit, reportScreen, reportSubmit, unitsPart } from "./desk_screens.js";
import { followScreen, followSubmit, followUpsScreen } from "./follow_screens.js";
import { requestScreen } from "./request_screen.js";
import { RULES } from "./rules.js";
import { carried, roleMay } from "./screens.js";
import { conflictText, describe as describeRepair, rejectionText } from "./words.js";

export { RULES, conflictText, rejectionText };

export const CONFLICT_KINDS = ["closed_while_working", "double_close", "double_follow_up"];

/** The desk's home: its open requests. */
export const home = deskListScreen;

/** The desk works with repairs here (a technician's home is the visits part's jobs).
 * @param {string} role */
export function forRole(role) {
  return roleMay(role, "repair.assign");
}

/** /m/repairs: the desk's open requests; a technician's jobs (the visits part's screen).
 * @param {import("../router.js").Ctx} ctx */
async function repairsHome(ctx) {
  const role = ctx.session ? ctx.session.user.role : "";
  const jobs = roleMay(role, "repair.assign") ? null : carried("/m/repairs/jobs");
  return jobs ? jobs(ctx) : deskListScreen(ctx);
}

export function registerRoutes() {
  route("GET", "/m/repairs", repairsHome);
  route("GET", "/m/repairs/new", reportScreen);
  route("POST", "/m/repairs/new", reportSubmit);
  route("GET", "/m/repairs/new/units", unitsPart);
  route("GET", "/m/repairs/new/contact", contactPart);
  route("GET", "/m/repairs/requests", deskListScreen);
  route("GET", "/m/repairs/requests/:id", requestScreen);
  route("POST", "/m/repairs/requests/:id/assign", assignSubmit);
  route("POST", "/m/repairs/requests/:id/key", keySubmit);
  route("GET", "/m/repairs/follow-ups", followUpsScreen);
  route("GET", "/m/repairs/follow-ups/:id", followScreen);
  route("POST", "/m/repairs/follow-ups/:id", followSubmit);
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  /** @type {{href: string, label: string}[]} */
  const out = [];
  if (roleMay(role, "repair.assign")) out.push({ href: "/m/repairs/requests", label: t("Repairs") });
  if (roleMay(role, "repair.follow_up")) out.push({ href: "/m/repairs/follow-ups", label: t("Follow-ups") });
  return out;
}

/** Where a conflict's records are shown on the phone (a visit's: the visits part's).
 * @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  if (recordType === "repair_request") return `/m/repairs/requests/${id}`;
  return recordType === "follow_up" ? `/m/repairs/follow-ups/${id}` : "";
}

/** A refused record of this part's mutations, in plain words (null: not this part's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  return name in RULES ? describeRepair(name, args, lookup) : null;
}
