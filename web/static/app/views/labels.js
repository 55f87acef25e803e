// @ts-check
/** Display labels of stored codes, translated when shown (after the language is set). */

import { t } from "../i18n.js";

export const BORROWER_KINDS = ["staff", "contractor", "resident", "agent"];
export const ID_TYPES = ["none", "hkid", "mainland_id", "passport", "other"];

/** @param {string} code */
export function categoryLabel(code) {
  /** @type {Record<string, string>} */
  const labels = {
    owner_deposited: t("Owner-deposited"),
    vacant_unit: t("Vacant unit"),
    show_flat: t("Show flat"),
    public_area: t("Public area"),
    equipment_room: t("Equipment room"),
    master: t("Master key"),
  };
  return labels[code] || code;
}

/** @param {string} code */
export function borrowerKindLabel(code) {
  /** @type {Record<string, string>} */
  const labels = {
    staff: t("Staff member"),
    contractor: t("Contractor"),
    resident: t("Resident"),
    agent: t("Estate agent"),
  };
  return labels[code] || code;
}

/** @param {string} code */
export function idTypeLabel(code) {
  /** @type {Record<string, string>} */
  const labels = {
    none: t("No ID checked"),
    hkid: t("HKID card"),
    mainland_id: t("Mainland ID card"),
    passport: t("Passport"),
    other: t("Other ID"),
  };
  return labels[code] || code;
}

/** @param {string} role */
export function roleLabel(role) {
  /** @type {Record<string, string>} */
  const labels = {
    patrol: t("Patrol guard"),
    technician: t("Technician"),
    front_desk: t("Front desk"),
    supervisor: t("Supervisor"),
    admin: t("Administrator"),
  };
  return labels[role] || role;
}
