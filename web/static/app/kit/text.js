// @ts-check
/**
 * Text as Caretaker stores it — the phone's copy of sync/kit/text.py (tests/parity runs
 * both): forbidden characters, the normalisation of each kind, "visible", lengths in
 * characters (code points, never UTF-16 units).
 */

const BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff";
const FORBIDDEN_LINE = new RegExp(`[\\x00-\\x1f\\x7f-\\x9f${BIDI}]`);
const FORBIDDEN_MULTILINE = new RegExp(`[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f${BIDI}]`);
const VISIBLE = /[^\s\p{Cf}\p{Cc}\p{Zs}\p{Zl}\p{Zp}\p{Mn}\p{Me}\u115f\u1160\u3164\uffa0\u2800]/u;

/** Whether `value` holds a character no text of this kind may hold.
 * @param {string} value @param {string} kind */
export function forbidden(value, kind) {
  return (kind === "multiline" ? FORBIDDEN_MULTILINE : FORBIDDEN_LINE).test(value);
}

/** The stored form of an accepted value. @param {string} value @param {string} kind */
export function normalize(value, kind) {
  if (kind === "multiline") return value.replace(/\r\n/g, "\n").replace(/\r/g, "\n").trim();
  if (kind === "hlc") return value;
  let v = value;
  if (kind === "code" || kind === "idpart") v = v.normalize("NFKC");
  if (kind === "idpart") return v.replace(/[\s()]+/g, "").toUpperCase();
  v = v.replace(/\s+/g, " ").trim();
  return kind === "code" ? v.toUpperCase() : v;
}

/** Whether `value` shows at least one character. @param {string} value */
export function visible(value) {
  return VISIBLE.test(value);
}

/** Characters (code points), as varchar(n) counts them. @param {string} value */
export function length(value) {
  let n = 0;
  for (const _ch of value) n += 1;
  return n;
}
