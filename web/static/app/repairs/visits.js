// @ts-check
/**
 * The repair domain on the phone, its visits part (registered in domains.js, phone domain
 * `repairs_visits`): the rules of the technician's visit (repair.start_visit,
 * repair.update_visit, repair.close_visit: visit_rule.js, the copy of
 * sync/domains/repairs/visit.py), the technician's jobs (their home) and the visit from the
 * door to the resident's signature. Only the phones of people who may run those mutations
 * carry it (sync/domains/repairs PHONE_PARTS; server/app_shell/domain_sets.py): a desk's or
 * a guard's phone carries the index part (index.js) alone. Its screens link to the index
 * part's request page and report form, which every role with visits carries (they report
 * on site).
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { jobsScreen } from "./jobs.js";
import { roleMay } from "./screens.js";
import { applyClose, applyStart, applyUpdate, closeCheck, startCheck, updateCheck } from "./visit_rule.js";
import {
  chargesSubmit, checkSubmit, closeScreen, closeSubmit, photosSubmit, startScreen, startSubmit, visitScreen, workSubmit,
} from "./visit_screens.js";
import { conflictText, describe as describeRepair, rejectionText } from "./words.js";

export { conflictText, rejectionText };

/** The rules of the mutations this part carries (the others': rules.js).
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "repair.start_visit": { check: startCheck, apply: applyStart },
  "repair.update_visit": { check: updateCheck, apply: applyUpdate },
  "repair.close_visit": { check: closeCheck, apply: applyClose },
};

export const CONFLICT_KINDS = ["closed_while_working", "double_close"];

/** The technician's home: their jobs. */
export const home = jobsScreen;

/** The technicians work with their jobs here (the desk: the index part). @param {string} role */
export function forRole(role) {
  return roleMay(role, "repair.start_visit") && !roleMay(role, "repair.assign");
}

export function registerRoutes() {
  route("GET", "/m/repairs/jobs", jobsScreen);
  route("GET", "/m/repairs/visits/new", startScreen);
  route("POST", "/m/repairs/visits/new", startSubmit);
  route("GET", "/m/repairs/visits/:id", visitScreen);
  for (const [what, handler] of /** @type {const} */ ([["check", checkSubmit], ["work", workSubmit],
    ["charges", chargesSubmit], ["photos", photosSubmit], ["close", closeSubmit]])) {
    route("POST", `/m/repairs/visits/:id/${what}`, handler);
  }
  route("GET", "/m/repairs/visits/:id/close", closeScreen);
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  return forRole(role) ? [{ href: "/m/repairs/jobs", label: t("My jobs") }] : [];
}

/** Where a conflict's records are shown on the phone. @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "repair_visit" ? `/m/repairs/visits/${id}` : "";
}

/** A refused record of this part's mutations, in plain words (null: not this part's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  return name in RULES ? describeRepair(name, args, lookup) : null;
}
