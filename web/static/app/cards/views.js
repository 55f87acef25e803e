// @ts-check
/** The desk's card screens: the cards home (search, recent issues, blacklist pending), a
 * unit's cards and quota, a card with its history and actions, and the forms of 掛失, 退卡
 * and revocation. Escaped templates only (html``); rows carry no hx-*: links are boosted
 * from <body>, the results container refreshes itself after a sync. */

import { attrs, html } from "../html.js";
import { htmlLang, t } from "../i18n.js";
import { mutationDecl } from "../kit/declarations.js";
import { errorSummary, input, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceLabel } from "../views/labels.js";
import { conflictText } from "./words.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./data.js").Quota} Quota
 */

/** @type {Map<string, Intl.DateTimeFormat>} */
const dates = new Map();

/** A day with its year (a card's validity). @param {string | null | undefined} iso */
export function day(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  let f = dates.get(htmlLang());
  if (!f) {
    f = new Intl.DateTimeFormat(htmlLang(), { year: "numeric", month: "numeric", day: "numeric" });
    dates.set(htmlLang(), f);
  }
  return f.format(d);
}

/** @param {string} label @param {unknown} value */
export function item(label, value) {
  if (value === "" || value === null || value === undefined) return "";
  return html`<div class="item"><dt>${label}</dt><dd>${value}</dd></div>`;
}

/** The declared length limit of a mutation's argument (a form's maxlength; null: none).
 * @param {string} name @param {string} arg */
export function argMax(name, arg) {
  const m = mutationDecl(name);
  const a = m && m.args.find((x) => x.name === arg);
  return (a && a.field.max_length) || null;
}

/** @param {number | null | undefined} n */
export function money(n) {
  return typeof n === "number" ? n.toFixed(2).replace(/\.00$/, "") : "";
}

export const statusLabel = (/** @type {string} */ s) => choiceLabel("card", "status", s);
export const relationLabel = (/** @type {string} */ r) => choiceLabel("card_issue", "relation", r);
export const idTypeLabel = (/** @type {string} */ s) => choiceLabel("card_issue", "id_type", s);
const endLabel = (/** @type {string} */ s) => choiceLabel("card_issue", "end_reason", s);

/** A card's state in words: blacklisted ones say whether the door system has taken them.
 * @param {Record<string, any>} d @param {boolean} blacklisted */
export function statusBadge(d, blacklisted) {
  if (!blacklisted) {
    return html`<span class="badge${d.status === "issued" ? "" : " ok"}" data-status="${d.status}">${statusLabel(d.status)}</span>`;
  }
  const door = d.door_taken_at
    ? t("taken by the door system")
    : t("waiting for the door system");
  return html`<span class="badge is-alert" data-status="${d.status}">${statusLabel(d.status)} — ${door}</span>`;
}

/** @param {StoredRecord} rec */
export function pending(rec) {
  return rec.local ? html` <span class="badge is-pending">${t("Pending sync")}</span>` : "";
}

/** "2 of 4 cards". @param {Quota} q */
export function quotaLine(q) {
  return html`<p class="quota${q.full ? " is-full" : ""}" id="quota">${t("{held} of {quota} cards", { held: q.held, quota: q.quota })}
    ${q.full ? html`<span class="badge is-alert">${t("Quota reached")}</span>` : ""}</p>`;
}

// --- home -------------------------------------------------------------------------------

/**
 * @typedef {{card: StoredRecord, unit: string}} CardLine
 * @typedef {{issue: StoredRecord, card: StoredRecord | undefined, unit: string}} IssueLine
 * @typedef {{q: string, units: {unit: StoredRecord, building: string}[], cards: CardLine[],
 *   pendingBlacklist: CardLine[], recent: IssueLine[], empty: boolean}} Home
 */

/** @param {CardLine} c @param {boolean} blacklisted */
function cardRow(c, blacklisted) {
  const d = c.card.data;
  return html`<li class="card-row${blacklisted ? " is-blacklisted" : ""}" data-number="${d.number}">
    <a class="card-number" href="/m/cards/${c.card.id}">${d.number}</a>
    ${statusBadge(d, blacklisted)}${pending(c.card)}
    ${c.unit ? html`<span class="muted">${t("Unit {number}", { number: c.unit })}</span>` : ""}
    ${blacklisted && d.blacklisted_at ? html`<span class="muted">${t("Blacklisted {time}", { time: dateTime(d.blacklisted_at) })}</span>` : ""}
  </li>`;
}

/** @param {IssueLine} l */
function issueRow(l) {
  const d = l.issue.data;
  return html`<li class="card-row" data-issue-id="${l.issue.id}">
    <a class="card-number" href="/m/cards/issues/${l.issue.id}/receipt">${l.card ? l.card.data.number : "?"}</a>
    <span>${d.holder_name}</span>
    ${l.unit ? html`<span class="muted">${t("Unit {number}", { number: l.unit })}</span>` : ""}
    <span class="muted"><time datetime="${d.issued_at}">${dateTime(d.issued_at)}</time></span>${pending(l.issue)}
  </li>`;
}

/** The part the search box and a sync swap. @param {Home} h @param {(d: Record<string, any>) => boolean} blacklisted */
export function homeResults(h, blacklisted) {
  const a = attrs({
    id: "card-results", class: "card-results",
    "hx-get": h.q ? `/m/cards?q=${encodeURIComponent(h.q)}` : "/m/cards",
    "hx-trigger": "synced from:body", "hx-target": "this", "hx-swap": "outerHTML",
    "hx-disinherit": "hx-target hx-swap",
  });
  if (h.empty) {
    return html`<div ${a}><p class="notice">${t("No cards on this phone yet. They arrive with the first sync.")}</p></div>`;
  }
  if (h.q) {
    const units = h.units.map((u) => html`<li class="card-row" data-unit-id="${u.unit.id}">
      <a class="card-number" href="/m/cards/units/${u.unit.id}">${t("Unit {number}", { number: u.unit.data.number })}</a>
      ${u.building ? html`<span class="muted">${u.building}</span>` : ""}</li>`);
    const cards = h.cards.map((c) => cardRow(c, blacklisted(c.card.data)));
    return html`<div ${a}>
      <h2>${t("Units")}</h2>
      ${units.length ? html`<ul class="rows" id="unit-hits">${units}</ul>` : html`<p class="muted">${t("No unit matches.")}</p>`}
      <h2>${t("Cards")}</h2>
      ${cards.length ? html`<ul class="rows" id="card-hits">${cards}</ul>` : html`<p class="muted">${t("No card matches.")}</p>`}
    </div>`;
  }
  return html`<div ${a}>
    <h2>${t("Blacklist waiting for the door system")} <span class="count">${h.pendingBlacklist.length}</span></h2>
    ${h.pendingBlacklist.length
      ? html`<ul class="rows" id="blacklist-pending">${h.pendingBlacklist.map((c) => cardRow(c, true))}</ul>`
      : html`<p class="muted">${t("None: the door system has taken every blacklisted card.")}</p>`}
    <h2>${t("Recent issues")}</h2>
    ${h.recent.length ? html`<ul class="rows" id="recent-issues">${h.recent.map(issueRow)}</ul>` : html`<p class="muted">${t("None.")}</p>`}
  </div>`;
}

/** @param {Home} h @param {(d: Record<string, any>) => boolean} blacklisted */
export function home(h, blacklisted) {
  return html`<h1>${t("IC cards")}</h1>
  <form id="card-search" class="key-search" action="/m/cards" method="get" role="search">
    <label for="card-q">${t("Search a unit or a card number")}</label>
    <input id="card-q" type="search" name="q" value="${h.q}" autocomplete="off"
      enterkeyhint="search" hx-get="/m/cards" hx-trigger="input changed delay:200ms, search"
      hx-target="#card-results" hx-swap="outerHTML" hx-replace-url="true">
  </form>
  ${homeResults(h, blacklisted)}`;
}

// --- a unit -------------------------------------------------------------------------------

/**
 * @typedef {{unit: StoredRecord, building: string, quota: Quota, open: StoredRecord[],
 *   ended: StoredRecord[], cards: Map<string, StoredRecord>}} UnitPage
 */

/** @param {StoredRecord} issue @param {Map<string, StoredRecord>} cards */
function numberOf(issue, cards) {
  const c = cards.get(issue.data.card_id);
  return c ? c.data.number : "?";
}

/** @param {UnitPage} v */
export function unitPage(v) {
  const u = v.unit.data;
  const open = v.open.map((i) => {
    const d = i.data;
    return html`<li class="card-row" data-issue-id="${i.id}">
      <a class="card-number" href="/m/cards/${d.card_id}">${numberOf(i, v.cards)}</a>
      <span>${d.holder_name} · ${relationLabel(d.relation)}</span>
      <span class="muted">${t("Valid until {date}", { date: day(d.valid_until) })}</span>${pending(i)}
      <a href="/m/cards/issues/${i.id}/receipt">${t("Receipt")}</a>
    </li>`;
  });
  const ended = v.ended.map((i) => {
    const d = i.data;
    return html`<li data-issue-id="${i.id}"><a href="/m/cards/${d.card_id}">${numberOf(i, v.cards)}</a>
      · ${d.holder_name} · ${endLabel(d.end_reason)}
      — <time datetime="${d.ended_at}">${dateTime(d.ended_at)}</time></li>`;
  });
  return html`<h1>${t("Unit {number}", { number: u.number })}</h1>
  ${v.building ? html`<p class="muted">${v.building}</p>` : ""}
  ${quotaLine(v.quota)}
  <p class="actions"><a class="button primary big" id="issue-link" href="/m/cards/issue?unit=${v.unit.id}">${t("Issue a card")}</a></p>
  <h2>${t("Cards held now")}</h2>
  ${open.length ? html`<ul class="rows" id="unit-open">${open}</ul>` : html`<p class="muted">${t("None.")}</p>`}
  <h2>${t("History")}</h2>
  ${ended.length ? html`<ol class="history" id="unit-history">${ended}</ol>` : html`<p class="muted">${t("None.")}</p>`}
  <p class="actions"><a class="button" href="/m/cards">${t("Back to IC cards")}</a></p>`;
}

// --- a card -------------------------------------------------------------------------------

/**
 * @typedef {{card: StoredRecord, blacklisted: boolean, current: StoredRecord | undefined,
 *   lostIssue: StoredRecord | undefined, issues: StoredRecord[], units: Map<string, StoredRecord>,
 *   conflicts: StoredRecord[], me: string, confirmation?: string}} CardPage
 */

/** @param {CardPage} v @param {string} unitId */
function unitName(v, unitId) {
  const u = unitId ? v.units.get(unitId) : undefined;
  return u ? t("Unit {number}", { number: u.data.number }) : "";
}

/** @param {CardPage} v */
function history(v) {
  const who = (/** @type {string} */ id) => (id && id === v.me ? t("you") : t("another colleague"));
  /** @type {{at: string, line: import("../html.js").Raw}[]} */
  const lines = [];
  for (const i of v.issues) {
    const d = i.data;
    lines.push({ at: d.issued_at, line: html`<li>${t("Issued to {name} ({unit}) by {who}", { name: d.holder_name, unit: unitName(v, d.unit_id), who: who(d.issued_by) })}
      — <time datetime="${d.issued_at}">${dateTime(d.issued_at)}</time> <a href="/m/cards/issues/${i.id}/receipt">${t("Receipt")}</a></li>` });
    if (d.ended_at) {
      lines.push({ at: d.ended_at, line: html`<li>${endLabel(d.end_reason)} (${d.holder_name}) — ${t("recorded by {who}", { who: who(d.ended_by) })}
        — <time datetime="${d.ended_at}">${dateTime(d.ended_at)}</time>
        ${d.end_notes ? html`<br><span class="muted">${d.end_notes}</span>` : ""}</li>` });
    }
  }
  const c = v.card.data;
  if (c.blacklisted_at) lines.push({ at: c.blacklisted_at, line: html`<li>${t("Blacklisted")} — <time datetime="${c.blacklisted_at}">${dateTime(c.blacklisted_at)}</time></li>` });
  if (c.door_taken_at) lines.push({ at: c.door_taken_at, line: html`<li>${t("Taken by the door system")} — <time datetime="${c.door_taken_at}">${dateTime(c.door_taken_at)}</time></li>` });
  lines.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  return lines.map((l) => l.line);
}

/** @param {CardPage} v */
function cardActions(v) {
  const id = v.card.id;
  const out = [];
  if (!v.blacklisted) out.push(html`<a class="button" id="lost-link" href="/m/cards/${id}/lost">${t("Report lost (掛失)")}</a>`);
  if (v.current) {
    const unit = v.current.data.unit_id;
    if (!v.blacklisted) {
      out.push(html`<a class="button" id="replace-link" href="/m/cards/issue?unit=${unit}&amp;replaces=${v.current.id}&amp;reason=damaged">${t("Replace a damaged card")}</a>`);
    }
    out.push(html`<a class="button" id="return-link" href="/m/cards/${id}/return">${t("Return (退卡)")}</a>`);
    if (!v.blacklisted) out.push(html`<a class="button" id="revoke-link" href="/m/cards/${id}/revoke">${t("Revoke")}</a>`);
  }
  if (v.lostIssue) {
    out.push(html`<a class="button primary" id="replace-link" href="/m/cards/issue?unit=${v.lostIssue.data.unit_id}&amp;replaces=${v.lostIssue.id}&amp;reason=lost">${t("Issue a replacement (補卡)")}</a>`);
  }
  return out;
}

/** @param {CardPage} v */
export function cardPage(v) {
  const c = v.card.data;
  const cur = v.current ? v.current.data : null;
  const blacklistNote = v.blacklisted
    ? html`<p class="alert" role="status" id="blacklist-state">${c.door_taken_at
      ? t("Blacklisted — taken by the door system {time}.", { time: dateTime(c.door_taken_at) })
      : t("Blacklisted — waiting for the door system.")}</p>`
    : "";
  const conflicts = v.conflicts.map((x) => html`<li class="conflict" data-kind="${x.data.kind}">${conflictText(x)}</li>`);
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  <h1>${t("Card {number}", { number: c.number })} ${statusBadge(c, v.blacklisted)}${pending(v.card)}</h1>
  ${blacklistNote}
  <dl class="details">
    ${item(t("Technology"), choiceLabel("card", "technology", c.technology))}
    ${item(t("Batch"), c.batch)}
    ${item(t("Unit"), unitName(v, c.unit_id))}
    ${item(t("Holder"), cur ? `${cur.holder_name} · ${relationLabel(cur.relation)}` : "")}
    ${item(t("Valid until"), cur ? day(cur.valid_until) : "")}
    ${c.registered === false ? item(t("Stock register"), t("Not in the stock register yet: the office registers it.")) : ""}
  </dl>
  ${conflicts.length ? html`<section class="conflicts"><h2>${t("Needs the office")}</h2><ul>${conflicts}</ul></section>` : ""}
  <div class="actions">${cardActions(v)}</div>
  <h2>${t("History")}</h2>
  ${v.issues.length || c.blacklisted_at ? html`<ol class="history" id="card-history">${history(v)}</ol>` : html`<p class="muted">${t("No history yet.")}</p>`}
  <p class="actions">${c.unit_id ? html`<a class="button" href="/m/cards/units/${c.unit_id}">${t("The unit's cards")}</a>` : ""}
    <a class="button" href="/m/cards">${t("Back to IC cards")}</a></p>`;
}

// --- 掛失, 退卡, revoke --------------------------------------------------------------------

/**
 * @typedef {{card: StoredRecord, current: StoredRecord | undefined, unit: string,
 *   values: Record<string, string>, errors: Record<string, string>}} ActionForm
 */

/** @param {ActionForm} f */
function cardLine(f) {
  const cur = f.current ? f.current.data : null;
  return html`<p class="chosen-key card"><strong class="key-code">${f.card.data.number}</strong>
    ${cur ? html` · ${cur.holder_name}` : ""}${f.unit ? html` · ${t("Unit {number}", { number: f.unit })}` : ""}</p>`;
}

/** 掛失: blacklisted at once on this phone. @param {ActionForm} f */
export function lostForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Report a card lost (掛失)")}</h1>
  ${errorSummary(e)}
  ${cardLine(f)}
  <p class="notice">${t("The card is blacklisted at once on this phone and, once synced, on the server; the door system then takes it.")}</p>
  <form id="lost-form" class="stack form" method="post" action="/m/cards/${f.card.id}/lost" novalidate
    hx-post="/m/cards/${f.card.id}/lost" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="issue_id" value="${f.current ? f.current.id : ""}">
    ${input({ name: "reported_by", label: t("Reported by"), value: v.reported_by, error: e.reported_by, help: t("Who reported the card lost (the holder, a family member…)."), extra: { maxlength: argMax("card.report_lost", "reported_by"), autocomplete: "off" } })}
    ${textarea({ name: "notes", label: t("Notes (where and when it was lost)"), value: v.notes, error: e.notes, extra: { maxlength: argMax("card.report_lost", "notes") } })}
    <label class="check"><input type="checkbox" name="confirm" id="f-confirm" value="1"
      ${e.confirm ? html`aria-invalid="true" aria-describedby="e-confirm"` : ""}> ${t("Blacklist this card now")}</label>
    ${e.confirm ? html`<p class="field-error" id="e-confirm">${e.confirm}</p>` : ""}
    <button type="submit" class="primary big" id="lost-submit">${t("Report lost")}</button>
  </form>`;
}

/** 退卡: the holder hands the card back. @param {ActionForm} f */
export function returnForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Card returned (退卡)")}</h1>
  ${errorSummary(e)}
  ${cardLine(f)}
  <form id="return-form" class="stack form" method="post" action="/m/cards/${f.card.id}/return" novalidate
    hx-post="/m/cards/${f.card.id}/return" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="issue_id" value="${f.current ? f.current.id : ""}">
    ${input({ name: "deposit_refunded", label: t("Deposit refunded"), value: v.deposit_refunded, error: e.deposit_refunded, extra: { inputmode: "decimal", autocomplete: "off", maxlength: 12 } })}
    ${textarea({ name: "notes", label: t("Notes (condition of the card)"), value: v.notes, error: e.notes, extra: { maxlength: argMax("card.return", "notes") } })}
    <button type="submit" class="primary big" id="return-submit">${t("Record the return")}</button>
  </form>`;
}

/** A resident moved out, or the office withdraws the card. @param {ActionForm} f */
export function revokeForm(f) {
  const v = f.values;
  const e = f.errors;
  return html`<h1>${t("Revoke a card")}</h1>
  ${errorSummary(e)}
  ${cardLine(f)}
  <p class="notice">${t("A revoked card is blacklisted at once and cannot be used again.")}</p>
  <form id="revoke-form" class="stack form" method="post" action="/m/cards/${f.card.id}/revoke" novalidate
    hx-post="/m/cards/${f.card.id}/revoke" hx-target="#main" hx-swap="innerHTML show:top">
    <input type="hidden" name="issue_id" value="${f.current ? f.current.id : ""}">
    ${textarea({ name: "reason", label: t("Reason (e.g. the resident moved out)"), value: v.reason, error: e.reason, required: true, extra: { maxlength: argMax("card.revoke", "reason") } })}
    <button type="submit" class="primary big" id="revoke-submit">${t("Revoke the card")}</button>
  </form>`;
}
