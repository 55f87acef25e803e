// @ts-check
/**
 * A mutation's arguments, checked as the server checks them — the phone's copy of
 * sync/kit/args.py, in the same two layers and the same order:
 *
 *   1. structure, in the order of the arguments as sent: unknown fields, JSON types; then
 *      missing required arguments (in declared order) — the first problem only;
 *   2. values, in declared order: each field's check (kit/fields.js), then the mutation's own
 *      cross-field `check` (the domain's rules.js).
 *
 * `decode` throws a Reject invalid_args naming the field (what the server would answer);
 * `problems` gives a form every problem of layer 2 at once.
 */

import { mutationDecl } from "./declarations.js";
import { Problem, checker, hasType, message } from "./fields.js";
import { INVALID_ARGS, Reject } from "./reject.js";

/** @typedef {import("./declarations.js").ArgDecl} ArgDecl
 * @typedef {import("./declarations.js").MutationDecl} MutationDecl
 * @typedef {(a: Record<string, any>) => Problem[]} CrossCheck */

/** @type {Map<string, Map<string, import("./fields.js").Checker>>} */
const checkers = new Map();

/** @param {MutationDecl} spec @param {ArgDecl} a @param {string} path */
function checkOf(spec, a, path) {
  let byPath = checkers.get(spec.name);
  if (!byPath) {
    byPath = new Map();
    checkers.set(spec.name, byPath);
  }
  let c = byPath.get(path);
  if (!c) {
    c = checker(a.field, path);
    byPath.set(path, c);
  }
  return c;
}

/** @param {ArgDecl} a @param {any} v */
function structureOk(a, v) {
  if (a.fields) return v !== null && typeof v === "object" && !Array.isArray(v);
  // any JSON value has the type of a json field, null too (the value check says REQUIRED)
  if (v === null) return a.field.nullable || a.field.kind === "json";
  return hasType(a.field.kind, v);
}

/** @param {any} v */
function copy(v) {
  return Array.isArray(v) ? [...v] : v;
}

/** Layer 1: the first structural problem, or the arguments with defaults filled in.
 * @param {MutationDecl} spec @param {Record<string, any>} raw
 * @returns {{args: Record<string, any> | null, problem: Problem | null}} */
function structure(spec, raw) {
  /** @type {Map<string, ArgDecl>} */
  const declared = new Map(spec.args.map((a) => [a.name, a]));
  for (const [key, value] of Object.entries(raw)) {
    const a = declared.get(key);
    if (!a) return { args: null, problem: new Problem(key, message("UNKNOWN_FIELD")) };
    if (!structureOk(a, value)) {
      if (a.field.kind === "list" && Array.isArray(value)) {
        const i = value.findIndex((item) => typeof item !== "string");
        return { args: null, problem: new Problem(`${key}.${i}`, message("BAD_TYPE")) };
      }
      return { args: null, problem: new Problem(key, message("BAD_TYPE")) };
    }
  }
  for (const a of spec.args) {
    if (a.required && !(a.name in raw)) {
      return { args: null, problem: new Problem(a.name, message("REQUIRED")) };
    }
  }
  /** @type {Record<string, any>} */
  const args = {};
  for (const a of spec.args) args[a.name] = a.name in raw ? copy(raw[a.name]) : copy(a.default);
  return { args, problem: null };
}

/**
 * Layer 2, for a nested object of corrections (key.update's `fields`).
 * @param {MutationDecl} spec @param {ArgDecl} a @param {any} value @param {Problem[]} problems
 * @param {boolean} firstOnly */
function nested(spec, a, value, problems, firstOnly) {
  /** @type {Record<string, any>} */
  const out = {};
  const subs = new Map((a.fields || []).map((sub) => [sub.name, sub]));
  for (const [key, v] of Object.entries(value)) {
    const sub = subs.get(key);
    if (!sub) {
      problems.push(new Problem(`${a.name}.${key}`, message("UNKNOWN_FIELD")));
      return out;
    }
    if (!((v === null && sub.field.nullable) || (v !== null && hasType(sub.field.kind, v)))) {
      problems.push(new Problem(`${a.name}.${key}`, message("BAD_TYPE")));
      return out;
    }
  }
  if (!Object.keys(value).length) {
    problems.push(new Problem(a.name, message("NOTHING_TO_CHANGE")));
    return out;
  }
  for (const sub of a.fields || []) {
    if (!(sub.name in value)) continue;
    const [stored, problem] = checkOf(spec, sub, `${a.name}.${sub.name}`)(value[sub.name]);
    if (problem) {
      problems.push(problem);
      if (firstOnly) return out;
    } else {
      out[sub.name] = stored;
    }
  }
  return out;
}

/** @param {MutationDecl} spec @param {Record<string, any>} args @param {boolean} firstOnly
 * @param {CrossCheck | undefined} check */
function values(spec, args, firstOnly, check) {
  /** @type {Problem[]} */
  const problems = [];
  for (const a of spec.args) {
    const value = args[a.name];
    if (a.fields) {
      args[a.name] = nested(spec, a, value, problems, firstOnly);
      if (firstOnly && problems.length) return problems;
      continue;
    }
    if (value === null && !a.required && a.field.nullable) continue;
    const [stored, problem] = checkOf(spec, a, a.name)(value);
    if (problem) {
      problems.push(problem);
      if (firstOnly) return problems;
    } else {
      args[a.name] = stored;
    }
  }
  if (!problems.length && check) problems.push(...check(args));
  return problems;
}

/** @param {string} name */
function specOf(name) {
  const spec = mutationDecl(name);
  if (!spec) throw new Error(`unknown mutation ${name}`);
  return spec;
}

/**
 * The arguments in their stored form, or a Reject invalid_args naming the field.
 * @param {string} name @param {Record<string, any>} raw @param {CrossCheck} [check]
 */
export function decode(name, raw, check) {
  const spec = specOf(name);
  const { args, problem } = structure(spec, raw);
  const found = problem ? [problem] : values(spec, /** @type {Record<string, any>} */ (args), true, check);
  if (found.length) {
    const p = found[0];
    throw new Reject(INVALID_ARGS, `invalid arguments for ${name}: ${p.text()}`, p.field);
  }
  return /** @type {Record<string, any>} */ (args);
}

/**
 * Every problem of the values at once (a form's errors), and the arguments as they would be
 * stored. @param {string} name @param {Record<string, any>} raw @param {CrossCheck} [check]
 * @returns {{args: Record<string, any> | null, problems: Problem[]}}
 */
export function problems(name, raw, check) {
  const spec = specOf(name);
  const { args, problem } = structure(spec, raw);
  if (problem || !args) return { args: null, problems: problem ? [problem] : [] };
  return { args, problems: values(spec, args, false, check) };
}
