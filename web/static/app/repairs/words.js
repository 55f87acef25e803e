// @ts-check
/** The repair screens' words for what the rules and the kit say: form problems (the same the
 * server would give) translated, a few in the forms' own words; a rule's refusal beside the
 * field it is about; conflicts and refused records in plain words for the inbox. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { mutationDecl } from "../kit/declarations.js";

/** @typedef {import("../kit/reject.js").Reject} Reject
 * @typedef {import("../db.js").StoredRecord} StoredRecord */

/** The forms' own words for a few problems (the message ids of the others are the kit's).
 * @returns {Record<string, Record<string, string>>} */
const ownWords = () => ({
  description: { "Required.": t("Describe the problem.") },
  outcome: { "Required.": t("Choose how the visit ended."), "Choose one of the listed values.": t("Choose how the visit ended.") },
  rating: { "Choose one of the listed values.": t("Give the rating the resident gave.") },
});

/**
 * The kit's problems as a form's errors, translated (the first of each field).
 * @param {import("../kit/fields.js").Problem[]} found @returns {Record<string, string>}
 */
export function errorsOf(found) {
  /** @type {Record<string, string>} */
  const errors = {};
  const words = found.length ? ownWords() : {};
  for (const p of found) {
    const parts = p.field.split(".");
    // a correction's field (update_visit's fields.found) is the form's field
    const field = parts[0] === "fields" && parts[1] ? parts[1] : parts[0];
    if (field in errors) continue;
    const own = words[field] && words[field][p.message];
    errors[field] = own || t(p.message, p.params);
  }
  return errors;
}

/** code -> [the form field it concerns, its words]. @returns {Record<string, [string, string]>} */
function refusalWords() {
  return {
    already_exists: ["form", t("This was already recorded.")],
    unknown_site: ["form", t("This site is not on this phone any more.")],
    unknown_unit: ["unit_id", t("This unit is not active at this site any more.")],
    unknown_request: ["form", t("This repair request is not on this phone.")],
    unknown_visit: ["form", t("This visit is not on this phone.")],
    unknown_follow_up: ["form", t("This follow-up is not on this phone.")],
    unknown_loan: ["key_loan_id", t("This key loan is not on this phone any more.")],
    request_closed: ["form", t("This request is no longer open.")],
    visit_closed: ["form", t("This visit is already closed.")],
    left_before_arrival: ["form", t("Left before arriving.")],
    not_your_visit: ["form", t("This visit is another technician's.")],
  };
}

/** A rule's refusal as a form's error, in the phone's words. @param {Reject} r
 * @returns {Record<string, string>} */
export function refusal(r) {
  const hit = refusalWords()[r.code];
  if (hit) return { [hit[0]]: hit[1] };
  return { [r.field || "form"]: t("This phone's rules refused it: {reason}", { reason: r.reason }) };
}

/** The repair rules' refusals in plain words (the inbox's words for a refused record).
 * @param {string} code @returns {string} */
export function rejectionText(code) {
  const hit = refusalWords()[code];
  return hit ? hit[1] : "";
}

/** Plain words for a repair conflict. @param {StoredRecord} c */
export function conflictText(c) {
  const d = c.data;
  const x = d.details || {};
  const resolved = d.status && d.status !== "open";
  let text;
  if (d.kind === "closed_while_working") {
    text = t("The office closed request {number} while a visit was being recorded. The visit is kept; the office checks.", { number: x.number || "" });
  } else if (d.kind === "double_close") {
    text = t("This visit was closed twice (on two phones). The first closing stands; the office sees both.");
  } else if (d.kind === "double_follow_up") {
    text = t("This follow-up was recorded twice. The first one stands; the office sees both.");
  } else if (d.kind === "field_overwritten") {
    text = t("Two people changed the same details at the same time; the later change was kept and the office can see both.");
  } else {
    text = t("The office was asked to check this record ({kind}).", { kind: d.kind });
  }
  return html`${text} ${resolved ? html`<span class="badge ok">${t("Resolved by the office")}</span>` : html`<span class="badge is-alert">${t("Open")}</span>`}`;
}

/** What a refused repair record was, in plain words: the mutation's declared label and the
 * request's number (null: not this domain's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  const m = name.startsWith("repair.") ? mutationDecl(name) : undefined;
  if (!m) return null;
  const req = args.request_id ? lookup("repair_request", args.request_id) : undefined;
  const number = args.number || (req ? req.number : "");
  return number ? `${t(m.label)} · ${number}` : t(m.label);
}
