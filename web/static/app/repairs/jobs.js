// @ts-check
/** The technician's jobs (the visits part's home, visits.js): requests assigned to them,
 * open first (the one being worked on, then by appointment and deadline), the open
 * public-area requests of their sites, the ones they finished lately; an open visit is one
 * tap away. Escaped templates only (html``); the list refreshes itself after a sync (live). */

import { begin } from "../db.js";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { REQUEST, VISIT, by, isOpen, openRequests, unitsOf, visitOpen } from "./data.js";
import { carried, may, refused, roleMay } from "./screens.js";
import { requestRow } from "./views.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 */

const DONE_SHOWN = 10;

/**
 * A technician's jobs: requests assigned to them, the open public-area requests of their
 * sites, their open visits (by request), and the units (one read-only transaction).
 * @param {string} staffId
 */
async function jobs(staffId) {
  const tx = await begin("readonly");
  const [mine, open, visits] = await Promise.all([
    tx.find(REQUEST, "assignee_id", staffId), openRequests(tx), tx.find(VISIT, "technician_id", staffId),
  ]);
  const common = open.filter((r) => !r.data.unit_id && r.data.assignee_id !== staffId);
  const units = await unitsOf(tx, mine);
  await tx.done;
  /** @type {Map<string, StoredRecord>} */
  const openVisit = new Map();
  for (const v of visits) if (visitOpen(v)) openVisit.set(v.data.request_id, v);
  return { mine, common, units, openVisit };
}

/**
 * @typedef {{mine: StoredRecord[], done: StoredRecord[], common: StoredRecord[],
 *   units: Map<string, StoredRecord>, openVisit: Map<string, StoredRecord>, now: number,
 *   report: boolean}} Jobs
 */

/** The technician's jobs. @param {Jobs} j */
function jobsPage(j) {
  const rows = (/** @type {StoredRecord[]} */ list) => list.map((r) => requestRow(r, j.units, j.now, { visit: j.openVisit.get(r.id) }));
  const body = html`<h2>${t("Assigned to me")} <span class="count">${j.mine.length}</span></h2>
    ${j.mine.length ? html`<ul class="rows" id="my-jobs">${rows(j.mine)}</ul>` : html`<p class="muted">${t("No open jobs. New ones arrive with the next sync.")}</p>`}
    <h2>${t("Open public-area requests")} <span class="count">${j.common.length}</span></h2>
    ${j.common.length ? html`<ul class="rows" id="public-jobs">${rows(j.common)}</ul>` : html`<p class="muted">${t("None.")}</p>`}
    ${j.done.length ? html`<h2>${t("Recently finished")}</h2><ul class="rows" id="done-jobs">${rows(j.done)}</ul>` : ""}`;
  return html`<h1>${t("My jobs")}</h1>
  ${body}
  ${j.report ? html`<p class="actions"><a class="button" href="/m/repairs/new">${t("Report a repair on site")}</a></p>` : ""}`;
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function jobsScreen(ctx) {
  const session = may(ctx, "repair.start_visit");
  if (!session) return refused();
  const j = await jobs(session.user.id);
  const open = j.mine.filter(isOpen);
  // open first: by appointment (none last), then by the deadline they are held to
  const when = (/** @type {StoredRecord} */ r) => String(r.data.appointment_at || "9")
    + String(r.data.state === "in_progress" ? r.data.complete_by : r.data.respond_by || "");
  const working = (/** @type {StoredRecord} */ r) => Number(r.data.state === "in_progress");
  open.sort((a, b) => working(b) - working(a) || when(a).localeCompare(when(b)));
  const done = j.mine.filter((r) => !isOpen(r)).sort(by("finished_at")).reverse().slice(0, DONE_SHOWN);
  return {
    title: t("My jobs"),
    main: jobsPage({ ...j, mine: open, done, common: j.common.sort(by("reported_at")), now: ctx.now,
      // reporting on site is the index part's form (a technician's phone carries it)
      report: roleMay(session.user.role, "repair.report") && Boolean(carried("/m/repairs/new")) }),
    live: "/m/repairs/jobs",
  };
}
