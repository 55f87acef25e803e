// @ts-check
/** The shift handover on the phone (交接班): the site's handovers, the outgoing person's
 * draft (handover.draft: the summary drafted from this phone's records, handover_draft.js)
 * and the incoming person's signature (handover.receive) — on the same phone (they type
 * their name) or on their own once it synced (they sign as themselves: own_phone). Each write
 * is checked by the kit as the server checks it, then stored in ONE durable transaction
 * through outbox.record (a mutation the rules refuse is never queued). All offline. */

import { actorOf } from "../apply.js";
import { begin } from "../db.js";
import { html } from "../html.js";
import { uuid7 } from "../ids.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { rules, streamsOf } from "../kit/declarations.js";
import { Reject } from "../kit/reject.js";
import { route } from "../router.js";
import { fromLocalInput, toLocalInput } from "../views/format.js";
import { may, refused, roleMay, save } from "../repairs/screens.js";
import { readSummary } from "./handover_draft.js";
import { draftForm, handoverPage, listView, summaryView } from "./handover_views.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../session.js").Session} Session
 */

const H = "handover";
const DRAFT = "handover.draft";
const RECEIVE = "handover.receive";
const RECENT = 10;
const SHIFT_HOURS = 12; // the longest shift: an earlier sign-in is not this shift's start
const SHA = /^[0-9a-f]{64}$/;
const HOUR = 3600 * 1000;

/** The sites of this person, by id, with their names. @param {Session} session */
async function sitesOf(session) {
  const ids = actorOf(session).sites;
  const tx = await begin("readonly");
  const found = await Promise.all(ids.map((id) => tx.record("site", id)));
  await tx.done;
  return new Map(ids.map((id, i) => [id, String(found[i] ? found[i]?.data.name : id)]));
}

/** The kit's problems (and the rules' own check) as a form's errors.
 * @param {string} name @param {Record<string, any>} args */
const errorsOfArgs = (name, args) => errorsOf(problems(name, args, rules()[name]?.check).problems);

/** Store a mutation with its signature (the rules' refusal is thrown: nothing queued).
 * @param {Session} session @param {string} name @param {Record<string, any>} args
 * @param {string} sig @param {Ctx} ctx */
async function store(session, name, args, sig, ctx) {
  await save(session, name, args, ctx.now, [sig], async () => undefined);
  ctx.afterWrite();
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
async function listScreen(ctx) {
  const session = may(ctx, RECEIVE);
  if (!session) return refused();
  const sites = await sitesOf(session);
  const tx = await begin("readonly");
  const all = (await tx.recordsOfType(H)).filter((r) => !r.deleted && sites.has(r.data.site_id));
  await tx.done;
  all.sort((a, b) => String(b.data.shift_end).localeCompare(String(a.data.shift_end)));
  return {
    title: t("Shift handover"),
    main: listView({ waiting: all.filter((r) => !r.data.received_at), recent: all.filter((r) => r.data.received_at).slice(0, RECENT),
      sites, draft: roleMay(session.user.role, DRAFT) }),
    live: "/m/desk/handover",
  };
}

/** The form's values: the site (one of this person's), the shift's start.
 * @param {Ctx} ctx @param {URLSearchParams} from @param {Session} session */
async function draftValues(ctx, from, session) {
  const sites = await sitesOf(session);
  const asked = from.get("site_id") || from.get("site") || "";
  const site = sites.has(asked) ? asked : [...sites.keys()][0] || "";
  const signedIn = Date.parse(session.signed_in_at);
  // the sign-in time when it is this shift's (the last 12 hours), else 12 hours ago
  const start = signedIn > ctx.now - SHIFT_HOURS * HOUR && signedIn < ctx.now ? signedIn : ctx.now - SHIFT_HOURS * HOUR;
  const typed = fromLocalInput(from.get("shift_start") || "");
  /** @type {Record<string, string>} */
  const values = { site_id: site, shift_start: from.get("shift_start") || toLocalInput(new Date(start)),
    notes: from.get("notes") || "", outgoing_signature: (from.get("outgoing_signature") || "").trim() };
  return { values, site, siteName: sites.get(site) || "", start: typed ? typed.getTime() : start };
}

/** @param {Session} session @param {string} site @param {number} start @param {number} end */
async function draftOf(session, site, start, end) {
  const tx = await begin("readonly");
  const summary = await readSummary(tx, site, streamsOf(session.user.role), start, end);
  await tx.done;
  return summary;
}

/** @param {Ctx} ctx @param {URLSearchParams} from @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function draftScreenOf(ctx, from, errors) {
  const session = /** @type {Session} */ (ctx.session);
  const d = await draftValues(ctx, from, session);
  const summary = await draftOf(session, d.site, d.start, ctx.now);
  return { title: t("Hand over my shift"),
    main: draftForm({ values: d.values, errors, summary, name: session.user.display_name, site: d.siteName }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
async function draftScreen(ctx) {
  return may(ctx, DRAFT) ? draftScreenOf(ctx, ctx.query, {}) : refused();
}

/** The draft again for another start of the shift. @param {Ctx} ctx @returns {Promise<Screen>} */
async function summaryPart(ctx) {
  const session = may(ctx, DRAFT);
  if (!session) return refused();
  if (!ctx.htmx) return { title: "", main: html``, redirect: "/m/desk/handover/new" };
  const d = await draftValues(ctx, ctx.query, session);
  const part = summaryView(await draftOf(session, d.site, d.start, ctx.now));
  return { title: "", main: part, fragment: part };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
async function draftSubmit(ctx) {
  const session = may(ctx, DRAFT);
  if (!session) return refused();
  const form = await ctx.form();
  const d = await draftValues(ctx, form, session);
  const end = new Date(ctx.now).toISOString();
  const sig = d.values.outgoing_signature;
  const args = {
    handover_id: uuid7(ctx.now), site_id: d.site, shift_start: new Date(d.start).toISOString(), shift_end: end,
    summary: await draftOf(session, d.site, d.start, ctx.now), notes: d.values.notes,
    outgoing_name: session.user.display_name, outgoing_signature: SHA.test(sig) ? sig : "", drafted_at: end,
  };
  // the shift's order is the start's to fix (its end is now)
  const { shift_end: order, ...rest } = errorsOfArgs(DRAFT, args);
  let errors = order ? { shift_start: order, ...rest } : rest;
  if (!fromLocalInput(form.get("shift_start") || "")) errors = { shift_start: t("Enter when your shift started."), ...errors };
  if (!Object.keys(errors).length) {
    try {
      await store(session, DRAFT, args, args.outgoing_signature, ctx);
      return handoverScreenOf(ctx, args.handover_id, {}, t("Handover signed. Saved on this phone; it syncs by itself."));
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      errors = refusal(err);
    }
  }
  return draftScreenOf(ctx, form, errors);
}

/**
 * @param {Ctx} ctx @param {string} id @param {Record<string, string>} values
 * @param {string} [confirmation] @param {Record<string, string>} [errors] @returns {Promise<Screen>}
 */
async function handoverScreenOf(ctx, id, values, confirmation, errors = {}) {
  const session = /** @type {Session} */ (ctx.session);
  const tx = await begin("readonly");
  const rec = await tx.record(H, id);
  const site = rec ? await tx.record("site", rec.data.site_id) : undefined;
  await tx.done;
  if (!rec || rec.deleted) {
    return { title: t("Not found."), status: 404, main: html`<section class="card"><h1>${t("This handover is not on this phone.")}</h1>
      <p><a href="/m/desk/handover">${t("Back to the handovers")}</a></p></section>` };
  }
  // the outgoing person's phone: the incoming types their name; any other: they sign as themselves
  const own = rec.data.outgoing_id === session.user.id ? "" : session.user.display_name;
  const receive = !rec.data.received_at && roleMay(session.user.role, RECEIVE) ? { values, errors, own } : null;
  return {
    title: t("Shift handover"),
    main: handoverPage({ rec, site: site ? String(site.data.name) : "", confirmation, receive }),
    // refreshed after a sync only without the form (a refresh would wipe a signature begun)
    ...(receive ? {} : { live: `/m/desk/handover/${id}` }),
    ...(confirmation ? { headers: { "HX-Replace-Url": `/m/desk/handover/${id}` } } : {}),
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
async function handoverScreen(ctx) {
  return may(ctx, RECEIVE) ? handoverScreenOf(ctx, ctx.params.id, {}) : refused();
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
async function receiveSubmit(ctx) {
  const session = may(ctx, RECEIVE);
  if (!session) return refused();
  const form = await ctx.form();
  const id = ctx.params.id;
  const tx = await begin("readonly");
  const rec = await tx.record(H, id);
  await tx.done;
  const values = { incoming_name: form.get("incoming_name") || "", incoming_signature: (form.get("incoming_signature") || "").trim() };
  if (!rec) return handoverScreenOf(ctx, id, values);
  const own = rec.data.outgoing_id !== session.user.id;
  const args = { handover_id: id, incoming_name: own ? session.user.display_name : values.incoming_name,
    incoming_signature: SHA.test(values.incoming_signature) ? values.incoming_signature : "",
    received_at: new Date(ctx.now).toISOString(), own_phone: own };
  let errors = errorsOfArgs(RECEIVE, args);
  if (!Object.keys(errors).length) {
    try {
      await store(session, RECEIVE, args, args.incoming_signature, ctx);
      return handoverScreenOf(ctx, id, {}, t("Handover received. Saved on this phone; it syncs by itself."));
    } catch (err) {
      if (!(err instanceof Reject)) throw err;
      errors = refusal(err);
    }
  }
  return handoverScreenOf(ctx, id, values, undefined, errors);
}

/** The handover's routes (the desk's index.js registers them). */
export function registerHandoverRoutes() {
  route("GET", "/m/desk/handover", listScreen);
  route("GET", "/m/desk/handover/new", draftScreen);
  route("POST", "/m/desk/handover/new", draftSubmit);
  route("GET", "/m/desk/handover/new/summary", summaryPart);
  route("GET", "/m/desk/handover/:id", handoverScreen);
  route("POST", "/m/desk/handover/:id", receiveSubmit);
}

/** The handover's entry in the navigation of the roles that hand over.
 * @param {string} role @returns {{href: string, label: string}[]} */
export function handoverNav(role) {
  return roleMay(role, RECEIVE) ? [{ href: "/m/desk/handover", label: t("Shift handover") }] : [];
}
