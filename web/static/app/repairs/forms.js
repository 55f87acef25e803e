// @ts-check
/** The repair forms' shared pieces (the desk's, the follow-ups' and the technician's visit
 * forms): a field's error line, radio buttons, photos taken on the phone. */

import { html } from "../html.js";

/** A field's error line. @param {Record<string, string>} e @param {string} name */
export const fieldError = (e, name) => (e[name] ? html`<p class="field-error" id="e-${name}">${e[name]}</p>` : "");

/** Radio buttons in a fieldset. @param {string} name @param {string} legend @param {{value: string, label: string}[]} options
 * @param {string} value @param {Record<string, string>} e */
export function radios(name, legend, options, value, e) {
  return html`<fieldset class="choices" id="f-${name}"${e[name] ? html` aria-describedby="e-${name}"` : ""}><legend>${legend}</legend>
    ${options.map((o) => html`<label class="check"><input type="radio" name="${name}" value="${o.value}"${o.value === value ? " checked" : ""}> ${o.label}</label>`)}
    ${fieldError(e, name)}</fieldset>`;
}

/** Photos taken on the phone (page.js downscales and stores them; the hidden field holds
 * their hashes). @param {string} name @param {string} legend @param {string} value
 * @param {string} [error] */
export function photoField(name, legend, value, error) {
  const shas = (value || "").split(",").filter(Boolean);
  return html`<div class="field">
    <label for="f-photo-${name}">${legend}</label>
    <input id="f-photo-${name}" type="file" accept="image/*" capture="environment" multiple data-photo-for="${name}" data-photo-alt="${legend}"
      ${error ? html`aria-invalid="true" aria-describedby="e-${name}"` : ""}>
    <input type="hidden" name="${name}" id="f-${name}" value="${shas.join(",")}">
    <div class="photos" data-photo-previews>${shas.map((sha) => html`<img class="thumb" src="/m/blobs/${sha}" alt="${legend}">`)}</div>
    ${error ? html`<p class="field-error" id="e-${name}">${error}</p>` : ""}
  </div>`;
}
