// @ts-check
/** What the card screens read from IndexedDB (one read-only transaction each): a site's
 * policy and zones, a unit's cards and quota, a card with its history, and the desk's lists
 * (search, recent issues, blacklist pending) — the last kept in memory between requests
 * (search as you type) and read again after any write in this worker (writeCount). */

import { begin, writeCount } from "../db.js";
import { BLACKLISTED, CARD, ISSUE, POLICY, QUOTA, ZONE, quotaState } from "./rules.js";

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 * @typedef {{quota: number, held: number, left: number, full: boolean}} Quota
 * @typedef {{site: StoredRecord | undefined, policy: StoredRecord | undefined,
 *   zones: StoredRecord[]}} SiteSetup
 * @typedef {{unit: StoredRecord, building: StoredRecord | undefined, setup: SiteSetup,
 *   override: StoredRecord | undefined, issues: StoredRecord[], cards: Map<string, StoredRecord>,
 *   residents: StoredRecord[]}} UnitView
 */

/** One record of several (the office keeps one; the lowest id if it kept more, as the rules
 * pick it). @param {StoredRecord[]} list */
export function first(list) {
  const live = list.filter((r) => !r.deleted);
  return live.length ? live.reduce((a, b) => (a.id < b.id ? a : b)) : undefined;
}

/** @param {Record<string, any>} d a card's data */
export function isBlacklisted(d) {
  return BLACKLISTED.includes(d.status);
}

/** @param {StoredRecord} issue */
export function isOpen(issue) {
  return issue.data.ended_at === null || issue.data.ended_at === undefined;
}

/** @param {StoredRecord[]} issues oldest first, by (issued_at, id) as the rules order them */
export function byIssuedAt(issues) {
  return [...issues].sort((a, b) => String(a.data.issued_at).localeCompare(String(b.data.issued_at))
    || a.id.localeCompare(b.id));
}

/** The site's record, card policy and active zones (by code). @param {Tx} tx @param {string} siteId
 * @returns {Promise<SiteSetup>} */
export async function siteSetup(tx, siteId) {
  const [site, policies, zones] = await Promise.all([
    tx.record("site", siteId), tx.find(POLICY, "site_id", siteId), tx.find(ZONE, "site_id", siteId),
  ]);
  return {
    site,
    policy: first(policies.filter((p) => p.data.site_id === siteId)),
    zones: zones.filter((z) => !z.deleted && z.data.site_id === siteId)
      .sort((a, b) => String(a.data.code).localeCompare(String(b.data.code))),
  };
}

/** The quota the form shows: the same function as the rules' (rules.js), counting the
 * unit's open issues but the one a replacement ends. @param {SiteSetup} setup
 * @param {StoredRecord | undefined} override @param {StoredRecord[]} issues
 * @param {string} [replaces] @returns {Quota} */
export function quotaOfUnit(setup, override, issues, replaces = "") {
  const held = issues.filter((i) => isOpen(i) && i.id !== replaces).length;
  return quotaState(setup.policy ? setup.policy.data : null, override ? override.data : null, held);
}

/** A unit with its building, the site's set-up, its quota override, every issue of its
 * cards (oldest first) with their cards, and its active residents.
 * @param {string} unitId @returns {Promise<UnitView | null>} */
export async function unitView(unitId) {
  const tx = await begin("readonly");
  const unit = await tx.record("unit", unitId);
  if (!unit || unit.deleted) {
    await tx.done;
    return null;
  }
  const [building, setup, overrides, issues, residents] = await Promise.all([
    unit.data.building_id ? tx.record("building", unit.data.building_id) : undefined,
    siteSetup(tx, unit.data.site_id),
    tx.find(QUOTA, "unit_id", unitId),
    tx.find(ISSUE, "unit_id", unitId),
    tx.find("resident", "unit_id", unitId),
  ]);
  const cardIds = [...new Set(issues.map((i) => String(i.data.card_id)))];
  const cardList = await Promise.all(cardIds.map((id) => tx.record(CARD, id)));
  await tx.done;
  /** @type {Map<string, StoredRecord>} */
  const cards = new Map();
  cardList.forEach((c) => c && cards.set(c.id, c));
  return {
    unit, building, setup, override: first(overrides), issues: byIssuedAt(issues), cards,
    residents: residents.filter((r) => !r.deleted)
      .sort((a, b) => String(a.data.name).localeCompare(String(b.data.name))),
  };
}

/**
 * @typedef {{card: StoredRecord, issues: StoredRecord[], units: Map<string, StoredRecord>,
 *   conflicts: StoredRecord[], replaced: Set<string>}} CardView
 */

/** A card with every issue of it (oldest first), their units, and the conflicts that name
 * the card or one of its issues. @param {string} cardId @returns {Promise<CardView | null>} */
export async function cardView(cardId) {
  const tx = await begin("readonly");
  const card = await tx.record(CARD, cardId);
  if (!card) {
    await tx.done;
    return null;
  }
  const [issues, conflicts] = await Promise.all([tx.find(ISSUE, "card_id", cardId), tx.recordsOfType("conflict")]);
  const unitIds = [...new Set([card.data.unit_id, ...issues.map((i) => i.data.unit_id)].filter(Boolean))];
  // the issues a replacement (on another card) has taken over
  const ended = issues.filter((i) => !isOpen(i));
  const [units, replacements] = await Promise.all([
    Promise.all(unitIds.map((id) => tx.record("unit", id))),
    Promise.all(ended.map((i) => tx.find(ISSUE, "replaces_issue_id", i.id))),
  ]);
  await tx.done;
  /** @type {Map<string, StoredRecord>} */
  const byId = new Map();
  units.forEach((u) => u && byId.set(u.id, u));
  const ids = new Set([cardId, ...issues.map((i) => i.id)]);
  return {
    card, issues: byIssuedAt(issues), units: byId,
    replaced: new Set(ended.filter((_i, n) => replacements[n].length).map((i) => i.id)),
    conflicts: conflicts.filter((c) => (c.data.record_ids || []).some((/** @type {string} */ id) => ids.has(id)))
      .sort((a, b) => String(a.data.created_at).localeCompare(String(b.data.created_at))),
  };
}

/**
 * The desk's lists, from every unit, card and issue on this phone (cached until a write).
 * @typedef {{units: StoredRecord[], cards: StoredRecord[], issues: StoredRecord[],
 *   unitById: Map<string, StoredRecord>, cardById: Map<string, StoredRecord>,
 *   buildingById: Map<string, StoredRecord>}} DeskRows
 * @type {{writes: number, rows: DeskRows} | null}
 */
let deskCache = null;

/** @returns {Promise<DeskRows>} */
export async function deskRows() {
  const seen = writeCount();
  if (deskCache && deskCache.writes === seen) return deskCache.rows;
  const tx = await begin("readonly");
  const [units, cards, issues, buildings] = await Promise.all([
    tx.recordsOfType("unit"), tx.recordsOfType(CARD), tx.recordsOfType(ISSUE),
    tx.recordsOfType("building"),
  ]);
  await tx.done;
  const live = units.filter((u) => !u.deleted);
  const rows = {
    units: live, cards, issues,
    unitById: new Map(live.map((u) => [u.id, u])),
    cardById: new Map(cards.map((c) => [c.id, c])),
    buildingById: new Map(buildings.map((b) => [b.id, b])),
  };
  if (writeCount() === seen) deskCache = { writes: seen, rows };
  return rows;
}
