// @ts-check
/**
 * The replica is server state with this phone's pending mutations applied on top.
 *
 * A record a pending mutation changed carries `local: 1`, the server's version it was based
 * on (`base`, or null for a record the phone created) and the ids that touched it (`pend`).
 * After every complete pull (`applyPull`): patches land on `base` for local records (the
 * optimistic data stays on screen), acknowledged mutations leave the outbox, every local
 * record is put back to its server version, and the still-pending mutations are applied
 * again in order — replica = server state + re-applied pending mutations (a rebase).
 *
 * Everything here runs inside one IndexedDB transaction and awaits only its requests.
 * The rules mirror sync/mutations/keys.py closely enough to show the right thing at once;
 * the server re-runs them and has the last word (conflicts, rejections).
 */

import { makeRecord, recordKey } from "./db.js";
import * as hlc from "./hlc.js";
import { getClient, getRejections, putClient, putRejections } from "./session.js";

/**
 * @typedef {import("./db.js").StoredRecord} StoredRecord
 * @typedef {import("./db.js").OutboxEntry} OutboxEntry
 * @typedef {import("./db.js").Tx} Tx
 * @typedef {{staff_id: string, device_id: string | null}} Actor
 * @typedef {{op: "put" | "del", type: string, id: string, data?: Record<string, any> | null}} PatchOp
 * @typedef {{cookie: string, last_mutation_id: number, patch: PatchOp[],
 *   rejections: {mutation_id: number, name: string, code: string, reason: string}[],
 *   more: boolean, total?: number, sent?: number}} PullPage
 */

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
    next.base = prev ? { space: prev.space, data: prev.data } : null;
    next.pend = [mutationId];
  }
  next.local = 1;
  return next;
}

/** @param {StoredRecord} rec @param {Record<string, any>} changes @returns {StoredRecord} */
function changed(rec, changes) {
  return { ...rec, data: { ...rec.data, ...changes } };
}

/** @type {Record<string, (tx: Tx, m: OutboxEntry, actor: Actor) => Promise<void>>} */
const MUTATORS = {
  async "key.lend"(tx, m, actor) {
    const a = m.args;
    if (await tx.record("key_loan", a.loan_id)) return; // already there (a retry)
    const key = await tx.record("key", a.key_id);
    const data = {
      site_id: key ? key.data.site_id : "",
      key_id: a.key_id,
      borrower_name: a.borrower_name,
      borrower_phone: a.borrower_phone || "",
      borrower_kind: a.borrower_kind,
      id_type: a.id_type || "none",
      id_last4: a.id_last4 || "",
      purpose: a.purpose || "",
      approver: a.approver || "",
      owner_consent: a.owner_consent || "",
      deposit: a.deposit || "",
      lent_at: a.lent_at,
      due_at: a.due_at,
      signature_blob: a.signature_blob || "",
      lent_by: actor.staff_id,
      lent_device: actor.device_id,
      lent_hlc: m.hlc,
      returned_at: null,
      returned_by: "",
      return_notes: "",
      return_photos: [],
      return_recorded_by: null,
      return_hlc: "",
      voided: false,
      void_reason: "",
      voided_by: null,
    };
    const rec = makeRecord("key_loan", a.loan_id, key ? key.space : "", data);
    await tx.putRecord(markLocal(rec, undefined, m.id));
  },

  async "key.return"(tx, m, actor) {
    const a = m.args;
    const loan = await tx.record("key_loan", a.loan_id);
    // voided, unknown or returned already: the server decides (rejection/double_return)
    if (!loan || loan.data.voided || loan.data.returned_at != null) return;
    const next = changed(loan, {
      returned_at: a.returned_at,
      returned_by: a.returned_by,
      return_notes: a.return_notes || "",
      return_photos: a.return_photos || [],
      return_recorded_by: actor.staff_id,
      return_hlc: m.hlc,
    });
    await tx.putRecord(markLocal(next, loan, m.id));
  },

  async "key.void_loan"(tx, m, actor) {
    const a = m.args;
    const loan = await tx.record("key_loan", a.loan_id);
    if (!loan || loan.data.voided) return;
    const next = changed(loan, { voided: true, void_reason: a.reason, voided_by: actor.staff_id });
    await tx.putRecord(markLocal(next, loan, m.id));
  },

  async "key.register"(tx, m) {
    const a = m.args;
    if (await tx.record("key", a.key_id)) return;
    const rec = makeRecord("key", a.key_id, a.site_id, {
      site_id: a.site_id,
      code: a.code,
      label: a.label,
      category: a.category,
      unit_id: a.unit_id ?? null,
      notes: a.notes || "",
      retired: false,
    });
    await tx.putRecord(markLocal(rec, undefined, m.id));
  },

  async "key.update"(tx, m) {
    const a = m.args;
    const key = await tx.record("key", a.key_id);
    if (!key) return;
    await tx.putRecord(markLocal(changed(key, a.fields), key, m.id));
  },
};

/** Apply one pending mutation to the replica. @param {Tx} tx @param {OutboxEntry} m @param {Actor} actor */
export async function applyMutation(tx, m, actor) {
  const mutator = MUTATORS[m.name];
  if (mutator) await mutator(tx, m, actor);
}

/** The space a pulled record lives in (a site id; the site itself is its own space). */
function spaceOf(/** @type {PatchOp} */ op) {
  const d = op.data || {};
  if (typeof d.space === "string" && d.space) return d.space;
  if (typeof d.site_id === "string" && d.site_id) return d.site_id;
  return op.type === "site" ? op.id : "org";
}

/**
 * Pulled changes onto the replica; a record with pending changes gets them on its `base`.
 * @param {Tx} tx @param {PatchOp[]} patch @param {Set<string>} localKeys
 */
async function applyPatch(tx, patch, localKeys) {
  for (const op of patch) {
    if (op.type === "space" && op.op === "del") {
      // lost access to a site: every record of it goes
      for (const k of await tx.recordKeysOfSpace(op.id)) {
        if (!localKeys.has(k)) tx.deleteRecordByKey(k);
      }
      continue;
    }
    const k = recordKey(op.type, op.id);
    if (localKeys.has(k)) {
      const rec = await tx.record(op.type, op.id);
      if (rec) {
        if (op.op === "put") rec.base = { space: spaceOf(op), data: op.data || {} };
        else if (op.type === "key_loan" && op.data && op.data.reason && rec.base) {
          rec.base = { ...rec.base, data: { ...rec.base.data, voided: true, void_reason: op.data.reason } };
        } else rec.base = null;
        tx.putRecord(rec);
        continue;
      }
    }
    if (op.op === "put") {
      tx.putRecord(makeRecord(op.type, op.id, spaceOf(op), op.data || {}));
    } else if (op.type === "key_loan" && op.data && op.data.reason) {
      // a voided loan: keep it on the phone as closed, with the office's reason
      const rec = await tx.record(op.type, op.id);
      if (rec) {
        tx.putRecord({ ...rec, data: { ...rec.data, voided: true, void_reason: op.data.reason } });
      }
    } else {
      tx.deleteRecord(op.type, op.id);
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
      tx.putRecord({ k: rec.k, type: rec.type, id: rec.id, space: rec.base.space, data: rec.base.data });
    } else {
      tx.deleteRecordByKey(rec.k);
    }
  }
  for (const m of await tx.pending(clientId)) await applyMutation(tx, m, actor);
}

/** The largest HLC among the pulled records (to keep this phone's clock after them). */
function maxHlc(/** @type {PatchOp[]} */ patch) {
  let max = "";
  for (const op of patch) {
    const d = op.data;
    if (!d) continue;
    for (const f of ["hlc", "lent_hlc", "return_hlc"]) {
      const v = d[f];
      if (typeof v === "string" && v.length === 31 && v > max) max = v;
    }
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
    await rebase(tx, clientId, { staff_id: session.user.id, device_id: session.device_id || null });
    client.last_sync_at = new Date(nowMs).toISOString();
    client.synced_once = true;
  }
  await putClient(tx, client);
}
