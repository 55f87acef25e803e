// @ts-check
/**
 * The replica is server state with this phone's pending mutations applied on top.
 *
 * A mutation runs through the kit's engine (kit/engine.js: the server's steps and the
 * domain's own rules, registered in domains.js and handed to the kit by sw.js) over the
 * replica; what it stages is written back marked `local: 1`, with the server's version it was based on (`base`, or null for a
 * record the phone created) and the ids that touched it (`pend`). After every complete pull
 * (`applyPull`): patches land on `base` for local records (the optimistic data stays on
 * screen), acknowledged mutations leave the outbox, every local record is put back to its
 * server version, and the still-pending mutations are applied again in order — replica =
 * server state + re-applied pending mutations (a rebase).
 *
 * Everything here runs inside one IndexedDB transaction and awaits only its requests. No
 * record type is named here: tombstones, reserved keys and derived fields follow the
 * declarations.
 */

import { makeRecord, recordKey } from "./db.js";
import * as hlc from "./hlc.js";
import { filteredStreamsOf, kit, recordDecl, rules, streamsOf } from "./kit/declarations.js";
import { runMutation } from "./kit/engine.js";
import { getClient, getRejections, putClient, putRejections } from "./session.js";

/**
 * @typedef {import("./db.js").StoredRecord} StoredRecord
 * @typedef {import("./db.js").OutboxEntry} OutboxEntry
 * @typedef {import("./db.js").Tx} Tx
 * @typedef {import("./kit/context.js").Actor} Actor
 * @typedef {import("./kit/context.js").Rec} Rec
 * @typedef {import("./kit/engine.js").Outcome} Outcome
 * @typedef {{op: "put" | "del", type: string, id: string, data?: Record<string, any> | null}} PatchOp
 * @typedef {{cookie: string, last_mutation_id: number, patch: PatchOp[],
 *   rejections: {mutation_id: number, name: string, code: string, reason: string}[],
 *   more: boolean, total?: number, sent?: number}} PullPage
 */

/** Keys a pull adds to a record's data (sync/pull.py RESERVED). */
export const RESERVED = ["space", "version", "hlc", "field_hlc"];

/** @param {StoredRecord} rec @returns {Rec} */
export function asRec(rec) {
  return { type: rec.type, id: rec.id, space: rec.space, data: rec.data,
    field_hlc: rec.field_hlc || {}, deleted: Boolean(rec.deleted) };
}

/** The replica as the rules read it. @param {Tx} tx */
export function replicaSource(tx) {
  return {
    /** @param {string} type @param {string} id */
    async get(type, id) {
      const rec = await tx.record(type, id);
      return rec ? asRec(rec) : undefined;
    },
    /** @param {string} type @param {string} field @param {any} value */
    async find(type, field, value) {
      return (await tx.find(type, field, value)).map(asRec);
    },
  };
}

/** The spaces whose records' blobs a person may name (sync/streams.py blob_spaces: their
 * sites × the streams their role reads, whole or filtered to their jobs' units, and org).
 * @param {Actor} actor @returns {Set<string>} */
export function readableSpaces(actor) {
  const spaces = new Set([kit().org_space]);
  for (const stream of [...streamsOf(actor.role), ...filteredStreamsOf(actor.role)]) {
    for (const site of actor.sites) spaces.add(`${site}:${stream}`);
  }
  return spaces;
}

/** Whether a blob may be named (as the server decides): this phone holds it (taken here),
 * or a record the person may read names it. @param {Tx} tx @param {string} sha
 * @param {Actor} actor */
export async function blobKnown(tx, sha, actor) {
  if (await tx.blob(sha)) return true;
  const readable = readableSpaces(actor);
  for (const decl of Object.values(kit().records)) {
    for (const f of decl.fields) {
      if (!f.blob) continue;
      for (const rec of await tx.find(decl.name, f.name, sha)) {
        if (readable.has(rec.space)) return true;
      }
    }
  }
  return false;
}

/** The person acting on this phone, as the rules see them (sites from their spaces).
 * @param {{user: {id: string, role: string}, device_id?: string | null, spaces?: string[]}} session
 * @returns {Actor} */
export function actorOf(session) {
  const sites = [...new Set((session.spaces || []).map((s) => s.split(":")[0]).filter((s) => s && s !== kit().org_space))];
  return { staff_id: session.user.id, device_id: session.device_id || null,
    role: session.user.role, sites };
}

/**
 * `next` as changed by pending mutation `mutationId`; `prev` is the record before it (absent
 * when the mutation creates it).
 * @param {StoredRecord} next @param {StoredRecord | undefined} prev @param {number} mutationId
 */
function markLocal(next, prev, mutationId) {
  if (prev && prev.local) {
    next.base = prev.base ?? null;
    next.pend = [...(prev.pend || []), mutationId];
  } else {
    next.base = prev ? { space: prev.space, data: prev.data, field_hlc: prev.field_hlc,
      ...(prev.deleted ? { deleted: /** @type {1} */ (1) } : {}) } : null;
    next.pend = [mutationId];
  }
  next.local = 1;
  return next;
}

/**
 * Apply one pending mutation to the replica through the rules; what the rules refused
 * changes nothing (the server has the last word either way).
 * @param {Tx} tx @param {OutboxEntry} m @param {Actor} actor @returns {Promise<Outcome>}
 */
export async function applyMutation(tx, m, actor) {
  const out = await runMutation(replicaSource(tx), m, actor, {
    rules: rules(), clientId: m.client_id, blobKnown: (sha) => blobKnown(tx, sha, actor),
  });
  for (const rec of out.staged) {
    const prev = await tx.record(rec.type, rec.id);
    const next = makeRecord(rec.type, rec.id, rec.space, rec.data);
    next.field_hlc = rec.field_hlc;
    if (rec.deleted) next.deleted = 1;
    if (prev && prev.version !== undefined) next.version = prev.version;
    await tx.putRecord(markLocal(next, prev, m.id));
  }
  return out;
}

/** A pulled record: its data without the keys the pull added. @param {PatchOp} op
 * @returns {StoredRecord} */
function pulled(op) {
  const d = { ...(op.data || {}) };
  const space = typeof d.space === "string" ? d.space : kit().org_space;
  const version = d.version;
  const fieldHlc = d.field_hlc;
  for (const f of RESERVED) delete d[f];
  const rec = makeRecord(op.type, op.id, space, d);
  if (typeof version === "number") rec.version = version;
  if (fieldHlc && typeof fieldHlc === "object") rec.field_hlc = fieldHlc;
  return rec;
}

/** A tombstone the declaration keeps on phones (a voided loan stays, shown as voided).
 * @param {Base | StoredRecord} rec @param {PatchOp} op @returns {Base | null}
 * @typedef {import("./db.js").Base} Base */
function tombstoned(rec, op) {
  const decl = recordDecl(op.type);
  const t = decl && decl.tombstone;
  if (!t || !t.keep) return null;
  const data = { ...rec.data, [t.flag]: t.deleted_value };
  const reason = op.data && op.data.reason;
  if (t.reason && reason) data[t.reason] = reason;
  return { space: rec.space, data, field_hlc: rec.field_hlc, deleted: 1 };
}

/**
 * Pulled changes onto the replica; a record with pending changes gets them on its `base`.
 * @param {Tx} tx @param {PatchOp[]} patch @param {Set<string>} localKeys
 */
export async function applyPatch(tx, patch, localKeys) {
  for (const op of patch) {
    if (op.type === "space" && op.op === "del") {
      // lost access to a space: every record of it goes; a bucket (sync/buckets.py:
      // "<space>@<unit>", a job's unit no longer the person's) takes that unit's records
      // A record with pending changes loses its server copy: the next rebase drops it (its
      // changes are still sent from the outbox) — no record is left behind for good.
      const mark = op.id.indexOf("@");
      const unit = mark < 0 ? null : op.id.slice(mark + 1) === "-" ? "" : op.id.slice(mark + 1);
      for (const rec of await tx.recordsOfSpace(mark < 0 ? op.id : op.id.slice(0, mark))) {
        if (unit !== null) {
          const decl = recordDecl(rec.type);
          const hasUnit = !!decl && decl.fields.some((f) => f.name === "unit_id");
          if (hasUnit ? (rec.data.unit_id || "") !== unit : unit !== "") continue;
        }
        if (!localKeys.has(rec.k)) tx.deleteRecordByKey(rec.k);
        else if (rec.base) tx.putRecord({ ...rec, base: null });
      }
      continue;
    }
    const k = recordKey(op.type, op.id);
    const current = await tx.record(op.type, op.id);
    if (localKeys.has(k) && current) {
      if (op.op === "put") {
        const rec = pulled(op);
        current.base = { space: rec.space, data: rec.data, field_hlc: rec.field_hlc };
      } else {
        current.base = current.base ? tombstoned(current.base, op) : null;
      }
      tx.putRecord(current);
      continue;
    }
    if (op.op === "put") {
      tx.putRecord(pulled(op));
    } else {
      const kept = current ? tombstoned(current, op) : null;
      if (current && kept) tx.putRecord({ ...current, ...kept });
      else tx.deleteRecord(op.type, op.id);
    }
  }
}

/**
 * Put every local record back to its server version, then apply the pending mutations
 * again, in order.
 * @param {Tx} tx @param {string} clientId @param {Actor} actor
 */
export async function rebase(tx, clientId, actor) {
  for (const rec of await tx.localRecords()) {
    if (rec.base) {
      /** @type {StoredRecord} */
      const back = { k: rec.k, type: rec.type, id: rec.id, space: rec.base.space,
        data: rec.base.data };
      if (rec.base.field_hlc) back.field_hlc = rec.base.field_hlc;
      if (rec.base.deleted) back.deleted = 1;
      if (rec.version !== undefined) back.version = rec.version;
      tx.putRecord(back);
    } else {
      tx.deleteRecordByKey(rec.k);
    }
  }
  for (const m of await tx.pending(clientId)) await applyMutation(tx, m, actor);
}

/** The largest HLC among the pulled records (to keep this phone's clock after them).
 * @param {PatchOp[]} patch */
function maxHlc(patch) {
  let max = "";
  /** @param {unknown} v */
  const see = (v) => {
    if (typeof v === "string" && v.length === 31 && v > max) max = v;
  };
  for (const op of patch) {
    const d = op.data;
    if (!d) continue;
    see(d.hlc);
    const decl = recordDecl(op.type);
    for (const f of decl ? decl.fields : []) if (f.text === "hlc") see(d[f.name]);
  }
  return max;
}

/**
 * One pull page, in one transaction: patch, rejections (kept with what was entered), and on
 * the last page of a round the acknowledged mutations leave and the replica is rebased.
 * @param {Tx} tx
 * @param {import("./session.js").Session} session
 * @param {PullPage} page
 * @param {number} nowMs
 */
export async function applyPull(tx, session, page, nowMs) {
  const clientId = session.client_id;
  const client = await getClient(tx, clientId);
  if (!client) return;
  const localKeys = new Set(await tx.localRecordKeys());
  await applyPatch(tx, page.patch, localKeys);

  if (page.rejections.length) {
    const list = await getRejections(tx, clientId);
    const known = new Set(list.map((r) => r.mutation_id));
    for (const r of page.rejections) {
      if (known.has(r.mutation_id)) continue;
      const m = await tx.mutation(clientId, r.mutation_id);
      list.push({ ...r, args: m ? m.args : null, at: new Date(nowMs).toISOString(), seen: 0 });
    }
    putRejections(tx, clientId, list);
  }

  client.cookie = page.cookie;
  client.server_last_id = page.last_mutation_id;
  client.acked = Math.max(client.acked, page.last_mutation_id);
  const seen = maxHlc(page.patch);
  if (seen) {
    const last = client.hlc
      ? hlc.parse(client.hlc)
      : { wall: 0, counter: 0, node: hlc.nodeId(clientId) };
    client.hlc = hlc.encode(hlc.receive(last, hlc.parse(seen), nowMs));
  }
  if (!page.more) {
    for (const m of await tx.pending(clientId)) {
      if (m.id <= page.last_mutation_id) tx.deleteMutation(clientId, m.id);
    }
    await rebase(tx, clientId, actorOf(session));
    client.last_sync_at = new Date(nowMs).toISOString();
    client.synced_once = true;
  }
  await putClient(tx, client);
}
