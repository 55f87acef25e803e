// @ts-check
/** The gate's views: scanning a pass (the patrol camera module, page side, or the code
 * pasted or typed), the verdict — big and plain: VALID or REFUSED and why — with what the
 * pass says to compare with the goods, the check form (goods match: let out; do not match:
 * photo and note; refused) and the receipt of the check. */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { fieldError, photoField, radios } from "../repairs/forms.js";
import { errorSummary, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceLabel, choiceOptions, fieldLabel } from "../views/labels.js";

/** @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./passcode.js").Verified} Verified
 * @typedef {Record<string, string>} Values */

export const CHECK = "pass_check";
const PASS = "goods_pass";
/** The page-side camera module (patrol's: loaded by page.js, cached by the worker). */
export const SCANNER_URL = new URL("../patrol/scan.js", import.meta.url).pathname;

/** @param {{sites: {id: string, name: string}[], site: string, message: string, code: string}} v */
export function gateScreen(v) {
  const scanner = attrs({
    class: "scanner", "data-module": SCANNER_URL, "data-form": "gate-scan-form",
    "data-nocamera": t("The camera cannot be used (no permission, or no camera). Paste or type the pass's code below."),
    "data-looking": t("Point the camera at the pass's QR code."),
  });
  const site = html`<input type="hidden" name="site_id" value="${v.site}">`;
  const post = "/m/desk/gate";
  return html`<h1>${t("Check a pass")}</h1>
  ${v.sites.length > 1 ? html`<nav class="tabs" aria-label="${t("Site")}"><ul>${v.sites.map((s) => html`<li><a href="/m/desk/gate?site=${s.id}"${
    s.id === v.site ? html` aria-current="page"` : ""}>${s.name}</a></li>`)}</ul></nav>` : ""}
  ${v.message ? html`<p class="alert" role="alert" id="gate-message">${v.message}</p>` : ""}
  <div ${scanner}>
    <video class="camera" muted playsinline aria-label="${t("Camera view")}"></video>
    <p class="scan-state" aria-live="polite" data-scan-state>${t("Opening the camera…")}</p>
  </div>
  <form id="gate-scan-form" method="post" action="${post}" hx-post="${post}" hx-target="#main" hx-swap="innerHTML show:top">
    ${site}<input type="hidden" name="method" value="qr"><input type="hidden" name="token" value="">
  </form>
  <form id="gate-typed-form" class="stack form" method="post" action="${post}" hx-post="${post}" hx-target="#main" hx-swap="innerHTML show:top" novalidate>
    ${site}<input type="hidden" name="method" value="typed">
    ${textarea({ name: "code", label: t("Or paste the pass's code"), value: v.code,
    help: t("When the QR code cannot be scanned: the whole code, beginning CTP1."), extra: { autocomplete: "off", spellcheck: "false", autocapitalize: "off", rows: 2 } })}
    <button type="submit" id="gate-typed-submit">${t("Check this code")}</button>
  </form>`;
}

/** The verdict in words. @param {Verified} v */
function reason(v) {
  if (v.status === "forged") {
    if (v.reason === "site") return t("This pass is for another site: it is not valid at this gate.");
    if (v.reason === "signature") return t("What the QR code says does not match its signature: the pass was edited or forged.");
    return t("This is not a goods-out pass's QR code.");
  }
  if (v.status === "unknown_key") return t("Unknown issuer: no desk phone of this site that this phone knows signed it. Sync this phone and scan again; if it is still unknown, refuse it.");
  if (v.status === "expired") return t("Expired: it was valid until {time}.", { time: dateTime(v.content ? v.content.vu : "") });
  if (v.status === "used") return t("Already used: the goods of this pass were let out before.");
  return t("Genuine: issued by this site's desk. Compare the goods with the pass.");
}

/** What a pass says (only what its signature vouches for). @param {Record<string, any>} c
 * @param {StoredRecord | undefined} unit @param {StoredRecord | null} key */
function content(c, unit, key) {
  const items = Array.isArray(c.it) ? c.it.map(String) : [];
  /** @type {[string, unknown][]} */
  const rows = [
    [fieldLabel(PASS, "number"), c.n],
    [fieldLabel(PASS, "unit_id"), unit ? t("Unit {number}", { number: unit.data.number }) : ""],
    [fieldLabel(PASS, "item_count"), c.c],
    [fieldLabel(PASS, "plate"), c.p],
    [fieldLabel(PASS, "basis"), choiceLabel(PASS, "basis", String(c.b ?? ""))],
    [fieldLabel(PASS, "valid_until"), dateTime(c.vu)],
    [fieldLabel(PASS, "issued_at"), dateTime(c.ia)],
    [t("Pass issued by"), key ? key.data.holder : ""],
  ];
  return html`<h2>${fieldLabel(PASS, "items")}</h2>
    <ul class="pass-items" id="pass-items">${items.map((i) => html`<li>${i}</li>`)}</ul>
    <dl class="details" id="pass-content">${rows.map(([label, value]) => html`<div class="item"><dt>${label}</dt><dd>${value ?? ""}</dd></div>`)}</dl>`;
}

/**
 * @param {{verified: Verified, code: string, site: string, unit: StoredRecord | undefined,
 *   values: Values, errors: Values, recordable: boolean}} v
 */
export function verdictScreen(v) {
  const r = v.verified;
  const ok = r.status === "valid";
  const vouched = ok || r.status === "expired" || r.status === "used";
  const e = v.errors;
  const outcomes = choiceOptions(CHECK, "outcome").filter((o) => ok || o.value === "refused");
  return html`<section ${attrs({ class: `card verdict ${ok ? "notice" : "alert"}`, id: "verdict", "data-verdict": r.status,
    "data-reason": r.reason || null, role: ok ? "status" : "alert" })}>
    <h1>${ok ? t("VALID") : t("REFUSED")} · ${choiceLabel(CHECK, "verdict", r.status)}</h1>
    <p>${reason(r)}</p>
  </section>
  ${vouched && r.content ? content(r.content, v.unit, r.key) : ""}
  ${v.recordable ? html`${errorSummary(e)}
  <form id="check-form" class="stack form" method="post" action="/m/desk/gate/check" novalidate
    hx-post="/m/desk/gate/check" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="site_id" value="${v.site}"><input type="hidden" name="code" value="${v.code}">
    ${fieldError(e, "form")}
    ${ok ? radios("outcome", t("The goods"), outcomes, v.values.outcome || "", e)
    : html`<input type="hidden" name="outcome" value="refused">`}
    ${ok ? photoField("photos", fieldLabel(CHECK, "photos"), v.values.photos || "", e.photos) : ""}
    ${textarea({ name: "note", label: fieldLabel(CHECK, "note"), value: v.values.note, error: e.note,
    help: ok ? t("Say what does not match, or why the goods were refused.") : "" })}
    <button type="submit" class="primary big" id="check-submit">${ok ? t("Record the check") : t("Record the refusal")}</button>
  </form>` : ""}
  <p class="actions"><a class="button" id="scan-next" href="/m/desk/gate?site=${v.site}">${t("Scan another pass")}</a></p>`;
}

/** The check recorded. @param {{check: StoredRecord, site: string}} v */
export function receipt(v) {
  const d = v.check.data;
  return html`<section class="card receipt" id="gate-receipt" data-outcome="${d.outcome}" data-verdict="${d.verdict}">
    <h1>${t("Check recorded")}</h1>
    <p class="notice confirmation" role="status" id="confirmation">${t("Saved on this phone; it syncs by itself.")}</p>
    <dl class="details">
      <div class="item"><dt>${fieldLabel(CHECK, "number")}</dt><dd>${d.number}</dd></div>
      <div class="item"><dt>${fieldLabel(CHECK, "verdict")}</dt><dd>${choiceLabel(CHECK, "verdict", d.verdict)}</dd></div>
      <div class="item"><dt>${fieldLabel(CHECK, "outcome")}</dt><dd>${choiceLabel(CHECK, "outcome", d.outcome)}</dd></div>
      <div class="item"><dt>${fieldLabel(CHECK, "checked_at")}</dt><dd>${dateTime(d.checked_at)}</dd></div>
      ${d.note ? html`<div class="item"><dt>${fieldLabel(CHECK, "note")}</dt><dd>${d.note}</dd></div>` : ""}
    </dl>
  </section>
  <p class="actions"><a class="button primary big" id="scan-next" href="/m/desk/gate?site=${v.site}">${t("Scan the next pass")}</a></p>`;
}

/** A check that is not on this phone. */
export function missing() {
  return html`<section class="card"><h1>${t("This check is not on this phone.")}</h1>
    <p><a href="/m/desk/gate">${t("Check a pass")}</a></p></section>`;
}
