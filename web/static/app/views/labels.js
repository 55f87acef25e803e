// @ts-check
/** Display labels of stored codes, translated when shown (after the language is set): a
 * field's allowed values from its declaration, and the roles. */

import { choices, fieldDecl, kit } from "../kit/declarations.js";
import { t } from "../i18n.js";

/** The label of a declared field's value (its choices carry the labels).
 * @param {string} type @param {string} field @param {string} value */
export function choiceLabel(type, field, value) {
  const f = fieldDecl(type, field);
  const label = f && f.choices[value];
  return label ? t(label) : value;
}

/** A declared field's allowed values with their labels, for a select.
 * @param {string} type @param {string} field */
export function choiceOptions(type, field) {
  return choices(type, field).map(([value, label]) => ({ value, label: t(label) }));
}

/** The label of a declared field. @param {string} type @param {string} field */
export function fieldLabel(type, field) {
  const f = fieldDecl(type, field);
  return f && f.label ? t(f.label) : field;
}

/** @param {string} role */
export function roleLabel(role) {
  const label = kit().roles[role]; // declared once: sync/streams.py
  return label ? t(label) : role;
}
