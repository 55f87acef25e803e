// @ts-check
/** What the repair screens read from IndexedDB, one read-only transaction each: a request
 * with its unit's history, the desk's open requests, the follow-up queue, the key loans a
 * request may be linked to (a technician's jobs and a visit: the visits part's, jobs.js and
 * visit_screens.js, on these helpers). Lookups go through the
 * declared indexes (state, unit, assignee, request), never through every record of a type,
 * so a desk phone holding years of requests answers as fast as a technician's. */

import { begin } from "../db.js";
import { FOLLOW_UP, OPEN_STATES, REQUEST, VISIT } from "./common.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 */

export { FOLLOW_UP, OPEN_STATES, REQUEST, VISIT };
export const TECHNICIAN = "repair_technician";
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @param {StoredRecord[]} list */
export const live = (list) => list.filter((r) => !r.deleted);

/** @param {StoredRecord} r */
export const isOpen = (r) => OPEN_STATES.includes(r.data.state);

/** A visit not closed yet. @param {StoredRecord} v */
export const visitOpen = (v) => !v.data.closed_at;

/** @param {string} field @returns {(a: StoredRecord, b: StoredRecord) => number} */
export const by = (field) => (a, b) => String(a.data[field] || "").localeCompare(String(b.data[field] || ""))
  || a.id.localeCompare(b.id);

/** Every request in an open state. @param {Tx} tx */
export async function openRequests(tx) {
  return (await Promise.all(OPEN_STATES.map((s) => tx.find(REQUEST, "state", s)))).flat();
}

/** The units of these records, by id. @param {Tx} tx @param {StoredRecord[]} recs
 * @returns {Promise<Map<string, StoredRecord>>} */
export async function unitsOf(tx, recs) {
  const ids = [...new Set(recs.map((r) => r.data.unit_id).filter(Boolean))];
  const units = await Promise.all(ids.map((id) => tx.record("unit", id)));
  /** @type {Map<string, StoredRecord>} */
  const map = new Map();
  units.forEach((u) => u && map.set(u.id, u));
  return map;
}

/** The site's repair team (active), by name. @param {Tx} tx @param {string} siteId */
export async function teamOf(tx, siteId) {
  return live(await tx.find(TECHNICIAN, "site_id", siteId))
    .filter((x) => x.data.site_id === siteId).sort(by("name"));
}

/**
 * @typedef {{req: StoredRecord, unit: StoredRecord | undefined, building: string,
 *   visits: StoredRecord[], history: StoredRecord[], others: StoredRecord[],
 *   team: StoredRecord[], follows: StoredRecord[], conflicts: StoredRecord[],
 *   loan: StoredRecord | undefined, key: StoredRecord | undefined,
 *   numbers: Map<string, string>}} RequestView
 */

/** A request with its visits, the unit's earlier visits and other open requests (what this
 * phone holds), the site's team, its follow-ups, conflicts and key loan.
 * @param {string} id @returns {Promise<RequestView | null>} */
export async function requestView(id) {
  if (!UUID.test(id)) return null;
  const tx = await begin("readonly");
  const req = await tx.record(REQUEST, id);
  if (!req) {
    await tx.done;
    return null;
  }
  const d = req.data;
  const [unit, visits, unitVisits, unitRequests, team, follows, conflicts, loan] = await Promise.all([
    d.unit_id ? tx.record("unit", d.unit_id) : undefined,
    tx.find(VISIT, "request_id", id),
    d.unit_id ? tx.find(VISIT, "unit_id", d.unit_id) : [],
    d.unit_id ? tx.find(REQUEST, "unit_id", d.unit_id) : [],
    teamOf(tx, d.site_id),
    tx.find(FOLLOW_UP, "request_id", id),
    tx.recordsOfType("conflict"),
    d.key_loan_id ? tx.record("key_loan", d.key_loan_id) : undefined,
  ]);
  const [building, key] = await Promise.all([
    unit && unit.data.building_id ? tx.record("building", unit.data.building_id) : undefined,
    loan ? tx.record("key", loan.data.key_id) : undefined,
  ]);
  await tx.done;
  const history = unitVisits.filter((v) => v.data.request_id !== id).sort(by("arrived_at")).reverse();
  const ids = new Set([id, ...visits.map((v) => v.id), ...follows.map((f) => f.id)]);
  return {
    req, unit, building: building ? building.data.name : "", team, follows, loan, key,
    visits: visits.sort(by("arrived_at")),
    history,
    others: unitRequests.filter((r) => r.id !== id && isOpen(r)).sort(by("reported_at")),
    numbers: new Map(unitRequests.map((r) => [r.id, String(r.data.number)])),
    conflicts: conflicts.filter((c) => (c.data.record_ids || []).some((/** @type {string} */ x) => ids.has(x)))
      .sort(by("created_at")),
  };
}

/** The desk's open requests with their units and the site teams' names (by staff id). */
export async function deskRequests() {
  const tx = await begin("readonly");
  const [open, team] = await Promise.all([openRequests(tx), tx.recordsOfType(TECHNICIAN)]);
  const units = await unitsOf(tx, open);
  await tx.done;
  return { open, units, names: new Map(team.map((x) => [String(x.data.staff_id), String(x.data.name)])) };
}

/** Follow-ups not done, due first, with their requests and units. */
export async function followQueue() {
  const tx = await begin("readonly");
  const due = (await tx.openOf(FOLLOW_UP)).sort(by("due_at"));
  const reqs = await Promise.all(due.map((f) => tx.record(REQUEST, f.data.request_id)));
  const units = await unitsOf(tx, due);
  await tx.done;
  /** @type {Map<string, StoredRecord>} */
  const requests = new Map();
  reqs.forEach((r) => r && requests.set(r.id, r));
  return { due, requests, units };
}

/** A follow-up with its request and unit. @param {string} id */
export async function followView(id) {
  if (!UUID.test(id)) return null;
  const tx = await begin("readonly");
  const follow = await tx.record(FOLLOW_UP, id);
  const req = follow ? await tx.record(REQUEST, follow.data.request_id) : undefined;
  const unit = follow && follow.data.unit_id ? await tx.record("unit", follow.data.unit_id) : undefined;
  await tx.done;
  return follow ? { follow, req, unit } : null;
}

/** Open key loans: the request unit's keys first, then the others (by key code).
 * @param {string | null} unitId */
export async function openLoans(unitId) {
  const tx = await begin("readonly");
  const loans = await tx.openOf("key_loan");
  const keys = await Promise.all(loans.map((l) => tx.record("key", l.data.key_id)));
  await tx.done;
  return loans.map((loan, i) => ({ loan, key: keys[i] }))
    .map((x) => ({ ...x, here: Boolean(unitId && x.key && x.key.data.unit_id === unitId) }))
    .sort((a, b) => Number(b.here) - Number(a.here)
      || String(a.key ? a.key.data.code : "").localeCompare(String(b.key ? b.key.data.code : "")));
}

/** Units whose number starts with `q` (as typed, upper-cased), at most `n`, through the
 * declared index on the number. @param {string} q @param {number} n */
export async function unitsNumbered(q, n) {
  const tx = await begin("readonly");
  const from = `unit|number|${q.toUpperCase()}`;
  /** @type {StoredRecord[]} */
  const found = await tx.replica.index("refs").getAll(IDBKeyRange.bound(from, `${from}\uffff`), n * 2);
  await tx.done;
  return live(found).slice(0, n);
}
