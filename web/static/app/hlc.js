// @ts-check
/**
 * Hybrid logical clock — the same encoding as sync/hlc.py (keep them in step):
 *
 *     0001732754000123-00a1-5f0c2b7d9e11
 *     13 decimal digits of wall ms, 4 hex digits of counter, 12 hex digits of node
 *
 * so comparing encoded strings gives causal order with the node (this client) as tie-break.
 * The node is the last 12 hex digits of the client id (random in UUIDv4/v7). The counter
 * never wraps: past ffff the wall moves on by one millisecond.
 *
 * @typedef {{wall: number, counter: number, node: string}} HLC
 */

const COUNTER_MAX = 0xffff;
const PATTERN = /^\d{13}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @param {string} clientId */
export function nodeId(clientId) {
  const compact = clientId.replaceAll("-", "").toLowerCase();
  if (compact.length < 12 || !/^[0-9a-f]+$/.test(compact)) {
    throw new Error(`client id is not a UUID: ${clientId}`);
  }
  return compact.slice(-12);
}

/** @param {HLC} h */
export function encode(h) {
  if (h.wall < 0 || h.wall > 9999999999999 || h.counter < 0 || h.counter > COUNTER_MAX) {
    throw new Error("HLC out of range");
  }
  return `${String(h.wall).padStart(13, "0")}-${h.counter.toString(16).padStart(4, "0")}-${h.node}`;
}

/** @param {string} text @returns {HLC} */
export function parse(text) {
  if (!PATTERN.test(text)) throw new Error(`not an HLC: ${text.slice(0, 40)}`);
  return {
    wall: Number(text.slice(0, 13)),
    counter: parseInt(text.slice(14, 18), 16),
    node: text.slice(19),
  };
}

/** @param {number} wall @param {number} counter @param {string} node @returns {HLC} */
function bounded(wall, counter, node) {
  return counter > COUNTER_MAX ? { wall: wall + 1, counter: 0, node } : { wall, counter, node };
}

/** The timestamp of a local event after `last`. @param {HLC} last @param {number} physicalMs */
export function send(last, physicalMs) {
  if (physicalMs > last.wall) return { wall: physicalMs, counter: 0, node: last.node };
  return bounded(last.wall, last.counter + 1, last.node);
}

/**
 * The local clock after seeing `remote` (a timestamp from the server's records).
 * @param {HLC} last @param {HLC} remote @param {number} physicalMs
 */
export function receive(last, remote, physicalMs) {
  const wall = Math.max(last.wall, remote.wall, physicalMs);
  let counter;
  if (wall === last.wall && wall === remote.wall) {
    counter = Math.max(last.counter, remote.counter) + 1;
  } else if (wall === last.wall) {
    counter = last.counter + 1;
  } else if (wall === remote.wall) {
    counter = remote.counter + 1;
  } else {
    counter = 0;
  }
  return bounded(wall, counter, last.node);
}
