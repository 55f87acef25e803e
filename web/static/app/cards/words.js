// @ts-check
/** The card screens' words for what the rules and the kit say: form problems (the same the
 * server would give) translated, a few in the desk's own words; a rule's refusal beside the
 * field it is about; conflicts and refused records in plain words for the inbox. */

import { html } from "../html.js";
import { t } from "../i18n.js";

/** @typedef {import("../kit/reject.js").Reject} Reject
 * @typedef {import("../db.js").StoredRecord} StoredRecord */

/** The form's own words for a few problems (the message ids of the others are the kit's).
 * @returns {Record<string, Record<string, string>>} */
const ownWords = () => ({
  signature_blob: { "Required.": t("The holder must sign on the screen.") },
  holder_name: { "Required.": t("Enter the holder's name.") },
  number: { "Required.": t("Enter the card number.") },
  relation: { "Choose one of the listed values.": t("Choose the holder's relation to the unit.") },
});

/**
 * The kit's problems as the form's errors, translated (the first of each field).
 * @param {import("../kit/fields.js").Problem[]} found @returns {Record<string, string>}
 */
export function errorsOf(found) {
  /** @type {Record<string, string>} */
  const errors = {};
  const words = found.length ? ownWords() : {};
  for (const p of found) {
    const field = p.field.split(".")[0];
    if (field in errors) continue;
    const own = words[field] && words[field][p.message];
    errors[field] = own || t(p.message, p.params);
  }
  return errors;
}

/** A rule's refusal as the form's error, in the desk's words. @param {Reject} r
 * @returns {Record<string, string>} */
export function refusal(r) {
  const hit = refusalWords()[r.code];
  if (hit) return { [hit[0]]: hit[1] };
  return { [r.field || "form"]: t("This phone's rules refused it: {reason}", { reason: r.reason }) };
}

/** The card rules' refusals in plain words (the inbox's words for a refused record).
 * @param {string} code @returns {string} */
export function rejectionText(code) {
  const hit = refusalWords()[code];
  return hit ? hit[1] : "";
}

/** code -> [the form field it concerns, its words]. @returns {Record<string, [string, string]>} */
function refusalWords() {
  return {
    unknown_unit: ["unit_id", t("This unit is not active at this site any more.")],
    unknown_resident: ["resident_id", t("This resident is no longer listed for the unit: type the holder instead.")],
    unknown_zone: ["scope", t("An access zone is no longer active at this site: choose the zones again.")],
    unknown_issue: ["replaces_issue_id", t("The card being replaced is not on this phone.")],
    wrong_unit: ["replaces_issue_id", t("The card being replaced belongs to another unit.")],
    unknown_card: ["number", t("This number belongs to another card record: check the number.")],
    issue_ended: ["form", t("This card was already handed back or ended.")],
    reason_required: ["reason", t("Say why the card is revoked.")],
    already_exists: ["form", t("This was already recorded.")],
    number_in_use: ["number", t("Another card of this site has this number.")],
    card_not_blacklisted: ["form", t("The card is not blacklisted (any more).")],
  };
}

/** @param {any} issues @returns {string} */
function holders(issues) {
  return (Array.isArray(issues) ? issues : [])
    .map((/** @type {any} */ i) => (i && i.holder_name) || "?").join(t(" and "));
}

/** Plain words for a card conflict. @param {StoredRecord} c */
export function conflictText(c) {
  const d = c.data;
  const x = d.details || {};
  const resolved = d.status && d.status !== "open";
  let text;
  if (d.kind === "issued_while_lost") {
    text = t("Card {number} was issued while another desk reported it lost (or it was blacklisted). Both records are kept; the card stays blacklisted until the office decides.", { number: x.number || "" });
  } else if (d.kind === "double_issue") {
    text = t("Card {number} was issued twice while phones were offline ({names}). Both issues are kept; the office decides who keeps the card.", { number: x.number || "", names: holders(x.issues) });
  } else if (d.kind === "quota_exceeded") {
    text = t("A unit now holds more cards than its quota of {quota} because desks issued cards offline ({names}). The cards were handed over; the office checks.", { quota: x.quota ?? "", names: holders(x.issues) });
  } else if (d.kind === "unregistered_card") {
    text = t("Card number {number} is not in the stock register. The issue is kept; the office registers the card.", { number: x.number || "" });
  } else if (d.kind === "field_overwritten") {
    text = t("Two people changed the same details at the same time; the later change was kept and the office can see both.");
  } else {
    text = t("The office was asked to check this record ({kind}).", { kind: d.kind });
  }
  return html`${text} ${resolved ? html`<span class="badge ok">${t("Resolved by the office")}</span>` : html`<span class="badge is-alert">${t("Open")}</span>`}`;
}

/** What a refused card record was, in plain words (null: not this domain's).
 * @param {string} name @param {Record<string, any>} args
 * @param {(type: string, id: string) => Record<string, any> | undefined} lookup */
export function describe(name, args, lookup) {
  const card = args.card_id ? lookup("card", args.card_id) : undefined;
  const number = args.number || (card ? card.number : "?");
  /** @type {Record<string, () => string>} */
  const words = {
    "card.issue": () => t("Card {number} issued to {name}", { number, name: args.holder_name || "" }),
    "card.report_lost": () => t("Card {number} reported lost", { number }),
    "card.return": () => t("Return of card {number}", { number }),
    "card.revoke": () => t("Revocation of card {number}", { number }),
    "card.stock": () => t("Card {number} put in stock", { number }),
    "card.update": () => t("Correction of card {number}", { number }),
    "card.door_taken": () => t("Card {number} taken by the door system", { number }),
    "card.lift_blacklist": () => t("Blacklist of card {number} lifted", { number }),
  };
  const w = words[name];
  return w ? w() : null;
}
