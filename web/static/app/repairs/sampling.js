// @ts-check
/**
 * Which repairs are followed up (回訪) by sample — the twin of
 * sync/domains/repairs/sampling.py: 32-bit FNV-1a of the UTF-8 of `seed + ":" + id`, modulo
 * 100, below the site's percentage. The same seed picks the same requests on every phone and
 * on the server (tests/unit/test_repairs_sampling.py pins values on both sides).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** @param {Uint8Array} bytes @returns {number} an unsigned 32-bit hash */
export function fnv1a32(bytes) {
  let h = FNV_OFFSET;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/** Whether the request `id` is in the site's sample of `percent` per cent.
 * @param {string} seed @param {string} id @param {number} percent */
export function sampled(seed, id, percent) {
  return fnv1a32(new TextEncoder().encode(`${seed}:${id}`)) % 100 < percent;
}
