// @ts-check
/** A request's page (the index part's): its details, photos, visits, follow-ups, the unit's
 * earlier visits and other open requests, and what this person may do — the desk's part
 * (assign, link the key lent for it) and, where this phone carries the technician's screens
 * (visits.js), the visits' links and "Start visit". The desk's phone does not carry them:
 * its visits are listed, not linked. */

import { t } from "../i18n.js";
import { isOpen, openLoans, requestView, visitOpen } from "./data.js";
import { deskPart } from "./desk_views.js";
import { carried, may, notHere, readsRequests, refused, roleMay } from "./screens.js";
import { requestPage } from "./views.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 */

/** @param {Ctx} ctx @param {string} id @param {{confirmation?: string,
 *   errors?: Record<string, string>, values?: Record<string, string>}} [extra]
 * @returns {Promise<Screen>} */
export async function requestScreenFor(ctx, id, extra = {}) {
  const session = /** @type {Session} */ (ctx.session);
  const v = await requestView(id);
  if (!v) return notHere(t("This repair request is not on this phone."));
  const role = session.user.role;
  const me = session.user.id;
  // the visit screens, when this phone carries them and this person may open them
  const visits = Boolean(carried("/m/repairs/visits/new")) && readsRequests(role);
  const openVisit = visits ? v.visits.find((x) => visitOpen(x) && x.data.technician_id === me) : undefined;
  const assign = roleMay(role, "repair.assign") && isOpen(v.req);
  const link = roleMay(role, "repair.link_key");
  const loans = link ? await openLoans(v.req.data.unit_id || null) : [];
  return {
    title: String(v.req.data.number),
    main: requestPage({
      ...v, me, now: ctx.now, openVisit, confirmation: extra.confirmation, visitLinks: visits,
      start: visits && roleMay(role, "repair.start_visit"),
      desk: assign || link ? deskPart({ req: v.req, team: v.team, loans, assign, link,
        values: extra.values || {}, errors: extra.errors || {}, now: ctx.now }) : "",
    }),
    // a form being filled in is not refreshed under the person's fingers
    live: assign || link ? undefined : `/m/repairs/requests/${id}`,
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function requestScreen(ctx) {
  if (!ctx.session || !(readsRequests(ctx.session.user.role) || may(ctx, "repair.report"))) return refused();
  return requestScreenFor(ctx, ctx.params.id);
}
