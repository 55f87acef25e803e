// @ts-check
/** Issue a card (IC卡領取登記表) and show its receipt. The form's values become card.issue's
 * arguments, checked by the kit exactly as the server checks them (with the rules' own
 * cross-field check); then ONE IndexedDB transaction stores the mutation and applies it
 * (outbox.record: a refused mutation is never queued) and the receipt is read back from it.
 * A number the stock does not know is issued all the same (a new card, flagged for the
 * office); a unit at its quota needs the desk to confirm the office approved an extra card. */

import { begin, inTx } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { normalize } from "../kit/text.js";
import { record } from "../outbox.js";
import { first, isBlacklisted, isOpen, quotaOfUnit, siteSetup, unitView } from "./data.js";
import { holderFields, issueForm, numberNote, receipt } from "./issue_views.js";
import { CARD, ISSUE, QUOTA, RULES } from "./rules.js";
import { amount, desk, notAnAmount, notHere, refused } from "./screens.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 */

const SHA256 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STOCK_SUGGESTIONS = 50;
const REASONS = ["lost", "damaged"];
const FIELDS = [
  "unit_id", "number", "technology", "resident_id", "holder_name", "relation", "id_type",
  "id_last4", "authorisation_blob", "owner_confirmation", "valid_until", "fee", "deposit",
  "receipt_no", "signature_blob", "replaces_issue_id", "replace_reason", "quota_ok",
];

/** A day as an <input type="date"> value (local). @param {Date} d */
function dateInput(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The end of a day typed in the form (local), as a stored time; null if no day.
 * @param {string} value */
function endOfDay(value) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const d = new Date(`${value}T23:59:59`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The site's card with this number (the one the rules will hand over), if any.
 * @param {Tx} tx @param {string} siteId @param {string} number */
async function stockCard(tx, siteId, number) {
  if (!number) return undefined;
  const found = await tx.find(CARD, "number", number);
  return first(found.filter((c) => c.data.site_id === siteId));
}

/** What the form shows about a number. @param {Tx} tx @param {string} siteId @param {string} raw */
async function noteFor(tx, siteId, raw) {
  const number = normalize(raw || "", "code");
  const card = await stockCard(tx, siteId, number);
  const held = card && card.data.status === "issued" && card.data.issue_id
    ? await tx.record(ISSUE, card.data.issue_id) : undefined;
  return numberNote({ number, card, heldBy: held && isOpen(held) ? held.data.holder_name : "",
    blacklisted: Boolean(card && isBlacklisted(card.data)) });
}

/** The form for `values.unit_id`, or the cards home when there is no such unit.
 * @param {Ctx} ctx @param {Record<string, string>} values @param {string[] | null} scope
 * @param {Record<string, string>} errors @returns {Promise<Screen>} */
async function formScreen(ctx, values, scope, errors) {
  const v = UUID.test(values.unit_id) ? await unitView(values.unit_id) : null;
  if (!v) return { title: t("Issue a card"), main: html``, redirect: "/m/cards" };
  const siteId = v.unit.data.site_id;
  const tx = await begin("readonly");
  const [cards, replacedIssue, note] = await Promise.all([
    tx.find(CARD, "site_id", siteId),
    UUID.test(values.replaces_issue_id) ? tx.record(ISSUE, values.replaces_issue_id) : undefined,
    noteFor(tx, siteId, values.number),
  ]);
  const replacedCard = replacedIssue ? await tx.record(CARD, replacedIssue.data.card_id) : undefined;
  await tx.done;
  const stock = cards.filter((c) => c.data.status === "in_stock").map((c) => String(c.data.number))
    .sort().slice(0, STOCK_SUGGESTIONS);
  const replaced = replacedIssue && replacedIssue.data.unit_id === v.unit.id
    ? { number: replacedCard ? replacedCard.data.number : "?", reason: values.replace_reason } : null;
  if (!replaced) {
    values.replaces_issue_id = "";
    values.replace_reason = "";
  }
  return {
    title: replaced ? t("Replace a card (補卡)") : t("Issue a card"),
    main: issueForm({
      values, scope: scope ?? v.setup.zones.map((z) => String(z.data.code)), errors,
      unit: v.unit, building: v.building ? v.building.data.name : "",
      quota: quotaOfUnit(v.setup, v.override, v.issues, values.replaces_issue_id),
      residents: v.residents, zones: v.setup.zones, stock, replaced, note,
    }),
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function issueScreen(ctx) {
  if (!desk(ctx)) return refused();
  const unitId = ctx.query.get("unit") || "";
  const tx = await begin("readonly");
  const unit = UUID.test(unitId) ? await tx.record("unit", unitId) : undefined;
  const setup = unit ? await siteSetup(tx, unit.data.site_id) : null;
  await tx.done;
  const p = setup && setup.policy ? setup.policy.data : {};
  const until = new Date(ctx.now);
  until.setDate(until.getDate() + (Number(p.validity_days) || 730));
  const reason = ctx.query.get("reason") || "";
  /** @type {Record<string, string>} */
  const values = {
    unit_id: unitId, technology: "ic", relation: "", id_type: "none",
    valid_until: dateInput(until), fee: String(p.fee ?? 0), deposit: String(p.deposit ?? 0),
    replaces_issue_id: ctx.query.get("replaces") || "",
    replace_reason: REASONS.includes(reason) ? reason : "lost",
  };
  return formScreen(ctx, values, null, {});
}

/** The holder's part again: a resident picked fills it, the relation shows or hides the
 * proxy's fields. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function holderPart(ctx) {
  if (!desk(ctx)) return refused();
  /** @type {Record<string, string>} */
  const v = {};
  for (const f of FIELDS) v[f] = ctx.query.get(f) || "";
  if (!ctx.htmx) return { title: "", main: html``, redirect: `/m/cards/issue?unit=${encodeURIComponent(v.unit_id)}` };
  const tx = await begin("readonly");
  const residents = UUID.test(v.unit_id) ? await tx.find("resident", "unit_id", v.unit_id) : [];
  await tx.done;
  const live = residents.filter((r) => !r.deleted);
  const picked = live.find((r) => r.id === v.resident_id);
  if (ctx.request.headers.get("HX-Trigger-Name") === "resident_id" && picked) {
    const r = picked.data;
    Object.assign(v, { holder_name: r.name, relation: r.relation, id_type: r.id_type || "none", id_last4: r.id_last4 || "" });
  }
  const part = holderFields({ values: v, errors: {}, residents: live });
  return { title: "", main: part, fragment: part };
}

/** The number's note again (typed or picked). @param {Ctx} ctx @returns {Promise<Screen>} */
export async function numberPart(ctx) {
  if (!desk(ctx)) return refused();
  const unitId = ctx.query.get("unit_id") || "";
  if (!ctx.htmx) return { title: "", main: html``, redirect: `/m/cards/issue?unit=${encodeURIComponent(unitId)}` };
  const tx = await begin("readonly");
  const unit = UUID.test(unitId) ? await tx.record("unit", unitId) : undefined;
  const note = await noteFor(tx, unit ? unit.data.site_id : "", ctx.query.get("number") || "");
  await tx.done;
  return { title: "", main: note, fragment: note };
}

/**
 * The form's values as card.issue's arguments, with every problem the desk must fix first:
 * what the rules will read is read here (the unit, the site's policy and zones, the quota,
 * the stock card, the resident, the blobs) — IndexedDB requests only, so it runs inside the
 * write transaction. @param {Tx} tx @param {Record<string, string>} v @param {string[]} scope
 * @param {number} now
 */
async function prepare(tx, v, scope, now) {
  const sig = SHA256.test(v.signature_blob.trim()) ? v.signature_blob.trim() : "";
  const letter = v.authorisation_blob.split(",").map((s) => s.trim()).filter((s) => SHA256.test(s)).pop() || "";
  const number = normalize(v.number, "code");
  const proxy = v.relation === "proxy";
  const unitId = UUID.test(v.unit_id) ? v.unit_id : "";
  // the unit's site first (the site's records depend on it), the rest meanwhile
  const site = (async () => {
    const u = unitId ? await tx.record("unit", unitId) : undefined;
    const siteId = u ? String(u.data.site_id) : "";
    const [setup, card] = await Promise.all([siteSetup(tx, siteId), stockCard(tx, siteId, number)]);
    return { u, siteId, setup, card };
  })();
  const [{ u: unit, siteId, setup, card }, overrides, unitIssues, resident, sigBlob, letterBlob] = await Promise.all([
    site, unitId ? tx.find(QUOTA, "unit_id", unitId) : [], unitId ? tx.find(ISSUE, "unit_id", unitId) : [],
    UUID.test(v.resident_id) ? tx.record("resident", v.resident_id) : undefined,
    sig ? tx.blob(sig) : undefined, proxy && letter ? tx.blob(letter) : undefined,
  ]);
  const replaces = UUID.test(v.replaces_issue_id) ? v.replaces_issue_id : null;
  const validUntil = endOfDay(v.valid_until.trim());
  const fee = amount(v.fee);
  const deposit = amount(v.deposit);
  if (resident && !v.holder_name.trim()) {
    // no script needed: a resident picked without the fields filled in fills them here
    Object.assign(v, { holder_name: resident.data.name, relation: v.relation || resident.data.relation,
      id_type: resident.data.id_type || "none", id_last4: resident.data.id_last4 || "" });
  }
  const args = {
    issue_id: uuid7(now),
    card_id: card ? card.id : uuid7(now),
    site_id: siteId,
    number: v.number,
    technology: card ? card.data.technology || "ic" : v.technology || "ic",
    unit_id: unit ? unit.id : "",
    resident_id: resident ? resident.id : null,
    holder_name: v.holder_name,
    relation: v.relation,
    id_type: v.id_type || "none",
    id_last4: v.id_last4,
    authorisation_blob: proxy && letterBlob ? letter : "",
    owner_confirmation: proxy ? v.owner_confirmation : "",
    scope,
    valid_until: validUntil || "",
    fee: fee ?? 0,
    deposit: deposit ?? 0,
    receipt_no: v.receipt_no,
    signature_blob: sigBlob ? sig : "",
    issued_at: new Date(now).toISOString(),
    replaces_issue_id: replaces,
    replace_reason: replaces ? v.replace_reason : "",
  };
  // the server's checks, from its declarations and this domain's rules (kit/args.js)
  const errors = errorsOf(problems("card.issue", args, RULES["card.issue"].check).problems);
  if (!validUntil) errors.valid_until = t("Enter the day the card is valid until.");
  if (fee === null) errors.fee = notAnAmount(ISSUE, "fee");
  if (deposit === null) errors.deposit = notAnAmount(ISSUE, "deposit");
  const quota = quotaOfUnit(setup, first(overrides), unitIssues, replaces || "");
  if (quota.full && !v.quota_ok) {
    errors.quota_ok = t("The unit's quota is reached: tick that the office approved an extra card, or do not issue it.");
  }
  return { unit, setup, args, errors, blobs: [sig, ...(args.authorisation_blob ? [letter] : [])] };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function issueSubmit(ctx) {
  const session = desk(ctx);
  if (!session) return refused();
  const form = await ctx.form();
  /** @type {Record<string, string>} */
  const v = {};
  for (const f of FIELDS) v[f] = form.get(f) || "";
  const scope = form.getAll("scope");
  const now = ctx.now;
  // ONE transaction: what the rules read, the checks, then outbox + replica (+ the blobs
  // marked used) and the receipt's records read back; IDB requests only. A form with
  // problems writes nothing.
  let done;
  try {
    done = await inTx("readwrite", async (tx) => {
      const p = await prepare(tx, v, scope, now);
      if (!p.unit || Object.keys(p.errors).length) return { p, written: null };
      const { outcome } = await record(tx, session, "card.issue", p.args, { blobs: p.blobs, now });
      if (outcome.reject) throw outcome.reject; // refused by the rules: nothing queued
      const replaces = p.args.replaces_issue_id;
      const [issue, old, building] = await Promise.all([
        tx.record(ISSUE, p.args.issue_id), replaces ? tx.record(ISSUE, replaces) : undefined,
        p.unit.data.building_id ? tx.record("building", p.unit.data.building_id) : undefined,
      ]);
      const [card, oldCard] = await Promise.all([
        issue ? tx.record(CARD, issue.data.card_id) : undefined,
        old ? tx.record(CARD, old.data.card_id) : undefined,
      ]);
      return { p, written: { issue, outcome, card, old, oldCard, building } };
    }, "strict");
  } catch (err) {
    if (err instanceof Reject) return formScreen(ctx, v, scope, refusal(err));
    throw err;
  }
  const { p, written } = done;
  if (!written || !p.unit) return formScreen(ctx, v, scope, p.errors);
  const { unit, setup } = p;
  const issueId = p.args.issue_id;
  ctx.afterWrite();
  if (!written.issue) return receiptScreenFor(ctx, issueId);
  const flagged = written.outcome.conflicts.map((c) => /** @type {StoredRecord} */ (
    /** @type {unknown} */ ({ data: { ...c, status: "open" } })));
  return {
    title: t("IC card issue form (IC卡領取登記表)"),
    main: receipt({
      issue: written.issue, card: written.card, unit, building: written.building ? written.building.data.name : "",
      site: setup.site, zones: setup.zones, conflicts: flagged,
      replaced: written.old ? { number: written.oldCard ? written.oldCard.data.number : "?", reason: written.old.data.end_reason || v.replace_reason } : null,
      issuer: session.user.display_name,
      confirmation: t("Card {number} issued to {name}. Saved on this phone; it syncs by itself.", { number: written.card ? written.card.data.number : p.args.number, name: written.issue.data.holder_name }),
    }),
    live: `/m/cards/issues/${issueId}/receipt`,
    // replace, not push: the submitted form should not come back with "back"
    headers: { "HX-Replace-Url": `/m/cards/issues/${issueId}/receipt` },
  };
}

/** @param {Ctx} ctx @param {string} issueId @returns {Promise<Screen>} */
async function receiptScreenFor(ctx, issueId) {
  const tx = await begin("readonly");
  const issue = await tx.record(ISSUE, issueId);
  if (!issue) {
    await tx.done;
    return notHere(t("This card issue is not on this phone."));
  }
  const d = issue.data;
  const [card, unit, setup, old, conflicts] = await Promise.all([
    tx.record(CARD, d.card_id), tx.record("unit", d.unit_id), siteSetup(tx, d.site_id),
    d.replaces_issue_id ? tx.record(ISSUE, d.replaces_issue_id) : undefined, tx.recordsOfType("conflict"),
  ]);
  const [building, oldCard] = await Promise.all([
    unit && unit.data.building_id ? tx.record("building", unit.data.building_id) : undefined,
    old ? tx.record(CARD, old.data.card_id) : undefined,
  ]);
  await tx.done;
  const me = ctx.session ? ctx.session.user : null;
  return {
    title: t("IC card issue form (IC卡領取登記表)"),
    main: receipt({
      issue, card, unit, building: building ? building.data.name : "", site: setup.site,
      zones: setup.zones,
      conflicts: conflicts.filter((c) => (c.data.record_ids || []).some((/** @type {string} */ id) => id === issueId || id === d.card_id)),
      replaced: old ? { number: oldCard ? oldCard.data.number : "?", reason: old.data.end_reason } : null,
      issuer: me && d.issued_by === me.id ? me.display_name : "",
    }),
    live: `/m/cards/issues/${issueId}/receipt`,
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function receiptScreen(ctx) {
  if (!desk(ctx)) return refused();
  return receiptScreenFor(ctx, ctx.params.id);
}
