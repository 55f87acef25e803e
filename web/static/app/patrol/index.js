// @ts-check
/**
 * The patrol domain on the phone (registered in domains.js): its rules so far; its screens
 * follow.
 */

import { html } from "../html.js";
import { RULES } from "./rules.js";

export { RULES };

/** No role patrols on the phone yet (the screens follow). @param {string} _role */
export function forRole(_role) {
  return false;
}

export function registerRoutes() {}

/** @param {string} _role @returns {{href: string, label: string}[]} */
export function nav(_role) {
  return [];
}

/** @param {import("../router.js").Ctx} _ctx @returns {Promise<import("../router.js").Screen>} */
export async function home(_ctx) {
  return { title: "", main: html`` };
}

export const CONFLICT_KINDS = ["double_finish"];

/** @param {any} c */
export function conflictText(c) {
  return String(c.data.kind);
}

/** @param {string} _recordType @param {string} _id */
export function recordHref(_recordType, _id) {
  return "";
}

/** @param {string} _name @param {Record<string, any>} _args @param {any} _lookup */
export function describe(_name, _args, _lookup) {
  return null;
}
