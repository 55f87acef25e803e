// @ts-check
/** What the patrol screens read from IndexedDB (one read-only transaction each), and the
 * checklist's idea of "normal": a yes/no item is normal when answered yes, a choice when
 * its first choice is picked, a number inside its range; text is never abnormal. */

import { begin } from "../db.js";
import { CHECKLIST, CHECKPOINT, ROUND, ROUTE, SCAN } from "./rules.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {{id: string, label: string, type: string, min?: number, max?: number,
 *   unit?: string, choices?: string[], photo_if_abnormal?: boolean}} Item
 * @typedef {{checkpoint: StoredRecord, state: "" | "visited" | "skipped",
 *   visit: StoredRecord | undefined}} Stop
 * @typedef {{round: StoredRecord, route: StoredRecord | undefined, stops: Stop[],
 *   extra: StoredRecord[]}} RoundView
 */

/** Whether the round is this person's: every guard of the site when it names none.
 * @param {StoredRecord} r @param {string} me */
export function isMine(r, me) {
  const ids = r.data.guard_ids;
  return !Array.isArray(ids) || !ids.length || ids.includes(me);
}

/** @param {Item} item @param {unknown} v */
export function abnormalAnswer(item, v) {
  if (v === undefined || v === null || v === "") return false;
  if (item.type === "yesno") return v === false;
  if (item.type === "choice") return Array.isArray(item.choices) && v !== item.choices[0];
  if (item.type === "number") {
    const n = Number(v);
    return (item.min !== undefined && n < item.min) || (item.max !== undefined && n > item.max);
  }
  return false;
}

/** @param {Item[]} items @param {Record<string, any>} answers */
export function abnormalItems(items, answers) {
  return items.filter((i) => abnormalAnswer(i, answers[i.id]));
}

/** Rounds and routes of this phone (its sites), with the names of the routes. */
export async function roundsAndRoutes() {
  const tx = await begin("readonly");
  const [rounds, routes] = await Promise.all([tx.recordsOfType(ROUND), tx.recordsOfType(ROUTE)]);
  await tx.done;
  return { rounds, routes: routes.filter((r) => !r.deleted) };
}

/** A round with its route's checkpoints in order and what was done at each.
 * @param {string} roundId @returns {Promise<RoundView | null>} */
export async function roundView(roundId) {
  const tx = await begin("readonly");
  const round = await tx.record(ROUND, roundId);
  if (!round) {
    await tx.done;
    return null;
  }
  const route = await tx.record(ROUTE, round.data.route_id);
  const ids = route && Array.isArray(route.data.checkpoint_ids) ? route.data.checkpoint_ids.map(String) : [];
  const [checkpoints, visits] = await Promise.all([
    Promise.all(ids.map((id) => tx.record(CHECKPOINT, id))),
    tx.find(SCAN, "round_id", roundId),
  ]);
  const offRoute = visits.filter((v) => !ids.includes(v.data.checkpoint_id));
  const extraPoints = await Promise.all(offRoute.map((v) => tx.record(CHECKPOINT, v.data.checkpoint_id)));
  await tx.done;
  visits.sort((a, b) => String(a.data.scanned_at).localeCompare(String(b.data.scanned_at)));
  /** @type {Stop[]} */
  const stops = [];
  checkpoints.forEach((cp) => {
    if (!cp) return;
    const mine = visits.filter((v) => v.data.checkpoint_id === cp.id);
    const visit = mine.find((v) => v.data.method !== "skip") || mine[0];
    const state = !visit ? "" : visit.data.method === "skip" ? "skipped" : "visited";
    stops.push({ checkpoint: cp, state, visit });
  });
  return { round, route, stops, extra: /** @type {StoredRecord[]} */ (extraPoints.filter(Boolean)) };
}

/** A visit with its checkpoint and the checklist that applies (the checkpoint's own, else
 * one for its kind of place). @param {string} scanId */
export async function visitView(scanId) {
  const tx = await begin("readonly");
  const scan = await tx.record(SCAN, scanId);
  const checkpoint = scan ? await tx.record(CHECKPOINT, scan.data.checkpoint_id) : undefined;
  let checklist = checkpoint && checkpoint.data.checklist_id
    ? await tx.record(CHECKLIST, checkpoint.data.checklist_id) : undefined;
  if (checkpoint && !checklist) {
    const all = await tx.recordsOfType(CHECKLIST);
    checklist = all.find((c) => !c.deleted && c.data.for_kind && c.data.for_kind === checkpoint.data.kind
      && c.data.site_id === checkpoint.data.site_id);
  }
  await tx.done;
  /** @type {Item[]} */
  const items = checklist && Array.isArray(checklist.data.items) ? checklist.data.items : [];
  return { scan, checkpoint, checklist, items };
}
