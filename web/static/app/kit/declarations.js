// @ts-check
/**
 * The declarations, as the server exported them (sync/kit/export.py; the service worker
 * receives them in its /sw.js configuration): every record type's fields and limits, every
 * mutation's arguments, roles and space, the streams, the checks' messages. The phone's form
 * checks and its optimistic apply read them from here, so a limit is declared once, in Python.
 *
 * @typedef {{name: string, kind: string, label: string, text: string, max_length: number,
 *   nullable: boolean, required: boolean, choices: Record<string, string>, pattern: string,
 *   pattern_message: string, length_message: string, item_pattern: string,
 *   item_max_length: number, ref: string, blob: boolean, personal: boolean,
 *   indexed: boolean, choice_message: string, minimum: number | null,
 *   maximum: number | null, above_minimum: boolean, range_message: string,
 *   number_message: string}} FieldDecl
 * @typedef {{name: string, field: FieldDecl, required: boolean, default?: any,
 *   fields?: ArgDecl[]}} ArgDecl
 * @typedef {{flag: string, deleted_value: boolean, reason: string, keep: boolean}} TombstoneDecl
 * @typedef {{name: string, stream: string, label: string, title: string[],
 *   fields: FieldDecl[], lww: string[], tombstone: TombstoneDecl | null,
 *   open_when: [string, any][], conflict_kinds: string[]}} RecordDecl
 * @typedef {{name: string, label: string, roles: string[], args: ArgDecl[],
 *   space_from: {arg: string, record: string, stream: string}[],
 *   creates: [string, string][]}} MutationDecl
 * @typedef {{schema_version: number, field_defaults: Omit<FieldDecl, "name">,
 *   records: Record<string, RecordDecl>,
 *   mutations: Record<string, MutationDecl>, streams: Record<string, string[]>,
 *   everything: string[], by_unit?: Record<string, string[]>, roles: Record<string, string>,
 *   org_space: string,
 *   messages: Record<string, string>,
 *   patterns: {uuid: string, ts: string}, years: [number, number]}} Kit
 */

/** @type {Kit | null} */
let current = null;
/** @type {Record<string, import("./engine.js").Rule>} */
let currentRules = {};

/**
 * The declarations, and the domains' rules by mutation name (web/static/app/domains.js: the
 * service worker passes them in, so the generic modules never import a domain).
 * @param {Kit} kit @param {Record<string, import("./engine.js").Rule>} [rules]
 */
export function configureKit(kit, rules = {}) {
  current = withDefaults(kit);
  currentRules = rules;
}

/** The declarations with every field whole: the server sends each field's name and only
 * what differs from `field_defaults` (a smaller /sw.js). @param {Kit} kit @returns {Kit} */
function withDefaults(kit) {
  const d = kit.field_defaults;
  if (!d) return kit;
  /** @param {FieldDecl} f @returns {FieldDecl} */
  const field = (f) => ({ ...d, ...f });
  /** @param {ArgDecl} a @returns {ArgDecl} */
  const arg = (a) => ({ ...a, field: field(a.field), ...(a.fields ? { fields: a.fields.map(arg) } : {}) });
  /** @type {Record<string, RecordDecl>} */
  const records = {};
  for (const [name, r] of Object.entries(kit.records)) records[name] = { ...r, fields: r.fields.map(field) };
  /** @type {Record<string, MutationDecl>} */
  const mutations = {};
  for (const [name, m] of Object.entries(kit.mutations)) mutations[name] = { ...m, args: m.args.map(arg) };
  return { ...kit, records, mutations };
}

/** The domains' rules, by mutation name. */
export function rules() {
  return currentRules;
}

/** @returns {Kit} */
export function kit() {
  if (!current) throw new Error("the kit's declarations are not configured");
  return current;
}

/** @param {string} type @returns {RecordDecl | undefined} */
export function recordDecl(type) {
  return kit().records[type];
}

/** @param {string} name @returns {MutationDecl | undefined} */
export function mutationDecl(name) {
  return kit().mutations[name];
}

/** @param {string} type @param {string} name @returns {FieldDecl | undefined} */
export function fieldDecl(type, name) {
  const rec = recordDecl(type);
  return rec ? rec.fields.find((f) => f.name === name) : undefined;
}

/** The declared length limit of a field (forms put it in `maxlength`).
 * @param {string} type @param {string} name */
export function maxLength(type, name) {
  const f = fieldDecl(type, name);
  return f ? f.max_length : 0;
}

/** The allowed values of a field with their labels (message ids).
 * @param {string} type @param {string} name @returns {[string, string][]} */
export function choices(type, name) {
  const f = fieldDecl(type, name);
  return f ? Object.entries(f.choices) : [];
}

/** The streams a role receives only the job units' part of (sync/streams.py by_unit,
 * sync/buckets.py). @param {string} role */
export function filteredStreamsOf(role) {
  const whole = new Set(streamsOf(role));
  return Object.entries(kit().by_unit || {})
    .filter(([name, roles]) => roles.includes(role) && !whole.has(name))
    .map(([name]) => name);
}

/** The streams a role reads at each of its sites (sync/streams.py). @param {string} role */
export function streamsOf(role) {
  const k = kit();
  return Object.entries(k.streams)
    .filter(([, readers]) => k.everything.includes(role) || readers.includes(role))
    .map(([name]) => name);
}
