// @ts-check
/** What every screen shows: the navigation and the sync status (pending count, last sync,
 * "sign in again" when paused, the inbox of conflicts and rejections). */

import { attrs, html } from "../html.js";
import { LANGUAGE_NAMES, HTML_LANG, language, t } from "../i18n.js";
import { when } from "./format.js";

/**
 * @typedef {{
 *   signedIn: boolean, name: string, role: string, nav: {href: string, label: string}[],
 *   pending: number, lastSyncAt: string | null, syncing: boolean,
 *   phase: string, paused: null | "auth" | "update", inbox: number,
 *   syncedOnce: boolean, now: number
 * }} Status
 */

/** @param {Status} st */
export function nav(st) {
  const other = Object.keys(LANGUAGE_NAMES).filter((code) => code !== language());
  return html`<nav class="app-nav" aria-label="${t("Staff app")}"><ul>
    ${st.signedIn ? st.nav.map((n) => html`<li><a href="${n.href}">${n.label}</a></li>`) : ""}
    ${other.map((code) => html`<li><a href="/m/lang/${code}" lang="${HTML_LANG[code]}">${LANGUAGE_NAMES[code]}</a></li>`)}
    ${st.signedIn ? html`<li><a href="/m/signout">${t("Sign out")}</a></li>` : ""}
  </ul></nav>`;
}

/** @param {Status} st */
function state(st) {
  if (st.paused === "auth") return "paused-auth";
  if (st.paused === "update") return "paused-update";
  if (st.syncing) return "syncing";
  if (st.phase === "error") return "offline";
  return st.syncedOnce ? "ok" : "never";
}

/** @param {Status} st @param {{oob?: boolean}} [options] */
export function statusBar(st, options = {}) {
  if (!st.signedIn) {
    return html`<div id="sync-status" class="sync-status" data-state="signed-out" data-pending="0"${
      options.oob ? html` hx-swap-oob="true"` : ""
    }></div>`;
  }
  const s = state(st);
  const a = attrs({
    id: "sync-status",
    class: `sync-status is-${s}`,
    "data-state": s,
    "data-pending": st.pending,
    "data-last-sync": st.lastSyncAt || "",
    "hx-get": "/m/status",
    "hx-trigger": "synced from:body, status from:body",
    "hx-swap": "outerHTML",
    "hx-disinherit": "hx-swap",
    "hx-swap-oob": options.oob ? "true" : null,
  });
  const pending =
    st.pending > 0
      ? html`<span class="pending-count">${t("{n} waiting to sync", { n: st.pending })}</span>`
      : html`<span class="pending-count is-zero">${t("Nothing waiting to sync")}</span>`;
  let last;
  if (st.syncing) last = t("Syncing…");
  else if (st.lastSyncAt) last = t("Last sync {time}", { time: when(st.lastSyncAt, st.now) });
  else last = t("Not synced yet");
  const offline = s === "offline" ? html`<span class="offline">${t("Offline: saved on this phone")}</span>` : "";
  /** @type {import("../html.js").Raw | string} */
  let alert = "";
  if (st.paused === "auth") {
    alert = html`<p class="alert" role="alert">${t("Syncing is paused: your sign-in has expired or this phone was signed out by the office.")}
      ${st.pending > 0 ? t("{n} records stay safe on this phone until you sign in again.", { n: st.pending }) : ""}
      <a class="button primary" href="/m/signin?again=1">${t("Sign in again")}</a></p>`;
  } else if (st.paused === "update") {
    alert = html`<p class="alert" role="alert">${t("This app must be updated before it can sync. It updates by itself when online; nothing on this phone is lost.")}</p>`;
  }
  return html`<div ${a}>
    <span class="who">${st.name}</span>
    ${pending}
    <span class="last-sync">${last}</span>
    ${offline}
    <a class="inbox-link" href="/m/inbox">${t("Inbox")}${st.inbox ? html` <span class="badge is-alert">${st.inbox}</span>` : ""}</a>
    <button type="button" class="link sync-now" hx-post="/m/sync" hx-swap="none">${t("Sync now")}</button>
    ${alert}
  </div>`;
}
