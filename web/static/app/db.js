// @ts-check
/**
 * IndexedDB: the ONLY module that knows the store names, their indexes and the upgrades.
 * Everything else goes through a Tx (one transaction over every store).
 *
 *   replica  server records by "type:id" (+ this phone's pending mutations applied on top;
 *            see apply.js). Indexes: type, refs (multi-entry "type|field|value" of every
 *            declared reference, looked-up or blob field: what a rule's find() reads), open
 *            (the type of a record its declaration calls open: loans out now), local (records
 *            a pending mutation changed), space.
 *   outbox   mutations not yet acknowledged, key [client_id, id]; index client. Each entry
 *            keeps the schema version it was made under (pushed with that version).
 *   blobs    photos and signatures by sha256 (uploaded before the mutation that needs them).
 *   meta     session, per-person clients (client_id, cookie, mutation ids, HLC),
 *            rejections, language.
 *
 * Upgrades only ever ADD stores and indexes (or migrate values in place): the outbox is the
 * only copy of work done offline and survives every app update.
 *
 *   version 1  the first release.
 *   version 2  the domain kit: the "refs" index replaces "by_key" (key loans by key), the
 *              derived fields of every record are computed again from the declarations,
 *              and every outbox entry made before is marked schema 1.
 *
 * IndexedDB transactions auto-commit when the code awaits anything that is not a request of
 * that transaction (fetch, timers, form parsing, crypto): build everything first, then open
 * one Tx, issue only its requests, and `await tx.done`.
 */

/* global idb */

import { recordDecl } from "./kit/declarations.js";

export const DB_NAME = "caretaker";
export const DB_VERSION = 2;
const STORES = ["replica", "outbox", "blobs", "meta"];

/**
 * @typedef {{space: string, data: Record<string, any>, field_hlc?: Record<string, string>,
 *   deleted?: 1}} Base
 * @typedef {{k: string, type: string, id: string, space: string, version?: number,
 *   data: Record<string, any>, field_hlc?: Record<string, string>, deleted?: 1,
 *   open?: string, refs?: string[], local?: 1, base?: Base | null,
 *   pend?: number[]}} StoredRecord
 * @typedef {{client_id: string, id: number, name: string, args: Record<string, any>,
 *   hlc: string, user_id: string, created_at: string, blobs: string[],
 *   schema?: number}} OutboxEntry
 * @typedef {{sha256: string, type: string, bytes: ArrayBuffer, uploaded: 0|1, used: 0|1,
 *   created_at: string}} StoredBlob
 */

/** @type {Promise<any> | null} */
let dbPromise = null;

/** Counts committed write transactions in this worker: read caches (the key board's) compare
 * it to know they are stale. Never a source of truth: only "something may have changed". */
let writes = 0;
export function writeCount() {
  return writes;
}

/** @returns {any} */
function idbLib() {
  return /** @type {any} */ (globalThis).idb;
}

/** Open (and create or upgrade) the database. */
export function openDb() {
  if (!dbPromise) {
    dbPromise = idbLib().openDB(DB_NAME, DB_VERSION, {
      /** @param {any} db @param {number} oldVersion @param {any} _new @param {any} tx */
      async upgrade(db, oldVersion, _new, tx) {
        // each step only adds (or migrates values in place): never clear the outbox
        if (oldVersion < 1) {
          const replica = db.createObjectStore("replica", { keyPath: "k" });
          replica.createIndex("type", "type");
          replica.createIndex("open", "open");
          replica.createIndex("local", "local");
          replica.createIndex("space", "space");
          const outbox = db.createObjectStore("outbox", { keyPath: ["client_id", "id"] });
          outbox.createIndex("client", "client_id");
          db.createObjectStore("blobs", { keyPath: "sha256" });
          db.createObjectStore("meta");
        }
        if (oldVersion < 2) {
          const replica = tx.objectStore("replica");
          if (replica.indexNames.contains("by_key")) replica.deleteIndex("by_key");
          replica.createIndex("refs", "refs", { multiEntry: true });
          if (oldVersion >= 1) await upgradeTo2(tx);
        }
      },
      blocking() {
        // A newer worker wants to upgrade: close so it can; this (old) worker is about to
        // be replaced and must not reopen at the old version.
        const p = dbPromise;
        dbPromise = null;
        if (p) p.then((/** @type {any} */ db) => db.close());
      },
      terminated() {
        dbPromise = null;
      },
    });
  }
  return dbPromise;
}

/**
 * Version 1 → 2, inside the upgrade's transaction: the records' derived fields from the
 * declarations (the reserved keys a pull added go to their own places), and the schema
 * version of what waits in the outbox (made by the app before the update).
 * @param {any} tx
 */
async function upgradeTo2(tx) {
  let cursor = await tx.objectStore("replica").openCursor();
  while (cursor) {
    const rec = { ...cursor.value };
    const data = { ...rec.data };
    for (const f of ["space", "version", "hlc", "field_hlc"]) delete data[f];
    rec.data = data;
    await cursor.update(withDerived(rec));
    cursor = await cursor.continue();
  }
  cursor = await tx.objectStore("outbox").openCursor();
  while (cursor) {
    if (cursor.value.schema === undefined) await cursor.update({ ...cursor.value, schema: 1 });
    cursor = await cursor.continue();
  }
}

/** @param {string} type @param {string} id */
export function recordKey(type, id) {
  return `${type}:${id}`;
}

/** The key of the refs index for records of `type` whose `field` holds `value`.
 * @param {string} type @param {string} field @param {unknown} value */
export function refKey(type, field, value) {
  return `${type}|${field}|${value}`;
}

/**
 * A stored record with its derived index fields.
 * @param {string} type @param {string} id @param {string} space @param {Record<string, any>} data
 * @returns {StoredRecord}
 */
export function makeRecord(type, id, space, data) {
  /** @type {StoredRecord} */
  const rec = { k: recordKey(type, id), type, id, space, data };
  return withDerived(rec);
}

/**
 * A record's derived index fields, from its declaration: `open` (its type, when its
 * declared open conditions hold and it is not deleted), `refs` (every looked-up field's value).
 * @param {StoredRecord} rec
 */
export function withDerived(rec) {
  const decl = recordDecl(rec.type);
  const open = Boolean(decl && decl.open_when.length && !rec.deleted) &&
    /** @type {NonNullable<typeof decl>} */ (decl).open_when.every(([f, want]) => {
      const got = rec.data[f];
      if (want === null) return got === null || got === undefined;
      if (want === true || want === false) return Boolean(got) === want;
      return got === want;
    });
  if (open) rec.open = rec.type;
  else delete rec.open;
  /** @type {string[]} */
  const refs = [];
  for (const f of decl ? decl.fields : []) {
    if (!f.indexed && !f.blob) continue;
    const v = rec.data[f.name];
    if (typeof v === "string" && v) refs.push(refKey(rec.type, f.name, v));
    else if (Array.isArray(v)) for (const item of v) refs.push(refKey(rec.type, f.name, item));
  }
  if (refs.length) rec.refs = refs;
  else delete rec.refs;
  return rec;
}

/** One transaction over every store; only IDB requests inside (see above). */
export class Tx {
  /** @param {any} tx */
  constructor(tx) {
    this.tx = tx;
    this.replica = tx.objectStore("replica");
    this.outbox = tx.objectStore("outbox");
    this.blobs = tx.objectStore("blobs");
    this.metaStore = tx.objectStore("meta");
  }

  /** @returns {Promise<void>} */
  get done() {
    return this.tx.done;
  }

  abort() {
    try {
      this.tx.abort();
    } catch {
      /* already finished */
    }
  }

  // --- replica ---------------------------------------------------------------------------

  /** @param {string} type @param {string} id @returns {Promise<StoredRecord | undefined>} */
  record(type, id) {
    return this.replica.get(recordKey(type, id));
  }

  /** @param {StoredRecord} rec */
  putRecord(rec) {
    return this.replica.put(withDerived(rec));
  }

  /** @param {string} type @param {string} id */
  deleteRecord(type, id) {
    return this.replica.delete(recordKey(type, id));
  }

  /** @param {string} type @returns {Promise<StoredRecord[]>} */
  recordsOfType(type) {
    return this.replica.index("type").getAll(type);
  }

  /** Records of `type` whose `field` holds `value` (a declared reference, looked-up or blob
   * field). @param {string} type @param {string} field @param {unknown} value
   * @returns {Promise<StoredRecord[]>} */
  find(type, field, value) {
    return this.replica.index("refs").getAll(refKey(type, field, value));
  }

  /** Records of `type` that are open (their declaration says when: loans out now).
   * @param {string} type @returns {Promise<StoredRecord[]>} */
  openOf(type) {
    return this.replica.index("open").getAll(type);
  }

  /** Records a pending mutation changed. @returns {Promise<StoredRecord[]>} */
  localRecords() {
    return this.replica.index("local").getAll(1);
  }

  /** @returns {Promise<string[]>} */
  localRecordKeys() {
    return this.replica.index("local").getAllKeys(1);
  }

  /** @param {string} space @returns {Promise<string[]>} */
  recordKeysOfSpace(space) {
    return this.replica.index("space").getAllKeys(space);
  }

  /** @param {string} space @returns {Promise<StoredRecord[]>} */
  recordsOfSpace(space) {
    return this.replica.index("space").getAll(space);
  }

  /** @param {string} k */
  deleteRecordByKey(k) {
    return this.replica.delete(k);
  }

  clearReplica() {
    return this.replica.clear();
  }

  // --- outbox ----------------------------------------------------------------------------

  /** Pending mutations of a client, in id order. @param {string} clientId
   * @returns {Promise<OutboxEntry[]>} */
  pending(clientId) {
    return this.outbox.index("client").getAll(clientId);
  }

  /** @param {string} clientId @returns {Promise<number>} */
  pendingCount(clientId) {
    return this.outbox.index("client").count(clientId);
  }

  /** @returns {Promise<OutboxEntry[]>} */
  allPending() {
    return this.outbox.getAll();
  }

  /** @param {OutboxEntry} entry */
  addMutation(entry) {
    return this.outbox.add(entry);
  }

  /** @param {OutboxEntry} entry */
  putMutation(entry) {
    return this.outbox.put(entry);
  }

  /** @param {string} clientId @param {number} id @returns {Promise<OutboxEntry | undefined>} */
  mutation(clientId, id) {
    return this.outbox.get([clientId, id]);
  }

  /** @param {string} clientId @param {number} id */
  deleteMutation(clientId, id) {
    return this.outbox.delete([clientId, id]);
  }

  // --- blobs -----------------------------------------------------------------------------

  /** @param {string} sha @returns {Promise<StoredBlob | undefined>} */
  blob(sha) {
    return this.blobs.get(sha);
  }

  /** @param {StoredBlob} blob */
  putBlob(blob) {
    return this.blobs.put(blob);
  }

  /** @returns {Promise<StoredBlob[]>} */
  allBlobs() {
    return this.blobs.getAll();
  }

  /** @param {string} sha */
  deleteBlob(sha) {
    return this.blobs.delete(sha);
  }

  // --- meta ------------------------------------------------------------------------------

  /** @param {string} key @returns {Promise<any>} */
  meta(key) {
    return this.metaStore.get(key);
  }

  /** @param {string} key @param {any} value */
  setMeta(key, value) {
    return this.metaStore.put(value, key);
  }

  /** @param {string} key */
  deleteMeta(key) {
    return this.metaStore.delete(key);
  }
}

/**
 * @param {"readonly" | "readwrite"} [mode]
 * @param {"strict" | "relaxed" | "default"} [durability] "strict" (flushed to disk before
 *   done) for the outbox — the only copy of offline work; "relaxed" for pulled pages, which
 *   can be pulled again (their cookie commits in the same transaction).
 */
export async function begin(mode = "readonly", durability = "default") {
  const db = await openDb();
  const tx = new Tx(db.transaction(STORES, mode, { durability }));
  if (mode === "readwrite") {
    writes += 1; // before and after: a read that overlaps the write is not cached as fresh
    tx.done.then(
      () => (writes += 1),
      () => (writes += 1),
    );
  }
  return tx;
}

/**
 * Run `fn` in one transaction and wait for it to commit. `fn` may await only this
 * transaction's requests.
 * @template T
 * @param {"readonly" | "readwrite"} mode
 * @param {(tx: Tx) => Promise<T>} fn
 * @param {"strict" | "relaxed" | "default"} [durability]
 * @returns {Promise<T>}
 */
export async function inTx(mode, fn, durability = "default") {
  const tx = await begin(mode, durability);
  let result;
  try {
    result = await fn(tx);
  } catch (err) {
    tx.abort();
    await tx.done.catch(() => undefined);
    throw err;
  }
  await tx.done;
  return result;
}
