// @ts-check
/** Logging a repair request (the desk; a guard from a patrol anomaly; a technician on site),
 * the desk's open requests, assigning a request and linking the key lent for it. Each write:
 * the arguments built and checked by the kit first (the server's checks, from the
 * declarations, with the rules' own cross-field check), then one durable transaction through
 * outbox.record (screens.js save): a refused mutation is never queued. */

import { actorOf } from "../apply.js";
import { begin } from "../db.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { fromLocalInput } from "../views/format.js";
import { OPEN_STATES, UUID, deskRequests, live, unitsNumbered } from "./data.js";
import { contactFields, deskList, reportForm, reported, unitChoices } from "./desk_views.js";
import { RULES, requestNumber } from "./rules.js";
import { requestScreenFor } from "./request_screen.js";
import { may, photosIn, readsRequests, refused, save } from "./screens.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 * @typedef {import("../db.js").Tx} Tx
 */

const UNIT_HITS = 8;
const FIELDS = ["unit_q", "unit_id", "area", "site_id", "category", "urgency", "complaint", "description",
  "photos", "resident_id", "contact_name", "contact_phone", "contact_pref", "anomaly"];

/** @param {URLSearchParams} from @returns {Record<string, string>} */
function valuesOf(from) {
  /** @type {Record<string, string>} */
  const v = {};
  for (const f of FIELDS) v[f] = from.get(f) || "";
  return v;
}

/** A unit's active residents, owners first. @param {Tx} tx @param {string} unitId */
async function residentsOf(tx, unitId) {
  const found = UUID.test(unitId) ? live(await tx.find("resident", "unit_id", unitId)) : [];
  return found.sort((a, b) => Number(b.data.relation === "owner") - Number(a.data.relation === "owner")
    || String(a.data.name).localeCompare(String(b.data.name)));
}

/** The contact from a resident picked (or the unit's first, when nothing is typed yet).
 * @param {Record<string, string>} v @param {StoredRecord[]} residents @param {boolean} picked */
function fillContact(v, residents, picked) {
  const r = residents.find((x) => x.id === v.resident_id) || (!picked && !v.contact_name ? residents[0] : undefined);
  if (r) Object.assign(v, { resident_id: r.id, contact_name: r.data.name, contact_phone: r.data.phone || "" });
}

/** @param {Ctx} ctx @param {Record<string, string>} v @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function formScreen(ctx, v, errors) {
  const session = /** @type {import("../session.js").Session} */ (ctx.session);
  const tx = await begin("readonly");
  const chosen = UUID.test(v.unit_id) ? await tx.record("unit", v.unit_id) : undefined;
  const [residents, sites] = await Promise.all([
    chosen ? residentsOf(tx, chosen.id) : [],
    Promise.all(actorOf(session).sites.map((id) => tx.record("site", id))),
  ]);
  await tx.done;
  const units = v.unit_q ? await unitsNumbered(v.unit_q, UNIT_HITS) : [];
  return {
    title: t("Log a repair request"),
    main: reportForm({ values: v, errors, units, chosen, residents, anomaly: v.anomaly,
      sites: sites.filter((s) => s).map((s) => ({ value: s ? s.id : "", label: s ? String(s.data.name) : "" })) }),
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function reportScreen(ctx) {
  if (!may(ctx, "repair.report")) return refused();
  const v = valuesOf(ctx.query);
  Object.assign(v, { category: v.category || "other", urgency: v.urgency || "normal",
    contact_pref: v.contact_pref || "call_first" });
  if (UUID.test(v.anomaly)) {
    // a patrol anomaly: its note, photos and checkpoint (what this phone holds of them)
    const tx = await begin("readonly");
    const scan = await tx.record("scan", v.anomaly);
    const point = scan && scan.data.checkpoint_id ? await tx.record("checkpoint", scan.data.checkpoint_id) : undefined;
    await tx.done;
    if (scan) {
      v.description = v.description || scan.data.note || "";
      v.photos = v.photos || (scan.data.photos || []).join(",");
    }
    if (point) v.area = v.area || String(point.data.name);
  } else {
    v.anomaly = "";
  }
  if (UUID.test(v.unit_id)) {
    const tx = await begin("readonly");
    fillContact(v, await residentsOf(tx, v.unit_id), false);
    await tx.done;
  }
  return formScreen(ctx, v, {});
}

/** The units whose number starts as typed. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function unitsPart(ctx) {
  if (!may(ctx, "repair.report")) return refused();
  const q = (ctx.query.get("unit_q") || "").trim();
  const chosenId = ctx.query.get("unit_id") || "";
  const tx = await begin("readonly");
  const chosen = UUID.test(chosenId) ? await tx.record("unit", chosenId) : undefined;
  await tx.done;
  const part = unitChoices({ units: q ? await unitsNumbered(q, UNIT_HITS) : [], chosen, q });
  return { title: "", main: part, fragment: part };
}

/** The contact again: a unit or a resident picked fills it. @param {Ctx} ctx @returns {Promise<Screen>} */
export async function contactPart(ctx) {
  if (!may(ctx, "repair.report")) return refused();
  const v = valuesOf(ctx.query);
  const tx = await begin("readonly");
  const residents = await residentsOf(tx, v.unit_id);
  await tx.done;
  if (ctx.request.headers.get("HX-Trigger-Name") !== "resident_id") v.resident_id = "";
  fillContact(v, residents, ctx.request.headers.get("HX-Trigger-Name") === "resident_id");
  const part = contactFields({ values: v, errors: {}, residents });
  return { title: "", main: part, fragment: part };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function reportSubmit(ctx) {
  const session = may(ctx, "repair.report");
  if (!session) return refused();
  const v = valuesOf(await ctx.form());
  const now = ctx.now;
  const at = new Date(now).toISOString();
  const id = uuid7(now);
  const role = session.user.role;
  const anomaly = UUID.test(v.anomaly) ? v.anomaly : null;
  const read = await begin("readonly");
  const unit = UUID.test(v.unit_id) ? await read.record("unit", v.unit_id) : undefined;
  const photos = await photosIn(read, v.photos);
  await read.done;
  const sites = actorOf(session).sites;
  const args = {
    request_id: id,
    site_id: unit ? String(unit.data.site_id) : sites.includes(v.site_id) ? v.site_id : sites[0] || "",
    number: requestNumber(id, at, true),
    unit_id: unit ? unit.id : null,
    area: v.area,
    category: v.category,
    urgency: v.urgency,
    complaint: Boolean(v.complaint),
    description: v.description,
    photos,
    contact_name: v.contact_name,
    contact_phone: v.contact_phone,
    contact_pref: v.contact_pref,
    source: role === "technician" ? "technician" : anomaly || role === "patrol" ? "patrol" : "desk",
    anomaly_visit_id: anomaly,
    parent_id: null,
    reported_at: at,
  };
  const errors = errorsOf(problems("repair.report", args, RULES["repair.report"].check).problems);
  if (Object.keys(errors).length) return formScreen(ctx, v, errors);
  try {
    await save(session, "repair.report", args, now, photos, async () => undefined);
  } catch (err) {
    if (err instanceof Reject) return formScreen(ctx, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  if (!readsRequests(role)) {
    return { title: t("Log a repair request"), main: reported({ number: args.number, back: anomaly ? `/m/patrol/scans/${anomaly}` : "/m/" }) };
  }
  const screen = await requestScreenFor(ctx, id, {
    confirmation: t("Repair request {number} logged. Saved on this phone; it syncs by itself.", { number: args.number }) });
  return { ...screen, headers: { "HX-Replace-Url": `/m/repairs/requests/${id}` } };
}

// --- the desk's list -------------------------------------------------------------------------

/** The deadline a request is held to now. @param {StoredRecord} r */
const heldTo = (r) => String((r.data.state === "in_progress" ? r.data.complete_by : r.data.respond_by) || "9");

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function deskListScreen(ctx) {
  if (!may(ctx, "repair.assign")) return refused();
  const d = await deskRequests();
  const groups = OPEN_STATES.map((state) => ({ state,
    rows: d.open.filter((r) => r.data.state === state).sort((a, b) => heldTo(a).localeCompare(heldTo(b))) }));
  return { title: t("Repairs"), main: deskList({ groups, units: d.units, names: d.names, now: ctx.now }), live: "/m/repairs/requests" };
}

// --- assign, link a key loan -----------------------------------------------------------------

/**
 * @param {string} name @param {string[]} fields
 * @param {(v: Record<string, string>, id: string, at: string) => {args: Record<string, any>, errors: Record<string, string>}} build
 * @param {(v: Record<string, string>) => string} done
 * @returns {(ctx: Ctx) => Promise<Screen>}
 */
function deskWrite(name, fields, build, done) {
  return async (ctx) => {
    const session = may(ctx, name);
    if (!session) return refused();
    const form = await ctx.form();
    /** @type {Record<string, string>} */
    const v = {};
    for (const f of fields) v[f] = form.get(f) || "";
    const id = ctx.params.id;
    const b = build(v, id, new Date(ctx.now).toISOString());
    const errors = { ...errorsOf(problems(name, b.args).problems), ...b.errors };
    if (!Object.keys(errors).length) {
      try {
        await save(session, name, b.args, ctx.now, [], async () => undefined);
        ctx.afterWrite();
        const screen = await requestScreenFor(ctx, id, { confirmation: done(v) });
        return { ...screen, headers: { "HX-Replace-Url": `/m/repairs/requests/${id}` } };
      } catch (err) {
        if (!(err instanceof Reject)) throw err;
        Object.assign(errors, refusal(err));
      }
    }
    return requestScreenFor(ctx, id, { values: v, errors });
  };
}

export const assignSubmit = deskWrite("repair.assign", ["assignee_id", "appointment_at"], (v, id, at) => {
  const when = v.appointment_at ? fromLocalInput(v.appointment_at) : null;
  /** @type {Record<string, string>} */
  const errors = {};
  if (!UUID.test(v.assignee_id)) errors.assignee_id = t("Choose a technician.");
  if (v.appointment_at && !when) errors.appointment_at = t("Enter a date and time.");
  return { errors, args: { request_id: id, assignee_id: UUID.test(v.assignee_id) ? v.assignee_id : null,
    appointment_at: when ? when.toISOString() : null, assigned_at: at } };
}, () => t("Assigned. Saved on this phone; it syncs by itself."));

export const keySubmit = deskWrite("repair.link_key", ["key_loan_id"], (v, id) => ({
  errors: UUID.test(v.key_loan_id) ? /** @type {Record<string, string>} */ ({}) : { key_loan_id: t("Choose a key loan.") },
  args: { request_id: id, key_loan_id: UUID.test(v.key_loan_id) ? v.key_loan_id : null },
}), () => t("The key loan is linked to the request."));

