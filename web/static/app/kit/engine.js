// @ts-check
/**
 * One mutation through the rules, as the server runs it (sync/push.py, steps 5–10): find its
 * declaration (unknown_mutation), decode its arguments (invalid_args), check its clock
 * (invalid_hlc), resolve its space, authorise role and site (forbidden_role,
 * forbidden_site), check the blobs it names (unknown_blob), run the domain's rule. The phone
 * applies its mutations optimistically through this; tests/parity runs the same sequences
 * through it and through the server's Python and compares records, rejections and conflicts.
 */

import { decode } from "./args.js";
import { Context } from "./context.js";
import { mutationDecl } from "./declarations.js";
import {
  FORBIDDEN_ROLE,
  FORBIDDEN_SITE,
  INVALID_HLC,
  Reject,
  UNKNOWN_BLOB,
  UNKNOWN_MUTATION,
} from "./reject.js";

/**
 * @typedef {import("./context.js").Source} Source
 * @typedef {import("./context.js").Actor} Actor
 * @typedef {import("./context.js").Rec} Rec
 * @typedef {import("./context.js").ConflictOut} ConflictOut
 * @typedef {{check?: (a: Record<string, any>) => import("./fields.js").Problem[],
 *   apply: (ctx: Context, a: Record<string, any>) => Promise<void>}} Rule
 * @typedef {{id: number, name: string, args: Record<string, any>, hlc: string}} MutationIn
 * @typedef {{reject: Reject | null, staged: Rec[], conflicts: ConflictOut[],
 *   space: string}} Outcome
 * @typedef {{rules: Record<string, Rule>, clientId: string,
 *   blobKnown: (sha: string) => Promise<boolean>}} Options
 */

const HLC = /^\d{13}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** @param {string} space */
export function siteOf(space) {
  const i = space.indexOf(":");
  return i < 0 ? "" : space.slice(0, i);
}

/** @param {import("./declarations.js").MutationDecl} spec @param {Record<string, any>} a
 * @param {Source} source */
async function spaceOf(spec, a, source) {
  for (const s of spec.space_from) {
    const value = a[s.arg];
    if (typeof value !== "string" || !value) continue;
    if (s.stream) return `${value}:${s.stream}`;
    const rec = await source.get(s.record, value);
    if (rec) return rec.space;
  }
  return "";
}

/** The blobs the arguments name (declared blob fields). @param {import("./declarations.js").MutationDecl} spec
 * @param {Record<string, any>} a */
function blobsOf(spec, a) {
  /** @type {string[]} */
  const out = [];
  for (const arg of spec.args) {
    if (!arg.field.blob) continue;
    const v = a[arg.name];
    if (typeof v === "string" && v) out.push(v);
    else if (Array.isArray(v)) out.push(...v);
  }
  return out;
}

/**
 * @param {Source} source @param {MutationIn} m @param {Actor} actor @param {Options} options
 * @returns {Promise<Outcome>}
 */
export async function runMutation(source, m, actor, options) {
  /** @type {Outcome} */
  const out = { reject: null, staged: [], conflicts: [], space: "" };
  try {
    const spec = mutationDecl(m.name);
    const rule = options.rules[m.name];
    if (!spec || !rule) throw new Reject(UNKNOWN_MUTATION, `unknown mutation '${m.name}'`);
    const a = decode(m.name, m.args, rule.check);
    if (typeof m.hlc !== "string" || m.hlc.length !== 31 || !HLC.test(m.hlc)) {
      throw new Reject(INVALID_HLC, `invalid clock value '${String(m.hlc).slice(0, 40)}'`);
    }
    out.space = await spaceOf(spec, a, source);
    if (!spec.roles.includes(actor.role)) {
      throw new Reject(FORBIDDEN_ROLE, `role '${actor.role}' may not run ${m.name} (allowed: ${spec.roles.join(", ")})`);
    }
    const site = siteOf(out.space);
    if (site && !actor.sites.includes(site)) {
      throw new Reject(FORBIDDEN_SITE, `${m.name}: not assigned to site ${site}`);
    }
    for (const sha of blobsOf(spec, a)) {
      if (!(await options.blobKnown(sha))) {
        throw new Reject(UNKNOWN_BLOB, `blob ${sha} was never uploaded by this person, nor is it on a record they may read; upload it first`);
      }
    }
    const ctx = new Context(source, actor, { clientId: options.clientId, mutationId: m.id,
      name: m.name, space: out.space, hlc: m.hlc });
    await rule.apply(ctx, a);
    out.staged = [...ctx.staged.values()];
    out.conflicts = ctx.conflicts;
  } catch (err) {
    if (!(err instanceof Reject)) throw err;
    out.reject = err;
  }
  return out;
}
