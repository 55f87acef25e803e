// @ts-check
/** The person's inbox: conflicts they are involved in and their records the server refused,
 * each with its reason in plain words. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { DOMAINS } from "../domains.js";
import { dateTime } from "./format.js";

/** Plain words for a rejection code. @param {string} code */
export function rejectionText(code) {
  /** @type {Record<string, string>} */
  const texts = {
    owner_consent_required: t("The key is deposited by its owner and no owner's consent was recorded, so the loan was not accepted."),
    invalid_args: t("Some details were not valid, so the record was not accepted."),
    unknown_key: t("The key is not in the register (it may have been removed)."),
    key_retired: t("The key has been retired and cannot be lent."),
    unknown_loan: t("The loan does not exist on the server."),
    loan_voided: t("The loan had been voided by the office."),
    already_exists: t("A different record with the same id already exists."),
    reason_required: t("A reason is required."),
    forbidden_role: t("Your role may not do this."),
    forbidden_site: t("You are not assigned to this site."),
    unknown_mutation: t("This app version sent something the server does not know. Update the app."),
  };
  if (texts[code]) return texts[code];
  // a domain's own refusals, in its words (its index.js may export rejectionText)
  for (const d of DOMAINS) {
    const own = /** @type {any} */ (d).rejectionText;
    const text = typeof own === "function" ? own(code) : "";
    if (text) return text;
  }
  return t("The server refused this record.");
}

/** What the refused record was (its domain says, in plain words).
 * @param {string} name @param {Record<string, any> | null} args @param {Lookup} lookup */
function what(name, args, lookup) {
  if (!args) return name;
  for (const d of DOMAINS) {
    const text = d.describe(name, args, lookup);
    if (text) return text;
  }
  return name;
}

/** Plain words for a conflict (its domain's words for its kinds).
 * @param {import("../db.js").StoredRecord} c */
function conflictText(c) {
  const domain = DOMAINS.find((d) => d.CONFLICT_KINDS.includes(c.data.kind)) || DOMAINS[0];
  return domain.conflictText(c);
}

/** @param {string} type @param {string[]} ids */
function links(type, ids) {
  return ids.map((id) => {
    const href = DOMAINS.map((d) => d.recordHref(type, id)).find(Boolean);
    return href ? html` <a href="${href}">${t("Open the record")}</a>` : "";
  });
}

/** @typedef {(type: string, id: string) => Record<string, any> | undefined} Lookup */

/**
 * @param {{conflicts: import("../db.js").StoredRecord[], reviews: import("../db.js").StoredRecord[],
 *   rejections: import("../session.js").StoredRejection[], lookup: Lookup}} v
 */
export function inbox(v) {
  const conflicts = v.conflicts.map(
    (c) => html`<li class="inbox-item conflict" data-kind="${c.data.kind}">
      <p>${conflictText(c)}</p>
      <p class="muted">${dateTime(c.data.created_at)}${links(c.data.record_type, c.data.record_ids || [])}</p>
    </li>`,
  );
  const rejections = v.rejections.map(
    (r) => html`<li class="inbox-item rejection" data-code="${r.code}">
      <p><strong>${what(r.name, r.args, v.lookup)}</strong> — ${t("not accepted")}</p>
      <p>${rejectionText(r.code)}</p>
      <details><summary>${t("Server's reason")}</summary><p class="muted">${r.reason}</p></details>
      ${r.seen ? "" : html`<form method="post" action="/m/inbox/seen" hx-post="/m/inbox/seen" hx-target="#main">
        <input type="hidden" name="mutation_id" value="${r.mutation_id}">
        <button type="submit" class="button">${t("Understood")}</button></form>`}
    </li>`,
  );
  const reviews = v.reviews.map(
    (r) => html`<li class="inbox-item review" data-state="${r.data.state}">
      <p><strong>${t(r.data.state == "rejected" ? "Rejected by the office" : "The office says this has issues")}</strong></p>
      <p>${r.data.comment}</p>
      <p class="muted">${dateTime(r.data.reviewed_at)}${links(r.data.record_type, [r.data.record_id])}</p>
    </li>`,
  );
  return html`<h1>${t("Inbox")}</h1>
  <p class="muted">${t("Conflicts you are involved in and records the server did not accept.")}</p>
  ${reviews.length ? html`<h2>${t("From the office")}</h2><ul class="inbox">${reviews}</ul>` : ""}
  <h2>${t("Conflicts")}</h2>
  ${conflicts.length ? html`<ul class="inbox">${conflicts}</ul>` : html`<p class="muted">${t("None.")}</p>`}
  <h2>${t("Not accepted")}</h2>
  ${rejections.length ? html`<ul class="inbox">${rejections}</ul>` : html`<p class="muted">${t("None.")}</p>`}`;
}
