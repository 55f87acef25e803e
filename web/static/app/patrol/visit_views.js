// @ts-check
/** The scan screen (camera, typed code, NFC) and a checkpoint's visit: its checklist, one
 * small form per item so that each tap is saved at once, and the anomaly form. */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { errorSummary, input, select, textarea } from "../views/forms.js";
import { time } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";
import { abnormalAnswer, abnormalItems } from "./data.js";
import { photosField } from "./views.js";

/** The page-side camera module (loaded by page.js when the scanner is shown; cached by the
 * worker for offline use, not part of the shell). */
export const SCANNER_URL = new URL("./scan.js", import.meta.url).pathname;

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./data.js").Item} Item
 */

/** @param {{roundId: string, name: string, message: string, code: string, typed: boolean,
 *   refused: string}} v */
export function scanScreen(v) {
  const post = `/m/patrol/rounds/${v.roundId}/scan`;
  const scanner = attrs({
    class: "scanner",
    "data-module": v.typed ? null : SCANNER_URL,
    "data-form": "scan-form",
    "data-refused": v.refused || null,
    "data-nocamera": t("The camera cannot be used (no permission, or no camera). Type the printed code below."),
    "data-looking": t("Point the camera at the checkpoint's QR label."),
    "data-nfc-label": t("Tap NFC tag"),
    "data-nfc-ready": t("Hold the phone to the tag."),
    "data-nfc-error": t("NFC cannot be used here. Scan the QR label or type the code."),
  });
  return html`<h1>${t("Scan a checkpoint")}</h1>
  <p class="muted">${v.name}</p>
  ${v.message ? html`<p class="alert" role="alert" id="scan-refused">${v.message}</p>` : ""}
  ${v.typed ? "" : html`<div ${scanner}>
    <video class="camera" muted playsinline aria-label="${t("Camera view")}"></video>
    <p class="scan-state" aria-live="polite" data-scan-state>${t("Opening the camera…")}</p>
  </div>`}
  <form id="scan-form" method="post" action="${post}" hx-post="${post}" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="method" value="qr"><input type="hidden" name="token" value="">
  </form>
  <form id="typed-form" class="stack form" method="post" action="${post}" hx-post="${post}" hx-target="#main" hx-swap="innerHTML show:top" novalidate>
    <input type="hidden" name="method" value="typed">
    ${input({ name: "code", label: t("Type the printed code"), value: v.code, help: t("Use it when the label cannot be scanned; the record shows it was typed."), extra: { autocomplete: "off", autocapitalize: "characters", maxlength: 40, enterkeyhint: "done" } })}
    <button type="submit" id="typed-submit">${t("Record the typed code")}</button>
  </form>
  <p><a href="/m/patrol/rounds/${v.roundId}">${t("Back to the round")}</a></p>`;
}

/** @param {Item} item @param {unknown} v */
function answerText(item, v) {
  if (v === undefined || v === null || v === "") return "";
  if (item.type === "yesno") return v === true ? t("Yes") : t("No");
  if (item.type === "number") return `${v}${item.unit ? ` ${item.unit}` : ""}`;
  return String(v);
}

/** One checklist item: its own form, saved on each tap (the response replaces it).
 * @param {string} scanId @param {Item} item @param {Record<string, any>} answers @param {boolean} [saved] */
export function itemForm(scanId, item, answers, saved = false) {
  const v = answers[item.id];
  const bad = abnormalAnswer(item, v);
  const action = `/m/patrol/scans/${scanId}/answer`;
  const pressed = (/** @type {unknown} */ x) => (v === x ? "true" : "false");
  // a typed answer is saved when the field is left, as well as by "Save"
  const typed = !["yesno", "choice"].includes(item.type);
  let control;
  if (item.type === "yesno") {
    control = html`<div class="actions"><button type="submit" name="value" value="yes" id="b-${item.id}-yes" aria-pressed="${pressed(true)}">${t("Yes")}</button>
      <button type="submit" name="value" value="no" id="b-${item.id}-no" aria-pressed="${pressed(false)}">${t("No")}</button></div>`;
  } else if (item.type === "choice") {
    control = html`<div class="actions">${(item.choices || []).map((c, i) => html`<button type="submit" name="value" value="${c}" id="b-${item.id}-${i}" aria-pressed="${pressed(c)}">${c}</button>`)}</div>`;
  } else {
    const range = item.type === "number" && item.min !== undefined && item.max !== undefined
      ? t("Normal: {min}–{max} {unit}", { min: item.min, max: item.max, unit: item.unit || "" }) : "";
    control = html`<div class="row"><input id="a-${item.id}" name="value" type="${item.type === "number" ? "number" : "text"}"
      ${item.type === "number" ? html`step="any" inputmode="decimal"` : html`maxlength="500"`}
      value="${v ?? ""}" aria-labelledby="l-${item.id}"${range ? html` aria-describedby="r-${item.id}"` : ""}>
      <button type="submit" id="b-${item.id}">${t("Save")}</button></div>
      ${range ? html`<p class="help muted" id="r-${item.id}">${range}</p>` : ""}`;
  }
  return html`<form class="check-item${bad ? " is-abnormal" : ""}" id="item-${item.id}" data-item="${item.id}" method="post" action="${action}"
    hx-post="${action}" hx-target="this" hx-swap="outerHTML"${typed ? html` hx-trigger="change, submit"` : ""}>
    <input type="hidden" name="item" value="${item.id}">
    <p class="item-label" id="l-${item.id}"><strong>${item.label}</strong>
      ${v !== undefined && v !== "" ? html`<span class="badge ${bad ? "is-alert" : "ok"}" data-answer>${answerText(item, v)}${bad ? ` · ${t("Not normal")}` : ""}</span>` : ""}
      ${saved ? html`<span class="badge" data-saved role="status">${t("Saved")}</span>` : ""}</p>
    ${control}
    ${bad && item.photo_if_abnormal ? html`<p class="alert" data-photo-needed>${t("Not normal: a photo is required. Add it below.")}</p>` : ""}
  </form>`;
}

/**
 * @param {{scan: StoredRecord, checkpoint: StoredRecord, items: Item[], values: Record<string, string>,
 *   errors: Record<string, string>, confirmation?: string}} v
 */
export function visitScreen(v) {
  const d = v.scan.data;
  const c = v.checkpoint.data;
  const answers = d.answers && typeof d.answers === "object" ? d.answers : {};
  const flags = Array.isArray(d.flags) ? d.flags : [];
  const bad = abnormalItems(v.items, answers);
  const post = `/m/patrol/scans/${v.scan.id}/anomaly`;
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  <h1 id="checkpoint" data-scan-id="${v.scan.id}" data-code="${c.code}" data-method="${d.method}">${c.code} · ${c.name}</h1>
  <p class="muted">${choiceLabel("scan", "method", d.method)} · ${time(d.scanned_at)}
    ${flags.map((/** @type {string} */ f) => html` <span class="badge is-alert">${choiceLabel("scan", "flags", f) || f}</span>`)}
    ${v.scan.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}</p>
  ${v.items.length ? html`<section class="checklist"><h2>${t("Checklist")}</h2>
    ${v.items.map((item) => itemForm(v.scan.id, item, answers))}</section>`
    : html`<p class="muted">${t("No checklist for this checkpoint.")}</p>`}
  <section class="anomaly card"><h2>${t("Something not normal?")}</h2>
  ${bad.length ? html`<p class="alert">${t("Not normal: {items}", { items: bad.map((i) => i.label).join(", ") })}</p>` : ""}
  ${errorSummary(v.errors)}
  <form id="anomaly-form" class="stack form" method="post" action="${post}" hx-post="${post}" hx-target="#main" hx-swap="innerHTML show:top" novalidate>
    ${textarea({ name: "note", label: t("Note"), value: v.values.note, error: v.errors.note, extra: { maxlength: 1000 } })}
    ${select({ name: "severity", label: t("Severity"), value: v.values.severity || "none", error: v.errors.severity, options: choiceOptions("scan", "severity") })}
    ${photosField("photos", v.values.photos || "", v.errors.photos)}
    <button type="submit" id="anomaly-submit">${t("Save note and photos")}</button>
  </form></section>
  <p class="actions">
    <button type="submit" form="anomaly-form" name="next" value="1" class="primary big" id="back-to-round">${t("Done here: next checkpoint")}</button>
    <a class="button" href="/m/patrol/report?round=${d.round_id}&amp;scan=${v.scan.id}">${t("Report a problem")}</a>
    ${d.abnormal || d.note || (d.severity && d.severity !== "none") ? html`<a class="button" id="report-repair" href="/m/repairs/new?anomaly=${v.scan.id}&amp;area=${encodeURIComponent(c.name)}">${t("Report for repair")}</a>` : ""}</p>`;
}
