// @ts-check
/**
 * The gate's rule on the phone: its copy of pass.check in sync/domains/desk/rules.py (the
 * authority). The guard records what the scanned QR said, the signature's verdict (made on
 * this phone, offline) and what they decided; a pass let out at two gates (offline) is a
 * pass_used_twice conflict naming the earliest check. tests/parity compares it with the
 * server's on generated cases — change the two together.
 */

import { Problem } from "../kit/fields.js";
import { MISMATCH_SAY, PASS_CHECK, REFUSE_INVALID, isNew, pick, siteOf } from "./common.js";

/** @typedef {import("../kit/context.js").Rec} Rec */

export { PASS_CHECK } from "./common.js";

const CHECK_ARGS = ["site_id", "pass_id", "number", "code", "verdict", "outcome", "photos",
  "note", "checked_at"];

/** Python's str() of a stored value (a check's time), for the order of the checks.
 * @param {any} v */
const str = (v) => (v === null || v === undefined ? "None" : String(v));

/** Earliest check first (time checked, then id, as on the server). @param {Rec} a @param {Rec} b */
function checkedOrder(a, b) {
  const x = str(a.data.checked_at);
  const y = str(b.data.checked_at);
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The rule of the mutation the gate part carries.
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "pass.check": {
    check(a) {
      if (a.verdict !== "valid" && a.outcome !== "refused") return [new Problem("outcome", REFUSE_INVALID)];
      if (a.outcome === "mismatch" && !a.note && !a.photos.length) return [new Problem("note", MISMATCH_SAY)];
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, CHECK_ARGS);
      given.photos = [...a.photos];
      if (!(await isNew(ctx, PASS_CHECK, a.check_id, given))) return;
      await siteOf(ctx, a.site_id);
      const actor = ctx.actor;
      const check = await ctx.insert(PASS_CHECK, a.check_id, { ...given, checked_by: actor.staff_id,
        device_id: actor.device_id });
      if (a.outcome !== "passed") return;
      const earlier = (await ctx.find(PASS_CHECK, "pass_id", a.pass_id))
        .filter((r) => r.id !== check.id && !r.deleted && r.data.outcome === "passed")
        .sort(checkedOrder);
      if (!earlier.length) return;
      const first = earlier[0];
      ctx.conflict("pass_used_twice", { record_type: PASS_CHECK, record_ids: [first.id, check.id],
        details: { pass_id: a.pass_id, number: a.number, checks: [
          { check_id: first.id, staff_id: first.data.checked_by ?? null,
            checked_at: first.data.checked_at ?? null },
          { check_id: check.id, staff_id: actor.staff_id, checked_at: a.checked_at }] },
        staff_ids: [first.data.checked_by, actor.staff_id] });
    },
  },
};
