// @ts-check
/** Dates and times as people read them, in the app's language and the phone's time zone. */

import { htmlLang } from "../i18n.js";

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/** @param {string} kind @param {Intl.DateTimeFormatOptions} options */
function formatter(kind, options) {
  const key = `${htmlLang()}|${kind}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(htmlLang(), options);
    formats.set(key, f);
  }
  return f;
}

/** @param {string | null | undefined} iso */
export function dateTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return formatter("dt", {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);
}

/** @param {string | null | undefined} iso */
export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return formatter("t", { hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
}

/** Time only when it is today, else date and time. @param {string | null | undefined} iso
 * @param {number} nowMs */
export function when(iso, nowMs) {
  if (!iso) return "";
  const d = new Date(iso);
  const now = new Date(nowMs);
  const sameDay =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return sameDay ? time(iso) : dateTime(iso);
}

/** A Date as the value of an <input type="datetime-local"> (local time). @param {Date} d */
export function toLocalInput(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** @param {string} value @returns {Date | null} */
export function fromLocalInput(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The default due time of a loan: today 18:00, or two hours from now when that has passed.
 * @param {number} nowMs */
export function defaultDue(nowMs) {
  const d = new Date(nowMs);
  d.setHours(18, 0, 0, 0);
  if (d.getTime() > nowMs + 15 * 60 * 1000) return d;
  const later = new Date(nowMs + 2 * 3600 * 1000);
  later.setMinutes(Math.ceil(later.getMinutes() / 15) * 15, 0, 0);
  return later;
}
