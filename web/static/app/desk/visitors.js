// @ts-check
/** The visitor register's screens (來訪登記): who is still inside (the longest first) and who
 * left today, with a search; signing a visitor in (the unit found by its number, the
 * resident who confirmed from the unit's residents on this phone, or "by phone" with the
 * number called) and out (the desk, or a guard at the gate). And what the pass screens share:
 * a form's values, the unit picker's reads, the stored moment, one checked write. Each write:
 * the arguments checked by the kit first (the server's checks, with the rules' own
 * cross-field check), then one durable transaction through outbox.record (repairs/screens.js
 * save): a refused mutation is never queued, its reason shown on the form. */

import { actorOf } from "../apply.js";
import { begin, refKey } from "../db.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { rules } from "../kit/declarations.js";
import { Reject } from "../kit/reject.js";
import { UUID, by, live, unitsNumbered, unitsOf } from "../repairs/data.js";
import { may, refused, save } from "../repairs/screens.js";
import { VISITOR, confirmFields, unitChoices, visitorForm, visitorList, visitorResults } from "./visitor_views.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 * @typedef {Record<string, string>} Values
 */

export const DAY = 86400000;
const FIELDS = ["unit_q", "unit_id", "confirmed_by", "resident_id", "called_number", "name", "id_type",
  "id_last4", "phone", "badge", "purpose"];

/** A moment as the records keep it, to the second (what a pass's QR says is what is stored).
 * @param {number} ms */
export const stamp = (ms) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;

/** The start of the phone's local day. @param {number} ms */
export function dayStart(ms) {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** @param {URLSearchParams} from @param {string[]} names @returns {Values} */
export function valuesOf(from, names) {
  /** @type {Values} */
  const v = {};
  for (const f of names) v[f] = from.get(f) || "";
  return v;
}

/** The records of `type` whose indexed `field` is `lo` or after (as text), through the index.
 * @param {Tx} tx @param {string} type @param {string} field @param {string} lo */
export async function since(tx, type, field, lo) {
  /** @type {StoredRecord[]} */
  const found = await tx.replica.index("refs").getAll(IDBKeyRange.bound(refKey(type, field, lo), refKey(type, field, "\uffff")));
  return live(found);
}

/** The unit chosen (with its residents when asked) and the units found by the number typed.
 * @param {Values} values @param {boolean} residentsToo @param {Values} [errors] */
export async function unitForm(values, residentsToo, errors = {}) {
  const tx = await begin("readonly");
  const chosen = UUID.test(values.unit_id) ? await tx.record("unit", values.unit_id) : undefined;
  const residents = chosen && residentsToo ? live(await tx.find("resident", "unit_id", chosen.id)).sort(by("name")) : [];
  await tx.done;
  return { values, errors, chosen, residents, units: values.unit_q ? await unitsNumbered(values.unit_q, 8) : [] };
}

/** The site of the unit chosen (else the person's first: the unit's problem is shown).
 * @param {Session} session @param {StoredRecord | undefined} unit */
export const siteFor = (session, unit) => (unit ? String(unit.data.site_id) : actorOf(session).sites[0] || "");

/** The units part of a form (found as typed). @param {string} name the form's mutation
 * @param {string} then what picking a unit refreshes @returns {(ctx: Ctx) => Promise<Screen>} */
export const unitsPart = (name, then) => async (ctx) => {
  if (!may(ctx, name)) return refused();
  const f = await unitForm(valuesOf(ctx.query, ["unit_q", "unit_id"]), false);
  const part = unitChoices({ units: f.units, chosen: f.chosen, q: f.values.unit_q, then });
  return { title: "", main: part, fragment: part };
};

/**
 * Check `raw` as the server would, then (`prepare`: more work on the stored arguments, which
 * may still fail) store it in one transaction; the form's errors, or null when saved.
 * @param {Ctx} ctx @param {Session} session @param {string} name @param {Record<string, any>} raw
 * @param {string[]} [blobs] @param {(a: Record<string, any>) => Promise<Values | null>} [prepare]
 * @returns {Promise<Values | null>}
 */
export async function write(ctx, session, name, raw, blobs = [], prepare) {
  const { args, problems: found } = problems(name, raw, rules()[name].check);
  const errors = errorsOf(found);
  if (Object.keys(errors).length || !args) return errors;
  const later = prepare ? await prepare(args) : null;
  if (later) return later;
  try {
    await save(session, name, args, ctx.now, blobs, async () => undefined);
  } catch (err) {
    if (err instanceof Reject) return refusal(err);
    throw err;
  }
  ctx.afterWrite();
  return null;
}

/** @param {Ctx} ctx @param {string} [note] @param {boolean} [bad] @returns {Promise<Screen>} */
export async function visitorsScreen(ctx, note = "", bad = false) {
  const session = may(ctx, "visitor.sign_out");
  if (!session) return refused();
  const tab = ctx.query.get("tab") === "out" ? "out" : "in";
  const q = ctx.query.get("q") || "";
  const day = dayStart(ctx.now);
  const tx = await begin("readonly");
  const [inside, recent] = await Promise.all([tx.openOf(VISITOR), since(tx, VISITOR, "time_in", stamp(day - DAY))]);
  const left = recent.filter((r) => r.data.time_out && Date.parse(r.data.time_out) >= day);
  const units = await unitsOf(tx, [...inside, ...left]);
  await tx.done;
  const needle = q.trim().toLowerCase();
  const hit = (/** @type {StoredRecord} */ r) => !needle || [r.data.name, r.data.badge, units.get(r.data.unit_id)?.data.number]
    .some((x) => String(x || "").toLowerCase().includes(needle));
  const lists = { in: inside.filter(hit).sort(by("time_in")), out: left.filter(hit).sort(by("time_out")).reverse() };
  const l = { tab, q, rows: lists[tab], counts: { in: lists.in.length, out: lists.out.length }, units, now: ctx.now,
    add: Boolean(may(ctx, "visitor.sign_in")), note, bad };
  return { title: t("Visitors"), main: visitorList(l), fragment: ctx.target === "visitor-results" ? visitorResults(l) : undefined,
    live: `/m/desk/visitors${ctx.method === "GET" ? ctx.url.search : ""}` };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signOutSubmit(ctx) {
  const session = may(ctx, "visitor.sign_out");
  if (!session) return refused();
  const errors = await write(ctx, session, "visitor.sign_out", { visitor_id: ctx.params.id, time_out: stamp(ctx.now) });
  const screen = await visitorsScreen(ctx, errors ? Object.values(errors)[0]
    : `${t("Signed out.")} ${t("Saved on this phone; it syncs by itself.")}`, Boolean(errors));
  return { ...screen, headers: { "HX-Replace-Url": "/m/desk/visitors" } };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signInScreen(ctx) {
  if (!may(ctx, "visitor.sign_in")) return refused();
  const v = valuesOf(ctx.query, FIELDS);
  Object.assign(v, { confirmed_by: v.confirmed_by || "resident", id_type: v.id_type || "hkid" });
  return { title: t("Sign a visitor in"), main: visitorForm(await unitForm(v, true)) };
}

/** Who confirmed, again: a unit picked brings its residents. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function confirmPart(ctx) {
  if (!may(ctx, "visitor.sign_in")) return refused();
  const f = await unitForm(valuesOf(ctx.query, FIELDS), true);
  const part = confirmFields(f.values, {}, f.residents);
  return { title: "", main: part, fragment: part };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signInSubmit(ctx) {
  const session = may(ctx, "visitor.sign_in");
  if (!session) return refused();
  const v = valuesOf(await ctx.form(), FIELDS);
  const f = await unitForm(v, true);
  const byPhone = v.confirmed_by === "phone";
  const errors = await write(ctx, session, "visitor.sign_in", {
    visitor_id: uuid7(ctx.now), site_id: siteFor(session, f.chosen), unit_id: f.chosen ? f.chosen.id : "",
    name: v.name, id_type: v.id_type, id_last4: v.id_last4, phone: v.phone, confirmed_by: v.confirmed_by,
    resident_id: !byPhone && UUID.test(v.resident_id) ? v.resident_id : null, called_number: byPhone ? v.called_number : "",
    purpose: v.purpose, badge: v.badge, time_in: stamp(ctx.now),
  });
  if (errors) return { title: t("Sign a visitor in"), main: visitorForm({ ...f, errors }) };
  const screen = await visitorsScreen(ctx, `${t("{name} signed in.", { name: v.name.trim() })} ${t("Saved on this phone; it syncs by itself.")}`);
  return { ...screen, headers: { "HX-Replace-Url": "/m/desk/visitors" } };
}
