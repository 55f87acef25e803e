// @ts-check
/** The goods-out passes' screens (物品搬出放行條): today's and still-valid passes with their
 * gate checks, the issue form, a pass's page. Issuing: the form checked by the kit (the
 * server's checks and the rules' own), then the pass's content signed with this phone's
 * device key for the site (passcode.js; registered first when this phone has none), then one
 * transaction through outbox.record — the QR text is part of what is stored, so the gate's
 * phone verifies the pass offline before it has ever synced. */

import { begin } from "../db.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { UUID, by, unitsOf } from "../repairs/data.js";
import { may, photosIn, refused } from "../repairs/screens.js";
import { fromLocalInput, toLocalInput } from "../views/format.js";
import { notFound } from "../views/home.js";
import { deviceKey, signPass } from "./passcode.js";
import { CHECK, PASS, passForm, passList, passPage } from "./pass_views.js";
import { DAY, dayStart, since, siteFor, stamp, unitForm, valuesOf, write } from "./visitors.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 */

const FIELDS = ["unit_q", "unit_id", "items", "item_count", "plate", "valid_until", "basis", "owner_name",
  "authorisation_photo", "phoned_number", "phoned_at"];
/** How far back the list looks for passes still valid (a pass is valid the same day by default). */
const LIST_DAYS = 7;

/** The local day of `ms` as yymmdd. @param {number} ms */
function yymmdd(ms) {
  const d = new Date(ms);
  return [d.getFullYear() % 100, d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, "0")).join("");
}

/** `G` + yymmdd of the phone's day + `-` + the id's last four hex digits (G261207-3F2A).
 * @param {string} id @param {number} ms */
export const passNumber = (id, ms) => `G${yymmdd(ms)}-${id.slice(-4).toUpperCase()}`;

/** The passes numbered from the local day `days` before `now` on (numbers begin with the day).
 * @param {Tx} tx @param {number} now @param {number} days */
export const passesSince = (tx, now, days) => since(tx, PASS, "number", `G${yymmdd(now - days * DAY)}`);

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function passesScreen(ctx) {
  if (!may(ctx, "pass.issue")) return refused();
  const now = ctx.now;
  const day = dayStart(now);
  const tx = await begin("readonly");
  const rows = (await passesSince(tx, now, LIST_DAYS))
    .filter((r) => Date.parse(r.data.issued_at) >= day || Date.parse(r.data.valid_until) > now)
    .sort(by("issued_at")).reverse();
  const [units, checks] = await Promise.all([unitsOf(tx, rows), Promise.all(rows.map((r) => tx.find(CHECK, "pass_id", r.id)))]);
  await tx.done;
  return { title: t("Goods-out passes"), main: passList({ rows, units, checks: new Map(rows.map((r, i) => [r.id, checks[i].sort(by("checked_at"))])) }),
    live: "/m/desk/passes" };
}

/** @param {Ctx} ctx @param {string} id @param {string} [note] @returns {Promise<Screen>} */
async function passScreenFor(ctx, id, note) {
  const tx = await begin("readonly");
  const rec = UUID.test(id) ? await tx.record(PASS, id) : undefined;
  const [unit, checks] = rec ? await Promise.all([tx.record("unit", rec.data.unit_id), tx.find(CHECK, "pass_id", id)]) : [undefined, []];
  await tx.done;
  if (!rec) return { title: t("Not found."), status: 404, main: notFound({ path: ctx.path }) };
  return { title: `${t("Goods-out pass")} ${rec.data.number}`, main: passPage({ rec, unit, checks: checks.sort(by("checked_at")), note }),
    live: `/m/desk/passes/${id}` };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function passScreen(ctx) {
  return may(ctx, "pass.issue") ? passScreenFor(ctx, ctx.params.id) : refused();
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function issueScreen(ctx) {
  if (!may(ctx, "pass.issue")) return refused();
  const v = valuesOf(ctx.query, FIELDS);
  // valid until the end of the phone's day by default
  v.valid_until = v.valid_until || toLocalInput(new Date(dayStart(ctx.now) + DAY - 60000));
  v.basis = v.basis || "owner_present";
  return { title: t("Issue a goods-out pass"), main: passForm(await unitForm(v, false)) };
}

/** @param {string} value @returns {string | null} */
const localStamp = (value) => {
  const d = fromLocalInput(value);
  return d ? stamp(d.getTime()) : null;
};

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function issueSubmit(ctx) {
  const session = may(ctx, "pass.issue");
  if (!session) return refused();
  const v = valuesOf(await ctx.form(), FIELDS);
  const f = await unitForm(v, false);
  const read = await begin("readonly");
  const photos = await photosIn(read, v.authorisation_photo);
  await read.done;
  const now = ctx.now;
  const id = uuid7(now);
  const site = siteFor(session, f.chosen);
  const written = v.basis === "written" ? photos.slice(0, 1) : [];
  const phoned = v.basis === "phone";
  const number = passNumber(id, now);
  const errors = await write(ctx, session, "pass.issue", {
    pass_id: id, site_id: site, number, unit_id: f.chosen ? f.chosen.id : "",
    items: v.items.split("\n").map((s) => s.trim()).filter(Boolean), item_count: parseInt(v.item_count, 10) || 0,
    plate: v.plate, valid_until: localStamp(v.valid_until) || "", basis: v.basis, owner_name: v.owner_name,
    authorisation_photo: written[0] || "", phoned_number: phoned ? v.phoned_number : "",
    phoned_at: phoned ? localStamp(v.phoned_at) : null, issued_at: stamp(now),
    key_id: id, code: "CTP1.unsigned.unsigned", // both replaced below, once the form is right
  }, written, async (a) => {
    const key = await deviceKey(site, session); // registered first when this phone has none
    if (!key) return { form: t("This phone has no key to sign passes with yet. Go online once, then issue the pass.") };
    a.key_id = key.keyId;
    a.code = await signPass({ id: a.pass_id, n: a.number, s: a.site_id, u: a.unit_id, it: a.items, c: a.item_count,
      p: a.plate, b: a.basis, vu: a.valid_until, ia: a.issued_at, k: a.key_id });
    return null;
  });
  if (errors) return { title: t("Issue a goods-out pass"), main: passForm({ ...f, errors }) };
  const screen = await passScreenFor(ctx, id, `${t("Pass {number} issued.", { number })} ${t("Saved on this phone; it syncs by itself.")}`);
  return { ...screen, headers: { "HX-Replace-Url": `/m/desk/passes/${id}` } };
}
