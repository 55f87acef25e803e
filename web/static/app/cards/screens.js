// @ts-check
/** The desk's card screens: the cards home, a unit's cards, a card with its history, and
 * 掛失 / 退卡 / revoke. Each write: the arguments built and checked by the kit first (the
 * server's checks, from the declarations), then ONE durable IndexedDB transaction stores the
 * mutation and applies it through the rules (outbox.record) — a mutation the rules refuse
 * is not queued, its reason shown on the form. The issue form and its receipt: issue.js. */

import { begin, inTx } from "../db.js";
import { html } from "../html.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { fieldDecl, mutationDecl } from "../kit/declarations.js";
import { Reject } from "../kit/reject.js";
import { record } from "../outbox.js";
import { notForRole } from "../views/home.js";
import { cardView, deskRows, isBlacklisted, isOpen, quotaOfUnit, unitView } from "./data.js";
import { CARD, ISSUE } from "./rules.js";
import { cardPage, home, homeResults, lostForm, returnForm, revokeForm, unitPage } from "./views.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 */

const LIST_SIZE = 20;
const RECENT = 10;

/** Whether a role works with cards: the roles that may issue them (declared with card.issue).
 * @param {string} role */
export function forRole(role) {
  const issue = mutationDecl("card.issue");
  return Boolean(issue && issue.roles.includes(role));
}

/** @param {Ctx} ctx @returns {Session | null} */
export function desk(ctx) {
  return ctx.session && forRole(ctx.session.user.role) ? ctx.session : null;
}

/** @returns {Screen} */
export function refused() {
  return { title: t("Not available for your role"), main: notForRole(), status: 403 };
}

/** @param {string} text @returns {Screen} */
export function notHere(text) {
  return { title: t("Not found."), status: 404,
    main: html`<section class="card"><h1>${text}</h1>
      <p><a href="/m/cards">${t("Back to IC cards")}</a></p></section>` };
}

/** An amount typed in a form: "" is 0; null when it is no number. @param {string} text */
export function amount(text) {
  const s = text.trim().replace(/,/g, "");
  if (!s) return 0;
  return /^\d+(\.\d+)?$/.test(s) ? Number(s) : null;
}

/** The declared words for an amount that is no number. @param {string} type @param {string} field */
export function notAnAmount(type, field) {
  const f = fieldDecl(type, field);
  return t((f && f.number_message) || "Enter an amount, e.g. 50 or 50.5.");
}

/**
 * Store a mutation (one durable transaction); the rules' refusal is thrown, nothing queued.
 * @param {Session} session @param {string} name @param {Record<string, any>} args
 * @param {number} now @param {string[]} [blobs]
 */
export async function save(session, name, args, now, blobs = []) {
  return inTx("readwrite", async (tx) => {
    const { outcome } = await record(tx, session, name, args, { blobs, now });
    if (outcome.reject) throw outcome.reject;
    return outcome;
  }, "strict");
}

// --- home ----------------------------------------------------------------------------------

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function homeScreen(ctx) {
  if (!desk(ctx)) return refused();
  const q = (ctx.query.get("q") || "").trim();
  const rows = await deskRows();
  const unitNumber = (/** @type {string} */ id) => {
    const u = id ? rows.unitById.get(id) : undefined;
    return u ? u.data.number : "";
  };
  const needle = q.toLowerCase();
  const units = needle
    ? rows.units.filter((u) => String(u.data.number).toLowerCase().includes(needle))
      .sort((a, b) => Number(String(b.data.number).toLowerCase() === needle) - Number(String(a.data.number).toLowerCase() === needle)
        || String(a.data.number).localeCompare(String(b.data.number)))
      .slice(0, LIST_SIZE)
      .map((unit) => ({ unit, building: (rows.buildingById.get(unit.data.building_id) || { data: { name: "" } }).data.name }))
    : [];
  const cards = needle
    ? rows.cards.filter((c) => String(c.data.number).toLowerCase().includes(needle))
      .sort((a, b) => String(a.data.number).localeCompare(String(b.data.number)))
      .slice(0, LIST_SIZE).map((card) => ({ card, unit: unitNumber(card.data.unit_id) }))
    : [];
  const pendingBlacklist = rows.cards.filter((c) => isBlacklisted(c.data) && !c.data.door_taken_at)
    .sort((a, b) => String(b.data.blacklisted_at).localeCompare(String(a.data.blacklisted_at)))
    .map((card) => ({ card, unit: unitNumber(card.data.unit_id) }));
  const recent = [...rows.issues]
    .sort((a, b) => String(b.data.issued_at).localeCompare(String(a.data.issued_at)))
    .slice(0, RECENT)
    .map((issue) => ({ issue, card: rows.cardById.get(issue.data.card_id), unit: unitNumber(issue.data.unit_id) }));
  const h = { q, units, cards, pendingBlacklist, recent, empty: !rows.cards.length && !rows.units.length };
  return {
    title: t("IC cards"),
    main: home(h, isBlacklisted),
    fragment: ctx.target === "card-results" ? homeResults(h, isBlacklisted) : undefined,
  };
}

// --- a unit --------------------------------------------------------------------------------

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function unitScreen(ctx) {
  if (!desk(ctx)) return refused();
  const v = await unitView(ctx.params.id);
  if (!v) return notHere(t("This unit is not on this phone."));
  const open = v.issues.filter(isOpen);
  return {
    title: t("Unit {number}", { number: v.unit.data.number }),
    main: unitPage({
      unit: v.unit, building: v.building ? v.building.data.name : "",
      quota: quotaOfUnit(v.setup, v.override, v.issues), open,
      ended: v.issues.filter((i) => !isOpen(i)).reverse(), cards: v.cards,
    }),
    live: `/m/cards/units/${v.unit.id}`,
  };
}

// --- a card --------------------------------------------------------------------------------

/** The card's current open issue (the one it names, else the latest open one).
 * @param {StoredRecord} card @param {StoredRecord[]} issues */
function currentIssue(card, issues) {
  const open = issues.filter(isOpen);
  return open.find((i) => i.id === card.data.issue_id) || open[open.length - 1];
}

/** @param {Ctx} ctx @param {string} cardId @param {string} [confirmation] @returns {Promise<Screen>} */
export async function cardScreenFor(ctx, cardId, confirmation) {
  const v = await cardView(cardId);
  if (!v) return notHere(t("This card is not on this phone."));
  const blacklisted = isBlacklisted(v.card.data);
  const current = currentIssue(v.card, v.issues);
  // a lost or damaged card whose holder has no replacement yet: offer one (補卡)
  const last = v.issues[v.issues.length - 1];
  const lostIssue = !current && blacklisted && last && ["lost", "damaged"].includes(last.data.end_reason)
    && !v.replaced.has(last.id) ? last : undefined;
  return {
    title: t("Card {number}", { number: v.card.data.number }),
    main: cardPage({
      card: v.card, blacklisted, current, lostIssue, issues: v.issues, units: v.units,
      conflicts: v.conflicts, me: ctx.session ? ctx.session.user.id : "", confirmation,
    }),
    live: `/m/cards/${cardId}`,
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function cardScreen(ctx) {
  if (!desk(ctx)) return refused();
  return cardScreenFor(ctx, ctx.params.id);
}

// --- 掛失, 退卡, revoke --------------------------------------------------------------------

/**
 * @typedef {{card: StoredRecord, current: StoredRecord | undefined, unit: string}} Target
 */

/** The card and its current issue (and unit number), for an action's form.
 * @param {string} cardId @returns {Promise<Target | null>} */
async function target(cardId) {
  const tx = await begin("readonly");
  const card = await tx.record(CARD, cardId);
  const issues = card ? await tx.find(ISSUE, "card_id", cardId) : [];
  const unit = card && card.data.unit_id ? await tx.record("unit", card.data.unit_id) : undefined;
  await tx.done;
  if (!card) return null;
  const sorted = issues.sort((a, b) => String(a.data.issued_at).localeCompare(String(b.data.issued_at)));
  return { card, current: currentIssue(card, sorted), unit: unit ? unit.data.number : "" };
}

/**
 * The three actions: their form, its defaults, what makes their arguments, their mutation.
 * @typedef {{form: (f: import("./views.js").ActionForm) => import("../html.js").Raw,
 *   title: () => string, allowed: (tg: Target) => boolean,
 *   defaults: (tg: Target) => Record<string, string>, fields: string[],
 *   build: (tg: Target, v: Record<string, string>, at: string) => {args: Record<string, any>, errors: Record<string, string>},
 *   mutation: string, done: (tg: Target) => string}} Action
 */

/** A form's own problem, unless `ok`. @param {boolean} ok @param {string} field
 * @param {() => string} message @returns {Record<string, string>} */
function unless(ok, field, message) {
  return ok ? {} : { [field]: message() };
}

/** @type {Record<string, Action>} */
const ACTIONS = {
  lost: {
    form: lostForm,
    title: () => t("Report a card lost (掛失)"),
    allowed: (tg) => !isBlacklisted(tg.card.data),
    defaults: (tg) => ({ reported_by: tg.current ? tg.current.data.holder_name : "", notes: "" }),
    fields: ["reported_by", "notes", "confirm", "issue_id"],
    mutation: "card.report_lost",
    build: (tg, v, at) => ({
      args: { card_id: tg.card.id, issue_id: tg.current ? tg.current.id : null, reported_at: at,
        reported_by: v.reported_by, notes: v.notes },
      errors: unless(Boolean(v.confirm), "confirm", () => t("Tick the box to blacklist the card now.")),
    }),
    done: (tg) => t("Card {number} is blacklisted on this phone. It syncs by itself; the door system then takes it.", { number: tg.card.data.number }),
  },
  return: {
    form: returnForm,
    title: () => t("Card returned (退卡)"),
    allowed: (tg) => Boolean(tg.current),
    defaults: (tg) => ({ deposit_refunded: tg.current ? String(tg.current.data.deposit ?? 0) : "0", notes: "" }),
    fields: ["deposit_refunded", "notes", "issue_id"],
    mutation: "card.return",
    build: (tg, v, at) => {
      const refunded = amount(v.deposit_refunded);
      return {
        args: { card_id: tg.card.id, issue_id: tg.current ? tg.current.id : "", returned_at: at,
          deposit_refunded: refunded ?? 0, notes: v.notes },
        errors: unless(refunded !== null, "deposit_refunded", () => notAnAmount(ISSUE, "deposit_refunded")),
      };
    },
    done: (tg) => t("Card {number} returned. Saved on this phone; it syncs by itself.", { number: tg.card.data.number }),
  },
  revoke: {
    form: revokeForm,
    title: () => t("Revoke a card"),
    allowed: (tg) => !isBlacklisted(tg.card.data) && Boolean(tg.current),
    defaults: () => ({ reason: "" }),
    fields: ["reason", "issue_id"],
    mutation: "card.revoke",
    build: (tg, v, at) => ({
      args: { card_id: tg.card.id, issue_id: tg.current ? tg.current.id : null, reason: v.reason,
        revoked_at: at },
      errors: unless(Boolean(v.reason.trim()), "reason", () => t("Say why the card is revoked.")),
    }),
    done: (tg) => t("Card {number} revoked and blacklisted on this phone. It syncs by itself.", { number: tg.card.data.number }),
  },
};

/** @param {string} name @returns {(ctx: Ctx) => Promise<Screen>} */
export function actionScreen(name) {
  const action = ACTIONS[name];
  return async (ctx) => {
    if (!desk(ctx)) return refused();
    const tg = await target(ctx.params.id);
    if (!tg) return notHere(t("This card is not on this phone."));
    if (!action.allowed(tg)) return cardScreenFor(ctx, tg.card.id);
    return { title: action.title(), main: action.form({ ...tg, values: action.defaults(tg), errors: {} }) };
  };
}

/** @param {string} name @returns {(ctx: Ctx) => Promise<Screen>} */
export function actionSubmit(name) {
  const action = ACTIONS[name];
  return async (ctx) => {
    const session = desk(ctx);
    if (!session) return refused();
    const form = await ctx.form();
    /** @type {Record<string, string>} */
    const v = {};
    for (const f of action.fields) v[f] = form.get(f) || "";
    const tg = await target(ctx.params.id);
    if (!tg) return notHere(t("This card is not on this phone."));
    // the form was for the issue the desk saw; changed since (a sync): show the card again
    if (!action.allowed(tg) || (v.issue_id || "") !== (tg.current ? tg.current.id : "")) {
      return cardScreenFor(ctx, tg.card.id, t("This card changed meanwhile: check it and try again."));
    }
    const now = ctx.now;
    const built = action.build(tg, v, new Date(now).toISOString());
    const errors = { ...errorsOf(problems(action.mutation, built.args).problems), ...built.errors };
    if (Object.keys(errors).length) return { title: action.title(), main: action.form({ ...tg, values: v, errors }) };
    try {
      await save(session, action.mutation, built.args, now);
    } catch (err) {
      if (err instanceof Reject) return { title: action.title(), main: action.form({ ...tg, values: v, errors: refusal(err) }) };
      throw err;
    }
    ctx.afterWrite();
    const screen = await cardScreenFor(ctx, tg.card.id, action.done(tg));
    return { ...screen, headers: { "HX-Replace-Url": `/m/cards/${tg.card.id}` } };
  };
}
