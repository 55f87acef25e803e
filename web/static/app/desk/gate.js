// @ts-check
/**
 * The front-desk domain on the phone, its gate part (registered in domains.js, phone domain
 * `desk_gate`): the rule of pass.check (gate_rules.js, the copy of the server's) and the gate
 * guard's screens — scan a goods-out pass's QR code (the patrol camera module, page side),
 * the verdict made on this phone offline (desk/passcode.js), the check recorded. Only the
 * phones of people who may check passes carry it (sync/domains/desk PHONE_PARTS;
 * server/app_shell/domain_sets.py): a desk's phone issues passes (index.js) and carries no
 * gate screens. The words of the desk's conflicts and refusals are the index part's
 * (words.js), which every phone carrying this part carries too (the gate reads the desk
 * stream).
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { roleMay } from "../repairs/screens.js";
import { RULES } from "./gate_rules.js";
import { checkScreen, checkSubmit, gateHandler, scanSubmit } from "./gate_screens.js";
import { conflictText, describe as describeDesk } from "./words.js";

export { RULES, conflictText };

/** pass_used_twice is the index part's to put in words (CONFLICT_KINDS there).
 * @type {string[]} */
export const CONFLICT_KINDS = [];

/** The gate's guards (and supervisors): those who may record a pass's check. @param {string} role */
export function forRole(role) {
  return roleMay(role, "pass.check");
}

/** The gate's start screen (a guard's home is the rounds: patrol comes first). */
export const home = gateHandler;

export function registerRoutes() {
  route("GET", "/m/desk/gate", gateHandler);
  route("POST", "/m/desk/gate", scanSubmit);
  route("POST", "/m/desk/gate/check", checkSubmit);
  route("GET", "/m/desk/gate/checks/:id", checkScreen);
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  return forRole(role) ? [{ href: "/m/desk/gate", label: t("Check a pass") }] : [];
}

/** Where a gate check is shown on the phone. @param {string} recordType @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "pass_check" ? `/m/desk/gate/checks/${id}` : "";
}

/** A refused check in plain words (null: not this part's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  return name in RULES ? describeDesk(name, args, lookup) : null;
}
