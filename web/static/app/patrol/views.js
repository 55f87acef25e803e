// @ts-check
/** The guard's screens around a round: today's rounds, a round's checkpoints, skip, finish
 * and "report a problem". One hand, big buttons; rows carry no hx-* (links are boosted from
 * <body>); forms post to the service worker and swap #main. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { errorSummary, select, textarea } from "../views/forms.js";
import { time, when } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("./data.js").RoundView} RoundView
 * @typedef {import("./data.js").Stop} Stop
 * @typedef {{key: string, rounds: StoredRecord[]}} Group
 */

const EARLY_MS = 15 * 60000;

/** @param {string} key */
function groupTitle(key) {
  /** @type {Record<string, string>} */
  const titles = {
    in_progress: t("In progress"), due: t("Due now"), late: t("Late: not started"),
    upcoming: t("Later today"), missed: t("Missed"), finished: t("Finished today"),
  };
  return titles[key] || key;
}

/** @param {StoredRecord} r */
export function statusBadge(r) {
  const d = r.data;
  const cls = d.status === "done" ? "badge ok" : ["missed", "incomplete"].includes(d.status) ? "badge is-alert" : "badge";
  return html`<span class="${cls}">${choiceLabel("round", "status", d.status)}</span>
    ${d.late ? html`<span class="badge is-alert">${t("Late")}</span>` : ""}
    ${r.local ? html`<span class="badge is-pending">${t("Pending sync")}</span>` : ""}`;
}

/** @param {StoredRecord} r @param {Map<string, string>} names @param {number} now */
function roundRow(r, names, now) {
  const d = r.data;
  // a round can be started from a little before its slot until it is due (a late start of
  // one the server marked missed revises it)
  const startable = ["planned", "missed"].includes(d.status) && Date.parse(d.slot_at) - EARLY_MS <= now && Date.parse(d.due_by) > now;
  const open = d.status === "in_progress" || (d.status === "incomplete" && !d.finished_at);
  return html`<li class="round-row" data-round-id="${r.id}">
    <div><strong>${names.get(d.route_id) || t("Route")}</strong> ${statusBadge(r)}</div>
    <div class="muted">${t("Start {from}–{to} · due {due}", { from: when(d.slot_at, now), to: time(d.start_by), due: time(d.due_by) })}</div>
    <div class="actions">${open ? html`<a class="button primary" href="/m/patrol/rounds/${r.id}">${t("Continue")}</a>` : ""}
      ${startable ? html`<form method="post" action="/m/patrol/rounds/${r.id}/start" hx-post="/m/patrol/rounds/${r.id}/start" hx-target="#main">
        <button type="submit" class="primary">${t("Start the round")}</button></form>` : ""}
      ${!open && !startable ? html`<a class="button" href="/m/patrol/rounds/${r.id}">${t("Details")}</a>` : ""}</div>
  </li>`;
}

/** The groups of rounds (the screen refreshes itself after a sync: Screen.live).
 * @param {{groups: Group[], routes: StoredRecord[], now: number}} v */
function roundGroups(v) {
  const names = new Map(v.routes.map((r) => [r.id, String(r.data.name)]));
  const shown = v.groups.filter((g) => g.rounds.length);
  return html`<div id="rounds">
  ${shown.length ? shown.map((g) => html`<section class="round-group" data-group="${g.key}">
    <h2>${groupTitle(g.key)} <span class="count">${g.rounds.length}</span></h2>
    <ul class="rows">${g.rounds.map((r) => roundRow(r, names, v.now))}</ul></section>`)
    : html`<p class="notice">${t("No rounds for you today on this phone. New rounds arrive with each sync.")}</p>`}
  </div>`;
}

/** @param {{groups: Group[], routes: StoredRecord[], now: number}} v */
export function today(v) {
  return html`<h1>${t("Today's rounds")}</h1>
  ${roundGroups(v)}
  ${v.routes.length ? html`<form class="stack form card" method="post" action="/m/patrol/start" hx-post="/m/patrol/start" hx-target="#main">
    <h2>${t("Unscheduled round")}</h2>
    ${select({ name: "route_id", label: t("Route"), value: "", options: v.routes.map((r) => ({ value: r.id, label: String(r.data.name) })) })}
    <button type="submit" class="big">${t("Start an unscheduled round")}</button>
  </form>` : ""}`;
}

/** @param {Stop} s @param {boolean} next @param {string} roundId */
function stopRow(s, next, roundId) {
  const c = s.checkpoint.data;
  const label = s.state === "visited" ? html`<span class="badge ok">${t("Visited")} · ${choiceLabel("scan", "method", s.visit ? s.visit.data.method : "")}</span>`
    : s.state === "skipped" ? html`<span class="badge is-alert">${t("Skipped")}</span>`
    : next ? html`<span class="badge is-pending">${t("Next checkpoint")}</span>` : "";
  const abnormal = s.visit && s.visit.data.abnormal ? html`<span class="badge is-alert">${t("Not normal")}</span>` : "";
  return html`<li class="stop ${s.state ? `is-${s.state}` : ""}" data-checkpoint-id="${s.checkpoint.id}" data-code="${c.code}" data-state="${s.state}">
    <strong>${c.code}</strong> ${c.name} ${label} ${abnormal}
    <div class="muted">${[c.floor ? t("Floor {floor}", { floor: c.floor }) : "", c.place].filter(Boolean).join(" · ")}
      ${s.visit && s.state === "visited" ? html` · <a href="/m/patrol/scans/${s.visit.id}">${t("Checklist")} ${time(s.visit.data.scanned_at)}</a>` : ""}</div>
    ${!s.state ? html`<a class="link" href="/m/patrol/rounds/${roundId}/skip?checkpoint=${s.checkpoint.id}">${t("Skip…")}</a>` : ""}
  </li>`;
}

/** @param {RoundView & {name: string, confirmation?: string}} v */
export function roundScreen(v) {
  const d = v.round.data;
  const ordered = Boolean(v.route && v.route.data.ordered);
  const next = ordered ? v.stops.findIndex((s) => !s.state) : -1;
  const done = v.stops.filter((s) => s.state).length;
  const finished = d.finished_at !== null && d.finished_at !== undefined;
  const closed = finished || d.status === "missed";
  return html`${v.confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${v.confirmation}</p>` : ""}
  <h1 id="round" data-status="${d.status}">${v.name} ${statusBadge(v.round)}</h1>
  <p class="muted">${ordered ? t("Visit the checkpoints in this order.") : t("Visit the checkpoints in any order.")}
    ${t("{done} of {total} done", { done, total: v.stops.length })}</p>
  ${!closed ? html`<p class="actions">
    <a class="button primary big" id="scan-qr" href="/m/patrol/rounds/${v.round.id}/scan">${t("Scan QR")}</a>
    <a class="button" href="/m/patrol/rounds/${v.round.id}/scan?typed=1#f-code">${t("Type code")}</a>
    <a class="button" href="/m/patrol/rounds/${v.round.id}/skip">${t("Skip a checkpoint")}</a>
    <a class="button" href="/m/patrol/report?round=${v.round.id}">${t("Report a problem")}</a></p>` : ""}
  <ol class="rows stops" id="stops">${v.stops.map((s, i) => stopRow(s, i === next, v.round.id))}</ol>
  ${v.extra.length ? html`<p class="alert">${t("Scanned off this route: {codes}", { codes: v.extra.map((c) => c.data.code).join(", ") })}</p>` : ""}
  ${!closed ? html`<form method="post" action="/m/patrol/rounds/${v.round.id}/finish" hx-post="/m/patrol/rounds/${v.round.id}/finish" hx-target="#main">
    <button type="submit" class="big" id="finish-round">${t("Finish round")}</button></form>` : ""}
  <p><a href="/m/patrol">${t("Back to today's rounds")}</a></p>`;
}

/** The warning before finishing with checkpoints neither visited nor skipped.
 * @param {{roundId: string, missing: StoredRecord[]}} v */
export function finishWarning(v) {
  return html`<h1>${t("Finish the round?")}</h1>
  <p class="alert" role="alert">${t("{n} checkpoints were neither visited nor skipped: {codes}. The round will be recorded as incomplete.", { n: v.missing.length, codes: v.missing.map((c) => c.data.code).join(", ") })}</p>
  <form method="post" action="/m/patrol/rounds/${v.roundId}/finish" hx-post="/m/patrol/rounds/${v.roundId}/finish" hx-target="#main">
    <input type="hidden" name="confirm" value="1">
    <button type="submit" class="big" id="finish-anyway">${t("Finish anyway")}</button></form>
  <p><a class="button primary" href="/m/patrol/rounds/${v.roundId}">${t("Back to the round")}</a></p>`;
}

/** @param {{roundId: string, stops: Stop[], values: Record<string, string>, errors: Record<string, string>}} v */
export function skipForm(v) {
  const open = v.stops.filter((s) => !s.state);
  return html`<h1>${t("Skip a checkpoint")}</h1>
  ${errorSummary(v.errors)}
  <form class="stack form" method="post" action="/m/patrol/rounds/${v.roundId}/skip" hx-post="/m/patrol/rounds/${v.roundId}/skip" hx-target="#main" novalidate>
    ${select({ name: "checkpoint_id", label: t("Checkpoint"), value: v.values.checkpoint_id, error: v.errors.checkpoint_id, required: true, options: open.map((s) => ({ value: s.checkpoint.id, label: `${s.checkpoint.data.code} · ${s.checkpoint.data.name}` })) })}
    ${textarea({ name: "reason", label: t("Why can it not be visited?"), value: v.values.reason, error: v.errors.reason, required: true, help: t("A supervisor reviews every skipped checkpoint."), extra: { maxlength: 500 } })}
    <button type="submit" class="primary big" id="skip-submit">${t("Skip this checkpoint")}</button>
  </form>
  <p><a href="/m/patrol/rounds/${v.roundId}">${t("Back to the round")}</a></p>`;
}

/** The photos field (page.js downscales and stores them, then fills the hidden input).
 * @param {string} name @param {string} value @param {string} [error] */
export function photosField(name, value, error) {
  const shas = value.split(",").filter(Boolean);
  return html`<div class="field">
    <label for="f-photo-${name}">${t("Add a photo")}</label>
    <input id="f-photo-${name}" type="file" accept="image/*" capture="environment" data-photo-for="${name}" data-photo-alt="${t("Photo of the problem")}">
    <input type="hidden" name="${name}" id="f-${name}" value="${shas.join(",")}">
    ${error ? html`<p class="field-error" id="e-${name}">${error}</p>` : ""}
    <div class="photos" data-photo-previews>${shas.map((sha) => html`<img class="thumb" src="/m/blobs/${sha}" alt="${t("Photo of the problem")}">`)}</div>
  </div>`;
}

/** @param {{action: string, checkpoints: StoredRecord[], values: Record<string, string>,
 *   errors: Record<string, string>, back: string}} v */
export function reportForm(v) {
  return html`<h1>${t("Report a problem")}</h1>
  ${errorSummary(v.errors)}
  <form class="stack form" method="post" action="${v.action}" hx-post="${v.action}" hx-target="#main" novalidate>
    ${select({ name: "checkpoint_id", label: t("Where"), value: v.values.checkpoint_id, error: v.errors.checkpoint_id, required: true, options: v.checkpoints.map((c) => ({ value: c.id, label: `${c.data.code} · ${c.data.name}` })) })}
    ${textarea({ name: "description", label: t("What is wrong?"), value: v.values.description, error: v.errors.description, required: true, extra: { maxlength: 1000 } })}
    ${select({ name: "severity", label: t("How serious?"), value: v.values.severity || "medium", error: v.errors.severity, options: choiceOptions("incident", "severity").filter((o) => o.value !== "none") })}
    ${photosField("photos", v.values.photos || "", v.errors.photos)}
    <button type="submit" class="primary big" id="report-submit">${t("Send the report")}</button>
  </form>
  <p><a href="${v.back}">${t("Back")}</a></p>`;
}
