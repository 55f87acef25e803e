// @ts-check
/**
 * The key domain on the phone (registered in domains.js): its rules, its screens and routes,
 * and what it adds to the generic screens — the navigation, the home screen of the roles
 * that lend keys, and plain words for its conflicts and refused records in the inbox.
 */

import { t } from "../i18n.js";
import { route } from "../router.js";
import { RULES, forRole } from "./rules.js";
import {
  boardScreen,
  lendScreen,
  lendSubmit,
  loanScreen,
  returnScreen,
  returnSubmit,
} from "./screens.js";
import { conflictText } from "./views.js";

export { RULES, forRole };


export function registerRoutes() {
  route("GET", "/m/keys", boardScreen);
  route("GET", "/m/keys/lend", lendScreen);
  route("POST", "/m/keys/lend", lendSubmit);
  route("GET", "/m/keys/loans/:id", loanScreen);
  route("GET", "/m/keys/loans/:id/return", returnScreen);
  route("POST", "/m/keys/loans/:id/return", returnSubmit);
}

/** @param {string} role @returns {{href: string, label: string}[]} */
export function nav(role) {
  if (!forRole(role)) return [];
  return [{ href: "/m/keys", label: t("Key board") },
    { href: "/m/keys?tab=available", label: t("Lend a key") }];
}

export const home = boardScreen;

export const CONFLICT_KINDS = ["double_loan", "double_return", "return_before_loan"];
export { conflictText };

/** Where a conflict's records are shown on the phone. @param {string} recordType
 * @param {string} id */
export function recordHref(recordType, id) {
  return recordType === "key_loan" ? `/m/keys/loans/${id}` : "";
}

/** What a refused record was, in plain words (null: not this domain's).
 * @param {string} name @param {Record<string, any>} args @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  if (name === "key.lend") {
    const key = lookup("key", args.key_id);
    return t("Loan of key {code} to {name}", { code: key ? key.code : "?", name: args.borrower_name });
  }
  if (name === "key.return") return t("Return of a key by {name}", { name: args.returned_by });
  return null;
}
