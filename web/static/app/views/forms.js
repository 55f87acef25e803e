// @ts-check
/** Form fields with labels, errors wired to aria-invalid/aria-describedby, no inline style. */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";

/**
 * @typedef {{name: string, label: string, value?: string, error?: string, type?: string,
 *   required?: boolean, help?: string, extra?: Record<string, unknown>}} FieldSpec
 */

/** @param {FieldSpec} f */
function described(f) {
  const ids = [];
  if (f.help) ids.push(`h-${f.name}`);
  if (f.error) ids.push(`e-${f.name}`);
  return ids.join(" ") || null;
}

/** @param {FieldSpec} f */
function notes(f) {
  return html`${f.help ? html`<p class="help muted" id="h-${f.name}">${f.help}</p>` : ""}${
    f.error ? html`<p class="field-error" id="e-${f.name}">${f.error}</p>` : ""
  }`;
}

/** @param {FieldSpec} f */
function labelOf(f) {
  return html`<label for="f-${f.name}">${f.label}${
    f.required ? html` <span class="req">${t("(required)")}</span>` : ""
  }</label>`;
}

/** @param {FieldSpec} f */
export function input(f) {
  const a = attrs({
    id: `f-${f.name}`,
    name: f.name,
    type: f.type || "text",
    value: f.value ?? "",
    "aria-invalid": f.error ? "true" : null,
    "aria-describedby": described(f),
    "aria-required": f.required ? "true" : null,
    ...(f.extra || {}),
  });
  return html`<div class="field">${labelOf(f)}<input ${a}>${notes(f)}</div>`;
}

/** @param {FieldSpec} f */
export function textarea(f) {
  const a = attrs({
    id: `f-${f.name}`,
    name: f.name,
    rows: 3,
    "aria-invalid": f.error ? "true" : null,
    "aria-describedby": described(f),
    ...(f.extra || {}),
  });
  return html`<div class="field">${labelOf(f)}<textarea ${a}>${f.value ?? ""}</textarea>${notes(f)}</div>`;
}

/**
 * @param {FieldSpec & {options: {value: string, label: string, data?: Record<string, unknown>}[]}} f
 */
export function select(f) {
  const a = attrs({
    id: `f-${f.name}`,
    name: f.name,
    "aria-invalid": f.error ? "true" : null,
    "aria-describedby": described(f),
    "aria-required": f.required ? "true" : null,
    ...(f.extra || {}),
  });
  const options = f.options.map(
    (o) =>
      html`<option ${attrs({ value: o.value, selected: o.value === f.value, ...(o.data || {}) })}>${o.label}</option>`,
  );
  return html`<div class="field">${labelOf(f)}<select ${a}>${options}</select>${notes(f)}</div>`;
}

/** A summary of the errors at the top of a form, focusable for screen readers.
 * @param {Record<string, string>} errors */
export function errorSummary(errors) {
  const list = Object.entries(errors);
  if (!list.length) return "";
  return html`<div class="error-summary" role="alert" tabindex="-1" id="form-errors">
    <p class="error">${t("Please correct the following:")}</p>
    <ul>${list.map(([name, message]) => html`<li><a href="#f-${name}">${message}</a></li>`)}</ul>
  </div>`;
}

/**
 * A signature drawn on screen (page.js draws on the canvas and stores the PNG as a blob; the
 * hidden input holds its SHA-256). The same pad on every form that asks for a signature.
 * @param {{name: string, legend: string, label: string, value?: string, error?: string}} f
 */
export function signaturePad(f) {
  return html`<fieldset class="signature">
    <legend>${f.legend} <span class="req">${t("(required)")}</span></legend>
    <canvas class="signature-pad" width="600" height="200" data-signature-for="${f.name}"
      ${f.value ? html`data-image="/m/blobs/${f.value}"` : ""} role="img"
      aria-label="${f.label}"></canvas>
    <input type="hidden" name="${f.name}" id="f-${f.name}" value="${f.value || ""}">
    <div class="signature-tools">
      <button type="button" class="link" data-signature-clear="${f.name}">${t("Clear the signature")}</button>
      <span class="muted" data-signature-state data-signed="${t("Signed")}">${f.value ? t("Signed") : ""}</span>
    </div>
    ${f.error ? html`<p class="field-error" id="e-${f.name}">${f.error}</p>` : ""}
  </fieldset>`;
}
