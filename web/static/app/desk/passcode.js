// @ts-check
/**
 * A goods-out pass's QR text and its signature on the phone — the copy of
 * sync/domains/desk/passcode.py (the same text, keys and signature; tests/unit/
 * test_desk_passcode.py signs on one side and verifies on the other).
 *
 * The text is `CTP1.<payload>.<signature>`: the payload is the base64url (no padding) of the
 * pass's content as compact UTF-8 JSON (short keys: KEYS), the signature the ECDSA P-256 /
 * SHA-256 signature of the payload segment's ASCII bytes, raw r‖s (64 bytes: what Web Crypto
 * gives and takes). No hand-written cryptography: Web Crypto signs and verifies.
 *
 * Each phone makes ONE key pair (the first time a person who issues passes signs in on it):
 * the private key is a non-extractable CryptoKey kept in IndexedDB (the meta entry
 * "device_key", with the public key and this phone's device_key records by site); its public
 * key (raw, base64url) is a `device_key` record for each of the person's sites
 * (desk.register_key, through the outbox), which reaches the gate guards' phones by sync: a
 * pass signed a minute ago on a desk phone that has not synced since is still verified at
 * the gate, offline. The registration runs after the first sync of a sign-in (session.js
 * onSignIn: the phone's rules need the site records) and again, lazily, before a pass is
 * signed (deviceKey with the session). The phones that register keys also keep the pass's
 * QR renderer (desk/qr.js, page side, not part of the shell) in a cache of their own.
 */

import { actorOf } from "../apply.js";
import { begin, inTx } from "../db.js";
import { uuid7 } from "../ids.js";
import { mutationDecl } from "../kit/declarations.js";
import { record } from "../outbox.js";
import { onSignIn } from "../session.js";

/** @typedef {import("../session.js").Session} Session
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {{key_id: string, site_id: string, public_key: string, holder: string,
 *   registered_at: string, client_id: string}} Registration
 * @typedef {{privateKey: CryptoKey, publicKey: string, sites: Record<string, Registration>}} OwnKey
 * @typedef {"valid" | "forged" | "expired" | "used" | "unknown_key"} Verdict
 * @typedef {{status: Verdict, reason: "" | "format" | "site" | "signature",
 *   content: Record<string, any> | null, key: StoredRecord | null}} Verified */

export const PREFIX = "CTP1";
/** payload key -> the goods_pass field it carries (passcode.py KEYS) */
export const KEYS = { id: "pass_id", n: "number", s: "site_id", u: "unit_id", it: "items",
  c: "item_count", p: "plate", b: "basis", vu: "valid_until", ia: "issued_at", k: "key_id" };
const CURVE = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING = { name: "ECDSA", hash: "SHA-256" };
const OWN_KEY = "device_key";
const REGISTER = "desk.register_key";
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** @param {Uint8Array} bytes */
export function b64(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of a base64url segment, or null when it is not one. @param {string} text */
export function unb64(text) {
  if (!SEGMENT.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The payload segment of a pass's content (its keys in KEYS' order).
 * @param {Record<string, any>} content */
export function payloadText(content) {
  const keys = Object.keys(content);
  const missing = Object.keys(KEYS).filter((k) => !(k in content));
  if (missing.length || keys.length !== Object.keys(KEYS).length) {
    throw new Error(`a pass's content has the keys ${Object.keys(KEYS).join(", ")}`);
  }
  const ordered = Object.fromEntries(Object.keys(KEYS).map((k) => [k, content[k]]));
  return b64(new TextEncoder().encode(JSON.stringify(ordered)));
}

/** (payload segment, content, raw signature) of a QR text, or null when it is not one.
 * @param {string} code @returns {{payload: string, content: Record<string, any>, signature: Uint8Array<ArrayBuffer>} | null} */
export function split(code) {
  const parts = code.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return null;
  const body = unb64(parts[1]);
  const signature = unb64(parts[2]);
  if (!body || !signature || signature.length !== 64) return null;
  let content;
  try {
    content = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return null;
  }
  if (content === null || typeof content !== "object" || Array.isArray(content)) return null;
  return { payload: parts[1], content, signature };
}

/** The ASCII bytes of a payload segment. @param {string} payload */
const ascii = (payload) => Uint8Array.from(payload, (ch) => ch.charCodeAt(0));

/** The content of `code` when `publicKey` (base64url, raw) signed it, else null.
 * @param {string} code @param {string} publicKey */
export async function verify(code, publicKey) {
  const parts = split(code);
  const raw = unb64(publicKey);
  if (!parts || !raw) return null;
  try {
    const key = await crypto.subtle.importKey("raw", raw, CURVE, false, ["verify"]);
    return (await crypto.subtle.verify(SIGNING, key, parts.signature, ascii(parts.payload))) ? parts.content : null;
  } catch {
    return null; // not a point on the curve
  }
}

/** The QR text of `content` signed with `privateKey`.
 * @param {Record<string, any>} content @param {CryptoKey} privateKey */
export async function sign(content, privateKey) {
  const payload = payloadText(content);
  const signature = new Uint8Array(await crypto.subtle.sign(SIGNING, privateKey, ascii(payload)));
  return `${PREFIX}.${payload}.${b64(signature)}`;
}

// --- this phone's key ---------------------------------------------------------------------

/** @returns {Promise<OwnKey | undefined>} */
async function ownKey() {
  const tx = await begin("readonly");
  const own = await tx.meta(OWN_KEY);
  await tx.done;
  return own;
}

/** This phone's key pair, made the first time (the private key never leaves the phone). */
async function makeOwnKey() {
  const found = await ownKey();
  if (found) return found;
  const pair = await crypto.subtle.generateKey(CURVE, false, ["sign", "verify"]);
  const publicKey = b64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
  /** @type {OwnKey} */
  const made = { privateKey: pair.privateKey, publicKey, sites: {} };
  return inTx("readwrite", async (tx) => {
    const other = await tx.meta(OWN_KEY); // another screen made one meanwhile: that one stays
    if (other) return /** @type {OwnKey} */ (other);
    await tx.setMeta(OWN_KEY, made);
    return made;
  }, "strict");
}

/** Whether a role may register a device key (and so issue passes). @param {string} role */
function registers(role) {
  const decl = mutationDecl(REGISTER);
  return Boolean(decl && decl.roles.includes(role));
}

/**
 * This phone's key for a site: the id of its device_key record and the private key; null
 * when it has none (given the session, it registers one first: ensureDeviceKeys).
 * @param {string} siteId @param {Session} [session]
 * @returns {Promise<{keyId: string, privateKey: CryptoKey} | null>}
 */
export async function deviceKey(siteId, session) {
  let own = await ownKey();
  if ((!own || !own.sites[siteId]) && session) {
    await ensureDeviceKeys(session);
    own = await ownKey();
  }
  const reg = own && own.sites[siteId];
  return own && reg ? { keyId: reg.key_id, privateKey: own.privateKey } : null;
}

/** Sites already seen registered in this worker, by client: after the first time the check
 * costs nothing. @type {Set<string>} */
const ensured = new Set();
/** @type {Promise<boolean>} */
let queue = Promise.resolve(false);

/**
 * For a person who may issue passes: this phone's key pair (made once), and a
 * desk.register_key through the outbox for each of their sites where the phone's public key
 * has no device_key record (holder: the person's name). A registration another person made
 * on this phone (still in their outbox, perhaps) is recorded again with the same arguments
 * (the rules take an identical one as a no-op). True when it recorded something (sync it).
 * @param {Session} session @returns {Promise<boolean>}
 */
export function ensureDeviceKeys(session) {
  const run = queue.then(() => ensure(session), () => ensure(session));
  queue = run.catch(() => false);
  return run;
}

/** @param {Session} session */
async function ensure(session) {
  if (!registers(session.user.role)) return false;
  const sites = actorOf(session).sites;
  const done = `${session.client_id}|${sites.join(",")}`;
  if (ensured.has(done)) return false;
  const own = await makeOwnKey();
  const now = Date.now();
  let wrote = false;
  for (const siteId of sites) {
    const previous = own.sites[siteId];
    const args = previous
      ? { key_id: previous.key_id, site_id: siteId, public_key: own.publicKey, holder: previous.holder, registered_at: previous.registered_at }
      : { key_id: uuid7(now), site_id: siteId, public_key: own.publicKey, holder: session.user.display_name.slice(0, 120),
        registered_at: new Date(now).toISOString() };
    wrote = (await registerAt(session, own, args, previous)) || wrote;
  }
  if (sites.every((s) => own.sites[s])) ensured.add(done);
  cacheQr();
  return wrote;
}

/**
 * One site: nothing when the replica has this phone's key there or this person registered
 * it; else desk.register_key (refused by the phone's rules: nothing queued, tried again
 * next time). @param {Session} session @param {OwnKey} own
 * @param {Omit<Registration, "client_id">} args @param {Registration | undefined} previous
 */
async function registerAt(session, own, args, previous) {
  try {
    return await inTx("readwrite", async (tx) => {
      const mine = (await tx.find("device_key", "site_id", args.site_id))
        .find((r) => !r.deleted && r.data.public_key === own.publicKey);
      const stored = /** @type {OwnKey} */ (await tx.meta(OWN_KEY));
      if (mine) {
        if (!previous) {
          stored.sites[args.site_id] = { ...args, key_id: mine.id, holder: mine.data.holder,
            registered_at: mine.data.registered_at, client_id: session.client_id };
          await tx.setMeta(OWN_KEY, stored);
          own.sites[args.site_id] = stored.sites[args.site_id];
        }
        return false;
      }
      if (previous && previous.client_id === session.client_id) return false;
      const { outcome } = await record(tx, session, REGISTER, args);
      if (outcome.reject) throw outcome.reject;
      stored.sites[args.site_id] = { ...args, client_id: session.client_id };
      await tx.setMeta(OWN_KEY, stored);
      own.sites[args.site_id] = stored.sites[args.site_id];
      return true;
    }, "strict");
  } catch (err) {
    console.warn("caretaker: device key not registered", args.site_id, err);
    return false;
  }
}

onSignIn(ensureDeviceKeys);

// --- the lazy page modules ----------------------------------------------------------------

/** The phone's app version (the modules' hash in their URL): a cache per version. */
const VERSION = new URL(import.meta.url).pathname.split("/")[2] || "";

/** Keep page-side modules that are not part of the shell in a cache of their own (the
 * worker answers /v/ from every cache); older versions' caches go. Online only: harmless
 * when offline (the next time). @param {string} prefix @param {string[]} urls */
export async function cacheLazy(prefix, urls) {
  const name = `${prefix}${VERSION}`;
  for (const old of await caches.keys()) {
    if (old.startsWith(prefix) && old !== name) await caches.delete(old);
  }
  const cache = await caches.open(name);
  for (const url of urls) {
    if (!(await cache.match(url))) await cache.add(url);
  }
}

/** The pass's QR renderer (page side) and its QR code generator. */
const QR = ["./qr.js", "../../vendor/lean-qr/lean-qr.js"].map((p) => new URL(p, import.meta.url).href);

function cacheQr() {
  if (typeof caches !== "undefined") cacheLazy("desk-qr-", QR).catch(() => undefined);
}

// --- the gate's verdict -------------------------------------------------------------------

/**
 * What the gate makes of a presented QR text at a site, offline: "forged" (not a pass's
 * text, another site's pass, or a signature that does not match: edited), "unknown_key" (no
 * device_key record of this site for its key), "used" (a check of it let the goods out on
 * this phone already), "expired" (valid until before `now`), else "valid". `key` is the
 * issuing key's record (its holder: who issued it).
 * @param {string} code @param {string} siteId @param {number} now @returns {Promise<Verified>}
 */
export async function verifyPass(code, siteId, now) {
  const parts = split(code.trim());
  if (!parts) return { status: "forged", reason: "format", content: null, key: null };
  const c = parts.content;
  if (c.s !== siteId) return { status: "forged", reason: "site", content: c, key: null };
  const tx = await begin("readonly");
  const key = typeof c.k === "string" ? await tx.record("device_key", c.k) : undefined;
  const checks = typeof c.id === "string" ? await tx.find("pass_check", "pass_id", c.id) : [];
  await tx.done;
  if (!key || key.deleted || key.data.site_id !== siteId) {
    return { status: "unknown_key", reason: "", content: c, key: null };
  }
  if (!(await verify(code.trim(), String(key.data.public_key)))) {
    return { status: "forged", reason: "signature", content: c, key };
  }
  if (checks.some((r) => !r.deleted && r.data.outcome === "passed")) {
    return { status: "used", reason: "", content: c, key };
  }
  const until = typeof c.vu === "string" ? Date.parse(c.vu) : NaN;
  if (!(until >= now)) return { status: "expired", reason: "", content: c, key };
  return { status: "valid", reason: "", content: c, key };
}

/**
 * Sign a pass: `content` has the payload keys (KEYS); `k` is the id of this phone's
 * device_key record for the pass's site (deviceKey). @param {Record<string, any>} content
 * @returns {Promise<string>} the QR text
 */
export async function signPass(content) {
  const own = await ownKey();
  const reg = own ? Object.values(own.sites).find((r) => r.key_id === content.k && r.site_id === content.s) : undefined;
  if (!own || !reg) throw new Error("this phone has no device key for this pass's site");
  return sign(content, own.privateKey);
}
