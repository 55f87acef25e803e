// @ts-check
/**
 * What a rule sees — the phone's copy of sync/context.py's Context: the acting person, the
 * records (the replica, through a Source), and the verbs a rule may use: get, find, insert,
 * update, correct (field by field, last writer wins), conflict. A rule's writes are staged:
 * a Reject discards them, success hands them to the caller (apply.js writes them to the
 * replica; tests/parity compares them with the server's).
 *
 * @typedef {{type: string, id: string, space: string, data: Record<string, any>,
 *   field_hlc: Record<string, string>, deleted: boolean}} Rec
 * @typedef {{get: (type: string, id: string) => Promise<Rec | undefined>,
 *   find: (type: string, field: string, value: any) => Promise<Rec[]>}} Source
 * @typedef {{staff_id: string, device_id: string | null, role: string, sites: string[]}} Actor
 * @typedef {{kind: string, space: string, record_type: string, record_ids: string[],
 *   details: Record<string, any>, staff_ids: string[]}} ConflictOut
 */

/** Deep equality of JSON values (Python's == on dicts and lists). @param {any} a @param {any} b
 * @returns {boolean} */
export function same(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && same(a[k], b[k]));
}

/** @param {string} type @param {string} id */
const keyOf = (type, id) => `${type}:${id}`;

export class Context {
  /**
   * @param {Source} source
   * @param {Actor} actor
   * @param {{clientId: string, mutationId: number, name: string, space: string, hlc: string}} m
   */
  constructor(source, actor, m) {
    this.source = source;
    this.actor = actor;
    this.clientId = m.clientId;
    this.mutationId = m.mutationId;
    this.name = m.name;
    this.space = m.space;
    this.hlc = m.hlc;
    /** @type {Map<string, Rec>} */
    this.staged = new Map();
    /** @type {ConflictOut[]} */
    this.conflicts = [];
  }

  /** @param {string} type @param {string} id @returns {Promise<Rec | undefined>} */
  async get(type, id) {
    const staged = this.staged.get(keyOf(type, id));
    return staged || this.source.get(type, id);
  }

  /** @param {string} type @param {string} field @param {any} value @returns {Promise<Rec[]>} */
  async find(type, field, value) {
    /** @type {Map<string, Rec>} */
    const out = new Map();
    for (const rec of await this.source.find(type, field, value)) {
      out.set(rec.id, this.staged.get(keyOf(type, rec.id)) || rec);
    }
    for (const rec of this.staged.values()) {
      if (rec.type !== type) continue;
      if (same(rec.data[field], value)) out.set(rec.id, rec);
      else out.delete(rec.id); // a staged change moved it out of the lookup
    }
    return [...out.values()];
  }

  /** @param {string} space */
  writable(space) {
    if (space === this.space && space) return space;
    throw new Error(`${this.name} wrote into space ${space} but its space is ${this.space}`);
  }

  /**
   * A new record in the mutation's space; `lww` names the fields later corrections merge by
   * last-writer-wins. @param {string} type @param {string} id @param {Record<string, any>} data
   * @param {{lww?: string[]}} [options] @returns {Promise<Rec>}
   */
  async insert(type, id, data, options = {}) {
    const space = this.writable(this.space);
    if (this.staged.has(keyOf(type, id)) || (await this.source.get(type, id))) {
      throw new Error(`${type}/${id} exists; check before inserting`);
    }
    /** @type {Record<string, string>} */
    const fieldHlc = {};
    for (const f of options.lww || []) fieldHlc[f] = this.hlc;
    const rec = { type, id, space, data: { ...data }, field_hlc: fieldHlc, deleted: false };
    this.staged.set(keyOf(type, id), rec);
    return rec;
  }

  /**
   * A new version of `rec` with `changes` applied (unchanged fields ignored).
   * @param {Rec} rec @param {Record<string, any>} changes
   * @param {{deleted?: boolean, field_hlc?: Record<string, string>}} [options]
   * @returns {Rec}
   */
  update(rec, changes, options = {}) {
    /** @type {Record<string, any>} */
    const diff = {};
    for (const [f, v] of Object.entries(changes)) {
      if (!(f in rec.data) || !same(rec.data[f], v)) diff[f] = v;
    }
    const deleted = options.deleted === undefined ? rec.deleted : options.deleted;
    const fieldHlc = options.field_hlc === undefined ? rec.field_hlc : options.field_hlc;
    if (!Object.keys(diff).length && deleted === rec.deleted && same(fieldHlc, rec.field_hlc)) {
      return rec;
    }
    this.writable(rec.space);
    const next = { ...rec, data: { ...rec.data, ...diff }, field_hlc: fieldHlc, deleted };
    this.staged.set(keyOf(rec.type, rec.id), next);
    return next;
  }

  /**
   * A correction field by field, last writer (by HLC) wins; each losing value is kept in a
   * field_overwritten conflict (sync/lww.py). @param {Rec} rec @param {Record<string, any>} fields
   */
  correct(rec, fields) {
    /** @type {Record<string, any>} */
    const changes = {};
    const fieldHlc = { ...rec.field_hlc };
    /** @type {Record<string, any>} */
    const lost = {};
    for (const [f, value] of Object.entries(fields)) {
      const stored = rec.field_hlc[f] || "";
      if (this.hlc > stored) {
        changes[f] = value;
        fieldHlc[f] = this.hlc;
      } else if (!same(rec.data[f], value)) {
        lost[f] = { lost: value, lost_hlc: this.hlc, kept: rec.data[f], kept_hlc: stored };
      }
    }
    const next = this.update(rec, changes, { field_hlc: fieldHlc });
    if (Object.keys(lost).length) {
      this.conflict("field_overwritten", {
        record_type: rec.type,
        record_ids: [rec.id],
        details: {
          fields: lost,
          by: this.actor.staff_id,
          device: this.actor.device_id,
          mutation: this.name,
          client_id: this.clientId,
          mutation_id: this.mutationId,
        },
        staff_ids: [this.actor.staff_id],
      });
    }
    return next;
  }

  /**
   * An invariant break that was applied anyway (both facts kept; the server files it for
   * the office). @param {string} kind
   * @param {{record_type: string, record_ids: string[], details: Record<string, any>,
   *   staff_ids: (string | null | undefined)[]}} c
   */
  conflict(kind, c) {
    this.writable(this.space);
    /** @type {string[]} */
    const staff = [];
    for (const s of c.staff_ids) if (s && !staff.includes(s)) staff.push(s);
    this.conflicts.push({ kind, space: this.space, record_type: c.record_type,
      record_ids: c.record_ids, details: c.details, staff_ids: staff });
  }
}
