// @ts-check
/** The technician's visit: starting it at the door (basis for entry, who is there, consent,
 * the conduct checklist), the open visit as small forms each saved on its own tap (a
 * checklist answer, what was found and done, the charges, before and after photos), the
 * closing form (signature or refusal, satisfaction, outcome) and the closed visit, read-only. */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { maxLength } from "../kit/declarations.js";
import { errorSummary, input, select, signaturePad, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceOptions, fieldLabel } from "../views/labels.js";
import { VISIT } from "./data.js";
import { fieldError, photoField, radios } from "./forms.js";
import { item, label, money, outcomeLabel, pending, personName, place, thumbs } from "./views.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../html.js").Raw} Raw
 */

/** @param {string} field */
const max = (field) => maxLength(VISIT, field) || null;
/** @param {unknown} yes */
const yesNo = (yes) => (yes ? t("Yes") : t("No"));
export const CHECKS = ["uniform_badge", "shoe_covers", "floor_protection", "clean_up"];
/** A visit field's declared label. @param {string} f */
const named = (f) => fieldLabel(VISIT, f);

/** A checkbox with its error. @param {string} name @param {string} text @param {boolean} checked
 * @param {Record<string, string>} e */
function check(name, text, checked, e) {
  return html`<label class="check"><input ${attrs({ type: "checkbox", name, id: `f-${name}`, value: "1", checked,
    "aria-invalid": e[name] ? "true" : null, "aria-describedby": e[name] ? `e-${name}` : null })}> ${text}</label>${fieldError(e, name)}`;
}

/**
 * @typedef {{req: StoredRecord, unit: StoredRecord | undefined, team: StoredRecord[], me: string,
 *   values: Record<string, string>, errors: Record<string, string>}} StartForm
 */

/** At the door: why we may enter, who is there, the conduct checklist; "Arrived" is the tap.
 * @param {StartForm} f */
export function startForm(f) {
  const v = f.values;
  const e = f.errors;
  const d = f.req.data;
  const others = f.team.filter((x) => x.data.staff_id !== f.me).map((x) => ({ value: String(x.data.staff_id), label: String(x.data.name) }));
  return html`<h1>${t("Start visit")}</h1>
  <p><strong>${d.number}</strong> · ${place(d, f.unit)}</p>
  ${errorSummary(e)}
  <form id="start-form" class="stack form" method="post" action="/m/repairs/visits/new" novalidate
    hx-post="/m/repairs/visits/new" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="request_id" value="${f.req.id}">
    ${fieldError(e, "form")}
    ${select({ name: "basis", label: t("Basis for entry"), value: v.basis, error: e.basis, options: choiceOptions(VISIT, "basis") })}
    ${select({ name: "second_staff_id", label: t("Second staff member"), value: v.second_staff_id, error: e.second_staff_id, options: [{ value: "", label: t("None") }, ...others] })}
    ${input({ name: "witness", label: t("Or a named witness"), value: v.witness, error: e.witness, help: t("An emergency entry needs a second staff member or a named witness."), extra: { maxlength: max("witness"), autocomplete: "off" } })}
    <fieldset class="choices"><legend>${t("At the door")}</legend>
      ${check("resident_present", named("resident_present"), Boolean(v.resident_present), e)}
      ${check("resident_consent", named("resident_consent"), Boolean(v.resident_consent), e)}
      ${check("only_minors", named("only_minors"), Boolean(v.only_minors), e)}
    </fieldset>
    <fieldset class="choices"><legend>${t("Conduct")}</legend>
      ${CHECKS.slice(0, 3).map((c) => check(c, named(c), Boolean(v[c]), e))}
    </fieldset>
    <button type="submit" class="primary big" id="start-submit">${t("Arrived: start the visit")}</button>
  </form>
  <p><a href="/m/repairs/requests/${f.req.id}">${t("Back to the request")}</a></p>`;
}

/** A visit's action URL. @param {string} id @param {string} what */
const action = (id, what) => `/m/repairs/visits/${id}/${what}`;

/** The form attributes of a part that is saved on its tap and replaces itself.
 * @param {string} id @param {string} url */
const part = (id, url) => attrs({ id, class: "stack form", method: "post", action: url, novalidate: true,
  "hx-post": url, "hx-target": "this", "hx-swap": "outerHTML" });

/** @param {boolean} saved */
const savedBadge = (saved) => (saved ? html` <span class="badge ok" data-saved role="status">${t("Saved")}</span>` : "");

/** One conduct item: yes / no, saved on its tap. @param {StoredRecord} visit @param {string} f
 * @param {boolean} [saved] */
export function toggle(visit, f, saved = false) {
  const on = Boolean(visit.data[f]);
  const url = action(visit.id, "check");
  return html`<form class="check-item" id="t-${f}" data-field="${f}" data-on="${on ? "1" : "0"}" method="post" action="${url}"
    hx-post="${url}" hx-target="this" hx-swap="outerHTML">
    <input type="hidden" name="field" value="${f}">
    <p class="item-label" id="l-${f}"><strong>${named(f)}</strong>${savedBadge(saved)}</p>
    <div class="actions" role="group" aria-labelledby="l-${f}">
      <button type="submit" name="value" value="1" id="b-${f}-yes" aria-pressed="${on ? "true" : "false"}">${t("Yes")}</button>
      <button type="submit" name="value" value="0" id="b-${f}-no" aria-pressed="${on ? "false" : "true"}">${t("No")}</button>
    </div>
  </form>`;
}

/** What was found and done. @param {StoredRecord} visit @param {Record<string, string>} v
 * @param {Record<string, string>} e @param {boolean} [saved] */
export function workForm(visit, v, e, saved = false) {
  return html`<form ${part("work-form", action(visit.id, "work"))}>
    <h2>${t("The work")}${savedBadge(saved)}</h2>
    ${fieldError(e, "form")}
    ${textarea({ name: "found", label: t("What was found"), value: v.found, error: e.found, extra: { maxlength: max("found") } })}
    ${textarea({ name: "work_done", label: t("What was done"), value: v.work_done, error: e.work_done, extra: { maxlength: max("work_done") } })}
    <button type="submit" id="work-submit">${t("Save")}</button>
  </form>`;
}

/** @typedef {{item: string, qty: string, amount: string}} Line */

/** Materials and charges: one line per item, a blank line to add one; the total computed.
 * @param {StoredRecord} visit @param {Line[]} lines @param {number} total
 * @param {Record<string, string>} e @param {boolean} [saved] */
export function chargesForm(visit, lines, total, e, saved = false) {
  const all = [...lines, { item: "", qty: "", amount: "" }];
  return html`<form ${part("charges-form", action(visit.id, "charges"))}>
    <h2>${t("Materials and charges")}${savedBadge(saved)}</h2>
    ${all.map((l, i) => html`<fieldset class="charge-line" data-line="${i}"><legend>${t("Line {n}", { n: i + 1 })}</legend><div class="row">
      ${input({ name: `item-${i}`, label: t("Item"), value: l.item, extra: { maxlength: 120, autocomplete: "off" } })}
      ${input({ name: `qty-${i}`, label: t("Quantity"), value: l.qty, extra: { inputmode: "decimal", autocomplete: "off", maxlength: 12 } })}
      ${input({ name: `amount-${i}`, label: t("Unit price"), value: l.amount, extra: { inputmode: "decimal", autocomplete: "off", maxlength: 12 } })}
    </div></fieldset>`)}
    ${fieldError(e, "charges")}
    <p><strong id="charges-total" data-total="${total}">${t("Total: {amount}", { amount: money(total) })}</strong></p>
    <button type="submit" id="charges-submit">${t("Save the charges")}</button>
  </form>`;
}

/** Before or after photos. @param {StoredRecord} visit @param {string} field
 * @param {Record<string, string>} e @param {boolean} [saved] */
export function photosForm(visit, field, e, saved = false) {
  const before = field === "before_photos";
  const legend = before ? t("Photos before the work") : t("Photos after the work");
  return html`<form ${part(`${field}-form`, action(visit.id, "photos"))}>
    <h2>${before ? t("Before the work") : t("After the work")}${savedBadge(saved)}</h2>
    ${photoField(field, legend, (visit.data[field] || []).join(","), e[field])}
    <button type="submit" id="${field}-submit">${t("Save the photos")}</button>
  </form>`;
}

/** @param {StoredRecord} visit @param {StoredRecord | undefined} req @param {StoredRecord | undefined} unit */
function heading(visit, req, unit) {
  const d = visit.data;
  return html`<h1 id="visit" data-visit-id="${visit.id}" data-state="${d.closed_at ? "closed" : "open"}">${t("Visit")} · ${req ? req.data.number : ""}${pending(visit)}</h1>
  <p>${req ? place(req.data, unit) : ""} · ${t("Arrived {time}", { time: dateTime(d.arrived_at) })} · ${label(VISIT, "basis")(d.basis)}</p>`;
}

/**
 * @typedef {{visit: StoredRecord, req: StoredRecord | undefined, unit: StoredRecord | undefined,
 *   team: StoredRecord[], me: string, lines: Line[], total: number, confirmation?: string}} VisitPage
 */

/** The open visit: each part saved on its tap. @param {VisitPage} v */
export function openVisit(v) {
  const d = v.visit.data;
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  ${heading(v.visit, v.req, v.unit)}
  <section class="checklist"><h2>${t("Conduct")}</h2>${CHECKS.map((f) => toggle(v.visit, f))}</section>
  ${workForm(v.visit, { found: d.found || "", work_done: d.work_done || "" }, {})}
  ${photosForm(v.visit, "before_photos", {})}
  ${photosForm(v.visit, "after_photos", {})}
  ${chargesForm(v.visit, v.lines, v.total, {})}
  <p class="actions"><a class="button primary big" id="close-link" href="${action(v.visit.id, "close")}">${t("Close the visit")}</a>
    ${v.req ? html`<a class="button" href="/m/repairs/requests/${v.req.id}">${t("The request")}</a>` : ""}</p>`;
}

/** The closed visit, read-only. @param {VisitPage} v */
export function closedVisit(v) {
  const d = v.visit.data;
  const lines = v.lines.map((l) => html`<li>${l.item} × ${l.qty} @ ${l.amount}</li>`);
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  ${heading(v.visit, v.req, v.unit)}
  <p><span class="badge ok" id="outcome" data-outcome="${d.outcome}">${outcomeLabel(d.outcome)}</span></p>
  <dl class="details">
    ${item(t("Left"), dateTime(d.left_at))}
    ${item(t("Second staff member"), personName(v.team, d.second_staff_id, v.me))}
    ${item(t("Witness"), d.witness)}
    ${item(named("resident_present"), yesNo(d.resident_present))}
    ${item(named("resident_consent"), yesNo(d.resident_consent))}
    ${CHECKS.map((c) => item(named(c), yesNo(d[c])))}
    ${item(t("What was found"), d.found)}
    ${item(t("What was done"), d.work_done)}
    ${item(t("Total charges"), money(d.total))}
    ${item(t("Satisfaction (1–5)"), d.satisfaction)}
    ${item(t("Why the resident did not sign"), d.refused_reason)}
    ${item(t("Reason"), d.outcome_reason)}
  </dl>
  ${lines.length ? html`<h2>${t("Materials and charges")}</h2><ul id="charges-list">${lines}</ul>` : ""}
  ${(d.before_photos || []).length ? html`<h2>${t("Before the work")}</h2><div class="photos">${thumbs(d.before_photos, t("Photos before the work"))}</div>` : ""}
  ${(d.after_photos || []).length ? html`<h2>${t("After the work")}</h2><div class="photos">${thumbs(d.after_photos, t("Photos after the work"))}</div>` : ""}
  ${d.notice_photo ? html`<h2>${t("Notice left")}</h2><div class="photos">${thumbs([d.notice_photo], t("Notice left"))}</div>` : ""}
  ${d.signature_blob ? html`<figure class="signature-view"><img src="/m/blobs/${d.signature_blob}" alt="${t("Resident's signature")}"><figcaption>${t("Resident's signature")}</figcaption></figure>` : ""}
  <p class="actions">${d.follow_request_id ? html`<a class="button" id="follow-request" href="/m/repairs/requests/${d.follow_request_id}">${t("The follow-up request")}</a>` : ""}
    ${v.req ? html`<a class="button" href="/m/repairs/requests/${v.req.id}">${t("The request")}</a>` : ""}
    <a class="button" href="/m/repairs">${t("Back to repairs")}</a></p>`;
}

/** Closing: outcome, the resident's signature (or why not), satisfaction; "Left" is the tap.
 * @param {{visit: StoredRecord, req: StoredRecord | undefined, unit: StoredRecord | undefined,
 *   values: Record<string, string>, errors: Record<string, string>}} f */
export function closeForm(f) {
  const v = f.values;
  const e = f.errors;
  const url = action(f.visit.id, "close");
  return html`<h1>${t("Close the visit")}</h1>
  ${heading(f.visit, f.req, f.unit)}
  ${errorSummary(e)}
  <form id="close-form" class="stack form" method="post" action="${url}" novalidate hx-post="${url}" hx-target="#main" hx-swap="innerHTML show:top">
    ${fieldError(e, "form")}
    ${radios("outcome", t("Outcome"), choiceOptions(VISIT, "outcome").filter((o) => o.value), v.outcome, e)}
    ${textarea({ name: "outcome_reason", label: t("Why it could not be completed, or what the follow-up is for"), value: v.outcome_reason, error: e.outcome_reason, extra: { maxlength: max("outcome_reason") } })}
    ${photoField("notice_photo", t("Photo of the notice left (no one home)"), v.notice_photo, e.notice_photo)}
    ${signaturePad({ name: "signature_blob", legend: t("Resident's signature"), label: t("Signature pad: the resident signs here with a finger"), value: v.signature_blob, error: e.signature_blob })}
    ${textarea({ name: "refused_reason", label: t("Or: why the resident did not sign"), value: v.refused_reason, error: e.refused_reason, extra: { maxlength: max("refused_reason") } })}
    ${radios("satisfaction", t("Satisfaction (1–5)"), [{ value: "", label: t("Not asked") }, ...["1", "2", "3", "4", "5"].map((n) => ({ value: n, label: n }))], v.satisfaction, e)}
    <p class="muted">${t("The time you left is recorded when you tap the button.")}</p>
    <button type="submit" class="primary big" id="close-submit">${t("Left: close the visit")}</button>
  </form>
  <p><a href="/m/repairs/visits/${f.visit.id}">${t("Back to the visit")}</a></p>`;
}
