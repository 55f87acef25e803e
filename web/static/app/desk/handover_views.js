// @ts-check
/** The handover's views (交接班): the site's handovers, the outgoing person's draft (the
 * summary drafted from this phone's records, notes, their signature) and a handover's page
 * (its summary, both signatures, the incoming person's signing). The summary's shape:
 * handover_draft.js. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { maxLength } from "../kit/declarations.js";
import { errorSummary, input, signaturePad, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceLabel, fieldLabel } from "../views/labels.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./handover_draft.js").Summary} Summary
 * @typedef {import("./handover_draft.js").Item} Item
 * @typedef {{values: Record<string, string>, errors: Record<string, string>}} Form
 */

const H = "handover";

/** @param {Record<string, string>} e */
const formError = (e) => (e.form ? html`<p class="field-error" id="e-form">${e.form}</p>` : "");

/** @param {StoredRecord} r */
const pending = (r) => (r.local ? html` <span class="badge is-pending">${t("Pending sync")}</span>` : "");

/** @param {Record<string, any>} d */
const shift = (d) => `${dateTime(d.shift_start)} – ${dateTime(d.shift_end)}`;

/** The summary's figures and lists: [key, its words, the items' status type and field].
 * @returns {[string, string, string, string][]} */
const SECTIONS = () => [
  ["keys_out", t("Keys out: {n}"), "", ""],
  ["keys_overdue", t("Keys overdue: {n}"), "", ""],
  ["cards_in_stock", t("Cards in stock: {n}"), "", ""],
  ["blacklists_pending", t("Blacklisted cards the door system has not taken yet: {n}"), "", ""],
  ["rounds_done", t("Rounds done: {n}"), "", ""],
  ["rounds_missed", t("Rounds missed: {n}"), "round", "status"],
  ["incidents_open", t("Open incidents: {n}"), "incident", "status"],
  ["requests_open", t("Open repair requests: {n}"), "repair_request", "state"],
  ["visitors_inside", t("Visitors still inside: {n}"), "", ""],
];

/** What was handed over (a drafted or stored summary: handover_draft.js).
 * @param {Summary | null | undefined} s */
export function summaryView(s) {
  const sum = s && typeof s === "object" ? s : {};
  return html`<section class="card" id="handover-summary">
    <h2>${fieldLabel(H, "summary")}</h2>
    <ul class="history">${SECTIONS().filter(([key]) => key in sum).map(([key, words, type, field]) => {
      /** @type {Item[]} */
      const items = Array.isArray(sum[key]) ? sum[key] : [];
      const n = Number(Array.isArray(sum[key]) ? (sum.totals || {})[key] ?? items.length : sum[key]) || 0;
      return html`<li data-count="${key}" data-n="${n}">${words.replace("{n}", String(n))}
        ${items.length ? html`<ul>${items.map((i) => html`<li>${[i.label, i.place, i.name, i.badge,
          type && i.status ? choiceLabel(type, field, i.status) : "", dateTime(i.at)].filter(Boolean).join(" · ")}</li>`)}
          ${n > items.length ? html`<li class="muted">${t("… and {n} more", { n: n - items.length })}</li>` : ""}</ul>` : ""}</li>`;
    })}</ul>
  </section>`;
}

/** @param {StoredRecord} r @param {Map<string, string>} sites */
function row(r, sites) {
  const d = r.data;
  return html`<li class="card-row" data-handover-id="${r.id}">
    <a class="card-number" href="/m/desk/handover/${r.id}">${shift(d)}</a>
    <span>${d.outgoing_name} → ${d.received_at ? d.incoming_name : t("waiting")}</span>${pending(r)}
    ${sites.size > 1 ? html`<span class="muted">${sites.get(d.site_id) || ""}</span>` : ""}
  </li>`;
}

/** The site's handovers: waiting to be received, then the recent ones.
 * @param {{waiting: StoredRecord[], recent: StoredRecord[], sites: Map<string, string>, draft: boolean}} v */
export function listView(v) {
  const rows = (/** @type {StoredRecord[]} */ list, /** @type {string} */ id) => (list.length
    ? html`<ul class="rows" id="${id}">${list.map((r) => row(r, v.sites))}</ul>` : html`<p class="muted">${t("None.")}</p>`);
  return html`<h1>${t("Shift handover")}</h1>
  ${v.draft ? html`<p class="actions">${[...v.sites].map(([id, name]) => html`<a class="button primary big" id="new-handover"
    href="/m/desk/handover/new?site=${id}">${t("Hand over my shift")}${v.sites.size > 1 ? ` · ${name}` : ""}</a>`)}</p>` : ""}
  <h2>${t("Waiting to be received")} <span class="count">${v.waiting.length}</span></h2>
  ${rows(v.waiting, "handovers-waiting")}
  <h2>${t("Recent handovers")}</h2>
  ${rows(v.recent, "handovers-recent")}`;
}

/** The outgoing person's handover: the draft, notes, their signature.
 * @param {Form & {summary: Summary, name: string, site: string}} f */
export function draftForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Hand over my shift")}</h1>
  ${errorSummary(e)}
  <form id="handover-form" class="stack form" method="post" action="/m/desk/handover/new" novalidate
    hx-post="/m/desk/handover/new" hx-target="#main" hx-swap="innerHTML show:top">
    ${formError(e)}
    <input type="hidden" name="site_id" value="${v.site_id}">
    <p>${f.site} · ${t("Handed over by {name}", { name: f.name })}</p>
    ${input({ name: "shift_start", label: fieldLabel(H, "shift_start"), type: "datetime-local", value: v.shift_start,
      error: e.shift_start, required: true, help: t("Drafted from the records on this phone, up to now."),
      extra: { "hx-get": "/m/desk/handover/new/summary", "hx-trigger": "change", "hx-include": "closest form",
        "hx-target": "#handover-summary", "hx-swap": "outerHTML" } })}
    ${summaryView(f.summary)}
    ${textarea({ name: "notes", label: t("Notes for the next shift"), value: v.notes, error: e.notes, extra: { maxlength: maxLength(H, "notes") || null } })}
    ${signaturePad({ name: "outgoing_signature", legend: fieldLabel(H, "outgoing_signature"),
      label: t("Signature pad: the outgoing person signs here"), value: v.outgoing_signature, error: e.outgoing_signature })}
    <button type="submit" class="primary big" id="handover-submit">${t("Sign and hand over")}</button>
  </form>`;
}

/** @param {string} sha @param {string} caption */
const signature = (sha, caption) => (sha ? html`<figure class="signature-view"><img src="/m/blobs/${sha}" alt="${caption}"><figcaption>${caption}</figcaption></figure>` : "");

/**
 * A handover: what was handed over, both signatures; the incoming person's signing while it
 * waits (`receive`: null when this person may not, `own` when they sign as themselves).
 * @param {{rec: StoredRecord, site: string, confirmation?: string,
 *   receive: (Form & {own: string}) | null}} p
 */
export function handoverPage(p) {
  const d = p.rec.data;
  const r = p.receive;
  const item = (/** @type {string} */ field, /** @type {unknown} */ value) => (value
    ? html`<div class="item"><dt>${fieldLabel(H, field)}</dt><dd>${value}</dd></div>` : "");
  return html`${p.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${p.confirmation}</p>` : ""}
  <h1 id="handover" data-handover-id="${p.rec.id}" data-received="${d.received_at ? "1" : ""}">${t("Shift handover")}${pending(p.rec)}</h1>
  <dl class="details">
    ${item("site_id", p.site)}
    ${item("shift_start", dateTime(d.shift_start))}
    ${item("shift_end", dateTime(d.shift_end))}
    ${item("outgoing_name", d.outgoing_name)}
    ${item("incoming_name", d.incoming_name)}
    ${item("received_at", dateTime(d.received_at))}
  </dl>
  ${summaryView(d.summary)}
  ${d.notes ? html`<h2>${fieldLabel(H, "notes")}</h2><p id="handover-notes">${d.notes}</p>` : ""}
  ${signature(d.outgoing_signature, fieldLabel(H, "outgoing_signature"))}
  ${signature(d.incoming_signature, fieldLabel(H, "incoming_signature"))}
  ${r ? html`<form id="receive-form" class="stack form card" method="post" action="/m/desk/handover/${p.rec.id}" novalidate
    hx-post="/m/desk/handover/${p.rec.id}" hx-target="#main" hx-swap="innerHTML show:top">
    <h2>${t("Receive the handover")}</h2>
    ${errorSummary(r.errors)}${formError(r.errors)}
    ${r.own ? html`<p id="receiving-as">${t("Receiving as {name}", { name: r.own })}</p>`
      : input({ name: "incoming_name", label: t("Incoming person's name"), value: r.values.incoming_name, error: r.errors.incoming_name,
        required: true, help: t("The incoming person types their name and signs on this phone."),
        extra: { maxlength: maxLength(H, "incoming_name") || null, autocomplete: "off" } })}
    ${signaturePad({ name: "incoming_signature", legend: fieldLabel(H, "incoming_signature"),
      label: t("Signature pad: the incoming person signs here"), value: r.values.incoming_signature, error: r.errors.incoming_signature })}
    <button type="submit" class="primary big" id="receive-submit">${t("Sign and receive")}</button>
  </form>` : ""}
  <p class="actions"><a class="button" href="/m/desk/handover">${t("Back to the handovers")}</a></p>`;
}
