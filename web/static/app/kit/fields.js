// @ts-check
/**
 * Every value's check — the phone's copy of sync/kit/fields.py (tests/parity runs both on
 * generated values): the stored form of a value, or the first problem, worded with the same
 * message ids (forms translate them with t()).
 */

import { kit } from "./declarations.js";
import * as text from "./text.js";

/** @typedef {import("./declarations.js").FieldDecl} FieldDecl */

export class Problem {
  /** @param {string} field @param {string} message @param {Record<string, unknown>} [params] */
  constructor(field, message, params = {}) {
    this.field = field;
    this.message = message;
    this.params = params;
  }

  /** The message in English (a rejection's reason: "field: message"). */
  text() {
    const p = /** @type {Record<string, unknown>} */ (this.params);
    const message = this.message.replace(/\{(\w+)\}/g, (whole, name) =>
      name in p ? String(p[name]) : whole,
    );
    return this.field ? `${this.field}: ${message}` : message;
  }
}

/** @param {string} name */
export function message(name) {
  return kit().messages[name];
}

/** @type {Map<string, RegExp>} */
const compiled = new Map();

/** A declared pattern (anchored ^…$, as Python's fullmatch). @param {string} source */
function regex(source) {
  let r = compiled.get(source);
  if (!r) {
    r = new RegExp(source, "u");
    compiled.set(source, r);
  }
  return r;
}

/** @param {number} y @param {number} m */
function daysIn(y, m) {
  const d = new Date(0);
  d.setUTCFullYear(y, m, 0);
  return d.getUTCDate();
}

/**
 * `value` as the stored UTC ISO string (Python's isoformat() of the UTC moment) and the local
 * year written in it, or null when it is no RFC 3339 moment with an offset. A year outside
 * the declared range gives stored "" (refused before any conversion).
 * @param {string} value @returns {{stored: string, year: number} | null}
 */
export function parseTs(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(value);
  if (!m || !regex(kit().patterns.ts).test(value)) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const [minYear, maxYear] = kit().years;
  if (year < minYear || year > maxYear) return { stored: "", year };
  const offset = m[8] === "Z" ? 0 : (m[9] === "+" ? 1 : -1) * (Number(m[10]) * 60 + Number(m[11]));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60000;
  const utc = new Date(ms).toISOString().slice(0, 19);
  const frac = (m[7] || "").padEnd(6, "0");
  return { stored: `${utc}${frac !== "000000" ? `.${frac}` : ""}+00:00`, year };
}

/**
 * @typedef {(value: any) => [any, Problem | null]} Checker
 */

/**
 * The check of one field as a function of its value.
 * @param {FieldDecl} f @param {string} [path] @returns {Checker}
 */
export function checker(f, path) {
  const where = path || f.name;
  /** @type {[any, Problem | null]} */
  const missing = f.nullable ? [null, null] : [null, new Problem(where, message("REQUIRED"))];
  if (f.kind === "text") return textChecker(f, where, missing);
  if (f.kind === "list") return listChecker(f, where, missing);
  if ((f.kind === "float" || f.kind === "int") && (f.minimum !== null || f.maximum !== null)) {
    return numberChecker(f, where, missing);
  }
  if (f.kind === "uuid") {
    const uuid = regex(kit().patterns.uuid);
    return (value) => {
      if (value === null || value === undefined) return missing;
      return [value, uuid.test(value) ? null : new Problem(where, message("BAD_ID"))];
    };
  }
  if (f.kind === "ts") {
    return (value) => {
      if (value === null || value === undefined) return missing;
      const parsed = parseTs(value);
      if (!parsed) return [value, new Problem(where, message("BAD_TIME"))];
      if (!parsed.stored) {
        const [min, max] = kit().years;
        return [value, new Problem(where, message("TIME_RANGE"), { min, max })];
      }
      return [parsed.stored, null];
    };
  }
  return (value) => (value === null || value === undefined ? missing : [value, null]);
}

/** @param {FieldDecl} f @param {string} where @param {[any, Problem | null]} missing
 * @returns {Checker} */
function textChecker(f, where, missing) {
  const pattern = f.pattern ? regex(f.pattern) : null;
  return (raw) => {
    if (raw === null || raw === undefined) return missing;
    if (text.forbidden(raw, f.text)) return [raw, new Problem(where, message("CONTROL"))];
    const value = text.normalize(raw, f.text);
    if (f.required && !text.visible(value)) return [value, new Problem(where, message("REQUIRED"))];
    if (f.max_length && text.length(value) > f.max_length) {
      return [value, new Problem(where, f.length_message, { n: f.max_length })];
    }
    if (Object.keys(f.choices).length && !(value in f.choices)) {
      return [value, new Problem(where, f.choice_message)];
    }
    if (pattern && value && !pattern.test(value)) {
      return [value, new Problem(where, f.pattern_message)];
    }
    return [value, null];
  };
}

/** @param {FieldDecl} f @param {string} where @param {[any, Problem | null]} missing
 * @returns {Checker} */
function numberChecker(f, where, missing) {
  const lo = f.minimum;
  const hi = f.maximum;
  const params = { min: lo, max: hi };
  return (value) => {
    if (value === null || value === undefined) return missing;
    if (lo !== null && (value < lo || (f.above_minimum && value === lo))) {
      return [value, new Problem(where, f.range_message, params)];
    }
    if (hi !== null && value > hi) return [value, new Problem(where, f.range_message, params)];
    return [value, null];
  };
}

/** @param {FieldDecl} f @param {string} where @param {[any, Problem | null]} missing
 * @returns {Checker} */
function listChecker(f, where, missing) {
  const pattern = f.item_pattern ? regex(f.item_pattern) : null;
  return (value) => {
    if (value === null || value === undefined) return missing;
    if (f.max_length && value.length > f.max_length) {
      return [value, new Problem(where, message("TOO_MANY"), { n: f.max_length })];
    }
    for (let i = 0; i < value.length; i++) {
      if (pattern && !pattern.test(value[i])) {
        return [value, new Problem(`${where}.${i}`, message("BAD_FORMAT"))];
      }
      if (f.item_max_length && text.length(value[i]) > f.item_max_length) {
        return [value, new Problem(`${where}.${i}`, message("TOO_LONG"), { n: f.item_max_length })];
      }
    }
    return [value, null];
  };
}

/** Whether a JSON value has the declared kind's type (the structure layer of args.js).
 * @param {string} kind @param {any} v */
export function hasType(kind, v) {
  switch (kind) {
    case "uuid":
    case "text":
    case "ts":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "float":
      return typeof v === "number";
    case "list":
      return Array.isArray(v) && v.every((i) => typeof i === "string");
    default:
      return true;
  }
}
