// @ts-check
/**
 * The key domain's rules on the phone: its copy of sync/domains/keys/rules.py (the
 * authority), run for the optimistic apply and the form checks. tests/parity runs generated
 * sequences of every key mutation through both and fails on any difference in records,
 * rejections or conflicts — change the two together.
 */

import { Problem } from "../kit/fields.js";
import { Reject } from "../kit/reject.js";
import { mutationDecl, recordDecl } from "../kit/declarations.js";
import { same } from "../kit/context.js";

/** @typedef {import("../kit/context.js").Context} Context @typedef {import("../kit/context.js").Rec} Rec */

export const KEY = "key";
export const LOAN = "key_loan";

export const ALREADY_EXISTS = "already_exists";
export const UNKNOWN_SITE = "unknown_site";
export const UNKNOWN_UNIT = "unknown_unit";
export const CODE_IN_USE = "code_in_use";
export const CODE_SHOWS_UNIT = "code_shows_unit";
export const LABEL_SHOWS_UNIT = "label_shows_unit";
export const UNKNOWN_KEY = "unknown_key";
export const KEY_RETIRED = "key_retired";
export const OWNER_CONSENT_REQUIRED = "owner_consent_required";
export const UNKNOWN_LOAN = "unknown_loan";
export const LOAN_VOIDED = "loan_voided";
export const REASON_REQUIRED = "reason_required";

export const ID_LAST4_WITHOUT_TYPE = "Choose the ID type, or leave the last 4 characters empty.";
export const ID_LAST4_EXACTLY = "Enter exactly the last 4 characters of the ID.";
export const DUE_BEFORE_LENT = "The key must be due back after it is lent.";

/** Python's repr() of a string, as the server's reasons quote values. @param {unknown} s */
function repr(s) {
  const text = String(s);
  return text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text.replace(/'/g, "\\'")}'`;
}

/** @param {string} text */
function compact(text) {
  return [...text.toLowerCase()].filter((ch) => /[\p{L}\p{N}]/u.test(ch)).join("");
}

/** True when `text` (a tag code or label) shows the unit number.
 * @param {string} text @param {string} unitNumber */
export function showsUnit(text, unitNumber) {
  if (!unitNumber) return false;
  if (text.toLowerCase().includes(unitNumber.toLowerCase())) return true;
  const c = compact(unitNumber);
  return [...c].length >= 3 && compact(text).includes(c);
}

/** @param {Context} ctx @param {string} siteId @param {string | null} unitId
 * @param {string} code @param {string} label */
async function checkUnit(ctx, siteId, unitId, code, label) {
  if (unitId === null || unitId === undefined) return;
  const unit = await ctx.get("unit", unitId);
  if (!unit || unit.deleted || unit.data.site_id !== siteId) {
    throw new Reject(UNKNOWN_UNIT, `no unit ${unitId} at this site`, "unit_id");
  }
  const number = String(unit.data.number || "");
  if (showsUnit(code, number)) {
    throw new Reject(CODE_SHOWS_UNIT, `the tag code ${repr(code)} shows the unit number ${repr(number)}`, "code");
  }
  if (showsUnit(label, number)) {
    throw new Reject(LABEL_SHOWS_UNIT, `the label ${repr(label)} shows the unit number ${repr(number)}`, "label");
  }
}

/** @param {Context} ctx @param {string} siteId @param {string} code @param {string} keyId */
async function checkCodeFree(ctx, siteId, code, keyId) {
  for (const other of await ctx.find(KEY, "code", code)) {
    if (other.id !== keyId && other.data.site_id === siteId) {
      throw new Reject(CODE_IN_USE, `another key at this site has the code ${repr(code)}`, "code");
    }
  }
}

const LEND_FIELDS = ["key_id", "borrower_name", "borrower_phone", "borrower_kind", "id_type",
  "id_last4", "purpose", "approver", "owner_consent", "deposit", "lent_at", "due_at",
  "signature_blob"];

const NOT_RETURNED = {
  returned_at: null, returned_by: "", return_notes: "", return_photos: [],
  return_recorded_by: null, return_hlc: "", voided: false, void_reason: "", voided_by: null,
};

/** @param {Record<string, any>} data */
function isOpenLoan(data) {
  const decl = recordDecl(LOAN);
  return Boolean(decl) && (decl?.open_when || []).every(([f, want]) => {
    const got = data[f];
    if (want === null) return got === null || got === undefined;
    if (want === true || want === false) return Boolean(got) === want;
    return got === want;
  });
}

/** @param {string} loanId @param {Record<string, any>} d */
function loanSummary(loanId, d) {
  return {
    loan_id: loanId, borrower_name: d.borrower_name, borrower_kind: d.borrower_kind,
    lent_at: d.lent_at, due_at: d.due_at, lent_by: d.lent_by, lent_device: d.lent_device,
  };
}

/** Whether a role works with keys: the roles that may lend them (declared with key.lend).
 * @param {string} role */
export function forRole(role) {
  const lend = mutationDecl("key.lend");
  return Boolean(lend && lend.roles.includes(role));
}

/**
 * Why this key may not be lent on these details (a retired key; an owner-deposited key
 * without the owner's consent), or null. The lend rule refuses with it; the lend form shows it
 * beside the other problems. @param {Record<string, any>} k the key's data
 * @param {Record<string, any>} a @returns {Reject | null}
 */
export function lendRefusal(k, a) {
  if (k.retired) return new Reject(KEY_RETIRED, `key ${k.code} is retired`, "key_id");
  if (k.category === "owner_deposited" && !a.owner_consent) {
    return new Reject(OWNER_CONSENT_REQUIRED, `key ${k.code} is owner-deposited: record the owner's consent`, "owner_consent");
  }
  return null;
}

/** @type {Record<string, import("../kit/engine.js").Rule>} */
export const RULES = {
  "key.register": {
    async apply(ctx, a) {
      const data = { site_id: a.site_id, code: a.code, label: a.label, category: a.category,
        unit_id: a.unit_id, notes: a.notes, retired: false };
      const existing = await ctx.get(KEY, a.key_id);
      if (existing) {
        const again = Object.entries(data).every(([f, v]) => f === "retired" || same(existing.data[f] ?? null, v));
        if (again) return; // the same key registered again (another desk, or a re-sent form)
        throw new Reject(ALREADY_EXISTS, `key ${a.key_id} is already registered differently`);
      }
      const site = await ctx.get("site", a.site_id);
      if (!site || site.deleted) throw new Reject(UNKNOWN_SITE, `no site ${a.site_id}`, "site_id");
      await checkUnit(ctx, a.site_id, a.unit_id, a.code, a.label);
      await checkCodeFree(ctx, a.site_id, a.code, a.key_id);
      await ctx.insert(KEY, a.key_id, data, { lww: recordDecl(KEY)?.lww || [] });
    },
  },

  "key.update": {
    async apply(ctx, a) {
      const key = await ctx.get(KEY, a.key_id);
      if (!key) throw new Reject(UNKNOWN_KEY, `no key ${a.key_id}`, "key_id");
      const fields = a.fields;
      const siteId = String(key.data.site_id);
      const after = { ...key.data, ...fields };
      if ("code" in fields) await checkCodeFree(ctx, siteId, fields.code, key.id);
      if ("unit_id" in fields || "code" in fields || "label" in fields) {
        await checkUnit(ctx, siteId, after.unit_id ?? null, String(after.code || ""), String(after.label || ""));
      }
      ctx.correct(key, fields);
    },
  },

  "key.lend": {
    check(a) {
      const problems = [];
      if (a.id_type === "none" && a.id_last4) problems.push(new Problem("id_last4", ID_LAST4_WITHOUT_TYPE));
      else if (a.id_type !== "none" && [...a.id_last4].length !== 4) problems.push(new Problem("id_last4", ID_LAST4_EXACTLY));
      if (a.due_at < a.lent_at) problems.push(new Problem("due_at", DUE_BEFORE_LENT));
      return problems;
    },
    async apply(ctx, a) {
      /** @type {Record<string, any>} */
      const lent = {};
      for (const f of LEND_FIELDS) lent[f] = a[f];
      const existing = await ctx.get(LOAN, a.loan_id);
      if (existing) {
        if (Object.entries(lent).every(([f, v]) => same(existing.data[f] ?? null, v))) return;
        throw new Reject(ALREADY_EXISTS, `loan ${a.loan_id} already exists with other details`);
      }
      const key = await ctx.get(KEY, a.key_id);
      if (!key) throw new Reject(UNKNOWN_KEY, `no key ${a.key_id}`, "key_id");
      const k = key.data;
      const refused = lendRefusal(k, a);
      if (refused) throw refused;
      const openLoans = (await ctx.find(LOAN, "key_id", a.key_id)).filter((o) => isOpenLoan(o.data));
      const actor = ctx.actor;
      const data = { site_id: k.site_id, ...lent, lent_by: actor.staff_id,
        lent_device: actor.device_id, lent_hlc: ctx.hlc, ...NOT_RETURNED, return_photos: [] };
      await ctx.insert(LOAN, a.loan_id, data);
      if (openLoans.length) {
        // two desks lent the same key while offline: both facts stand, the office decides
        ctx.conflict("double_loan", {
          record_type: LOAN,
          record_ids: [...openLoans.map((o) => o.id), a.loan_id],
          details: {
            key_id: a.key_id,
            key_code: k.code,
            loans: [...openLoans.map((o) => loanSummary(o.id, o.data)), loanSummary(a.loan_id, data)],
          },
          staff_ids: [...openLoans.map((o) => o.data.lent_by), actor.staff_id],
        });
      }
    },
  },

  "key.return": {
    async apply(ctx, a) {
      const loan = await ctx.get(LOAN, a.loan_id);
      if (!loan) throw new Reject(UNKNOWN_LOAN, `no loan ${a.loan_id}`, "loan_id");
      const d = loan.data;
      if (d.voided) throw new Reject(LOAN_VOIDED, `loan ${a.loan_id} was voided: ${d.void_reason}`, "loan_id");
      const actor = ctx.actor;
      const returned = {
        returned_at: a.returned_at, returned_by: a.returned_by, return_notes: a.return_notes,
        return_photos: [...a.return_photos], return_recorded_by: actor.staff_id, return_hlc: ctx.hlc,
      };
      if (d.returned_at !== null && d.returned_at !== undefined) {
        /** @type {Record<string, any>} */
        const first = {};
        for (const f of Object.keys(returned)) first[f] = d[f];
        ctx.conflict("double_return", {
          record_type: LOAN,
          record_ids: [a.loan_id],
          details: { loan_id: a.loan_id, key_id: d.key_id, first,
            second: { ...returned, return_device: actor.device_id } },
          staff_ids: [d.return_recorded_by, actor.staff_id],
        });
        return;
      }
      ctx.update(loan, returned);
      const lentAt = d.lent_at;
      if (typeof lentAt === "string" && a.returned_at < lentAt) {
        ctx.conflict("return_before_loan", {
          record_type: LOAN,
          record_ids: [a.loan_id],
          details: { loan_id: a.loan_id, key_id: d.key_id, lent_at: lentAt,
            returned_at: a.returned_at, lent_by: d.lent_by, return_recorded_by: actor.staff_id },
          staff_ids: [d.lent_by, actor.staff_id],
        });
      }
    },
  },

};
