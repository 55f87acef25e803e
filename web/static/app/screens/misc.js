// @ts-check
/** Home, the inbox, the language switch, "sync now", and the blob store the page posts
 * photos and signatures to. */

import { begin, inTx } from "../db.js";
import { html } from "../html.js";
import { sha256 } from "../ids.js";
import { t } from "../i18n.js";
import { DOMAINS } from "../domains.js";
import { getRejections, putRejections, setLanguage } from "../session.js";
import { requestSync } from "../sync.js";
import { flagged } from "./status.js";
import { comingSoon } from "../views/home.js";
import { inbox } from "../views/inbox.js";

/** @typedef {import("../router.js").Ctx} Ctx @typedef {import("../router.js").Screen} Screen */

const BLOB_TYPES = ["image/png", "image/jpeg", "image/webp"];
const MAX_BLOB_BYTES = 10 * 1024 * 1024;

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function homeScreen(ctx) {
  const session = /** @type {import("../session.js").Session} */ (ctx.session);
  const domain = DOMAINS.find((d) => d.forRole(session.user.role));
  if (domain) return domain.home(ctx);
  return {
    title: t("Home"),
    main: comingSoon({ name: session.user.display_name, role: session.user.role }),
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function inboxScreen(ctx) {
  const session = /** @type {import("../session.js").Session} */ (ctx.session);
  const tx = await begin("readonly");
  const [conflicts, rejections, reviews] = await Promise.all([
    tx.recordsOfType("conflict"),
    getRejections(tx, session.client_id),
    tx.recordsOfType("review"),
  ]);
  // the records refused mutations name (a loan's key, for its code)
  /** @type {Map<string, Record<string, any>>} */
  const named = new Map();
  for (const r of rejections) {
    for (const [f, v] of Object.entries(r.args || {})) {
      const type = f.endsWith("_id") ? f.slice(0, -3) : "";
      if (type && typeof v === "string" && !named.has(`${type}:${v}`)) {
        const rec = await tx.record(type, v);
        if (rec) named.set(`${type}:${v}`, rec.data);
      }
    }
  }
  await tx.done;
  const mine = conflicts
    .filter((c) => (c.data.staff_ids || []).includes(session.user.id))
    .sort((a, b) => String(b.data.created_at).localeCompare(String(a.data.created_at)));
  return {
    title: t("Inbox"),
    main: inbox({
      conflicts: mine,
      rejections: [...rejections].reverse(),
      reviews: flagged(reviews, session.user.id),
      lookup: (type, id) => named.get(`${type}:${id}`),
    }),
    live: "/m/inbox",
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function inboxSeen(ctx) {
  const session = /** @type {import("../session.js").Session} */ (ctx.session);
  const id = Number((await ctx.form()).get("mutation_id"));
  await inTx("readwrite", async (tx) => {
    const list = await getRejections(tx, session.client_id);
    await putRejections(tx, session.client_id, list.map((r) => (r.mutation_id === id ? { ...r, seen: 1 } : r)));
  });
  return inboxScreen(ctx);
}

/** "Sync now": starts a sync and answers at once (the status bar follows). @param {Ctx} ctx
 * @returns {Promise<Screen>} */
export async function syncNow(ctx) {
  ctx.waitUntil(requestSync({ force: true }));
  return { title: "", main: html``, fragment: html`` };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function statusOnly(ctx) {
  return { title: "", main: html``, fragment: html`` };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function switchLanguage(ctx) {
  const code = ctx.params.code;
  if (code === "zh_Hant" || code === "en") {
    await inTx("readwrite", (tx) => setLanguage(tx, code));
  }
  const back = ctx.request.referrer ? new URL(ctx.request.referrer) : null;
  const to = back && back.origin === ctx.url.origin && back.pathname.startsWith("/m/") ? back.pathname + back.search : "/m/";
  return { title: "", main: html``, redirect: to };
}

/** The page posts a downscaled photo or a signature; it is kept until uploaded.
 * @param {Ctx} ctx */
export async function storeBlob(ctx) {
  const type = (ctx.request.headers.get("Content-Type") || "").split(";")[0].trim();
  const bytes = await ctx.request.arrayBuffer();
  if (!BLOB_TYPES.includes(type) || !bytes.byteLength || bytes.byteLength > MAX_BLOB_BYTES) {
    return { status: 415, body: JSON.stringify({ error: "unsupported" }) };
  }
  const sha = await sha256(bytes);
  await inTx("readwrite", async (tx) => {
    if (!(await tx.blob(sha))) {
      await tx.putBlob({ sha256: sha, type, bytes, uploaded: 0, used: 0, created_at: new Date().toISOString() });
    }
  }, "strict");
  return { status: 200, body: JSON.stringify({ sha256: sha }) };
}

/** A photo or signature: from this phone, else from the server (then kept here).
 * @param {Ctx} ctx @returns {Promise<{status: number, body: BodyInit | null, type: string}>} */
export async function readBlob(ctx) {
  const sha = ctx.params.sha;
  const tx = await begin("readonly");
  const blob = /^[0-9a-f]{64}$/.test(sha) ? await tx.blob(sha) : undefined;
  await tx.done;
  if (blob) return { status: 200, body: blob.bytes, type: blob.type };
  if (!ctx.session || ctx.session.paused) return { status: 404, body: null, type: "text/plain" };
  try {
    const res = await fetch(`/api/v1/blobs/${sha}`, {
      headers: { Authorization: `Bearer ${ctx.session.token}` },
      signal: AbortSignal.timeout(15000),
    });
    if (!res.ok) return { status: 404, body: null, type: "text/plain" };
    const type = (res.headers.get("Content-Type") || "").split(";")[0];
    const bytes = await res.arrayBuffer();
    if (BLOB_TYPES.includes(type) && (await sha256(bytes)) === sha) {
      await inTx("readwrite", (wtx) => wtx.putBlob({ sha256: sha, type, bytes, uploaded: 1, used: 1, created_at: new Date().toISOString() }));
    }
    return { status: 200, body: bytes, type };
  } catch {
    return { status: 404, body: null, type: "text/plain" };
  }
}
