// @ts-check
/**
 * HTML through a tagged template that escapes every interpolated value by default.
 * `html` returns a Raw (trusted) fragment, so fragments nest without double escaping;
 * `raw()` marks a string the caller vouches for. No eval, no new Function: CSP-safe.
 */

export class Raw {
  /** @param {string} value */
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
}

/** @type {Record<string, string>} */
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** @param {unknown} text */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function part(value) {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(part).join("");
  return escapeHtml(value);
}

/**
 * @param {TemplateStringsArray} strings
 * @param {...unknown} values
 * @returns {Raw}
 */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Raw(out);
}

/** A trusted fragment (never user input). @param {string} text */
export function raw(text) {
  return new Raw(text);
}

/** `name="value"` pairs for attributes that may be absent. @param {Record<string, unknown>} attrs */
export function attrs(attrs) {
  const out = [];
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    out.push(value === true ? name : `${name}="${escapeHtml(value)}"`);
  }
  return new Raw(out.join(" "));
}
