// @ts-check
/**
 * Sync protocol v1, the phone's side (docs/protocol.md): upload blobs, push, then pull.
 *
 *  1. Blobs (photos, signatures) of unpushed mutations go first: PUT /api/v1/blobs/{sha256}
 *     (idempotent); a mutation is pushed only after every blob it names is on the server.
 *  2. Push the outbox of the signed-in person's client in batches, ids 1, 2, 3…, each batch
 *     under the schema version its mutations were made with (an app update leaves older
 *     ones waiting: the server upgrades them); the answer's last_mutation_id marks them
 *     acknowledged (they stay until a pull shows their effects).
 *     409 mutation_gap → realign on expected_mutation_id and push again.
 *  3. Pull pages until `more` is false; each page is one IndexedDB transaction (patch,
 *     rejections, cookie); the last one drops acknowledged mutations and rebases (apply.js).
 *  4. 401 (expired or revoked device) pauses syncing until the person signs in again;
 *     update_required pauses it until the app updates. The outbox is always kept.
 *  Every push and pull reports this app's build and how many of its mutations the server
 *  has not yet accepted (X-Caretaker-App-Version, X-Caretaker-Pending): the office's list
 *  of devices shows them.
 *
 * Single-flight: one run at a time in this worker (a second request while running schedules
 * one more run). That does not protect against a lost acknowledgement when the worker is
 * killed mid-push — the server's per-client mutation ids do. Failures back off
 * exponentially (2 s … 5 min, jittered); "online", a visible page and "sync now" retry at
 * once.
 */

import { begin, inTx } from "./db.js";
import { applyPull } from "./apply.js";
import { unpushed } from "./outbox.js";
import { getClient, getSession, putClient, putSession } from "./session.js";

const PUSH_BATCH = 200;
const REQUEST_TIMEOUT_MS = 20000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
const BLOB_KEEP_MS = 7 * 24 * 3600 * 1000;
const BLOB_GC_EVERY_MS = 3600 * 1000;
const UNUSED_BLOB_KEEP_MS = 24 * 3600 * 1000;

/** @typedef {{phase: "idle" | "push" | "pull" | "done" | "error" | "paused", total: number,
 *   sent: number, error: string, startedAt: number}} Progress */

/** @type {Progress} */
export const progress = { phase: "idle", total: 0, sent: 0, error: "", startedAt: 0 };

let schemaVersion = 1;
let build = "";
/** Mutations of this run's client not yet accepted (the X-Caretaker-Pending report). */
let pending = 0;
/** @type {(message: Record<string, any>) => void} */
let notify = () => {};
/** Whether this worker carries the code of a person's domains (server/app_shell/
 * domain_sets.py); a worker that does not leaves the sync to the one that replaces it.
 * @type {(role: string) => boolean} */
let carries = () => true;
/** @type {Promise<void> | null} */
let inflight = null;
let runAgain = false;
let forceAgain = false;
let failures = 0;
let nextAttemptAt = 0;
let changed = false; // this run changed what the screens show
let lastBlobGc = 0;
/** @type {ReturnType<typeof setTimeout> | null} */
let retryTimer = null;

class Paused extends Error {}
class NetworkError extends Error {}

/**
 * @param {{schemaVersion: number, build: string, notify: (message: Record<string, any>) => void,
 *   carries?: (role: string) => boolean}} options
 */
export function configure(options) {
  schemaVersion = options.schemaVersion;
  build = options.build;
  notify = options.notify;
  if (options.carries) carries = options.carries;
}

export function isSyncing() {
  return inflight !== null;
}

/**
 * Sync now, or soon: respects the backoff unless `force` (a person asked, or the network
 * came back). Resolves when this run (and any queued one) is over.
 * @param {{force?: boolean}} [options]
 */
export function requestSync(options = {}) {
  if (options.force) nextAttemptAt = 0;
  if (Date.now() < nextAttemptAt) return Promise.resolve();
  if (inflight) {
    runAgain = true;
    // a forced request (the network came back) during an attempt that then fails must still
    // run: that failure's backoff would otherwise swallow it
    if (options.force) forceAgain = true;
    return inflight;
  }
  inflight = (async () => {
    try {
      do {
        runAgain = false;
        forceAgain = false;
        await runOnce();
      } while (forceAgain || (runAgain && Date.now() >= nextAttemptAt));
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

async function runOnce() {
  const tx = await begin("readonly");
  const session = await getSession(tx);
  const client = session ? await getClient(tx, session.client_id) : undefined;
  await tx.done;
  if (!session || !client || session.paused || !carries(session.user.role)) return;
  progress.phase = "push";
  progress.error = "";
  progress.startedAt = Date.now();
  changed = false;
  try {
    await uploadBlobs(session, client.acked);
    await push(session);
    progress.phase = "pull";
    await pull(session);
    failures = 0;
    nextAttemptAt = 0;
    progress.phase = "done";
    await collectBlobs();
  } catch (err) {
    if (err instanceof Paused) {
      progress.phase = "paused";
    } else {
      failures += 1;
      const wait = Math.min(MAX_BACKOFF_MS, 2000 * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
      nextAttemptAt = Date.now() + wait;
      // retry by itself while the worker lives (pages' ticks and "online" cover the rest)
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        requestSync();
      }, wait + 50);
      progress.phase = "error";
      progress.error = err instanceof NetworkError ? "offline" : String(err);
      if (!(err instanceof NetworkError)) console.warn("caretaker sync failed", err);
    }
  } finally {
    notify({ type: "synced", phase: progress.phase, changed });
  }
}

/**
 * @param {string} url @param {RequestInit} init
 * @returns {Promise<{status: number, body: any}>}
 */
async function call(url, init) {
  let res;
  try {
    res = await fetch(url, { ...init, cache: "no-store", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new NetworkError(String(err));
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

/** @param {string} token @param {string} path @param {unknown} payload */
function post(token, path, payload) {
  return call(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
      "X-Caretaker-App-Version": build,
      "X-Caretaker-Pending": `${pending}`,
    },
    body: JSON.stringify(payload),
  });
}

/**
 * Pause on 401/update_required; other failures throw (and back off).
 * @param {import("./session.js").Session} session @param {{status: number, body: any}} res
 */
async function failed(session, res) {
  const code = res.body && res.body.code;
  /** @type {"auth" | "update" | null} */
  let paused = null;
  if (res.status === 401 || code === "client_not_yours") paused = "auth";
  else if (res.status === 426 || code === "update_required") paused = "update";
  if (paused) {
    const tx = await begin("readwrite", "strict");
    const current = await getSession(tx);
    if (current && current.client_id === session.client_id) {
      await putSession(tx, { ...current, paused });
    }
    await tx.done;
    if (paused === "update") notify({ type: "update-required" });
    throw new Paused(paused);
  }
  throw new Error(`sync: HTTP ${res.status} ${code || ""}`);
}

/** @param {import("./session.js").Session} session @param {number} acked */
async function uploadBlobs(session, acked) {
  const tx = await begin("readonly");
  const entries = await unpushed(tx, session.client_id, acked);
  const shas = [...new Set(entries.flatMap((m) => m.blobs || []))];
  const blobs = await Promise.all(shas.map((sha) => tx.blob(sha)));
  await tx.done;
  for (const blob of blobs) {
    if (!blob || blob.uploaded) continue;
    const res = await call(`/api/v1/blobs/${blob.sha256}`, {
      method: "PUT",
      headers: { "Content-Type": blob.type, Authorization: `Bearer ${session.token}` },
      body: blob.bytes,
    });
    const refused = res.status >= 400 && res.status < 500 && ![401, 403, 408, 426, 429].includes(res.status);
    if (res.status >= 300 && !refused) await failed(session, res);
    if (refused) {
      // the server will never take these bytes: send the mutation anyway, so that it comes
      // back as a rejection with a reason instead of wedging the queue
      console.warn("caretaker: blob refused", blob.sha256, res.status, res.body);
    }
    await inTx("readwrite", async (wtx) => {
      const current = await wtx.blob(blob.sha256);
      if (current) await wtx.putBlob({ ...current, uploaded: 1 });
    });
  }
}

/** @param {import("./session.js").Session} session */
async function push(session, retried = false) {
  for (;;) {
    const tx = await begin("readonly");
    const client = await getClient(tx, session.client_id);
    const entries = client ? await unpushed(tx, session.client_id, client.acked) : [];
    await tx.done;
    pending = entries.length;
    if (!client || !pending) return;
    const schema = entries[0].schema ?? 1;
    let batch = entries.slice(0, PUSH_BATCH);
    const other = batch.findIndex((m) => (m.schema ?? 1) !== schema);
    if (other > 0) batch = batch.slice(0, other);
    const res = await post(session.token, "/api/v1/sync/push", {
      client_id: session.client_id,
      schema_version: schema,
      mutations: batch.map((m) => ({ id: m.id, name: m.name, args: m.args, hlc: m.hlc })),
    });
    if (res.status === 409 && res.body && res.body.code === "mutation_gap" && !retried) {
      await realign(session.client_id, Number(res.body.expected_mutation_id));
      retried = true;
      continue;
    }
    if (res.status !== 200) await failed(session, res);
    changed = true;
    await inTx("readwrite", async (wtx) => {
      const c = await getClient(wtx, session.client_id);
      if (c) await putClient(wtx, { ...c, acked: Math.max(c.acked, res.body.last_mutation_id) });
    });
    // the batch is accepted: what the next request (a push, or the pull) reports
    if ((pending -= batch.length) < 1) return;
  }
}

/**
 * The server expects `expected` next. If it is ahead, it already has (applied or rejected)
 * ours up to expected-1. If it is behind, ids in between were never stored here (a restored
 * phone): renumber the unsent ones so the queue does not wedge.
 * @param {string} clientId @param {number} expected
 */
async function realign(clientId, expected) {
  await inTx(
    "readwrite",
    async (tx) => {
      const client = await getClient(tx, clientId);
      if (!client) return;
      const pending = (await tx.pending(clientId)).filter((m) => m.id > client.acked);
      const first = pending.length ? pending[0].id : client.next_id;
      if (expected > first) {
        client.acked = expected - 1;
        client.next_id = Math.max(client.next_id, expected);
      } else if (expected < first) {
        const shift = first - expected;
        for (const m of pending) await tx.deleteMutation(clientId, m.id);
        for (const m of pending) await tx.addMutation({ ...m, id: m.id - shift });
        client.next_id -= shift;
        client.acked = expected - 1;
      }
      await putClient(tx, client);
    },
    "strict",
  );
}

/** @param {import("./session.js").Session} session */
async function pull(session) {
  for (;;) {
    const tx = await begin("readonly");
    const client = await getClient(tx, session.client_id);
    await tx.done;
    if (!client) return;
    const res = await post(session.token, "/api/v1/sync/pull", {
      client_id: session.client_id,
      schema_version: schemaVersion,
      cookie: client.cookie,
    });
    if (res.status !== 200) await failed(session, res);
    const page = res.body;
    progress.total = page.total || 0;
    progress.sent = page.sent || 0;
    if (page.patch.length || page.rejections.length) changed = true;
    await inTx("readwrite", (wtx) => applyPull(wtx, session, page, Date.now()), "relaxed");
    if (page.more) notify({ type: "progress", total: progress.total, sent: progress.sent });
    else return;
  }
}

/** Drop uploaded blobs after a week and never-used ones (abandoned forms) after a day
 * (at most hourly: it reads every blob). */
async function collectBlobs() {
  const now = Date.now();
  if (now - lastBlobGc < BLOB_GC_EVERY_MS) return;
  lastBlobGc = now;
  await inTx("readwrite", async (tx) => {
    const referenced = new Set((await tx.allPending()).flatMap((m) => m.blobs || []));
    for (const blob of await tx.allBlobs()) {
      if (referenced.has(blob.sha256)) continue;
      const age = now - Date.parse(blob.created_at);
      if ((blob.uploaded && age > BLOB_KEEP_MS) || (!blob.used && age > UNUSED_BLOB_KEEP_MS)) {
        tx.deleteBlob(blob.sha256);
      }
    }
  });
}
