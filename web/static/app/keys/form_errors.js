// @ts-check
/** The key forms' errors in the desk's words: the kit's problems (the same the server would
 * give) translated, a few in the form's own words, and a rule's refusal beside the field it
 * is about. */

import { t } from "../i18n.js";
import { KEY_RETIRED, OWNER_CONSENT_REQUIRED } from "./rules.js";

/** @typedef {import("../kit/reject.js").Reject} Reject */

/** The form's own words for a few problems (the message ids of the others are the kit's). */
const OWN_WORDS = {
  signature_blob: { "Required.": "The borrower must sign on the screen." },
  borrower_name: { "Required.": "Enter the borrower's name." },
  borrower_kind: { "Choose one of the listed values.": "Choose who the borrower is." },
  returned_by: { "Required.": "Enter who returned the key." },
};

/**
 * The kit's problems as the form's errors, translated (the first of each field).
 * @param {import("../kit/fields.js").Problem[]} found @returns {Record<string, string>}
 */
export function errorsOf(found) {
  /** @type {Record<string, string>} */
  const errors = {};
  for (const p of found) {
    const field = p.field.split(".")[0];
    if (field in errors) continue;
    const own = /** @type {Record<string, Record<string, string>>} */ (OWN_WORDS)[field];
    errors[field] = t((own && own[p.message]) || p.message, p.params);
  }
  return errors;
}

/** A rule's refusal as the form's error, in the phone's words. @param {Reject} r
 * @returns {Record<string, string>} */
export function refusal(r) {
  if (r.code === OWNER_CONSENT_REQUIRED) {
    return { owner_consent: t("This key is owner-deposited: record the owner's consent.") };
  }
  if (r.code === KEY_RETIRED) return { key_id: t("This key is retired and cannot be lent.") };
  return { [r.field || "form"]: t("This phone's rules refused it: {reason}", { reason: r.reason }) };
}

