// @ts-check
/** Front-desk key screens: the form's values become the mutation's arguments, checked by the
 * kit exactly as the server checks them (kit/args.js with this domain's rules.js); then ONE
 * IndexedDB transaction stores the mutation and applies it through the rules
 * (outbox.record) — a mutation the rules refuse is not queued, its reason shown on the form —
 * then render. */

import { begin, inTx, writeCount } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { record } from "../outbox.js";
import { defaultDue, fromLocalInput, toLocalInput } from "../views/format.js";
import { notForRole } from "../views/home.js";
import { errorsOf, refusal } from "./form_errors.js";
import { LOAN, RULES, forRole, lendRefusal } from "./rules.js";
import { TABS, board, keyResults, lendForm, loanDetail, returnForm } from "./views.js";

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
  return Boolean(ctx.session && forRole(ctx.session.user.role));
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
  const [keys, open] = await Promise.all([tx.recordsOfType("key"), tx.openOf(LOAN)]);
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
  const loans = key ? await tx.find(LOAN, "key_id", key.id) : [];
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

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function lendSubmit(ctx) {
  if (!allowed(ctx) || !ctx.session) return refused();
  const session = ctx.session;
  const form = await ctx.form();
  /** @type {Record<string, string>} */
  const v = {};
  for (const name of LEND_FIELDS) v[name] = form.get(name) || "";
  const sig = SHA256.test(v.signature_blob.trim()) ? v.signature_blob.trim() : "";
  const check = await begin("readonly");
  const key = UUID.test(v.key_id) ? await check.record("key", v.key_id) : undefined;
  const blob = sig ? await check.blob(sig) : undefined;
  await check.done;
  const now = ctx.now;
  const due = fromLocalInput(v.due_at.trim());
  const loanId = uuid7(now);
  const args = {
    loan_id: loanId,
    key_id: v.key_id,
    borrower_name: v.borrower_name,
    borrower_phone: v.borrower_phone,
    borrower_kind: v.borrower_kind,
    id_type: v.id_type || "none",
    id_last4: v.id_last4,
    purpose: v.purpose,
    approver: v.approver,
    owner_consent: v.owner_consent,
    deposit: v.deposit,
    lent_at: new Date(now).toISOString(),
    due_at: due ? due.toISOString() : "",
    signature_blob: blob ? sig : "",
  };
  // the server's checks, from its declarations and this domain's rules (kit/args.js)
  const found = problems("key.lend", args, RULES["key.lend"].check).problems;
  const errors = errorsOf(found);
  // what the rules would refuse about this key, shown with the rest rather than after it
  const keyRefusal = key && lendRefusal(key.data, args);
  if (keyRefusal && found.length) {
    for (const [field, message] of Object.entries(refusal(keyRefusal))) errors[field] ??= message;
  }
  if (!due) errors.due_at = t("Enter the date and time the key is due back.");
  if (!key) errors.key_id = t("Choose the key to lend.");
  if (Object.keys(errors).length) return lendFormScreen(ctx, v, errors);

  // ONE transaction: outbox + replica (+ the signature marked used), and what the
  // confirmation shows read back from it; IDB requests only
  let written;
  try {
    written = await inTx(
      "readwrite",
      async (tx) => {
        const { outcome } = await record(tx, session, "key.lend", args, { blobs: [sig], now });
        if (outcome.reject) throw outcome.reject; // refused by the rules: nothing queued
        const unitId = key && key.data.unit_id;
        return {
          loan: await tx.record(LOAN, loanId),
          unit: unitId ? await tx.record("unit", unitId) : undefined,
        };
      },
      "strict",
    );
  } catch (err) {
    if (err instanceof Reject) return lendFormScreen(ctx, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  const code = key ? key.data.code : "";
  const confirmation = t("Lent: key {code} to {name}. Saved on this phone; it syncs by itself.", { code, name: written.loan ? written.loan.data.borrower_name : v.borrower_name });
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
  const loan = await tx.record(LOAN, loanId);
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
  const loan = await tx.record(LOAN, ctx.params.id);
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
    returned_by: form.get("returned_by") || "",
    return_notes: form.get("return_notes") || "",
    return_photos: (form.get("return_photos") || "").trim(),
  };
  const photos = v.return_photos.split(",").filter((s) => SHA256.test(s));
  const check = await begin("readonly");
  const loan = await check.record(LOAN, ctx.params.id);
  const stored = await Promise.all(photos.map((sha) => check.blob(sha)));
  await check.done;
  if (!loan || loan.data.returned_at != null || loan.data.voided) return returnFormScreen(ctx, v, {});
  const kept = photos.filter((_sha, i) => stored[i]);
  const now = ctx.now;
  const args = {
    loan_id: loan.id,
    returned_at: new Date(now).toISOString(),
    returned_by: v.returned_by,
    return_notes: v.return_notes,
    return_photos: kept,
  };
  const errors = errorsOf(problems("key.return", args).problems);
  if (errors.return_photos) errors.return_notes = errors.return_photos;
  if (Object.keys(errors).length) return returnFormScreen(ctx, v, errors);
  try {
    await inTx("readwrite", async (tx) => {
      const { outcome } = await record(tx, session, "key.return", args, { blobs: kept, now });
      if (outcome.reject) throw outcome.reject;
    }, "strict");
  } catch (err) {
    if (err instanceof Reject) return returnFormScreen(ctx, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  const screen = await loanScreenFor(ctx, loan.id, t("Return recorded. Saved on this phone; it syncs by itself."));
  return { ...screen, headers: { "HX-Replace-Url": `/m/keys/loans/${loan.id}` } };
}
