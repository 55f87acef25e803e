// @ts-check
/** The desk's follow-up calls (回訪): the queue of follow-ups not done, due first, and the
 * form that records one (repair.follow_up: reached or not, the resident's rating A / B / C,
 * notes) — one durable transaction through outbox.record, a refused one never queued. */

import { html } from "../html.js";
import { t } from "../i18n.js";
import { problems } from "../kit/args.js";
import { Reject } from "../kit/reject.js";
import { errorSummary, select, textarea } from "../views/forms.js";
import { dateTime } from "../views/format.js";
import { choiceLabel, choiceOptions } from "../views/labels.js";
import { FOLLOW_UP, followQueue, followView } from "./data.js";
import { fieldError, radios } from "./forms.js";
import { RULES } from "./rules.js";
import { may, notHere, refused, save } from "./screens.js";
import { pending, place } from "./views.js";
import { errorsOf, refusal } from "./words.js";

/**
 * @typedef {import("../router.js").Ctx} Ctx
 * @typedef {import("../router.js").Screen} Screen
 * @typedef {import("../db.js").StoredRecord} StoredRecord
 */

const NAME = "repair.follow_up";

/** @param {Ctx} ctx @param {string} [confirmation] @returns {Promise<Screen>} */
async function queueScreen(ctx, confirmation) {
  const q = await followQueue();
  const rows = q.due.map((f) => {
    const d = f.data;
    const req = q.requests.get(d.request_id);
    const late = Date.parse(d.due_at) < ctx.now;
    return html`<li class="card-row key-row${late ? " is-overdue" : ""}" data-follow-up-id="${f.id}">
      <a class="card-number" href="/m/repairs/follow-ups/${f.id}">${req ? req.data.number : "?"}</a>
      <span>${req ? place(req.data, q.units.get(d.unit_id)) : ""}</span>
      <span class="badge${d.reason === "sampled" ? "" : " is-alert"}">${choiceLabel(FOLLOW_UP, "reason", d.reason)}</span>
      <span class="${late ? "badge is-alert" : "muted"}">${t("Due {time}", { time: dateTime(d.due_at) })}</span>${pending(f)}
      ${req && req.data.contact_phone ? html`<span>${req.data.contact_name} · ${req.data.contact_phone}</span>` : ""}
    </li>`;
  });
  return {
    title: t("Follow-ups"),
    main: html`${confirmation ? html`<p class="notice confirmation" role="status" id="confirmation">${confirmation}</p>` : ""}
      <h1>${t("Follow-ups")} <span class="count">${rows.length}</span></h1>
      ${rows.length ? html`<ul class="rows" id="follow-ups">${rows}</ul>` : html`<p class="muted">${t("No follow-up is due.")}</p>`}`,
    live: "/m/repairs/follow-ups",
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function followUpsScreen(ctx) {
  if (!may(ctx, NAME)) return refused();
  return queueScreen(ctx);
}

/** @param {Ctx} ctx @param {Record<string, string>} values @param {Record<string, string>} errors
 * @returns {Promise<Screen>} */
async function formScreen(ctx, values, errors) {
  const v = await followView(ctx.params.id);
  if (!v) return notHere(t("This follow-up is not on this phone."));
  const d = v.follow.data;
  const r = v.req ? v.req.data : null;
  const url = `/m/repairs/follow-ups/${v.follow.id}`;
  const done = d.done_at ? html`<p class="notice" id="done">${t("Done {time}: {rating}", { time: dateTime(d.done_at), rating: choiceLabel(FOLLOW_UP, "rating", d.rating) })}</p>` : "";
  return {
    title: t("Follow-up call"),
    main: html`<h1>${t("Follow-up call")}</h1>
    <p>${r ? html`<a href="/m/repairs/requests/${v.req ? v.req.id : ""}">${r.number}</a> · ${place(r, v.unit)}` : ""}
      · ${choiceLabel(FOLLOW_UP, "reason", d.reason)}</p>
    ${r && r.contact_phone ? html`<p>${r.contact_name} · <a href="tel:${String(r.contact_phone).replace(/[^0-9+]/g, "")}">${r.contact_phone}</a></p>` : ""}
    ${done}
    ${errorSummary(errors)}
    <form id="follow-form" class="stack form" method="post" action="${url}" novalidate hx-post="${url}" hx-target="#main" hx-swap="innerHTML show:top">
      ${fieldError(errors, "form")}
      ${select({ name: "method", label: t("By"), value: values.method, error: errors.method, options: choiceOptions(FOLLOW_UP, "method") })}
      ${radios("reached", t("Reached the resident?"), [{ value: "1", label: t("Yes") }, { value: "0", label: t("No") }], values.reached, errors)}
      ${radios("rating", t("Rating"), choiceOptions(FOLLOW_UP, "rating").filter((o) => o.value), values.rating, errors)}
      ${textarea({ name: "notes", label: t("Notes"), value: values.notes, error: errors.notes, extra: { maxlength: 2000 } })}
      <button type="submit" class="primary big" id="follow-submit">${t("Record the follow-up")}</button>
    </form>
    <p><a href="/m/repairs/follow-ups">${t("Back to the follow-ups")}</a></p>`,
  };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function followScreen(ctx) {
  if (!may(ctx, NAME)) return refused();
  return formScreen(ctx, { method: "call", reached: "1", rating: "", notes: "" }, {});
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function followSubmit(ctx) {
  const session = may(ctx, NAME);
  if (!session) return refused();
  const form = await ctx.form();
  /** @type {Record<string, string>} */
  const v = {};
  for (const f of ["method", "reached", "rating", "notes"]) v[f] = form.get(f) || "";
  const args = { follow_up_id: ctx.params.id, method: v.method, reached: v.reached === "1", rating: v.rating,
    notes: v.notes, done_at: new Date(ctx.now).toISOString() };
  const errors = errorsOf(problems(NAME, args, RULES[NAME].check).problems);
  if (Object.keys(errors).length) return formScreen(ctx, v, errors);
  try {
    await save(session, NAME, args, ctx.now, [], async () => undefined);
  } catch (err) {
    if (err instanceof Reject) return formScreen(ctx, v, refusal(err));
    throw err;
  }
  ctx.afterWrite();
  const screen = await queueScreen(ctx, args.reached ? t("Follow-up recorded. Saved on this phone; it syncs by itself.")
    : t("Not reached: the follow-up stays in the queue."));
  return { ...screen, headers: { "HX-Replace-Url": "/m/repairs/follow-ups" } };
}
