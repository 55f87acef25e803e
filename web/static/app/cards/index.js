// @ts-check
/**
 * The IC-card domain on the phone (registered in domains.js): its rules, its desk screens
 * (the cards home, a unit's cards and quota, the issue form and its receipt, a card with its
 * history, 掛失 / 補卡 / 退卡 / revoke) and their routes, and what it adds to the generic
 * screens — the navigation, the home screen, and plain words for its conflicts and refused
 * records in the inbox (words.js).
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { holderPart, issueScreen, issueSubmit, numberPart, receiptScreen } from "./issue.js";
import { RULES } from "./rules.js";
import { actionScreen, actionSubmit, cardScreen, forRole, homeScreen, unitScreen } from "./screens.js";
import { conflictText, describe, rejectionText } from "./words.js";

export { RULES, conflictText, describe, forRole, rejectionText };

export function registerRoutes() {
  // the fixed paths before /m/cards/:id
  route("GET", "/m/cards", homeScreen);
  route("GET", "/m/cards/issue", issueScreen);
  route("POST", "/m/cards/issue", issueSubmit);
  route("GET", "/m/cards/issue/holder", holderPart);
  route("GET", "/m/cards/issue/number", numberPart);
  route("GET", "/m/cards/issues/:id/receipt", receiptScreen);
  route("GET", "/m/cards/units/:id", unitScreen);
  route("GET", "/m/cards/:id", cardScreen);
  for (const action of ["lost", "return", "revoke"]) {
    route("GET", `/m/cards/:id/${action}`, actionScreen(action));
    route("POST", `/m/cards/:id/${action}`, actionSubmit(action));
  }
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  return forRole(role) ? [{ href: "/m/cards", label: t("IC cards") }] : [];
}

/** The cards home (the desk's first domain is keys: cards is in the navigation). */
export const home = homeScreen;

export const CONFLICT_KINDS = ["issued_while_lost", "double_issue", "quota_exceeded", "unregistered_card"];

/** Where a conflict's records are shown on the phone. @param {string} recordType
 * @param {string} id */
export function recordHref(recordType, id) {
  if (recordType === "card") return `/m/cards/${id}`;
  return recordType === "card_issue" ? `/m/cards/issues/${id}/receipt` : "";
}
