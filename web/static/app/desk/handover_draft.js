// @ts-check
/** The handover's draft (交接班): what the outgoing person's phone holds of a site, read from
 * IndexedDB and summed up for the `summary` field of handover.draft. A section is drafted
 * only from a stream this person's role reads (a guard's phone holds no keys or cards: no
 * keys or cards section), so what is absent was not known to that phone.
 *
 * THE SUMMARY'S SHAPE (stored as it is; the office renders it, server/desk/handovers.py): a
 * figure is a number, the open items a list of small objects with a `label`, oldest first;
 * a section's keys are there only when the phone drafted that section.
 *   {
 *     "keys_out": n,                                  // keys stream: open loans
 *     "keys_overdue": [{"label": key code, "name": borrower, "at": due_at}],
 *     "cards_in_stock": n, "blacklists_pending": n,   // cards stream
 *     "rounds_done": n,                               // patrol stream
 *     "rounds_missed": [{"label": route name, "at": slot_at, "status": round status}],
 *     "incidents_open": [{"label": description (≤ 80 characters), "place": checkpoint
 *                         name, "at": reported_at, "status": incident status}],
 *     "requests_open": [{"label": request number, "place": unit number or area,   // visits
 *                        "at": reported_at, "status": request state}],               // stream
 *     "visitors_inside": [{"label": visitor's name, "place": unit number,          // desk
 *                          "badge": badge, "at": time_in}],                        // stream
 *     "totals": {"visitors_inside": 23}   // only when a list was cut at CAP (20) items:
 *   }                                     // its whole count (else the list's length)
 * Times are stored ISO strings; statuses the declared codes (round.status, incident.status,
 * repair_request.state).
 * Keys overdue: open loans due before the shift's end. Cards: in stock; blacklisted (lost,
 * damaged, revoked) and not yet taken by the door system. Rounds done: finished in the shift;
 * missed: due in the shift and marked missed, or still planned past their due time. Incidents:
 * not closed. Requests: new, assigned or in progress. Visitors: no time out. */

export const CAP = 20;
const BLACKLISTED = ["lost", "damaged", "revoked"];
const OPEN_REQUESTS = ["new", "assigned", "in_progress"];
/** @type {Record<string, string>} the field that names a record of each type */
const NAME = { key: "code", checkpoint: "name", unit: "number" };

/**
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {{label: string, [k: string]: any}} Item
 * @typedef {Record<string, any>} Summary
 * @typedef {{loans?: StoredRecord[], cards?: StoredRecord[], rounds?: StoredRecord[],
 *   incidents?: StoredRecord[], requests?: StoredRecord[], visitors: StoredRecord[]}} Held
 */

/** @param {unknown} iso */
const ms = (iso) => (typeof iso === "string" ? Date.parse(iso) : NaN);

/**
 * The summary of what a phone holds (one site's records, by kind).
 * @param {Held} h @param {Map<string, string>} names record id -> its name (keys, routes,
 *   checkpoints, units) @param {number} start @param {number} end the shift, in ms
 * @returns {Summary}
 */
export function draftSummary(h, names, start, end) {
  /** @type {Summary} */
  const s = {};
  const name = (/** @type {unknown} */ id) => names.get(String(id)) || "";
  const inShift = (/** @type {unknown} */ iso) => ms(iso) >= start && ms(iso) <= end;
  /** @param {string} key @param {StoredRecord[]} rows @param {string} at
   * @param {(d: Record<string, any>) => Item} item */
  const list = (key, rows, at, item) => {
    if (rows.length > CAP) s.totals = { ...s.totals, [key]: rows.length };
    s[key] = rows.sort((a, b) => ms(a.data[at]) - ms(b.data[at])).slice(0, CAP).map((r) => item(r.data));
  };
  if (h.loans) {
    s.keys_out = h.loans.length;
    list("keys_overdue", h.loans.filter((l) => ms(l.data.due_at) < end), "due_at",
      (d) => ({ label: name(d.key_id), name: d.borrower_name, at: d.due_at }));
  }
  if (h.cards) {
    s.cards_in_stock = h.cards.filter((c) => c.data.status === "in_stock").length;
    s.blacklists_pending = h.cards.filter((c) => BLACKLISTED.includes(c.data.status) && !c.data.door_taken_at).length;
  }
  if (h.rounds) {
    s.rounds_done = h.rounds.filter((r) => inShift(r.data.finished_at)).length;
    list("rounds_missed", h.rounds.filter((r) => inShift(r.data.due_by) && (r.data.status === "missed"
      || (r.data.status === "planned" && ms(r.data.due_by) < end))), "slot_at",
    (d) => ({ label: name(d.route_id), at: d.slot_at, status: d.status }));
  }
  if (h.incidents) {
    list("incidents_open", h.incidents.filter((i) => i.data.status !== "closed"), "reported_at",
      (d) => ({ label: String(d.description || "").slice(0, 80), place: name(d.checkpoint_id),
        at: d.reported_at, status: d.status }));
  }
  if (h.requests) {
    list("requests_open", h.requests.filter((r) => OPEN_REQUESTS.includes(r.data.state)), "reported_at",
      (d) => ({ label: d.number, place: name(d.unit_id) || d.area || "", at: d.reported_at, status: d.state }));
  }
  list("visitors_inside", h.visitors.filter((v) => !v.data.time_out), "time_in",
    (d) => ({ label: d.name, place: name(d.unit_id), badge: d.badge || "", at: d.time_in }));
  return s;
}

/**
 * Read a site's records of the streams `streams` (one read-only transaction's requests) and
 * draft the summary of the shift [start, end].
 * @param {import("../db.js").Tx} tx @param {string} site @param {string[]} streams
 * @param {number} start @param {number} end @returns {Promise<Summary>}
 */
export async function readSummary(tx, site, streams, start, end) {
  /** @param {string} stream @param {() => Promise<StoredRecord[]>} read */
  const of = async (stream, read) => (streams.includes(stream)
    ? (await read()).filter((r) => !r.deleted && r.space.startsWith(`${site}:`)) : undefined);
  const [loans, cards, rounds, routes, incidents, requests, visitors] = await Promise.all([
    of("keys", () => tx.openOf("key_loan")),
    of("cards", () => tx.find("card", "site_id", site)),
    of("patrol", () => tx.find("round", "site_id", site)),
    of("patrol", () => tx.find("route", "site_id", site)),
    of("patrol", () => tx.find("incident", "site_id", site)),
    of("visits", () => tx.openOf("repair_request")),
    of("desk", () => tx.openOf("visitor")),
  ]);
  /** @type {[string, unknown][]} */
  const refs = [
    ...(loans || []).map((l) => /** @type {[string, unknown]} */ (["key", l.data.key_id])),
    ...(incidents || []).map((i) => /** @type {[string, unknown]} */ (["checkpoint", i.data.checkpoint_id])),
    ...[...(requests || []), ...(visitors || [])].map((x) => /** @type {[string, unknown]} */ (["unit", x.data.unit_id])),
  ].filter(([, id]) => id);
  const found = await Promise.all(refs.map(([type, id]) => tx.record(type, String(id))));
  /** @type {Map<string, string>} */
  const names = new Map((routes || []).map((r) => [r.id, String(r.data.name)]));
  found.forEach((r, i) => r && names.set(r.id, String(r.data[NAME[refs[i][0]]] || "")));
  return draftSummary({ loans, cards, rounds, incidents, requests, visitors: visitors || [] }, names, start, end);
}
