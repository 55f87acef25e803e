// @ts-check
/** The repair screens' shared pieces (badges, deadlines, a request's row and details) and
 * a request's page (the technician's jobs: jobs.js). Escaped templates only (html``); rows carry
 * no hx-*: links are boosted from <body>; lists refresh themselves after a sync (live). */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { dateTime } from "../views/format.js";
import { choiceLabel } from "../views/labels.js";
import { OPEN_STATES, REQUEST, VISIT } from "./data.js";
import { conflictText } from "./words.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../html.js").Raw} Raw
 * @typedef {import("./data.js").RequestView} RequestView
 */

/** @param {string} type @param {string} field */
export const label = (type, field) => (/** @type {any} */ v) => choiceLabel(type, field, String(v ?? ""));
export const stateLabel = label(REQUEST, "state");
export const outcomeLabel = label(VISIT, "outcome");

/** @param {string} name @param {unknown} value */
export function item(name, value) {
  if (value === "" || value === null || value === undefined) return "";
  return html`<div class="item"><dt>${name}</dt><dd>${value}</dd></div>`;
}

/** @param {StoredRecord} rec */
export function pending(rec) {
  return rec.local ? html` <span class="badge is-pending">${t("Pending sync")}</span>` : "";
}

/** @param {number | null | undefined} n */
export function money(n) {
  return typeof n === "number" ? n.toFixed(2) : "";
}

/** @param {string} u */
export function urgencyBadge(u) {
  const cls = u === "emergency" ? " is-alert" : u === "urgent" ? " is-pending" : "";
  return html`<span class="badge${cls}" data-urgency="${u}">${label(REQUEST, "urgency")(u)}</span>`;
}

/** @param {string} s */
export function stateBadge(s) {
  return html`<span class="badge${OPEN_STATES.includes(s) ? "" : " ok"}" data-state="${s}">${stateLabel(s)}</span>`;
}

/** A span of time in words. @param {number} ms */
function span(ms) {
  const m = Math.max(1, Math.round(ms / 60000));
  if (m < 60) return t("{n} min", { n: m });
  const h = Math.floor(m / 60);
  if (h < 48) return t("{h} h {m} min", { h, m: m % 60 });
  return t("{d} d {h} h", { d: Math.floor(h / 24), h: h % 24 });
}

/** The deadline an open request is held to now: respond by (until work starts), then
 * complete by. @param {Record<string, any>} d @param {number} now */
export function deadline(d, now) {
  if (!OPEN_STATES.includes(d.state)) return null;
  const started = d.state === "in_progress";
  const at = started ? d.complete_by : d.respond_by || d.complete_by;
  if (!at) return null;
  const ms = Date.parse(at) - now;
  return { at, overdue: ms < 0, started,
    text: ms < 0 ? t("Overdue by {time}", { time: span(-ms) }) : t("Due in {time}", { time: span(ms) }) };
}

/** @param {ReturnType<typeof deadline>} dl */
export function deadlineBadge(dl) {
  if (!dl) return "";
  return html`<span class="badge${dl.overdue ? " is-alert" : ""}" data-deadline="${dl.overdue ? "overdue" : "due"}">${dl.text}</span>
    <span class="muted">${dl.started ? t("Complete by {time}", { time: dateTime(dl.at) }) : t("Respond by {time}", { time: dateTime(dl.at) })}</span>`;
}

/** Where: the unit's number, or the public area. @param {Record<string, any>} d
 * @param {StoredRecord | undefined} unit */
export function place(d, unit) {
  if (d.unit_id) return unit ? t("Unit {number}", { number: unit.data.number }) : t("A unit not on this phone");
  return d.area ? t("Public area: {area}", { area: d.area }) : "";
}

/** One request in a list. @param {StoredRecord} r @param {Map<string, StoredRecord>} units
 * @param {number} now @param {{who?: string, visit?: StoredRecord}} [more] */
export function requestRow(r, units, now, more = {}) {
  const d = r.data;
  const dl = deadline(d, now);
  const cls = `card-row key-row${dl && dl.overdue ? " is-overdue" : dl ? " is-out" : ""}`;
  return html`<li class="${cls}" data-request-id="${r.id}" data-number="${d.number}">
    <a class="card-number" href="/m/repairs/requests/${r.id}">${d.number}</a>
    <span>${place(d, units.get(d.unit_id))}</span>
    ${urgencyBadge(d.urgency)} ${stateBadge(d.state)}${pending(r)}
    <span class="muted">${label(REQUEST, "category")(d.category)}${d.complaint ? ` · ${t("A complaint")}` : ""}</span>
    ${d.appointment_at ? html`<span>${t("Appointment {time}", { time: dateTime(d.appointment_at) })}</span>` : ""}
    ${more.who ? html`<span class="muted">${more.who}</span>` : ""}
    ${deadlineBadge(dl)}
    ${more.visit ? html`<a href="/m/repairs/visits/${more.visit.id}">${t("Continue the visit")}</a>` : ""}
  </li>`;
}

/** @param {StoredRecord[]} team @param {string} staffId @param {string} me */
export function personName(team, staffId, me) {
  if (!staffId) return "";
  if (staffId === me) return t("you");
  const x = team.find((m) => m.data.staff_id === staffId);
  return x ? String(x.data.name) : t("another colleague");
}

/** @param {string[]} shas @param {string} alt */
export function thumbs(shas, alt) {
  return (shas || []).map((sha) => html`<a href="/m/blobs/${sha}"><img class="thumb" src="/m/blobs/${sha}" alt="${alt}"></a>`);
}

/** A visit in a list: linked to its page where this phone carries the visit screens.
 * @param {StoredRecord} v @param {string} text @param {boolean} linked */
function visitLine(v, text, linked) {
  const d = v.data;
  const when = dateTime(d.arrived_at);
  return html`<li data-visit-id="${v.id}">${linked ? html`<a href="/m/repairs/visits/${v.id}">${when}</a>` : when}
    · ${d.closed_at ? outcomeLabel(d.outcome) : t("In progress")}${text ? html` · ${text}` : ""}${pending(v)}</li>`;
}

/**
 * @typedef {RequestView & {me: string, now: number, start: boolean, openVisit: StoredRecord | undefined,
 *   visitLinks: boolean, desk: Raw | string, confirmation?: string}} RequestPage
 */

/** A request: its details, photos, visits, the unit's history, and what this person may do.
 * @param {RequestPage} v */
export function requestPage(v) {
  const d = v.req.data;
  const units = new Map(v.unit ? [[v.unit.id, v.unit]] : []);
  const dl = deadline(d, v.now);
  const phone = d.contact_phone ? html`<a href="tel:${String(d.contact_phone).replace(/[^0-9+]/g, "")}">${d.contact_phone}</a>` : "";
  const conflicts = v.conflicts.map((x) => html`<li class="conflict" data-kind="${x.data.kind}">${conflictText(x)}</li>`);
  const history = v.history.map((h) => visitLine(h, v.numbers.get(h.data.request_id) || "", v.visitLinks));
  let start = html``;
  if (v.openVisit) {
    start = html`<a class="button primary big" id="continue-visit" href="/m/repairs/visits/${v.openVisit.id}">${t("Continue the visit")}</a>`;
  } else if (v.start) {
    start = html`<a class="button primary big" id="start-visit" href="/m/repairs/visits/new?request=${v.req.id}">${t("Start visit")}</a>`;
  }
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  <h1 id="request" data-request-id="${v.req.id}" data-state="${d.state}">${d.number} ${stateBadge(d.state)}${pending(v.req)}</h1>
  <p>${place(d, v.unit)}${v.building ? html` <span class="muted">${v.building}</span>` : ""} ${urgencyBadge(d.urgency)}
    ${d.complaint ? html`<span class="badge is-alert">${t("A complaint")}</span>` : ""}</p>
  ${dl ? html`<p>${deadlineBadge(dl)}</p>` : ""}
  ${start}
  <dl class="details">
    ${item(t("Category"), label(REQUEST, "category")(d.category))}
    ${item(t("Description"), d.description)}
    ${item(t("Contact"), d.contact_name)}
    ${item(t("Contact phone"), phone)}
    ${item(t("Contact preference"), d.contact_pref ? label(REQUEST, "contact_pref")(d.contact_pref) : "")}
    ${item(t("Appointment"), dateTime(d.appointment_at))}
    ${item(t("Technician"), personName(v.team, d.assignee_id, v.me))}
    ${item(t("Reported at"), dateTime(d.reported_at))}
    ${item(t("Reported by"), label(REQUEST, "source")(d.source))}
    ${item(t("Key lent for it"), v.key ? `${v.key.data.code} · ${v.loan ? v.loan.data.borrower_name : ""}` : "")}
    ${item(t("Why it could not be completed"), d.outcome_reason)}
    ${item(t("Closing reason"), d.close_reason)}
  </dl>
  ${(d.photos || []).length ? html`<div class="photos" id="request-photos">${thumbs(d.photos, t("Photo of the problem"))}</div>` : ""}
  ${conflicts.length ? html`<section class="conflicts"><h2>${t("Needs the office")}</h2><ul>${conflicts}</ul></section>` : ""}
  ${v.desk}
  <h2>${t("Visits")}</h2>
  ${v.visits.length ? html`<ul class="history" id="request-visits">${v.visits.map((x) => visitLine(x, personName(v.team, x.data.technician_id, v.me), v.visitLinks))}</ul>` : html`<p class="muted">${t("None yet.")}</p>`}
  ${v.follows.length ? html`<h2>${t("Follow-ups")}</h2><ul class="history">${v.follows.map((f) => html`<li>${f.data.done_at ? label("follow_up", "rating")(f.data.rating) : t("Due {time}", { time: dateTime(f.data.due_at) })}</li>`)}</ul>` : ""}
  ${d.unit_id ? html`<h2>${t("The unit's earlier visits")}</h2>
    ${history.length ? html`<ul class="history" id="unit-visits">${history}</ul>` : html`<p class="muted">${t("None on this phone.")}</p>`}
    <h2>${t("Other open requests of the unit")}</h2>
    ${v.others.length ? html`<ul class="rows" id="unit-requests">${v.others.map((r) => requestRow(r, units, v.now))}</ul>` : html`<p class="muted">${t("None.")}</p>`}` : ""}`;
}
