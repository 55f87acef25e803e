// @ts-check
/**
 * The outbox: every write on the phone becomes a mutation {id, name, args, hlc}, stored
 * here first and applied optimistically to the replica IN THE SAME TRANSACTION (see
 * `record`). Ids count 1, 2, 3… per client; the server skips ids it already has, which makes
 * every retry safe. Whose mutations these are, and who may push them: see session.js.
 */

import * as hlc from "./hlc.js";
import { actorOf, applyMutation } from "./apply.js";
import { kit } from "./kit/declarations.js";
import { getClient, putClient } from "./session.js";

/**
 * Store a mutation and apply it to the replica. Call inside ONE readwrite Tx that holds only
 * IndexedDB requests (args are built and validated before, blobs stored before or in it).
 *
 * @param {import("./db.js").Tx} tx
 * @param {import("./session.js").Session} session
 * @param {string} name
 * @param {Record<string, any>} args
 * @param {{blobs?: string[], now?: number}} [opts]
 * @returns {Promise<{entry: import("./db.js").OutboxEntry,
 *   outcome: import("./kit/engine.js").Outcome}>} the entry, and what the rules made of it
 *   on this phone (a screen that gets a rejection throws, which aborts the transaction: a
 *   mutation the phone's own rules refuse is never queued)
 */
export async function record(tx, session, name, args, opts = {}) {
  const now = opts.now ?? Date.now();
  const client = await getClient(tx, session.client_id);
  if (!client) throw new Error("no sync client for this session");
  const last = client.hlc
    ? hlc.parse(client.hlc)
    : { wall: 0, counter: 0, node: hlc.nodeId(client.client_id) };
  const stamp = hlc.encode(hlc.send(last, now));
  /** @type {import("./db.js").OutboxEntry} */
  const entry = {
    client_id: client.client_id,
    id: client.next_id,
    name,
    args,
    hlc: stamp,
    user_id: session.user.id,
    created_at: new Date(now).toISOString(),
    blobs: opts.blobs || [],
    schema: kit().schema_version,
  };
  client.next_id += 1;
  client.hlc = stamp;
  await tx.addMutation(entry);
  await putClient(tx, client);
  for (const sha of entry.blobs) {
    const blob = await tx.blob(sha);
    if (blob && !blob.used) await tx.putBlob({ ...blob, used: 1 });
  }
  const outcome = await applyMutation(tx, entry, actorOf(session));
  return { entry, outcome };
}

/**
 * Mutations of `clientId` not yet acknowledged by a push (id > acked), in id order.
 * @param {import("./db.js").Tx} tx @param {string} clientId @param {number} acked
 */
export async function unpushed(tx, clientId, acked) {
  return (await tx.pending(clientId)).filter((m) => m.id > acked);
}
