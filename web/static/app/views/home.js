// @ts-check
/** Home for roles whose screens are still to come (patrol, technician). */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { roleLabel } from "./labels.js";

/** @param {{name: string, role: string}} v */
export function comingSoon(v) {
  return html`<section class="card">
    <h1>${t("Hello, {name}", { name: v.name })}</h1>
    <p>${t("Your role: {role}", { role: roleLabel(v.role) })}</p>
    <p class="notice">${t("Your screens (patrol rounds, repairs and visits) are coming to this app soon. This phone is already signed in and syncing.")}</p>
  </section>`;
}

/** @param {{path: string}} v */
export function notFound(v) {
  return html`<section class="card"><h1>${t("Not found.")}</h1>
    <p class="muted">${v.path}</p><p><a href="/m/">${t("Back to the start")}</a></p></section>`;
}

export function notForRole() {
  return html`<section class="card"><h1>${t("Not available for your role")}</h1>
    <p><a href="/m/">${t("Back to the start")}</a></p></section>`;
}
