// @ts-check
/**
 * The front desk's own rules on the phone (the front part, front.js: phone domain
 * `desk_front`): its copy of sync/domains/desk/rules.py for the device key, signing a visitor
 * in and issuing a goods-out pass — what the desk does and the gate does not, so a guard's
 * phone does not carry them. The visitor's sign-out and the handover are in rules.js (the
 * index part), the gate's check in gate_rules.js; tests/parity compares them all with the
 * server's.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import {
  DEVICE_KEY, GOODS_PASS, ITEMS_REQUIRED, NUMBER_CALLED, PHONED_WHEN, PICK_RESIDENT,
  UNKNOWN_KEY, UNKNOWN_RESIDENT, VALID_AFTER_ISSUE, VISITOR, WRITTEN_PHOTO, before, isNew,
  missing, pick, siteOf, unitOf,
} from "./common.js";

const KEY_ARGS = ["site_id", "public_key", "holder", "registered_at"];
const VISITOR_ARGS = ["site_id", "unit_id", "name", "id_type", "id_last4", "phone",
  "confirmed_by", "resident_id", "called_number", "purpose", "badge", "time_in"];
const PASS_ARGS = ["site_id", "number", "unit_id", "items", "item_count", "plate",
  "valid_until", "basis", "owner_name", "authorisation_photo", "phoned_number", "phoned_at",
  "issued_at", "key_id", "code"];

/** The rules of the mutations the front part carries.
 * @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "desk.register_key": {
    async apply(ctx, a) {
      const given = pick(a, KEY_ARGS);
      if (!(await isNew(ctx, DEVICE_KEY, a.key_id, given))) return;
      await siteOf(ctx, a.site_id);
      const actor = ctx.actor;
      await ctx.insert(DEVICE_KEY, a.key_id, { ...given, staff_id: actor.staff_id,
        device_id: actor.device_id });
    },
  },

  "visitor.sign_in": {
    check(a) {
      if (a.confirmed_by === "resident" && missing(a.resident_id)) {
        return [new Problem("resident_id", PICK_RESIDENT)];
      }
      if (a.confirmed_by === "phone" && !a.called_number) {
        return [new Problem("called_number", NUMBER_CALLED)];
      }
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, VISITOR_ARGS);
      if (a.confirmed_by === "phone") given.resident_id = null;
      else given.called_number = "";
      if (!(await isNew(ctx, VISITOR, a.visitor_id, given))) return;
      await siteOf(ctx, a.site_id);
      await unitOf(ctx, a.unit_id, a.site_id);
      if (!missing(given.resident_id)) {
        const resident = await ctx.get("resident", a.resident_id);
        if (!resident || resident.deleted || resident.data.unit_id !== a.unit_id) {
          throw new Reject(UNKNOWN_RESIDENT, `no resident ${a.resident_id} of this unit`, "resident_id");
        }
      }
      await ctx.insert(VISITOR, a.visitor_id, { ...given, signed_in_by: ctx.actor.staff_id,
        time_out: null, signed_out_by: null });
    },
  },

  "pass.issue": {
    check(a) {
      if (!a.items.some((/** @type {string} */ i) => i)) return [new Problem("items", ITEMS_REQUIRED)];
      if (a.basis === "written" && !a.authorisation_photo) {
        return [new Problem("authorisation_photo", WRITTEN_PHOTO)];
      }
      if (a.basis === "phone" && (!a.phoned_number || missing(a.phoned_at))) {
        return [new Problem("phoned_number", PHONED_WHEN)];
      }
      if (!before(a.issued_at, a.valid_until)) return [new Problem("valid_until", VALID_AFTER_ISSUE)];
      return [];
    },
    async apply(ctx, a) {
      const given = pick(a, PASS_ARGS);
      given.items = [...a.items];
      if (a.basis !== "written") given.authorisation_photo = "";
      if (a.basis !== "phone") {
        given.phoned_number = "";
        given.phoned_at = null;
      }
      if (!(await isNew(ctx, GOODS_PASS, a.pass_id, given))) return;
      await siteOf(ctx, a.site_id);
      await unitOf(ctx, a.unit_id, a.site_id);
      const key = await ctx.get(DEVICE_KEY, a.key_id);
      if (!key || key.deleted || key.data.site_id !== a.site_id) {
        throw new Reject(UNKNOWN_KEY, `no device key ${a.key_id} at this site`, "key_id");
      }
      const actor = ctx.actor;
      await ctx.insert(GOODS_PASS, a.pass_id, { ...given, issued_by: actor.staff_id,
        device_id: actor.device_id });
    },
  },
};
