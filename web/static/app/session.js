// @ts-check
/**
 * Who is signed in on this phone, and each person's sync client.
 *
 * OUTBOX OWNERSHIP (a phone is often shared by a shift): every person who signs in on this
 * phone gets their OWN client_id, generated the first time they sign in here and kept in
 * IndexedDB (meta "clients": user name → client_id). Every mutation is stored with the
 * client_id (and user id) of the person who made it, and only that client's mutations are
 * pushed, with that person's device token. So:
 *
 *   - signing out never drops anything: the outbox stays (the person is warned first);
 *   - when someone else signs in, they sync under their own client_id; the previous
 *     person's unsynced records wait untouched (the sign-in screen says whose and how many)
 *     until their owner signs in again on this phone — then they are pushed with the same
 *     client_id and the same mutation ids (the server skips any it already has);
 *   - a 401 (token expired or device revoked) pauses syncing; signing in again as the same
 *     person re-registers the SAME client_id and resumes.
 *
 * The replica (server records) belongs to one client at a time ("replica_owner"); when
 * another person signs in it is cleared and pulled again for their sites.
 *
 * @typedef {{id: string, username: string, display_name: string, role: string}} User
 * @typedef {{client_id: string, user: User, token: string, device_id: string,
 *   spaces: string[], paused: null | "auth" | "update", signed_in_at: string}} Session
 * @typedef {{client_id: string, user: User, next_id: number, acked: number,
 *   server_last_id: number, cookie: string | null, last_sync_at: string | null,
 *   hlc: string, synced_once: boolean}} ClientState
 * @typedef {{mutation_id: number, name: string, code: string, reason: string,
 *   args: Record<string, any> | null, at: string, seen: 0 | 1}} StoredRejection
 */

import { uuid7 } from "./ids.js";

const SESSION = "session";
const CLIENTS = "clients";
const REPLICA_OWNER = "replica_owner";
const LANGUAGE = "language";

/** @param {string} clientId */
const clientKey = (clientId) => `client:${clientId}`;
/** @param {string} clientId */
const rejectionsKey = (clientId) => `rejections:${clientId}`;

/** @param {import("./db.js").Tx} tx @returns {Promise<Session | undefined>} */
export function getSession(tx) {
  return tx.meta(SESSION);
}

/** @param {import("./db.js").Tx} tx @param {Session} session */
export function putSession(tx, session) {
  return tx.setMeta(SESSION, session);
}

/** @param {import("./db.js").Tx} tx */
export function endSession(tx) {
  return tx.deleteMeta(SESSION);
}

/** @param {import("./db.js").Tx} tx @param {string} clientId
 * @returns {Promise<ClientState | undefined>} */
export function getClient(tx, clientId) {
  return tx.meta(clientKey(clientId));
}

/** @param {import("./db.js").Tx} tx @param {ClientState} client */
export function putClient(tx, client) {
  return tx.setMeta(clientKey(client.client_id), client);
}

/** @param {string} clientId @param {User} user @returns {ClientState} */
export function newClient(clientId, user) {
  return {
    client_id: clientId,
    user,
    next_id: 1,
    acked: 0,
    server_last_id: 0,
    cookie: null,
    last_sync_at: null,
    hlc: "",
    synced_once: false,
  };
}

/**
 * The client_id of `username` on this phone (a new one the first time).
 * @param {import("./db.js").Tx} tx @param {string} username
 * @returns {Promise<{clientId: string, known: boolean}>}
 */
export async function clientIdFor(tx, username) {
  /** @type {Record<string, string>} */
  const clients = (await tx.meta(CLIENTS)) || {};
  const name = username.trim().toLowerCase();
  if (clients[name]) return { clientId: clients[name], known: true };
  return { clientId: uuid7(), known: false };
}

/** @param {import("./db.js").Tx} tx @param {string} username @param {string} clientId */
export async function rememberClient(tx, username, clientId) {
  /** @type {Record<string, string>} */
  const clients = (await tx.meta(CLIENTS)) || {};
  clients[username.trim().toLowerCase()] = clientId;
  await tx.setMeta(CLIENTS, clients);
}

/** Every person's client on this phone. @param {import("./db.js").Tx} tx
 * @returns {Promise<Record<string, string>>} */
export async function knownClients(tx) {
  return (await tx.meta(CLIENTS)) || {};
}

/** @param {import("./db.js").Tx} tx @returns {Promise<string | undefined>} */
export function replicaOwner(tx) {
  return tx.meta(REPLICA_OWNER);
}

/** @param {import("./db.js").Tx} tx @param {string} clientId */
export function setReplicaOwner(tx, clientId) {
  return tx.setMeta(REPLICA_OWNER, clientId);
}

/** @param {import("./db.js").Tx} tx @param {string} clientId
 * @returns {Promise<StoredRejection[]>} */
export async function getRejections(tx, clientId) {
  return (await tx.meta(rejectionsKey(clientId))) || [];
}

/** @param {import("./db.js").Tx} tx @param {string} clientId @param {StoredRejection[]} list */
export function putRejections(tx, clientId, list) {
  return tx.setMeta(rejectionsKey(clientId), list);
}

/** What domains do for a person once signed in and synced (the desk's device key): each
 * module registers its own, so the worker that carries it runs it.
 * @type {((session: Session) => Promise<boolean>)[]} */
const signInHooks = [];

/** @param {(session: Session) => Promise<boolean>} hook true when it recorded something */
export function onSignIn(hook) {
  signInHooks.push(hook);
}

/** Run the hooks; true when one recorded something (to sync). @param {Session} session */
export async function signedIn(session) {
  const wrote = await Promise.all(signInHooks.map((hook) => hook(session).catch(() => false)));
  return wrote.some(Boolean);
}

/** @param {import("./db.js").Tx} tx @returns {Promise<string | undefined>} */
export function getLanguage(tx) {
  return tx.meta(LANGUAGE);
}

/** @param {import("./db.js").Tx} tx @param {string} language */
export function setLanguage(tx, language) {
  return tx.setMeta(LANGUAGE, language);
}
