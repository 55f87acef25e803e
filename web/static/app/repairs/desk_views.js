// @ts-check
/** The desk's repair views: logging a request (a unit found by its number as you type, or a
 * public area; the contact filled in from the unit's residents), the open requests by state,
 * and a request's desk part (assign a technician with an appointment, link a key loan). */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { maxLength } from "../kit/declarations.js";
import { errorSummary, input, select, textarea } from "../views/forms.js";
import { dateTime, toLocalInput } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";
import { REQUEST } from "./data.js";
import { fieldError, photoField } from "./forms.js";
import { requestRow } from "./views.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {{loan: StoredRecord, key: StoredRecord | undefined, here: boolean}} LoanChoice
 */

/** @param {string} field */
const max = (field) => maxLength(REQUEST, field) || null;

/** @param {StoredRecord} u @param {string} checked */
function unitChoice(u, checked) {
  return html`<label class="check"><input type="radio" name="unit_id" value="${u.id}"${u.id === checked ? " checked" : ""}>
    ${t("Unit {number}", { number: u.data.number })}</label>`;
}

/** The units found by number (and the one chosen). Picking one fills the contact in.
 * @param {{units: StoredRecord[], chosen: StoredRecord | undefined, q: string}} v */
export function unitChoices(v) {
  const list = v.chosen ? [v.chosen, ...v.units.filter((u) => u.id !== v.chosen?.id)] : v.units;
  return html`<fieldset ${attrs({ id: "unit-choices", class: "choices", "hx-get": "/m/repairs/new/contact",
    "hx-trigger": "change", "hx-include": "closest form", "hx-target": "#contact-fields", "hx-swap": "outerHTML" })}>
    <legend>${t("Unit")}</legend>
    ${list.map((u) => unitChoice(u, v.chosen ? v.chosen.id : ""))}
    ${v.q && !list.length ? html`<p class="muted">${t("No unit matches.")}</p>` : ""}
    <label class="check"><input type="radio" name="unit_id" value=""${v.chosen ? "" : " checked"}> ${t("No unit: a public area")}</label>
  </fieldset>`;
}

/** The contact: one of the unit's residents (fills name and phone) or typed.
 * @param {{values: Record<string, string>, errors: Record<string, string>, residents: StoredRecord[]}} f */
export function contactFields(f) {
  const v = f.values;
  const e = f.errors;
  return html`<fieldset id="contact-fields" class="signature">
    <legend>${t("Contact")}</legend>
    ${f.residents.length ? html`<div class="field"><label for="f-resident_id">${t("A resident of the unit")}</label>
      <select ${attrs({ id: "f-resident_id", name: "resident_id", "hx-get": "/m/repairs/new/contact", "hx-trigger": "change",
        "hx-include": "closest form", "hx-target": "#contact-fields", "hx-swap": "outerHTML" })}>
        <option value="">${t("Someone else (type below)")}</option>
        ${f.residents.map((r) => html`<option ${attrs({ value: r.id, selected: r.id === v.resident_id })}>${r.data.name} · ${choiceLabel("resident", "relation", r.data.relation)}</option>`)}
      </select></div>` : ""}
    <div class="row">
      ${input({ name: "contact_name", label: t("Contact"), value: v.contact_name, error: e.contact_name, extra: { maxlength: max("contact_name"), autocomplete: "off" } })}
      ${input({ name: "contact_phone", label: t("Contact phone"), value: v.contact_phone, error: e.contact_phone, type: "tel", extra: { maxlength: max("contact_phone"), autocomplete: "off" } })}
    </div>
    ${select({ name: "contact_pref", label: t("Contact preference"), value: v.contact_pref, error: e.contact_pref, options: choiceOptions(REQUEST, "contact_pref") })}
  </fieldset>`;
}

/**
 * @typedef {{values: Record<string, string>, errors: Record<string, string>,
 *   units: StoredRecord[], chosen: StoredRecord | undefined, residents: StoredRecord[],
 *   sites: {value: string, label: string}[], anomaly: string}} ReportForm
 */

/** Log a repair request (the desk, a guard from an anomaly, a technician on site).
 * @param {ReportForm} f */
export function reportForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Log a repair request")}</h1>
  ${errorSummary(e)}
  ${f.anomaly ? html`<p class="notice" id="from-anomaly">${t("From a patrol anomaly: its note and photos are filled in.")}</p>` : ""}
  <form id="report-form" class="stack form" method="post" action="/m/repairs/new" novalidate
    hx-post="/m/repairs/new" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="anomaly" value="${f.anomaly}">
    ${fieldError(e, "form")}
    <div class="field" role="search">
      <label for="f-unit_q">${t("Find the unit by its number")}</label>
      <input ${attrs({ id: "f-unit_q", name: "unit_q", type: "search", value: v.unit_q || "", autocomplete: "off",
        autocapitalize: "characters", "aria-describedby": e.unit_id ? "e-unit_id" : null,
        "hx-get": "/m/repairs/new/units", "hx-trigger": "input changed delay:200ms, search",
        "hx-include": "[name='unit_id']:checked", "hx-target": "#unit-choices", "hx-swap": "outerHTML" })}>
      ${fieldError(e, "unit_id")}
    </div>
    ${unitChoices({ units: f.units, chosen: f.chosen, q: v.unit_q || "" })}
    ${input({ name: "area", label: t("Or the public area"), value: v.area, error: e.area, help: t("E.g. lobby of block 2, car park B1."), extra: { maxlength: max("area"), autocomplete: "off" } })}
    ${f.sites.length > 1 ? select({ name: "site_id", label: t("Site"), value: v.site_id, error: e.site_id, options: f.sites }) : ""}
    <div class="row">
      ${select({ name: "category", label: t("Category"), value: v.category, error: e.category, options: choiceOptions(REQUEST, "category") })}
      ${select({ name: "urgency", label: t("Urgency"), value: v.urgency, error: e.urgency, options: choiceOptions(REQUEST, "urgency") })}
    </div>
    <label class="check"><input type="checkbox" name="complaint" id="f-complaint" value="1"${v.complaint ? " checked" : ""}> ${t("A complaint")}</label>
    ${textarea({ name: "description", label: t("Description"), value: v.description, error: e.description, required: true, extra: { maxlength: max("description") } })}
    ${photoField("photos", t("Photos of the problem"), v.photos || "", e.photos)}
    ${contactFields({ values: v, errors: e, residents: f.residents })}
    <button type="submit" class="primary big" id="report-submit">${t("Log the request")}</button>
  </form>`;
}

/** What a guard sees once the request is logged (they do not read the repair records).
 * @param {{number: string, back: string}} v */
export function reported(v) {
  return html`<p class="notice confirmation" role="status" id="confirmation">${t("Repair request {number} logged. Saved on this phone; it syncs by itself.", { number: v.number })}</p>
  <p class="actions"><a class="button" href="${v.back}">${t("Back")}</a></p>`;
}

/**
 * @typedef {{req: StoredRecord, team: StoredRecord[], loans: LoanChoice[], assign: boolean,
 *   link: boolean, values: Record<string, string>, errors: Record<string, string>, now: number}} DeskPart
 */

/** A request's desk part: assign it, link the key lent for it. @param {DeskPart} p */
export function deskPart(p) {
  const d = p.req.data;
  const e = p.errors;
  const id = p.req.id;
  const appointment = p.values.appointment_at ?? (d.appointment_at ? toLocalInput(new Date(d.appointment_at)) : "");
  const team = p.team.map((x) => ({ value: String(x.data.staff_id), label: x.data.trade ? `${x.data.name} · ${x.data.trade}` : String(x.data.name) }));
  const loans = p.loans.map((x) => ({ value: x.loan.id,
    label: `${x.key ? x.key.data.code : "?"} · ${x.loan.data.borrower_name} · ${dateTime(x.loan.data.lent_at)}${x.here ? ` · ${t("this unit's key")}` : ""}` }));
  return html`<section class="card" id="desk-actions">
    ${errorSummary(e)}
    ${p.assign ? html`<h2>${t("Assign")}</h2>
    ${team.length ? html`<form id="assign-form" class="stack form" method="post" action="/m/repairs/requests/${id}/assign" novalidate
      hx-post="/m/repairs/requests/${id}/assign" hx-target="#main" hx-swap="innerHTML show:top">
      ${select({ name: "assignee_id", label: t("Technician"), value: p.values.assignee_id ?? d.assignee_id ?? "", error: e.assignee_id, options: [{ value: "", label: t("Choose") }, ...team] })}
      ${input({ name: "appointment_at", label: t("Appointment"), type: "datetime-local", value: appointment, error: e.appointment_at })}
      <button type="submit" class="primary" id="assign-submit">${t("Assign")}</button>
    </form>` : html`<p class="muted" id="no-team">${t("No repair technicians of this site on this phone: the office keeps the list.")}</p>`}` : ""}
    ${p.link ? html`<h2>${t("Key lent for it")}</h2>
    ${loans.length ? html`<form id="key-form" class="stack form" method="post" action="/m/repairs/requests/${id}/key" novalidate
      hx-post="/m/repairs/requests/${id}/key" hx-target="#main" hx-swap="innerHTML show:top">
      ${select({ name: "key_loan_id", label: t("A key out now"), value: p.values.key_loan_id ?? d.key_loan_id ?? "", error: e.key_loan_id, options: [{ value: "", label: t("Choose") }, ...loans] })}
      <button type="submit" id="key-submit">${t("Link the key loan")}</button>
    </form>` : html`<p class="muted">${t("No key is out now. Lend one on the key board first.")}</p>`}` : ""}
  </section>`;
}

/** @typedef {{groups: {state: string, rows: StoredRecord[]}[], units: Map<string, StoredRecord>,
 *   names: Map<string, string>, now: number}} DeskList */

/** The desk's open requests by state, overdue first. @param {DeskList} l */
export function deskList(l) {
  return html`<h1>${t("Repairs")}</h1>
  <p class="actions"><a class="button primary big" id="new-request" href="/m/repairs/new">${t("Log a repair request")}</a></p>
  ${l.groups.map((g) => html`<h2>${choiceLabel(REQUEST, "state", g.state)} <span class="count">${g.rows.length}</span></h2>
    ${g.rows.length ? html`<ul class="rows" id="requests-${g.state}">${g.rows.map((r) => requestRow(r, l.units, l.now, { who: l.names.get(r.data.assignee_id) || "" }))}</ul>`
      : html`<p class="muted">${t("None.")}</p>`}`)}
  <p class="actions"><a class="button" href="/m/repairs/follow-ups">${t("Follow-ups")}</a></p>`;
}
