// @ts-check
/** The front desk's words for what the rules and the kit say: form problems (the same the
 * server would give) translated, a few in the forms' own words; a rule's refusal beside the
 * field it is about; the desk's conflicts (signed_out_twice, pass_used_twice,
 * received_twice) and refused records in plain words for the inbox. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { mutationDecl } from "../kit/declarations.js";

/** @typedef {import("../kit/reject.js").Reject} Reject
 * @typedef {import("../db.js").StoredRecord} StoredRecord */

/** The forms' own words for a few problems (the message ids of the others are the kit's).
 * @returns {Record<string, string>} field -> its words when it is missing or not valid */
const ownWords = () => ({
  unit_id: t("Choose the unit."),
  valid_until: t("Enter a date and time."),
});
const OWN = ["Required.", "Not a valid id.", "Not a valid date and time."];

/**
 * The kit's problems as a form's errors, translated (the first of each field).
 * @param {import("../kit/fields.js").Problem[]} found @returns {Record<string, string>}
 */
export function errorsOf(found) {
  /** @type {Record<string, string>} */
  const errors = {};
  /** @type {Record<string, string>} */
  const words = found.length ? ownWords() : {};
  for (const p of found) {
    const field = p.field.split(".")[0];
    if (!(field in errors)) errors[field] = (OWN.includes(p.message) && words[field]) || t(p.message, p.params);
  }
  return errors;
}

/** code -> [the form field it concerns, its words]. @returns {Record<string, [string, string]>} */
const refusalWords = () => ({
  already_exists: ["form", t("This was already recorded.")],
  unknown_site: ["form", t("This site is not on this phone any more.")],
  unknown_unit: ["unit_id", t("This unit is not active at this site any more.")],
  unknown_resident: ["resident_id", t("This resident is no longer listed for the unit.")],
  unknown_signing_key: ["form", t("This phone's key for signing passes is not registered at this site.")],
  unknown_visitor: ["form", t("This visitor is not on this phone.")],
  unknown_handover: ["form", t("This handover is not on this phone.")],
  out_before_in: ["form", t("The time out is before the time in.")],
  same_person: ["form", t("The outgoing person cannot receive their own handover.")],
});

/** A rule's refusal as a form's error, in the phone's words. @param {Reject} r
 * @returns {Record<string, string>} */
export function refusal(r) {
  const hit = refusalWords()[r.code];
  return hit ? { [hit[0]]: hit[1] }
    : { [r.field || "form"]: t("This phone's rules refused it: {reason}", { reason: r.reason }) };
}

/** The desk rules' refusals in plain words (the inbox's words for a refused record).
 * @param {string} code */
export function rejectionText(code) {
  const hit = refusalWords()[code];
  return hit ? hit[1] : "";
}

/** Plain words for a desk conflict. @param {StoredRecord} c */
export function conflictText(c) {
  const d = c.data;
  const kind = d.kind;
  const text = kind === "signed_out_twice"
    ? t("This visitor was signed out on two phones. The first time out stands; the office sees both.")
    : kind === "pass_used_twice"
      ? t("Pass {number} was let out at two gates. The first check stands; the office checks.", { number: (d.details || {}).number || "" })
      : kind === "received_twice"
        ? t("This handover was received twice. The first signature stands; the office sees both.")
        : t("The office was asked to check this record ({kind}).", { kind });
  return html`${text} ${d.status && d.status !== "open" ? html`<span class="badge ok">${t("Resolved by the office")}</span>` : html`<span class="badge is-alert">${t("Open")}</span>`}`;
}

/** What a refused desk record was, in plain words: the mutation's declared label and whom
 * or what it was about (null: not this domain's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  const m = /^(desk|visitor|pass|handover)\./.test(name) ? mutationDecl(name) : undefined;
  if (!m) return null;
  const rec = (args.visitor_id && lookup("visitor", args.visitor_id))
    || (args.handover_id && lookup("handover", args.handover_id)) || {};
  const what = args.number || args.name || args.incoming_name || args.outgoing_name
    || rec.name || rec.outgoing_name || "";
  return what ? `${t(m.label)} · ${what}` : t(m.label);
}
