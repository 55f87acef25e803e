// @ts-check
/** The goods-out passes' views (物品搬出放行條): today's and still-valid passes, the issue
 * form (the basis the manual requires before goods leave: the owner present, a photo of their
 * written authorisation, or the owner reached by phone), and a pass as the resident or the
 * gate sees it: its content, its QR code (the page-side renderer draws it from the
 * `data-pass-qr` element), "Print" (page.js: `data-print`; app.css prints it alone) and its
 * gate checks when this phone has them. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { fieldError, photoField, radios } from "../repairs/forms.js";
import { errorSummary, input, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceLabel, choiceOptions, fieldLabel } from "../views/labels.js";
import { details, field, noteLine, unitPicker } from "./visitor_views.js";

/** @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {Record<string, string>} Values */

export const PASS = "goods_pass";
export const CHECK = "pass_check";

/** A pass's gate checks: verdict, outcome, when. @param {StoredRecord[]} checks */
const checkList = (checks) => checks.map((c) => html`<span class="badge${c.data.outcome === "passed" ? " ok" : " is-alert"}" data-outcome="${c.data.outcome}">${
  choiceLabel(CHECK, "verdict", c.data.verdict)} · ${choiceLabel(CHECK, "outcome", c.data.outcome)} · ${dateTime(c.data.checked_at)}</span> `);

/** @typedef {{values: Values, errors: Values, units: StoredRecord[], chosen: StoredRecord | undefined}} PassForm */

/** 放行條: issue a pass. @param {PassForm} f */
export function passForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Issue a goods-out pass")}</h1>
  ${errorSummary(e)}
  <form id="pass-form" class="stack form" method="post" action="/m/desk/passes/new" novalidate
    hx-post="/m/desk/passes/new" hx-target="#main" hx-swap="innerHTML show:top">
    ${fieldError(e, "form")}
    ${unitPicker("passes", f, "")}
    ${textarea({ name: "items", label: fieldLabel(PASS, "items"), value: v.items, error: e.items, required: true, help: t("One item per line.") })}
    <div class="row">
      ${input({ name: "item_count", label: fieldLabel(PASS, "item_count"), type: "number", value: v.item_count, error: e.item_count, extra: { min: 1, max: 999, inputmode: "numeric" } })}
      ${field(PASS, "plate", v, e, { autocapitalize: "characters" })}
    </div>
    ${input({ name: "valid_until", label: fieldLabel(PASS, "valid_until"), type: "datetime-local", value: v.valid_until, error: e.valid_until })}
    ${field(PASS, "owner_name", v, e)}
    ${radios("basis", fieldLabel(PASS, "basis"), choiceOptions(PASS, "basis"), v.basis, e)}
    ${photoField("authorisation_photo", fieldLabel(PASS, "authorisation_photo"), v.authorisation_photo, e.authorisation_photo)}
    <div class="row">
      ${field(PASS, "phoned_number", v, e, { type: "tel" })}
      ${input({ name: "phoned_at", label: fieldLabel(PASS, "phoned_at"), type: "datetime-local", value: v.phoned_at, error: e.phoned_at })}
    </div>
    <button type="submit" class="primary big" id="pass-submit">${t("Issue the pass")}</button>
  </form>`;
}

/** @typedef {{rows: StoredRecord[], units: Map<string, StoredRecord>, checks: Map<string, StoredRecord[]>}} PassList */

/** Today's passes and those still valid, the newest first. @param {PassList} l */
export function passList(l) {
  return html`<h1>${t("Goods-out passes")}</h1>
  <p class="actions"><a class="button primary big" id="new-pass" href="/m/desk/passes/new">${t("Issue a goods-out pass")}</a></p>
  ${l.rows.length ? html`<ul class="rows" id="passes">${l.rows.map((r) => {
    const d = r.data;
    const unit = l.units.get(d.unit_id);
    return html`<li class="key-row" data-pass-id="${r.id}"><div class="key-main">
      <a class="key-code" href="/m/desk/passes/${r.id}">${d.number}</a>
      ${unit ? html`<span>${t("Unit {number}", { number: unit.data.number })}</span>` : ""}
      ${r.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}</div>
      <span class="muted">${fieldLabel(PASS, "valid_until")} ${dateTime(d.valid_until)} · ${fieldLabel(PASS, "item_count")} ${d.item_count}</span>
      <div>${checkList(l.checks.get(r.id) || [])}</div></li>`;
  })}</ul>` : html`<p class="muted">${t("None.")}</p>`}`;
}

/** @typedef {{rec: StoredRecord, unit: StoredRecord | undefined, checks: StoredRecord[], note?: string}} PassPage */

/** A pass: its content, QR code, print, gate checks. @param {PassPage} p */
export function passPage(p) {
  const d = p.rec.data;
  return html`<div class="no-print">${noteLine(p.note)}</div>
  <section class="receipt" id="pass" data-number="${d.number}">
    <h1>${t("Goods-out pass")} ${d.number}</h1>
    ${p.unit ? html`<p class="receipt-estate">${t("Unit {number}", { number: p.unit.data.number })}</p>` : ""}
    ${details(PASS, d, ["items", "item_count", "plate", "owner_name", "basis", "phoned_number", "phoned_at", "valid_until", "issued_at"])}
    <div class="pass-qr" data-pass-qr="${d.code}"></div>
  </section>
  <h2 class="no-print">${t("Gate checks")}</h2>
  <div class="no-print" id="pass-checks">${p.checks.length ? checkList(p.checks) : html`<p class="muted">${t("None.")}</p>`}</div>
  <p class="actions no-print"><button type="button" class="button primary" data-print>${t("Print")}</button>
    <a class="button" href="/m/desk/passes">${t("Goods-out passes")}</a></p>`;
}
