// @ts-check
/** Front-desk key screens: parse and validate, then ONE IndexedDB transaction that stores
 * the mutation and applies it (outbox.record), then render. */

import { begin, inTx, writeCount } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { record } from "../outbox.js";
import { KEY_ROLES } from "../session.js";
import { defaultDue, fromLocalInput, toLocalInput } from "../views/format.js";
import { notForRole } from "../views/home.js";
import { BORROWER_KINDS, ID_TYPES } from "../views/labels.js";
import { TABS, board, keyResults, lendForm, loanDetail, returnForm } from "../views/keys.js";

const PAGE_SIZE = 50;
const SHA256 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 */

/** @param {Ctx} ctx */
function allowed(ctx) {
  return Boolean(ctx.session && KEY_ROLES.includes(ctx.session.user.role));
}

/** @returns {Screen} */
function refused() {
  return { title: t("Not available for your role"), main: notForRole(), status: 403 };
}

/** @param {StoredRecord[]} loans */
function byKey(loans) {
  /** @type {Map<string, StoredRecord[]>} */
  const map = new Map();
  for (const loan of loans) {
    const list = map.get(loan.data.key_id) || [];
    list.push(loan);
    map.set(loan.data.key_id, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.data.lent_at.localeCompare(b.data.lent_at));
  return map;
}

/**
 * The board's rows from IndexedDB: every key with its unit number and open loans. Kept in
 * memory between requests (search as you type asks for it on every keystroke) and read again
 * after any write in this worker (writeCount changes).
 * @type {{writes: number, rows: Omit<KeyRow, "overdue">[]} | null}
 */
let boardCache = null;

/** @typedef {{key: StoredRecord, unit: string, loans: StoredRecord[], out: boolean,
 *   overdue: boolean, pending: boolean}} KeyRow */

async function boardRows() {
  const seen = writeCount();
  if (boardCache && boardCache.writes === seen) return boardCache.rows;
  const tx = await begin("readonly");
  const [keys, open] = await Promise.all([tx.recordsOfType("key"), tx.openLoans()]);
  const unitIds = [...new Set(keys.map((k) => k.data.unit_id).filter(Boolean))];
  const units = await Promise.all(unitIds.map((id) => tx.record("unit", id)));
  await tx.done;
  /** @type {Map<string, string>} */
  const unitNumber = new Map();
  units.forEach((u, i) => {
    if (u) unitNumber.set(unitIds[i], u.data.number);
  });
  const loans = byKey(open);
  const rows = keys
    .filter((k) => !k.data.retired)
    .sort((a, b) => a.data.code.localeCompare(b.data.code))
    .map((key) => {
      const keyLoans = loans.get(key.id) || [];
      return {
        key,
        unit: key.data.unit_id ? unitNumber.get(key.data.unit_id) || "" : "",
        loans: keyLoans,
        out: keyLoans.length > 0,
        pending: Boolean(key.local) || keyLoans.some((l) => l.local),
      };
    });
  if (writeCount() === seen) boardCache = { writes: seen, rows };
  return rows;
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function boardScreen(ctx) {
  if (!allowed(ctx)) return refused();
  const tabParam = ctx.query.get("tab") || "all";
  const tab = TABS.includes(tabParam) ? tabParam : "all";
  const q = (ctx.query.get("q") || "").trim().toLowerCase();
  const now = ctx.now;
  const cached = await boardRows();
  const all = cached.map((r) => ({
    ...r,
    overdue: r.loans.some((l) => Date.parse(l.data.due_at) < now),
  }));
  const matches = q
    ? all.filter(
        (r) =>
          r.key.data.code.toLowerCase().includes(q) ||
          r.key.data.label.toLowerCase().includes(q) ||
          r.unit.toLowerCase().includes(q) ||
          r.loans.some((l) => l.data.borrower_name.toLowerCase().includes(q)),
      )
    : all;
  const counts = {
    all: matches.length,
    out: matches.filter((r) => r.out).length,
    overdue: matches.filter((r) => r.overdue).length,
    available: matches.filter((r) => !r.out).length,
  };
  let rows = matches;
  if (tab === "out") rows = matches.filter((r) => r.out);
  else if (tab === "overdue") rows = matches.filter((r) => r.overdue);
  else if (tab === "available") rows = matches.filter((r) => !r.out);
  if (tab === "out" || tab === "overdue") {
    rows.sort((a, b) => a.loans[0].data.due_at.localeCompare(b.loans[0].data.due_at));
  }
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(pages, Math.max(1, parseInt(ctx.query.get("page") || "1", 10) || 1));
  const b = {
    tab,
    q: ctx.query.get("q") || "",
    page,
    pages,
    total: rows.length,
    rows: rows.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    counts,
    now,
    empty: all.length === 0,
  };
  return {
    title: t("Key board"),
    main: board(b),
    fragment: ctx.target === "key-results" ? keyResults(b) : undefined,
  };
}

const LEND_FIELDS = [
  "key_id", "borrower_name", "borrower_phone", "borrower_kind", "id_type", "id_last4",
  "purpose", "approver", "owner_consent", "due_at", "deposit", "signature_blob",
];

/** The form for the key in `values.key_id`, or the key board to pick one.
 * @param {Ctx} ctx @param {Record<string, string>} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function lendFormScreen(ctx, values, errors) {
  const tx = await begin("readonly");
  const key = UUID.test(values.key_id) ? await tx.record("key", values.key_id) : undefined;
  const unit = key && key.data.unit_id ? await tx.record("unit", key.data.unit_id) : undefined;
  const loans = key ? await tx.loansOfKey(key.id) : [];
  await tx.done;
  if (!key || key.data.retired) {
    return { title: t("Lend a key"), main: html``, redirect: "/m/keys?tab=available" };
  }
  return {
    title: t("Lend a key"),
    main: lendForm({
      values,
      errors,
      key,
      unit: unit ? unit.data.number : "",
      openLoans: loans.filter((l) => l.open),
    }),
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function lendScreen(ctx) {
  if (!allowed(ctx)) return refused();
  /** @type {Record<string, string>} */
  const values = {
    key_id: ctx.query.get("key") || "",
    id_type: "none",
    due_at: toLocalInput(defaultDue(ctx.now)),
  };
  return lendFormScreen(ctx, values, {});
}

/**
 * Server rules (sync/mutations/keys.py KeyLend) checked before anything is stored.
 * @param {Record<string, string>} v @param {StoredRecord | undefined} key
 * @param {boolean} signed @param {number} now
 */
function lendErrors(v, key, signed, now) {
  /** @type {Record<string, string>} */
  const e = {};
  if (!key) e.key_id = t("Choose the key to lend.");
  else if (key.data.retired) e.key_id = t("This key is retired and cannot be lent.");
  if (!v.borrower_name) e.borrower_name = t("Enter the borrower's name.");
  else if (v.borrower_name.length > 120) e.borrower_name = t("At most {n} characters.", { n: 120 });
  if (v.borrower_phone.length > 40) e.borrower_phone = t("At most {n} characters.", { n: 40 });
  if (!BORROWER_KINDS.includes(v.borrower_kind)) e.borrower_kind = t("Choose who the borrower is.");
  if (!ID_TYPES.includes(v.id_type)) e.id_type = t("Choose the ID type.");
  else if (v.id_type === "none" && v.id_last4) e.id_last4 = t("Choose the ID type, or leave the last 4 characters empty.");
  else if (v.id_type !== "none" && !/^[0-9A-Za-z()]{4}$/.test(v.id_last4)) {
    e.id_last4 = t("Enter exactly the last 4 characters of the ID.");
  }
  if (v.purpose.length > 255) e.purpose = t("At most {n} characters.", { n: 255 });
  if (v.approver.length > 120) e.approver = t("At most {n} characters.", { n: 120 });
  if (v.deposit.length > 60) e.deposit = t("At most {n} characters.", { n: 60 });
  if (key && key.data.category === "owner_deposited" && !v.owner_consent) {
    e.owner_consent = t("This key is owner-deposited: record the owner's consent.");
  } else if (v.owner_consent.length > 255) {
    e.owner_consent = t("At most {n} characters.", { n: 255 });
  }
  const due = fromLocalInput(v.due_at);
  if (!due) e.due_at = t("Enter the date and time the key is due back.");
  else if (due.getTime() < now - 60 * 1000) e.due_at = t("The due time must be later than now.");
  if (!signed) e.signature_blob = t("The borrower must sign on the screen.");
  return e;
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function lendSubmit(ctx) {
  if (!allowed(ctx) || !ctx.session) return refused();
  const session = ctx.session;
  const form = await ctx.form();
  /** @type {Record<string, string>} */
  const v = {};
  for (const name of LEND_FIELDS) v[name] = (form.get(name) || "").trim();
  v.id_last4 = v.id_last4.toUpperCase();
  const sig = SHA256.test(v.signature_blob) ? v.signature_blob : "";
  const check = await begin("readonly");
  const key = UUID.test(v.key_id) ? await check.record("key", v.key_id) : undefined;
  const blob = sig ? await check.blob(sig) : undefined;
  await check.done;
  const now = ctx.now;
  const errors = lendErrors(v, key, Boolean(blob), now);
  if (Object.keys(errors).length) return lendFormScreen(ctx, v, errors);

  const loanId = uuid7(now);
  const args = {
    loan_id: loanId,
    key_id: v.key_id,
    borrower_name: v.borrower_name,
    borrower_phone: v.borrower_phone,
    borrower_kind: v.borrower_kind,
    id_type: v.id_type,
    id_last4: v.id_type === "none" ? "" : v.id_last4,
    purpose: v.purpose,
    approver: v.approver,
    owner_consent: v.owner_consent,
    deposit: v.deposit,
    lent_at: new Date(now).toISOString(),
    due_at: /** @type {Date} */ (fromLocalInput(v.due_at)).toISOString(),
    signature_blob: sig,
  };
  // ONE transaction: outbox + replica (+ the signature marked used), and what the
  // confirmation shows read back from it; IDB requests only
  const written = await inTx(
    "readwrite",
    async (tx) => {
      await record(tx, session, "key.lend", args, { blobs: [sig], now });
      const unitId = key && key.data.unit_id;
      return {
        loan: await tx.record("key_loan", loanId),
        unit: unitId ? await tx.record("unit", unitId) : undefined,
      };
    },
    "strict",
  );
  ctx.afterWrite();
  const code = key ? key.data.code : "";
  const confirmation = t("Lent: key {code} to {name}. Saved on this phone; it syncs by itself.", { code, name: v.borrower_name });
  if (!written.loan) return loanScreenFor(ctx, loanId, confirmation);
  return {
    title: t("Key loan"),
    main: loanDetail({
      loan: written.loan,
      key,
      unit: written.unit ? written.unit.data.number : "",
      conflicts: [],
      me: session.user.id,
      now,
      confirmation,
    }),
    live: `/m/keys/loans/${loanId}`,
    // replace, not push: the submitted form should not come back with "back" (and
    // history.pushState costs a blocking round trip to the browser process)
    headers: { "HX-Replace-Url": `/m/keys/loans/${loanId}` },
  };
}

/** @param {Ctx} ctx @param {string} loanId @param {string} [confirmation] @returns {Promise<Screen>} */
async function loanScreenFor(ctx, loanId, confirmation) {
  const tx = await begin("readonly");
  const loan = await tx.record("key_loan", loanId);
  const key = loan ? await tx.record("key", loan.data.key_id) : undefined;
  const unit = key && key.data.unit_id ? await tx.record("unit", key.data.unit_id) : undefined;
  const conflicts = loan ? await tx.recordsOfType("conflict") : [];
  await tx.done;
  if (!loan) {
    return {
      title: t("Not found."),
      main: html`<section class="card"><h1>${t("This loan is not on this phone.")}</h1>
        <p><a href="/m/keys">${t("Back to the key board")}</a></p></section>`,
      status: 404,
    };
  }
  return {
    title: t("Key loan"),
    main: loanDetail({
      loan,
      key,
      unit: unit ? unit.data.number : "",
      conflicts: conflicts.filter((c) => (c.data.record_ids || []).includes(loanId)),
      me: ctx.session ? ctx.session.user.id : "",
      now: ctx.now,
      confirmation,
    }),
    // after a sync the screen re-renders from the replica (the confirmation has done its job)
    live: `/m/keys/loans/${loanId}`,
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function loanScreen(ctx) {
  if (!allowed(ctx)) return refused();
  return loanScreenFor(ctx, ctx.params.id);
}

/** @param {Ctx} ctx @param {Record<string, string> | null} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function returnFormScreen(ctx, values, errors) {
  const tx = await begin("readonly");
  const loan = await tx.record("key_loan", ctx.params.id);
  const key = loan ? await tx.record("key", loan.data.key_id) : undefined;
  await tx.done;
  if (!loan) return loanScreenFor(ctx, ctx.params.id);
  if (loan.data.returned_at != null || loan.data.voided) {
    return loanScreenFor(ctx, ctx.params.id, t("This loan is already closed."));
  }
  const v = values || { returned_by: loan.data.borrower_name, return_notes: "", return_photos: "" };
  return { title: t("Return a key"), main: returnForm({ loan, key, values: v, errors }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function returnScreen(ctx) {
  if (!allowed(ctx)) return refused();
  return returnFormScreen(ctx, null, {});
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function returnSubmit(ctx) {
  if (!allowed(ctx) || !ctx.session) return refused();
  const session = ctx.session;
  const form = await ctx.form();
  const v = {
    returned_by: (form.get("returned_by") || "").trim(),
    return_notes: (form.get("return_notes") || "").trim(),
    return_photos: (form.get("return_photos") || "").trim(),
  };
  const photos = v.return_photos.split(",").filter((s) => SHA256.test(s));
  const check = await begin("readonly");
  const loan = await check.record("key_loan", ctx.params.id);
  const stored = await Promise.all(photos.map((sha) => check.blob(sha)));
  await check.done;
  /** @type {Record<string, string>} */
  const errors = {};
  if (!v.returned_by) errors.returned_by = t("Enter who returned the key.");
  else if (v.returned_by.length > 120) errors.returned_by = t("At most {n} characters.", { n: 120 });
  if (v.return_notes.length > 2000) errors.return_notes = t("At most {n} characters.", { n: 2000 });
  if (photos.length > 20) errors.return_notes = t("At most 20 photos.");
  if (!loan || loan.data.returned_at != null || loan.data.voided) return returnFormScreen(ctx, v, {});
  if (Object.keys(errors).length) return returnFormScreen(ctx, v, errors);
  const kept = photos.filter((_sha, i) => stored[i]);
  const now = ctx.now;
  const args = {
    loan_id: loan.id,
    returned_at: new Date(now).toISOString(),
    returned_by: v.returned_by,
    return_notes: v.return_notes,
    return_photos: kept,
  };
  await inTx("readwrite", (tx) => record(tx, session, "key.return", args, { blobs: kept, now }), "strict");
  ctx.afterWrite();
  const screen = await loanScreenFor(ctx, loan.id, t("Return recorded. Saved on this phone; it syncs by itself."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/keys/loans/${loan.id}` } };
}
