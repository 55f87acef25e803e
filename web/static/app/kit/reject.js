// @ts-check
/** A mutation that can never apply, with the engine's codes (sync/errors.py). Domains add
 * their own codes in their rules.js. */

export const UNKNOWN_MUTATION = "unknown_mutation";
export const INVALID_ARGS = "invalid_args";
export const INVALID_HLC = "invalid_hlc";
export const FORBIDDEN_ROLE = "forbidden_role";
export const FORBIDDEN_SITE = "forbidden_site";
export const UNKNOWN_BLOB = "unknown_blob";

export class Reject extends Error {
  /** @param {string} code @param {string} reason @param {string} [field] */
  constructor(code, reason, field = "") {
    super(`${code}: ${reason}`);
    this.code = code;
    this.reason = reason;
    this.field = field;
  }
}
