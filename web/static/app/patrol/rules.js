// @ts-check
/**
 * The patrol domain's rules on the phone: its copy of sync/domains/patrol/rules.py (the
 * authority), run for the optimistic apply. tests/parity runs generated sequences of every
 * patrol mutation through both and fails on any difference — change the two together.
 * Times are compared as the stored UTC ISO strings, as the server compares them.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import { same } from "../kit/context.js";
import { normalize } from "../kit/text.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export const CHECKPOINT = "checkpoint";
export const RETIRED_TAG = "retired_tag";
export const CHECKLIST = "checklist";
export const ROUTE = "route";
export const ROUND = "round";
export const SCAN = "scan";
export const INCIDENT = "incident";

export const ALREADY_EXISTS = "already_exists";
export const UNKNOWN_ROUND = "unknown_round";
export const UNKNOWN_ROUTE = "unknown_route";
export const UNKNOWN_TAG = "unknown_tag";
export const TAG_RETIRED = "tag_retired";
export const CHECKPOINT_RETIRED = "checkpoint_retired";
export const WRONG_SITE = "wrong_site";
export const UNKNOWN_CHECKPOINT = "unknown_checkpoint";
export const NOT_ON_ROUTE = "not_on_route";
export const UNKNOWN_SCAN = "unknown_scan";
export const REASON_REQUIRED = "reason_required";
export const ROUND_CLOSED = "round_closed";

export const ANSWERS_NOT_A_MAP = "Answers are given per checklist item.";
export const WINDOW_BACKWARDS = "The round must be due after it starts.";

/** Python's repr() of a string, as the server's reasons quote values. @param {unknown} s */
function repr(s) {
  const text = String(s);
  return text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text.replace(/'/g, "\\'")}'`;
}

/** A printed code as typed, in the form codes are stored. @param {string} text */
export function typedCode(text) {
  return normalize(text, "code");
}

/** @param {Context} ctx @param {string} roundId @returns {Promise<Rec>} */
async function roundOf(ctx, roundId) {
  const rec = await ctx.get(ROUND, roundId);
  if (!rec) throw new Reject(UNKNOWN_ROUND, `no round ${roundId}`, "round_id");
  return rec;
}

/** @param {Context} ctx @param {Rec} rnd @returns {Promise<string[]>} */
export async function routeCheckpoints(ctx, rnd) {
  const route = await ctx.get(ROUTE, String(rnd.data.route_id));
  const ids = route ? route.data.checkpoint_ids : null;
  return Array.isArray(ids) ? ids.map(String) : [];
}

/** @param {Context} ctx @param {string} roundId */
function visits(ctx, roundId) {
  return ctx.find(SCAN, "round_id", roundId);
}

/** @param {Context} ctx @param {Rec} rnd @param {string} at @returns {Rec} */
function start(ctx, rnd, at) {
  const d = rnd.data;
  if (d.started_at !== null && d.started_at !== undefined) return rnd;
  return ctx.update(rnd, { started_at: at, started_by: ctx.actor.staff_id, status: "in_progress",
    late: Boolean(d.late) || at > String(d.start_by) });
}

/** @param {Record<string, any>} a */
function answersCheck(a) {
  const answers = a.answers;
  if (answers === undefined || answers === null) return [];
  if (typeof answers !== "object" || Array.isArray(answers)) return [new Problem("answers", ANSWERS_NOT_A_MAP)];
  for (const [k, v] of Object.entries(answers)) {
    const ok = (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      && [...k].length <= 20 && !(typeof v === "string" && [...v].length > 500);
    if (!ok) return [new Problem("answers", ANSWERS_NOT_A_MAP)];
  }
  return [];
}

/**
 * The checkpoint a scanned token (or typed code) names at `siteId`, or the refusal.
 * @param {Context} ctx @param {string} siteId @param {string} method @param {string} token
 * @returns {Promise<Rec>}
 */
export async function resolveTag(ctx, siteId, method, token) {
  const found = method === "typed"
    ? await ctx.find(CHECKPOINT, "code", typedCode(token))
    : await ctx.find(CHECKPOINT, "token", token);
  if (!found.length && method !== "typed") {
    const retired = await ctx.find(RETIRED_TAG, "token", token);
    if (retired.length) throw new Reject(TAG_RETIRED, "this tag was replaced: scan the new label", "token");
  }
  const mine = found.filter((c) => c.data.site_id === siteId);
  if (!mine.length) {
    if (found.length) throw new Reject(WRONG_SITE, "this tag belongs to another site", "token");
    throw new Reject(UNKNOWN_TAG, `no checkpoint has the code ${repr(token)}`, "token");
  }
  const checkpoint = mine[0];
  if (checkpoint.deleted) {
    throw new Reject(CHECKPOINT_RETIRED, `checkpoint ${checkpoint.data.code} is no longer in use`, "token");
  }
  return checkpoint;
}

/** @param {Context} ctx @param {Rec} rnd @param {string} checkpointId @param {string} at
 * @param {string} scanId */
async function flagsOf(ctx, rnd, checkpointId, at, scanId) {
  const d = rnd.data;
  const flags = [];
  if (!(await routeCheckpoints(ctx, rnd)).includes(checkpointId)) flags.push("off_route");
  if (at < String(d.slot_at)) flags.push("early");
  if (at > String(d.due_by)) flags.push("late");
  if ((await visits(ctx, rnd.id)).some((v) => v.id !== scanId && v.data.checkpoint_id === checkpointId)) {
    flags.push("repeat");
  }
  // (a visit made before another phone's finish is not after it)
  if (d.finished_at !== null && d.finished_at !== undefined && at > String(d.finished_at)) flags.push("after_finish");
  return flags;
}

/** done when every checkpoint of the route was visited or skipped, else incomplete.
 * @param {Context} ctx @param {Rec} rnd */
export async function roundOutcome(ctx, rnd) {
  const seen = new Set((await visits(ctx, rnd.id)).map((v) => String(v.data.checkpoint_id)));
  return (await routeCheckpoints(ctx, rnd)).every((c) => seen.has(c)) ? "done" : "incomplete";
}

/** A visit made before another phone's finish reached the server (both offline) counts as if
 * it had arrived first: an incomplete round it completes becomes done.
 * @param {Context} ctx @param {string} roundId @param {string} at */
async function beforeFinish(ctx, roundId, at) {
  const rnd = await roundOf(ctx, roundId);
  const finished = rnd.data.finished_at;
  if (finished !== null && finished !== undefined && at <= String(finished) && rnd.data.status === "incomplete") {
    ctx.update(rnd, { status: await roundOutcome(ctx, rnd) });
  }
}

const PLAN_FIELDS = ["route_id", "schedule_id", "slot_at", "start_by", "due_by", "guard_ids"];
const RECORD_FIELDS = ["round_id", "method", "token", "scanned_at", "answers", "abnormal", "note",
  "severity", "photos"];

/** @param {Record<string, any> | undefined} d @param {Record<string, any>} given */
function sameAs(d, given) {
  return Boolean(d) && Object.entries(given).every(([f, v]) => same(d?.[f] ?? null, v));
}

/** @param {Record<string, any>} a @param {string[]} fields */
function pick(a, fields) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const f of fields) out[f] = a[f];
  return out;
}

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "round.plan": {
    check(a) {
      return a.due_by < a.slot_at || a.start_by < a.slot_at ? [new Problem("due_by", WINDOW_BACKWARDS)] : [];
    },
    async apply(ctx, a) {
      const planned = pick(a, PLAN_FIELDS);
      const existing = await ctx.get(ROUND, a.round_id);
      if (existing) {
        if (sameAs(existing.data, planned)) return;
        throw new Reject(ALREADY_EXISTS, `round ${a.round_id} is planned differently`);
      }
      const route = await ctx.get(ROUTE, a.route_id);
      if (!route || route.deleted) throw new Reject(UNKNOWN_ROUTE, `no route ${a.route_id}`, "route_id");
      await ctx.insert(ROUND, a.round_id, { site_id: route.data.site_id, ...planned, status: "planned",
        started_at: null, started_by: null, finished_at: null, finished_by: null, late: false,
        missed_at: null, unscheduled: false });
    },
  },

  "round.miss": {
    async apply(ctx, a) {
      const rnd = await roundOf(ctx, a.round_id);
      const d = rnd.data;
      if (d.status === "planned" && a.at >= String(d.start_by)) {
        ctx.update(rnd, { status: "missed", missed_at: a.at });
      } else if (d.status === "in_progress" && d.finished_at == null
                 && a.at >= String(d.due_by)) {
        ctx.update(rnd, { status: "incomplete", missed_at: a.at });
      }
    },
  },

  "round.start": {
    check(a) {
      return a.due_by !== null && a.due_by !== undefined && a.due_by < a.at
        ? [new Problem("due_by", WINDOW_BACKWARDS)] : [];
    },
    async apply(ctx, a) {
      const rnd = await ctx.get(ROUND, a.round_id);
      if (rnd) {
        const finished = rnd.data.finished_at;
        if (finished !== null && finished !== undefined && a.at > String(finished)) {
          throw new Reject(ROUND_CLOSED, `round ${a.round_id} is finished`, "round_id");
        }
        start(ctx, rnd, a.at);
        return;
      }
      if (a.route_id === null || a.route_id === undefined) {
        throw new Reject(UNKNOWN_ROUND, `no round ${a.round_id}`, "round_id");
      }
      const route = await ctx.get(ROUTE, a.route_id);
      if (!route || route.deleted) throw new Reject(UNKNOWN_ROUTE, `no route ${a.route_id}`, "route_id");
      await ctx.insert(ROUND, a.round_id, { site_id: route.data.site_id, route_id: a.route_id,
        schedule_id: null, slot_at: a.at, start_by: a.at, due_by: a.due_by || a.at,
        guard_ids: [ctx.actor.staff_id], status: "in_progress", started_at: a.at,
        started_by: ctx.actor.staff_id, finished_at: null, finished_by: null, late: false,
        missed_at: null, unscheduled: true });
    },
  },

  "scan.record": {
    check: answersCheck,
    async apply(ctx, a) {
      const given = pick(a, RECORD_FIELDS);
      const existing = await ctx.get(SCAN, a.scan_id);
      if (existing) {
        if (sameAs(existing.data, given)) return;
        throw new Reject(ALREADY_EXISTS, `visit ${a.scan_id} was recorded differently`);
      }
      const rnd = await roundOf(ctx, a.round_id);
      const siteId = String(rnd.data.site_id);
      const checkpoint = await resolveTag(ctx, siteId, a.method, a.token);
      const flags = await flagsOf(ctx, rnd, checkpoint.id, a.scanned_at, a.scan_id);
      start(ctx, rnd, a.scanned_at);
      const actor = ctx.actor;
      await ctx.insert(SCAN, a.scan_id, { site_id: siteId, ...given, checkpoint_id: checkpoint.id,
        skip_reason: "", review: "", review_note: "", reviewed_by: null, scanned_by: actor.staff_id,
        scanned_device: actor.device_id, flags });
      await beforeFinish(ctx, rnd.id, a.scanned_at);
    },
  },

  "scan.answer": {
    check: answersCheck,
    async apply(ctx, a) {
      const scan = await ctx.get(SCAN, a.scan_id);
      // only the guard who was there answers its checklist, and a skipped checkpoint has none
      if (!scan || scan.data.scanned_by !== ctx.actor.staff_id || scan.data.method === "skip") {
        throw new Reject(UNKNOWN_SCAN, `no visit ${a.scan_id} of yours to answer`, "scan_id");
      }
      const answers = scan.data.answers;
      const merged = { ...(answers && typeof answers === "object" && !Array.isArray(answers) ? answers : {}),
        ...a.answers };
      /** @type {Record<string, any>} */
      const changes = { answers: merged, abnormal: a.abnormal };
      for (const f of ["note", "severity", "photos"]) {
        if (a[f] !== null && a[f] !== undefined) changes[f] = a[f];
      }
      ctx.update(scan, changes);
    },
  },

  "scan.skip": {
    async apply(ctx, a) {
      if (!a.reason) throw new Reject(REASON_REQUIRED, "skipping a checkpoint needs a reason", "reason");
      const existing = await ctx.get(SCAN, a.scan_id);
      if (existing) {
        const d = existing.data;
        if (d.method === "skip" && d.skip_reason === a.reason && d.checkpoint_id === a.checkpoint_id
            && d.round_id === a.round_id && d.scanned_at === a.at) return;
        throw new Reject(ALREADY_EXISTS, `visit ${a.scan_id} was recorded differently`);
      }
      const rnd = await roundOf(ctx, a.round_id);
      const checkpoint = await ctx.get(CHECKPOINT, a.checkpoint_id);
      if (!checkpoint) throw new Reject(UNKNOWN_CHECKPOINT, `no checkpoint ${a.checkpoint_id}`, "checkpoint_id");
      if (!(await routeCheckpoints(ctx, rnd)).includes(a.checkpoint_id)) {
        throw new Reject(NOT_ON_ROUTE, "this checkpoint is not on the round's route", "checkpoint_id");
      }
      const flags = await flagsOf(ctx, rnd, a.checkpoint_id, a.at, a.scan_id);
      start(ctx, rnd, a.at);
      const actor = ctx.actor;
      await ctx.insert(SCAN, a.scan_id, { site_id: rnd.data.site_id, round_id: a.round_id,
        method: "skip", token: "", scanned_at: a.at, answers: {}, abnormal: false, note: "",
        severity: "none", photos: [], checkpoint_id: a.checkpoint_id, skip_reason: a.reason,
        review: "pending", review_note: "", reviewed_by: null, scanned_by: actor.staff_id,
        scanned_device: actor.device_id, flags });
      await beforeFinish(ctx, rnd.id, a.at);
    },
  },

  "scan.review": {
    async apply(ctx, a) {
      const scan = await ctx.get(SCAN, a.scan_id);
      if (!scan || scan.data.method !== "skip") throw new Reject(UNKNOWN_SCAN, `no skipped checkpoint ${a.scan_id}`, "scan_id");
      if (a.decision === "rejected" && !a.note) throw new Reject(REASON_REQUIRED, "rejecting a skip needs a note", "note");
      ctx.update(scan, { review: a.decision, review_note: a.note, reviewed_by: ctx.actor.staff_id });
    },
  },

  "round.finish": {
    async apply(ctx, a) {
      let rnd = await roundOf(ctx, a.round_id);
      const d = rnd.data;
      const actor = ctx.actor;
      if (d.finished_at !== null && d.finished_at !== undefined) {
        // two phones finished it (both offline): the first time stands, the second is kept
        ctx.conflict("double_finish", { record_type: ROUND, record_ids: [rnd.id],
          details: { first: { finished_at: d.finished_at, finished_by: d.finished_by },
            second: { finished_at: a.at, finished_by: actor.staff_id } },
          staff_ids: [d.finished_by, actor.staff_id] });
        return;
      }
      rnd = start(ctx, rnd, a.at);
      ctx.update(rnd, { finished_at: a.at, finished_by: actor.staff_id,
        status: await roundOutcome(ctx, rnd),
        late: Boolean(rnd.data.late) || a.at > String(d.due_by) });
    },
  },

  "incident.report": {
    async apply(ctx, a) {
      const given = { checkpoint_id: a.checkpoint_id, round_id: a.round_id, scan_id: a.scan_id,
        description: a.description, severity: a.severity, photos: a.photos, reported_at: a.at };
      const existing = await ctx.get(INCIDENT, a.incident_id);
      if (existing) {
        if (sameAs(existing.data, given)) return;
        throw new Reject(ALREADY_EXISTS, `incident ${a.incident_id} was reported differently`);
      }
      const checkpoint = await ctx.get(CHECKPOINT, a.checkpoint_id);
      if (!checkpoint) throw new Reject(UNKNOWN_CHECKPOINT, `no checkpoint ${a.checkpoint_id}`, "checkpoint_id");
      // the round and visit it names, if any: of the checkpoint's site (the visit of the round)
      const siteId = checkpoint.data.site_id;
      const rnd = a.round_id ? await ctx.get(ROUND, a.round_id) : null;
      if (a.round_id && (!rnd || rnd.data.site_id !== siteId)) {
        throw new Reject(UNKNOWN_ROUND, `no round ${a.round_id}`, "round_id");
      }
      const scan = a.scan_id ? await ctx.get(SCAN, a.scan_id) : null;
      if (a.scan_id && (!scan || scan.data.site_id !== siteId || (a.round_id && scan.data.round_id !== a.round_id))) {
        throw new Reject(UNKNOWN_SCAN, `no visit ${a.scan_id}`, "scan_id");
      }
      await ctx.insert(INCIDENT, a.incident_id, { site_id: checkpoint.data.site_id, ...given,
        reported_by: ctx.actor.staff_id, status: "open" });
    },
  },
};
