// @ts-check
/** The visitor register's views (來訪登記), and the pieces the pass views share: the unit
 * found by its number as typed, a record's details under its declared labels, a
 * confirmation line. Escaped templates only (html``); rows carry no hx-* but their sign-out
 * form's: links are boosted from <body>, the list refreshes itself after a sync (live). */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { fieldDecl, maxLength } from "../kit/declarations.js";
import { fieldError, radios } from "../repairs/forms.js";
import { errorSummary, input, select } from "../views/forms.js";
import { dateTime, when } from "../views/format.js";
import { choiceLabel, choiceOptions, fieldLabel } from "../views/labels.js";

/** @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {Record<string, string>} Values */

export const VISITOR = "visitor";

/** A text field of a record type's form (label and limit from its declaration).
 * @param {string} type @param {string} name @param {Values} v @param {Values} e
 * @param {Record<string, unknown>} [extra] */
export const field = (type, name, v, e, extra = {}) => input({ name, label: fieldLabel(type, name), value: v[name],
  error: e[name], extra: { maxlength: maxLength(type, name) || null, autocomplete: "off", ...extra } });

/** A record's details under its declared labels (times, choices and lists as read).
 * @param {string} type @param {Record<string, any>} d @param {string[]} names */
export function details(type, d, names) {
  return html`<dl class="details">${names.map((n) => {
    const f = fieldDecl(type, n);
    let x = d[n];
    if (f && f.kind === "ts") x = dateTime(x);
    else if (f && Object.keys(f.choices).length) x = x ? choiceLabel(type, n, x) : "";
    else if (Array.isArray(x)) x = x.join("、");
    return x === "" || x === null || x === undefined ? "" : html`<div class="item"><dt>${fieldLabel(type, n)}</dt><dd>${x}</dd></div>`;
  })}</dl>`;
}

/** The confirmation (or the refusal) a screen shows on top. @param {string} [note] @param {boolean} [bad] */
export const noteLine = (note, bad) => (note ? html`<p class="${bad ? "alert" : "notice confirmation"}" role="status" id="confirmation">${note}</p>` : "");

/** A span of time in words. @param {number} ms */
function span(ms) {
  const m = Math.max(1, Math.round(ms / 60000));
  const h = Math.floor(m / 60);
  return m < 60 ? t("{n} min", { n: m }) : h < 48 ? t("{h} h {m} min", { h, m: m % 60 }) : t("{d} d {h} h", { d: Math.floor(h / 24), h: h % 24 });
}

/** The units found by number (and the one chosen); `then`: what picking one refreshes.
 * @param {{units: StoredRecord[], chosen: StoredRecord | undefined, q: string, then: string}} v */
export function unitChoices(v) {
  const list = v.chosen ? [v.chosen, ...v.units.filter((u) => u.id !== v.chosen?.id)] : v.units;
  return html`<fieldset ${attrs({ id: "unit-choices", class: "choices", "hx-get": v.then || null, "hx-trigger": v.then ? "change" : null,
    "hx-include": "closest form", "hx-target": "#confirm", "hx-swap": "outerHTML" })}>
    <legend>${t("Unit")}</legend>
    ${list.map((u) => html`<label class="check"><input type="radio" name="unit_id" value="${u.id}"${u.id === v.chosen?.id ? " checked" : ""}> ${t("Unit {number}", { number: u.data.number })}</label>`)}
    ${v.q && !list.length ? html`<p class="muted">${t("No unit matches.")}</p>` : ""}
  </fieldset>`;
}

/** The unit: found by its number as typed. @param {string} kind "visitors" | "passes"
 * @param {{values: Values, errors: Values, units: StoredRecord[], chosen: StoredRecord | undefined}} f @param {string} then */
export function unitPicker(kind, f, then) {
  const e = f.errors;
  return html`<div class="field" role="search">
      <label for="f-unit_q">${t("Find the unit by its number")}</label>
      <input ${attrs({ id: "f-unit_q", name: "unit_q", type: "search", value: f.values.unit_q || "", autocomplete: "off",
        autocapitalize: "characters", "aria-describedby": e.unit_id ? "e-unit_id" : null,
        "hx-get": `/m/desk/${kind}/new/units`, "hx-trigger": "input changed delay:200ms, search",
        "hx-include": "closest form", "hx-target": "#unit-choices", "hx-swap": "outerHTML" })}>
      ${fieldError(e, "unit_id")}
    </div>
    ${unitChoices({ units: f.units, chosen: f.chosen, q: f.values.unit_q || "", then })}`;
}

/** Who confirmed the visit: one of the unit's residents, or by phone (the number called).
 * @param {Values} v @param {Values} e @param {StoredRecord[]} residents */
export function confirmFields(v, e, residents) {
  return html`<div id="confirm" data-unit="${v.unit_id}">
    ${radios("confirmed_by", fieldLabel(VISITOR, "confirmed_by"), choiceOptions(VISITOR, "confirmed_by"), v.confirmed_by, e)}
    ${residents.length ? select({ name: "resident_id", label: fieldLabel(VISITOR, "resident_id"), value: v.resident_id, error: e.resident_id,
      options: [{ value: "", label: t("Choose") }, ...residents.map((r) => ({ value: r.id, label: `${r.data.name} · ${choiceLabel("resident", "relation", r.data.relation)}` }))] })
    : html`<p class="muted" id="no-residents">${t("No residents of this unit on this phone: confirm by phone.")}</p>${fieldError(e, "resident_id")}`}
    ${field(VISITOR, "called_number", v, e, { type: "tel" })}
  </div>`;
}

/** @typedef {{values: Values, errors: Values, units: StoredRecord[], chosen: StoredRecord | undefined,
 *   residents: StoredRecord[]}} VisitorForm */

/** 來訪登記: sign a visitor in. @param {VisitorForm} f */
export function visitorForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Sign a visitor in")}</h1>
  ${errorSummary(e)}
  <form id="visitor-form" class="stack form" method="post" action="/m/desk/visitors/new" novalidate
    hx-post="/m/desk/visitors/new" hx-target="#main" hx-swap="innerHTML show:top">
    ${fieldError(e, "form")}
    ${unitPicker("visitors", f, "/m/desk/visitors/new/confirm")}
    ${confirmFields(v, e, f.residents)}
    ${field(VISITOR, "name", v, e)}
    <div class="row">
      ${select({ name: "id_type", label: fieldLabel(VISITOR, "id_type"), value: v.id_type, error: e.id_type, options: choiceOptions(VISITOR, "id_type") })}
      ${field(VISITOR, "id_last4", v, e, { autocapitalize: "characters" })}
    </div>
    <div class="row">${field(VISITOR, "phone", v, e, { type: "tel" })}${field(VISITOR, "badge", v, e)}</div>
    ${field(VISITOR, "purpose", v, e)}
    <button type="submit" class="primary big" id="visitor-submit">${t("Sign a visitor in")}</button>
  </form>`;
}

/** @typedef {{tab: string, q: string, rows: StoredRecord[], counts: Record<string, number>,
 *   units: Map<string, StoredRecord>, now: number}} VisitorResults */

/** @param {StoredRecord} r @param {VisitorResults} l */
function visitorRow(r, l) {
  const d = r.data;
  const unit = l.units.get(d.unit_id);
  const inside = !d.time_out;
  return html`<li class="key-row${inside ? " is-out" : ""}" data-visitor-id="${r.id}">
    <div class="key-main"><strong class="key-code">${d.name}</strong>
      ${unit ? html`<span>${t("Unit {number}", { number: unit.data.number })}</span>` : ""}
      ${d.badge ? html`<span class="badge">${fieldLabel(VISITOR, "badge")} ${d.badge}</span>` : ""}
      ${r.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}</div>
    <span class="muted">${fieldLabel(VISITOR, "time_in")} ${when(d.time_in, l.now)}${inside ? html` · ${span(l.now - Date.parse(d.time_in))}`
      : html` · ${fieldLabel(VISITOR, "time_out")} ${when(d.time_out, l.now)}`}</span>
    ${inside ? html`<form class="key-actions" method="post" action="/m/desk/visitors/${r.id}/out" hx-post="/m/desk/visitors/${r.id}/out">
      <button type="submit" class="button">${t("Mark as left")}</button></form>` : ""}
  </li>`;
}

/** The tabs and the rows: swapped alone by the search box. @param {VisitorResults} l */
export function visitorResults(l) {
  return html`<div id="visitor-results">
    <nav class="tabs" aria-label="${t("Show")}"><ul>${["in", "out"].map((tab) => html`<li><a ${attrs({ id: `tab-${tab}`,
      href: `/m/desk/visitors?tab=${tab}${l.q ? `&q=${encodeURIComponent(l.q)}` : ""}`, "aria-current": tab === l.tab ? "page" : null })}>${tab === "in" ? t("Still inside") : t("Signed out today")} <span class="count">${l.counts[tab]}</span></a></li>`)}</ul></nav>
    ${l.rows.length ? html`<ul class="rows" id="visitors-${l.tab}" hx-target="#main">${l.rows.map((r) => visitorRow(r, l))}</ul>` : html`<p class="muted">${t("None.")}</p>`}
  </div>`;
}

/** Who is still inside (the longest first), who left today; search. @param {VisitorResults & {add: boolean, note?: string, bad?: boolean}} l */
export function visitorList(l) {
  return html`<h1>${t("Visitors")}</h1>
  ${noteLine(l.note, l.bad)}
  ${l.add ? html`<p class="actions"><a class="button primary big" id="new-visitor" href="/m/desk/visitors/new">${t("Sign a visitor in")}</a></p>` : ""}
  <form class="key-search" action="/m/desk/visitors" method="get" role="search">
    <input type="hidden" name="tab" value="${l.tab}">
    <label for="visitor-q">${t("Search by name, unit or badge")}</label>
    <input id="visitor-q" type="search" name="q" value="${l.q}" autocomplete="off" enterkeyhint="search"
      hx-get="/m/desk/visitors" hx-trigger="input changed delay:200ms, search" hx-include="closest form"
      hx-target="#visitor-results" hx-swap="outerHTML" hx-replace-url="true">
  </form>
  ${visitorResults(l)}`;
}
