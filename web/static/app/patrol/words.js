// @ts-check
/** The patrol screens' words for the kit's problems and the rules' refusals. */

import { t } from "../i18n.js";
import {
  CHECKPOINT_RETIRED,
  NOT_ON_ROUTE,
  REASON_REQUIRED,
  ROUND_CLOSED,
  TAG_RETIRED,
  UNKNOWN_ROUND,
  UNKNOWN_TAG,
  WRONG_SITE,
} from "./rules.js";

/** The kit's problems as a form's errors, translated (the first of each field).
 * @param {import("../kit/fields.js").Problem[]} found @returns {Record<string, string>} */
export function errorsOf(found) {
  /** @type {Record<string, string>} */
  const errors = {};
  for (const p of found) {
    const field = p.field.split(".")[0];
    if (!(field in errors)) errors[field] = t(p.message, p.params);
  }
  return errors;
}

/** A rule's refusal in the guard's words. @param {import("../kit/reject.js").Reject} r */
export function refusalText(r) {
  /** @type {Record<string, string>} */
  const words = {
    [UNKNOWN_TAG]: t("This code is not a checkpoint of this site. Check the label and try again."),
    [TAG_RETIRED]: t("This label was replaced by a new one. Scan the new label, or type its code."),
    [WRONG_SITE]: t("This label belongs to another site."),
    [CHECKPOINT_RETIRED]: t("This checkpoint is no longer in use."),
    [ROUND_CLOSED]: t("This round is already finished."),
    [UNKNOWN_ROUND]: t("This round is not on this phone."),
    [NOT_ON_ROUTE]: t("This checkpoint is not on the round's route."),
    [REASON_REQUIRED]: t("Write why the checkpoint is skipped."),
  };
  return words[r.code] || t("This phone's rules refused it: {reason}", { reason: r.reason });
}
