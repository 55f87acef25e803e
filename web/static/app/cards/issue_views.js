// @ts-check
/** The issue form (IC卡領取登記表) and its receipt. The holder's part and the card number's
 * note are swapped alone when a resident or the relation is picked, or the number typed
 * (hx-get, answered by the worker); the receipt prints cleanly (app.css, @media print). */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { maxLength } from "../kit/declarations.js";
import { errorSummary, input, select, signaturePad } from "../views/forms.js";
import { time } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";
import { conflictText } from "./words.js";
import { day, idTypeLabel, item, money, quotaLine, relationLabel } from "./views.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./data.js").Quota} Quota
 * @typedef {{values: Record<string, string>, scope: string[], errors: Record<string, string>,
 *   unit: StoredRecord, building: string, quota: Quota, residents: StoredRecord[],
 *   zones: StoredRecord[], stock: string[], replaced: {number: string, reason: string} | null,
 *   note: import("../html.js").Raw | string}} IssueForm
 */

/** The declared limit of an issue's field. @param {string} field */
const max = (field) => maxLength("card_issue", field) || null;

/** The number's note: what the stock on this phone knows of it.
 * @param {{number: string, card: StoredRecord | undefined, heldBy: string, blacklisted: boolean}} n */
export function numberNote(n) {
  let text = html`${t("Pick a card from the stock, or type the number printed on the card.")}`;
  if (n.number && !n.card) {
    text = html`<span class="badge is-pending">${t("Not in this phone's stock: the card will be issued and flagged for the office to register.")}</span>`;
  } else if (n.card && n.blacklisted) {
    text = html`<span class="badge is-alert">${t("This card is blacklisted ({status}). Issuing it records a conflict for the office; it stays blacklisted.", { status: choiceLabel("card", "status", n.card.data.status) })}</span>`;
  } else if (n.card && n.heldBy) {
    text = html`<span class="badge is-alert">${t("This card is held now ({holder}). Issuing it again records a second holder for the office to check.", { holder: n.heldBy })}</span>`;
  } else if (n.card) {
    text = html`<span class="ok">${t("In stock: {technology}, batch {batch}.", { technology: choiceLabel("card", "technology", n.card.data.technology), batch: n.card.data.batch || "—" })}</span>`;
  }
  return html`<p class="help" id="number-note" aria-live="polite">${text}</p>`;
}

/** The holder: one of the unit's residents (fills the fields) or a person typed in; a proxy
 * adds the authorisation letter's photo and the owner's confirmation by phone.
 * @param {{values: Record<string, string>, errors: Record<string, string>, residents: StoredRecord[]}} f */
export function holderFields(f) {
  const v = f.values;
  const e = f.errors;
  const swap = (/** @type {string} */ name) => attrs({
    "hx-get": "/m/cards/issue/holder", "hx-trigger": "change", "hx-include": "closest form",
    "hx-target": "#card-holder", "hx-swap": "outerHTML", name,
  });
  const residents = [
    { value: "", label: t("Someone else (type below)") },
    ...f.residents.map((r) => ({ value: r.id, label: `${r.data.name} · ${relationLabel(r.data.relation)}`, relation: r.data.relation })),
  ];
  const letter = (v.authorisation_blob || "").split(",").filter(Boolean).slice(-1);
  const proxy = v.relation === "proxy"
    ? html`<div class="owner-consent" id="proxy-fields">
      <div class="field">
        <label for="f-authorisation_photo">${t("Photo of the authorisation letter (委托書)")} <span class="req">${t("(required)")}</span></label>
        <input id="f-authorisation_photo" type="file" accept="image/*" capture="environment"
          data-photo-for="authorisation_blob" data-photo-alt="${t("Authorisation letter")}"
          ${e.authorisation_blob ? html`aria-invalid="true" aria-describedby="e-authorisation_blob"` : ""}>
        <input type="hidden" name="authorisation_blob" id="f-authorisation_blob" value="${letter.join(",")}">
        <div class="photos" data-photo-previews>${letter.map((sha) => html`<img class="thumb" src="/m/blobs/${sha}" alt="${t("Authorisation letter")}">`)}</div>
        ${e.authorisation_blob ? html`<p class="field-error" id="e-authorisation_blob">${e.authorisation_blob}</p>` : ""}
      </div>
      ${input({ name: "owner_confirmation", label: t("Owner's confirmation by phone"), value: v.owner_confirmation, error: e.owner_confirmation, required: true, help: t("The owner's phone number and when they confirmed, e.g. 9123 4567, 14:20."), extra: { maxlength: max("owner_confirmation"), autocomplete: "off" } })}
    </div>`
    : html`<input type="hidden" name="authorisation_blob" value="">`;
  return html`<fieldset class="signature" id="card-holder" data-relation="${v.relation || ""}" data-resident="${v.resident_id || ""}">
    <legend>${t("Holder")}</legend>
    <div class="field">
      <label for="f-resident_id">${t("A resident of the unit")}</label>
      <select id="f-resident_id" ${swap("resident_id")}${e.resident_id ? html` aria-invalid="true"` : ""}>
        ${residents.map((o) => html`<option ${attrs({ value: o.value, selected: o.value === (v.resident_id || ""), "data-relation": "relation" in o ? o.relation : null })}>${o.label}</option>`)}
      </select>
      ${e.resident_id ? html`<p class="field-error" id="e-resident_id">${e.resident_id}</p>` : ""}
    </div>
    ${input({ name: "holder_name", label: t("Holder's name"), value: v.holder_name, error: e.holder_name, required: true, extra: { autocomplete: "off", maxlength: max("holder_name") } })}
    <div class="field">
      <label for="f-relation">${t("Relation to the unit")} <span class="req">${t("(required)")}</span></label>
      <select id="f-relation" ${swap("relation")}${e.relation ? html` aria-invalid="true" aria-describedby="e-relation"` : ""}>
        ${[{ value: "", label: t("Choose") }, ...choiceOptions("card_issue", "relation")].map((o) => html`<option ${attrs({ value: o.value, selected: o.value === (v.relation || "") })}>${o.label}</option>`)}
      </select>
      ${e.relation ? html`<p class="field-error" id="e-relation">${e.relation}</p>` : ""}
    </div>
    <div class="row">
      ${select({ name: "id_type", label: t("ID checked"), value: v.id_type || "none", error: e.id_type, options: choiceOptions("card_issue", "id_type") })}
      ${input({ name: "id_last4", label: t("Last 4 characters of the ID"), value: v.id_last4, error: e.id_last4, help: t("Never the full number."), extra: { maxlength: max("id_last4"), autocomplete: "off" } })}
    </div>
    ${proxy}
  </fieldset>`;
}

/** @param {IssueForm} f */
function scopeFields(f) {
  const e = f.errors;
  if (!f.zones.length) {
    return html`<p class="muted" id="scope-none">${t("This site has no access zones on this phone: the card opens what the door system gives it.")}</p>`;
  }
  return html`<fieldset class="choices" id="scope"${e.scope ? html` aria-describedby="e-scope"` : ""}>
    <legend>${t("Access scope")}</legend>
    ${f.zones.map((z) => html`<label class="check"><input type="checkbox" name="scope" value="${z.data.code}"${f.scope.includes(z.data.code) ? " checked" : ""}>
      ${z.data.name} <span class="muted">${choiceLabel("card_zone", "kind", z.data.kind)}</span></label>`)}
    ${e.scope ? html`<p class="field-error" id="e-scope">${e.scope}</p>` : ""}
  </fieldset>`;
}

/** @param {IssueForm} f */
export function issueForm(f) {
  const v = f.values;
  const e = f.errors;
  const sig = v.signature_blob;
  const title = f.replaced ? t("Replace a card (補卡)") : t("Issue a card");
  return html`<h1>${title}</h1>
  ${errorSummary(e)}
  <div class="chosen-key card">
    <strong class="key-code">${t("Unit {number}", { number: f.unit.data.number })}</strong>
    ${f.building ? html`<span class="muted">${f.building}</span>` : ""}
    ${quotaLine(f.quota)}
    ${f.replaced ? html`<p id="replaces">${t("Replaces card {number} ({reason}).", { number: f.replaced.number, reason: choiceLabel("card_issue", "end_reason", f.replaced.reason) })}</p>` : ""}
  </div>
  <form id="issue-form" class="stack form" method="post" action="/m/cards/issue" novalidate
    hx-post="/m/cards/issue" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="unit_id" id="f-unit_id" value="${f.unit.id}">
    <input type="hidden" name="replaces_issue_id" value="${v.replaces_issue_id || ""}">
    <input type="hidden" name="replace_reason" value="${v.replace_reason || ""}">
    ${f.quota.full ? html`<div class="alert" role="status" id="quota-warning">
      <p>${t("This unit already holds {held} of its {quota} cards. Issue another only if the office approved an extra card.", { held: f.quota.held, quota: f.quota.quota })}</p>
      <label class="check"><input type="checkbox" name="quota_ok" id="f-quota_ok" value="1"${v.quota_ok ? " checked" : ""}
        ${e.quota_ok ? html`aria-invalid="true" aria-describedby="e-quota_ok"` : ""}> ${t("The office approved an extra card")}</label>
      ${e.quota_ok ? html`<p class="field-error" id="e-quota_ok">${e.quota_ok}</p>` : ""}
    </div>` : ""}
    <div class="field">
      <label for="f-number">${t("Card number")} <span class="req">${t("(required)")}</span></label>
      <input ${attrs({ id: "f-number", name: "number", value: v.number || "", list: "card-stock", autocomplete: "off",
        autocapitalize: "characters", maxlength: maxLength("card", "number") || null,
        "aria-invalid": e.number ? "true" : null, "aria-describedby": e.number ? "number-note e-number" : "number-note",
        "hx-get": "/m/cards/issue/number", "hx-trigger": "change", "hx-include": "closest form",
        "hx-target": "#number-note", "hx-swap": "outerHTML" })}>
      <datalist id="card-stock">${f.stock.map((n) => html`<option value="${n}"></option>`)}</datalist>
      ${f.note}
      ${e.number ? html`<p class="field-error" id="e-number">${e.number}</p>` : ""}
    </div>
    ${select({ name: "technology", label: t("Technology"), value: v.technology || "ic", error: e.technology, options: choiceOptions("card", "technology"), help: t("For a number not in the stock; a stock card keeps its own.") })}
    ${holderFields({ values: v, errors: e, residents: f.residents })}
    ${scopeFields(f)}
    ${input({ name: "valid_until", label: t("Valid until"), value: v.valid_until, error: e.valid_until, type: "date", required: true })}
    <div class="row">
      ${input({ name: "fee", label: t("Card fee"), value: v.fee, error: e.fee, extra: { inputmode: "decimal", autocomplete: "off", maxlength: 12 } })}
      ${input({ name: "deposit", label: t("Deposit"), value: v.deposit, error: e.deposit, extra: { inputmode: "decimal", autocomplete: "off", maxlength: 12 } })}
    </div>
    ${input({ name: "receipt_no", label: t("Receipt number"), value: v.receipt_no, error: e.receipt_no, extra: { maxlength: max("receipt_no"), autocomplete: "off" } })}
    ${signaturePad({ name: "signature_blob", legend: t("Holder's signature"), label: t("Signature pad: the holder signs here with a finger"), value: sig, error: e.signature_blob })}
    <button type="submit" class="primary big" id="issue-submit">${t("Issue the card")}</button>
  </form>`;
}

/**
 * @typedef {{issue: StoredRecord, card: StoredRecord | undefined, unit: StoredRecord | undefined,
 *   building: string, site: StoredRecord | undefined, zones: StoredRecord[],
 *   replaced: {number: string, reason: string} | null, conflicts: StoredRecord[], issuer: string,
 *   confirmation?: string}} Receipt
 */

/** IC卡領取登記表 as the holder sees it or prints it. @param {Receipt} r */
export function receipt(r) {
  const d = r.issue.data;
  const zoneName = new Map(r.zones.map((z) => [z.data.code, z.data.name]));
  const scope = (d.scope || []).map((/** @type {string} */ code) => zoneName.get(code) || code).join("、");
  const conflicts = r.conflicts.map((x) => html`<li class="conflict" data-kind="${x.data.kind}">${conflictText(x)}</li>`);
  return html`${r.confirmation ? html`<p class="notice confirmation no-print" role="status" id="confirmation">${r.confirmation}</p>` : ""}
  <article class="receipt" id="receipt">
    <h1>${t("IC card issue form (IC卡領取登記表)")}</h1>
    ${r.site ? html`<p class="receipt-estate">${r.site.data.name}</p>` : ""}
    <dl class="details">
      ${item(t("Unit"), r.unit ? [t("Unit {number}", { number: r.unit.data.number }), r.building ? ` · ${r.building}` : ""].join("") : "")}
      ${item(t("Holder"), d.holder_name)}
      ${item(t("Relation to the unit"), relationLabel(d.relation))}
      ${item(t("ID checked"), d.id_type && d.id_type !== "none" ? `${idTypeLabel(d.id_type)} ···${d.id_last4}` : idTypeLabel("none"))}
      ${item(t("Card number"), r.card ? r.card.data.number : "")}
      ${item(t("Technology"), r.card ? choiceLabel("card", "technology", r.card.data.technology) : "")}
      ${item(t("Access scope"), scope || "—")}
      ${item(t("Valid until"), day(d.valid_until))}
      ${item(t("Card fee"), money(d.fee))}
      ${item(t("Deposit"), money(d.deposit))}
      ${item(t("Receipt number"), d.receipt_no)}
      ${item(t("Owner's confirmation by phone"), d.owner_confirmation)}
      ${item(t("Replaces"), r.replaced ? `${r.replaced.number} (${choiceLabel("card_issue", "end_reason", r.replaced.reason)})` : "")}
      ${item(t("Issued by"), r.issuer)}
      ${item(t("Issued at"), `${day(d.issued_at)} ${time(d.issued_at)}`)}
    </dl>
    ${d.signature_blob ? html`<figure class="signature-view"><img src="/m/blobs/${d.signature_blob}" alt="${t("Holder's signature")}"><figcaption>${t("Holder's signature")}</figcaption></figure>` : ""}
    ${d.authorisation_blob ? html`<figure class="no-print"><img class="thumb" src="/m/blobs/${d.authorisation_blob}" alt="${t("Authorisation letter")}"><figcaption>${t("Authorisation letter")}</figcaption></figure>` : ""}
  </article>
  ${conflicts.length ? html`<section class="conflicts no-print"><h2>${t("Needs the office")}</h2><ul>${conflicts}</ul></section>` : ""}
  <p class="actions no-print">
    <button type="button" class="button primary" data-print>${t("Print")}</button>
    ${r.card ? html`<a class="button" href="/m/cards/${r.card.id}">${t("The card's page")}</a>` : ""}
    ${r.unit ? html`<a class="button" href="/m/cards/units/${r.unit.id}">${t("The unit's cards")}</a>` : ""}
  </p>`;
}
