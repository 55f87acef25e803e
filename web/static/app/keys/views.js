// @ts-check
/** Front-desk key screens: the board (out now / overdue / available), lend, return, a loan
 * with its history. Rows carry no hx-* attributes: links are boosted from <body>, the list
 * container refreshes itself after a sync. */

import { attrs, html } from "../html.js";
import { t } from "../i18n.js";
import { maxLength } from "../kit/declarations.js";
import { errorSummary, input, select, signaturePad, textarea } from "../views/forms.js";
import { dateTime, when } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";

const categoryLabel = (/** @type {string} */ code) => choiceLabel("key", "category", code);
const borrowerKindLabel = (/** @type {string} */ code) => choiceLabel("key_loan", "borrower_kind", code);
const idTypeLabel = (/** @type {string} */ code) => choiceLabel("key_loan", "id_type", code);
/** The declared limit of a loan's field (the form's maxlength). @param {string} field */
const max = (field) => maxLength("key_loan", field);

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {{key: StoredRecord, unit: string, loans: StoredRecord[], out: boolean,
 *   overdue: boolean, pending: boolean}} KeyRow
 * @typedef {{tab: string, q: string, page: number, pages: number, total: number,
 *   rows: KeyRow[], counts: Record<string, number>, now: number, empty: boolean}} Board
 */

export const TABS = ["all", "out", "overdue", "available"];

/** @param {string} tab */
function tabLabel(tab) {
  /** @type {Record<string, string>} */
  const labels = {
    all: t("All keys"),
    out: t("Out now"),
    overdue: t("Overdue"),
    available: t("Available"),
  };
  return labels[tab] || tab;
}

/** @param {Board} b @param {Record<string, string | number>} changes */
function boardUrl(b, changes) {
  const p = new URLSearchParams();
  const v = { tab: b.tab, q: b.q, page: b.page, ...changes };
  if (v.tab && v.tab !== "all") p.set("tab", String(v.tab));
  if (v.q) p.set("q", String(v.q));
  if (Number(v.page) > 1) p.set("page", String(v.page));
  const qs = p.toString();
  return `/m/keys${qs ? `?${qs}` : ""}`;
}

/** @param {StoredRecord} loan @param {number} now */
function loanLine(loan, now) {
  const d = loan.data;
  const overdue = Date.parse(d.due_at) < now;
  return html`<span class="loan-line">${t("Out: {name}", { name: d.borrower_name })}
    · ${t("due {time}", { time: when(d.due_at, now) })}
    ${overdue ? html`<span class="badge is-alert">${t("Overdue")}</span>` : ""}
    ${loan.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}</span>`;
}

/** @param {KeyRow} row @param {number} now */
function keyRow(row, now) {
  const k = row.key.data;
  const cls = ["key-row", row.out ? "is-out" : "is-available", row.overdue ? "is-overdue" : ""]
    .filter(Boolean)
    .join(" ");
  const actions = row.out
    ? row.loans.map(
        (loan) => html`<a class="button" href="/m/keys/loans/${loan.id}/return">${t("Return")}</a>
          <a class="button" href="/m/keys/loans/${loan.id}">${t("Details")}</a>`,
      )
    : html`<a class="button primary" href="/m/keys/lend?key=${row.key.id}">${t("Lend")}</a>`;
  return html`<li class="${cls}" data-key-id="${row.key.id}" data-code="${k.code}">
    <div class="key-main">
      <strong class="key-code">${k.code}</strong>
      <span class="key-label">${k.label}</span>
      ${row.unit ? html`<span class="muted">${t("Unit {number}", { number: row.unit })}</span>` : ""}
      <span class="badge">${categoryLabel(k.category)}</span>
    </div>
    <div class="key-state">${
      row.out
        ? row.loans.map((loan) => loanLine(loan, now))
        : html`<span class="ok">${t("Available")}</span>`
    }${row.loans.length > 1 ? html` <span class="badge is-alert">${t("Lent twice")}</span>` : ""}</div>
    <div class="key-actions">${actions}</div>
  </li>`;
}

/**
 * A link that swaps only the results (tabs, list, pager) and replaces the URL: filters and
 * pages are not worth a history entry each (and pushState blocks on the browser process).
 * @param {string} href @param {unknown} label @param {Record<string, unknown>} [extra]
 */
function resultsLink(href, label, extra = {}) {
  const a = attrs({
    href,
    "hx-get": href,
    "hx-target": "#key-results",
    "hx-swap": "outerHTML",
    "hx-replace-url": "true",
    ...extra,
  });
  return html`<a ${a}>${label}</a>`;
}

/** Tabs, rows and pager: swapped alone by the tabs, the pager, the search box and after a
 * sync (the container refreshes itself). @param {Board} b */
export function keyResults(b) {
  const from = b.total ? (b.page - 1) * 50 + 1 : 0;
  const to = Math.min(b.total, b.page * 50);
  const a = attrs({
    id: "key-results",
    class: "key-results",
    "hx-get": boardUrl(b, {}),
    "hx-trigger": "synced from:body",
    "hx-target": "this",
    "hx-swap": "outerHTML",
    // no hx-replace-url: refreshing after a sync must not turn the home screen's URL (/m/)
    // into /m/keys (its tabs, pager and search replace the URL themselves)
    // its links and rows must not inherit these (boost still comes from <body>)
    "hx-disinherit": "hx-target hx-swap hx-replace-url",
  });
  const tabs = TABS.map(
    (tab) => html`<li>${resultsLink(
      boardUrl(b, { tab, page: 1 }),
      html`${tabLabel(tab)} <span class="count">${b.counts[tab] ?? 0}</span>`,
      { id: `tab-${tab}`, "aria-current": tab === b.tab ? "page" : null },
    )}</li>`,
  );
  let body;
  if (b.empty) {
    body = html`<p class="notice">${t("No keys on this phone yet. They arrive with the first sync.")}</p>`;
  } else if (!b.rows.length) {
    body = html`<p class="muted">${t("No keys match.")}</p>`;
  } else {
    // rows carry no hx-*: their links are boosted from <body>
    body = html`<ul class="rows">${b.rows.map((r) => keyRow(r, b.now))}</ul>`;
  }
  const pager =
    b.pages > 1
      ? html`<nav class="pager" aria-label="${t("Pages")}">
          ${b.page > 1 ? resultsLink(boardUrl(b, { page: b.page - 1 }), t("Previous"), { rel: "prev", id: "page-prev" }) : ""}
          <span>${t("Page {page} of {pages}", { page: b.page, pages: b.pages })}</span>
          ${b.page < b.pages ? resultsLink(boardUrl(b, { page: b.page + 1 }), t("Next"), { rel: "next", id: "page-next" }) : ""}
        </nav>`
      : "";
  return html`<div ${a}>
    <input type="hidden" id="key-tab" name="tab" form="key-filters" value="${b.tab}">
    <nav class="tabs" aria-label="${t("Show")}"><ul>${tabs}</ul></nav>
    <p class="muted list-count" aria-live="polite">${t("{from}–{to} of {total}", { from, to, total: b.total })}</p>
    <div id="key-list" class="key-list">${body}</div>
    ${pager}
  </div>`;
}

/** @param {Board} b */
export function board(b) {
  return html`<h1>${t("Key board")}</h1>
  <form id="key-filters" class="key-search" action="/m/keys" method="get" role="search">
    <label for="key-q">${t("Search by tag, label or unit")}</label>
    <input id="key-q" type="search" name="q" value="${b.q}" autocomplete="off"
      enterkeyhint="search" hx-get="/m/keys" hx-trigger="input changed delay:200ms, search"
      hx-target="#key-results" hx-swap="outerHTML" hx-include="#key-tab"
      hx-replace-url="true">
  </form>
  ${keyResults(b)}`;
}

/**
 * @typedef {{values: Record<string, string>, errors: Record<string, string>,
 *   key: StoredRecord, unit: string, openLoans: StoredRecord[]}} LendForm
 */

/** The loan form for one key (picked on the key board: search, then "Lend"). A small form on
 * purpose: no select of every key, so it renders and is swapped away fast. @param {LendForm} f */
export function lendForm(f) {
  const v = f.values;
  const e = f.errors;
  const k = f.key.data;
  const owner = k.category === "owner_deposited";
  const sig = v.signature_blob;
  return html`<h1>${t("Lend a key")}</h1>
  ${errorSummary(e)}
  <div class="chosen-key card">
    <strong class="key-code">${k.code}</strong> <span>${k.label}</span>
    ${f.unit ? html`<span class="muted">${t("Unit {number}", { number: f.unit })}</span>` : ""}
    <span class="badge">${categoryLabel(k.category)}</span>
    <a href="/m/keys?tab=available">${t("Choose another key")}</a>
  </div>
  ${f.openLoans.length ? html`<p class="alert" role="status">${t("This key is out now (lent to {name}). Lending it again records a second loan; the office will see both.", { name: f.openLoans.map((l) => l.data.borrower_name).join(t(" and ")) })}</p>` : ""}
  <form id="lend-form" class="stack form" method="post" action="/m/keys/lend" novalidate
    hx-post="/m/keys/lend" hx-target="#main" hx-swap="innerHTML">
    <input type="hidden" name="key_id" value="${f.key.id}">
    ${input({ name: "borrower_name", label: t("Borrower's name"), value: v.borrower_name, error: e.borrower_name, required: true, extra: { autocomplete: "off", maxlength: max("borrower_name") } })}
    ${input({ name: "borrower_phone", label: t("Borrower's phone"), value: v.borrower_phone, error: e.borrower_phone, type: "tel", extra: { autocomplete: "off", maxlength: max("borrower_phone") } })}
    ${select({ name: "borrower_kind", label: t("Borrower is"), value: v.borrower_kind, error: e.borrower_kind, required: true, options: [{ value: "", label: t("Choose") }, ...choiceOptions("key_loan", "borrower_kind")] })}
    <div class="row">
      ${select({ name: "id_type", label: t("ID checked"), value: v.id_type || "none", error: e.id_type, options: choiceOptions("key_loan", "id_type") })}
      ${input({ name: "id_last4", label: t("Last 4 characters of the ID"), value: v.id_last4, error: e.id_last4, help: t("Never the full number."), extra: { maxlength: max("id_last4"), autocomplete: "off" } })}
    </div>
    ${input({ name: "purpose", label: t("Purpose"), value: v.purpose, error: e.purpose, extra: { maxlength: max("purpose") } })}
    ${input({ name: "approver", label: t("Approved by"), value: v.approver, error: e.approver, extra: { maxlength: max("approver") } })}
    ${owner ? html`<div class="owner-consent">
      ${input({ name: "owner_consent", label: t("Owner's consent (how and when given)"), value: v.owner_consent, error: e.owner_consent, required: true, help: t("This key is deposited by its owner: record their consent before lending it."), extra: { maxlength: max("owner_consent") } })}
    </div>` : ""}
    <div class="row">
      ${input({ name: "due_at", label: t("Due back"), value: v.due_at, error: e.due_at, type: "datetime-local", required: true })}
      ${input({ name: "deposit", label: t("Deposit"), value: v.deposit, error: e.deposit, extra: { maxlength: max("deposit") } })}
    </div>
    ${signaturePad({ name: "signature_blob", legend: t("Borrower's signature"), label: t("Signature pad: the borrower signs here with a finger"), value: sig, error: e.signature_blob })}
    <button type="submit" class="primary big" id="lend-submit">${t("Lend the key")}</button>
  </form>`;
}

/**
 * @typedef {{loan: StoredRecord, key: StoredRecord | undefined, unit: string,
 *   conflicts: StoredRecord[], me: string, now: number, confirmation?: string}} LoanView
 */

/** @param {string} label @param {unknown} value */
function item(label, value) {
  if (value === "" || value === null || value === undefined) return "";
  return html`<div class="item"><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** @param {LoanView} v */
export function loanDetail(v) {
  const d = v.loan.data;
  const k = v.key ? v.key.data : null;
  const returned = d.returned_at != null;
  let status;
  if (d.voided) status = html`<span class="badge is-alert">${t("Voided")}</span>`;
  else if (returned) status = html`<span class="badge ok">${t("Returned")}</span>`;
  else if (Date.parse(d.due_at) < v.now) status = html`<span class="badge is-alert">${t("Overdue")}</span>`;
  else status = html`<span class="badge">${t("Out now")}</span>`;
  const who = (/** @type {string} */ id) => (id && id === v.me ? t("you") : t("another colleague"));
  const history = [
    html`<li>${t("Lent to {name} by {who}", { name: d.borrower_name, who: who(d.lent_by) })}
      — <time datetime="${d.lent_at}">${dateTime(d.lent_at)}</time></li>`,
  ];
  if (returned) {
    history.push(html`<li>${t("Returned by {name}", { name: d.returned_by })}
      — <time datetime="${d.returned_at}">${dateTime(d.returned_at)}</time>
      ${d.return_notes ? html`<br><span class="muted">${d.return_notes}</span>` : ""}</li>`);
  }
  if (d.voided) {
    history.push(html`<li>${t("Voided by the office: {reason}", { reason: d.void_reason || "—" })}</li>`);
  }
  const conflicts = v.conflicts.map(
    (/** @type {StoredRecord} */ c) => html`<li class="conflict">${conflictText(c)}</li>`,
  );
  const photos = (d.return_photos || []).map(
    (/** @type {string} */ sha) => html`<img class="thumb" src="/m/blobs/${sha}" alt="${t("Photo taken at the return")}">`,
  );
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  <h1>${t("Key loan")} ${k ? k.code : ""} ${status}
    ${v.loan.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}</h1>
  <dl class="details">
    ${item(t("Key"), k ? `${k.code} · ${k.label}` : "")}
    ${item(t("Unit"), v.unit)}
    ${item(t("Borrower"), d.borrower_name)}
    ${item(t("Borrower is"), borrowerKindLabel(d.borrower_kind))}
    ${item(t("Phone"), d.borrower_phone)}
    ${item(t("ID checked"), d.id_type && d.id_type !== "none" ? `${idTypeLabel(d.id_type)} ···${d.id_last4}` : idTypeLabel("none"))}
    ${item(t("Purpose"), d.purpose)}
    ${item(t("Approved by"), d.approver)}
    ${item(t("Owner's consent"), d.owner_consent)}
    ${item(t("Deposit"), d.deposit)}
    ${item(t("Lent at"), dateTime(d.lent_at))}
    ${item(t("Due back"), dateTime(d.due_at))}
  </dl>
  ${d.signature_blob ? html`<figure class="signature-view"><img src="/m/blobs/${d.signature_blob}" alt="${t("Borrower's signature")}"><figcaption>${t("Borrower's signature")}</figcaption></figure>` : ""}
  ${photos.length ? html`<div class="photos">${photos}</div>` : ""}
  ${conflicts.length ? html`<section class="conflicts"><h2>${t("Needs the office")}</h2><ul>${conflicts}</ul></section>` : ""}
  <h2>${t("History")}</h2>
  <ol class="history">${history}</ol>
  <p class="actions">
    ${!returned && !d.voided ? html`<a class="button primary" href="/m/keys/loans/${v.loan.id}/return">${t("Record the return")}</a>` : ""}
    <a class="button" href="/m/keys">${t("Back to the key board")}</a>
  </p>`;
}

/** Plain words for a conflict. @param {StoredRecord} c */
export function conflictText(c) {
  const d = c.data;
  const details = d.details || {};
  const resolved = d.status && d.status !== "open";
  let text;
  if (d.kind === "double_loan") {
    const names = (details.loans || []).map((/** @type {any} */ l) => l.borrower_name).join(t(" and "));
    text = t("Key {code} was lent twice while phones were offline ({names}). Both loans are kept; the office decides which one stands.", { code: details.key_code || "", names });
  } else if (d.kind === "double_return") {
    text = t("This loan was returned twice. The first return is kept; the office checks the second.");
  } else if (d.kind === "return_before_loan") {
    text = t("A return was recorded with a time before the loan. The office checks the times.");
  } else if (d.kind === "field_overwritten") {
    text = t("Two people changed the same details at the same time; the later change was kept and the office can see both.");
  } else {
    text = t("The office was asked to check this record ({kind}).", { kind: d.kind });
  }
  return html`${text} ${resolved ? html`<span class="badge ok">${t("Resolved by the office")}</span>` : html`<span class="badge is-alert">${t("Open")}</span>`}`;
}

/**
 * @typedef {{loan: StoredRecord, key: StoredRecord | undefined,
 *   values: Record<string, string>, errors: Record<string, string>}} ReturnForm
 */

/** @param {ReturnForm} f */
export function returnForm(f) {
  const d = f.loan.data;
  const k = f.key ? f.key.data : null;
  const photos = (f.values.return_photos || "").split(",").filter(Boolean);
  return html`<h1>${t("Return a key")}</h1>
  ${errorSummary(f.errors)}
  <p>${k ? html`<strong>${k.code}</strong> · ${k.label} · ` : ""}${t("Lent to {name}", { name: d.borrower_name })}</p>
  <form id="return-form" class="stack form" method="post" action="/m/keys/loans/${f.loan.id}/return"
    novalidate hx-post="/m/keys/loans/${f.loan.id}/return" hx-target="#main" hx-swap="innerHTML show:top">
    ${input({ name: "returned_by", label: t("Returned by"), value: f.values.returned_by, error: f.errors.returned_by, required: true, help: t("The borrower should return the key in person."), extra: { maxlength: max("returned_by"), autocomplete: "off" } })}
    ${textarea({ name: "return_notes", label: t("Notes (condition, anything missing)"), value: f.values.return_notes, error: f.errors.return_notes, extra: { maxlength: max("return_notes") } })}
    <div class="field">
      <label for="f-photo">${t("Photo (optional)")}</label>
      <input id="f-photo" type="file" accept="image/*" capture="environment" data-photo-for="return_photos">
      <input type="hidden" name="return_photos" value="${photos.join(",")}">
      <div class="photos" data-photo-previews>${photos.map((sha) => html`<img class="thumb" src="/m/blobs/${sha}" alt="${t("Photo taken at the return")}">`)}</div>
    </div>
    <button type="submit" class="primary big" id="return-submit">${t("Record the return")}</button>
  </form>`;
}
