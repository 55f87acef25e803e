// @ts-check
/** The sync status every screen shows, read from IndexedDB and the sync module's state. */

import { begin } from "../db.js";
import { DOMAINS } from "../domains.js";
import { getClient, getRejections, getSession } from "../session.js";
import { isSyncing, progress } from "../sync.js";

/** The office's reviews of the person's records that need them (has issues, rejected).
 * @param {import("../db.js").StoredRecord[]} reviews @param {string} me */
export const flagged = (reviews, me) =>
  reviews.filter((r) => r.data.state != "approved" && (r.data.staff_ids || []).includes(me));

/**
 * The status as it is now (after the screen's own writes), in one read transaction.
 * @param {number} now
 * @returns {Promise<import("../views/layout.js").Status>}
 */
export async function loadStatus(now) {
  const tx = await begin("readonly");
  const session = await getSession(tx);
  if (!session) {
    await tx.done;
    return {
      signedIn: false, name: "", role: "", nav: [], pending: 0, lastSyncAt: null,
      syncing: false, phase: "idle", paused: null, inbox: 0, syncedOnce: false, now,
    };
  }
  const [pending, client, rejections, conflicts, reviews] = await Promise.all([
    tx.pendingCount(session.client_id),
    getClient(tx, session.client_id),
    getRejections(tx, session.client_id),
    tx.recordsOfType("conflict"),
    tx.recordsOfType("review"),
  ]);
  await tx.done;
  const mine = conflicts.filter(
    (c) => c.data.status === "open" && (c.data.staff_ids || []).includes(session.user.id),
  );
  return {
    signedIn: true,
    name: session.user.display_name,
    role: session.user.role,
    nav: DOMAINS.flatMap((d) => d.nav(session.user.role)),
    pending,
    lastSyncAt: client ? client.last_sync_at : null,
    syncing: isSyncing(),
    phase: progress.phase,
    paused: session.paused,
    inbox: mine.length + rejections.filter((r) => !r.seen).length + flagged(reviews, session.user.id).length,
    syncedOnce: Boolean(client && client.synced_once),
    now,
  };
}
