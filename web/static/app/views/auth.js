// @ts-check
/** Signing the phone in and out, and the first sync's progress. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { errorSummary, input } from "./forms.js";

/**
 * @param {{values: Record<string, string>, errors: Record<string, string>, again: boolean,
 *   waiting: {name: string, count: number}[], message?: string}} f
 */
export function signIn(f) {
  return html`<section class="card narrow">
    <h1>${f.again ? t("Sign in again") : t("Sign in to the staff app")}</h1>
    ${f.again ? html`<p>${t("Your records on this phone are kept and sync as soon as you have signed in.")}</p>` : ""}
    ${f.message ? html`<p class="error" role="alert">${f.message}</p>` : errorSummary(f.errors)}
    ${f.waiting.map((w) => html`<p class="notice">${t("{count} records by {name} are waiting on this phone; they are sent only when {name} signs in again.", { count: w.count, name: w.name })}</p>`)}
    <form class="stack" method="post" action="/m/signin" novalidate hx-post="/m/signin" hx-target="#main">
      ${input({ name: "username", label: t("User name"), value: f.values.username, error: f.errors.username, required: true, extra: { autocomplete: "username", autocapitalize: "none", spellcheck: "false" } })}
      ${input({ name: "password", label: t("Password"), type: "password", error: f.errors.password, required: true, extra: { autocomplete: "current-password" } })}
      <button type="submit" class="primary big">${t("Sign in")}</button>
    </form>
    <p class="muted">${t("Signing in needs a connection once; after that the app works without a signal.")}</p>
  </section>`;
}

/** @param {{total: number, sent: number, phase: string, error: string, done: boolean}} p */
export function progress(p) {
  const poll = !p.done && p.phase !== "error" && p.phase !== "paused";
  return html`<section class="card narrow" id="first-sync"
    ${poll ? html`hx-get="/m/sync/progress" hx-trigger="every 400ms" hx-swap="outerHTML" hx-target="this"` : ""}>
    <h1>${t("Preparing offline data")}</h1>
    ${p.total ? html`<progress max="${p.total}" value="${p.sent}" aria-label="${t("Records downloaded")}">${p.sent}</progress>
      <p>${t("{sent} of {total} records", { sent: p.sent, total: p.total })}</p>` : html`<progress aria-label="${t("Records downloaded")}"></progress>`}
    ${p.phase === "error" ? html`<p class="error" role="alert">${t("The download stopped (no connection?). It continues by itself when the phone is online.")}</p>
      <p><a class="button" href="/m/">${t("Continue")}</a></p>` : ""}
  </section>`;
}

/** @param {{pending: number, name: string}} v */
export function signOut(v) {
  return html`<section class="card narrow">
    <h1>${t("Sign out")}</h1>
    ${v.pending > 0
      ? html`<p class="alert" role="alert">${t("{n} of your records have not been synced yet. They stay on this phone and are sent when you sign in here again; nobody else can send them.", { n: v.pending })}</p>
        <p><button type="button" class="button" hx-post="/m/sync" hx-swap="none">${t("Try to sync now")}</button></p>`
      : html`<p>${t("Everything you recorded has been synced.")}</p>`}
    <form method="post" action="/m/signout" hx-post="/m/signout">
      <button type="submit" class="${v.pending > 0 ? "danger" : "primary"}">${v.pending > 0 ? t("Sign out and keep them on this phone") : t("Sign out")}</button>
    </form>
    <p><a href="/m/">${t("Cancel")}</a></p>
  </section>`;
}
