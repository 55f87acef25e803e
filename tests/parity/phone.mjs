// The phone's side of the parity test (tests/parity/test_parity.py): runs generated cases
// through the staff app's own modules — kit, rules, apply.js over db.js — on a real
// IndexedDB implementation for Node (fake-indexeddb, pinned in package.json).
//
//   node tests/parity/phone.mjs CASES.json [APP_DIR]
//
// CASES.json: {kit, cases: [{records, blobs, steps: [{actor, mutation}]}]}. Prints, per
// case, each step's outcome (rejection code and field, conflicts) and the final records.

import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..", "..");
const app = resolve(process.argv[3] || resolve(root, "web", "static", "app"));
const input = JSON.parse(readFileSync(process.argv[2], "utf8"));

await import(pathToFileURL(resolve(root, "web", "static", "vendor", "idb", "idb.umd.js")).href);
const load = (rel) => import(pathToFileURL(resolve(app, rel)).href);
const { configureKit } = await load("kit/declarations.js");
const { RULES } = await load("domains.js");
configureKit(input.kit, RULES);
const db = await load("db.js");
const { applyMutation } = await load("apply.js");

async function reset() {
  await db.inTx("readwrite", async (tx) => {
    await tx.clearReplica();
    for (const blob of await tx.allBlobs()) await tx.deleteBlob(blob.sha256);
  });
}

async function seed(c) {
  await db.inTx("readwrite", async (tx) => {
    for (const r of c.records) {
      const rec = db.makeRecord(r.type, r.id, r.space, r.data);
      rec.field_hlc = r.field_hlc;
      if (r.deleted) rec.deleted = 1;
      await tx.putRecord(rec);
    }
    for (const sha of c.blobs) {
      await tx.putBlob({ sha256: sha, type: "image/png", bytes: new ArrayBuffer(1), uploaded: 1,
        used: 1, created_at: "2026-01-01T00:00:00Z" });
    }
  });
}

async function records() {
  const tx = await db.begin("readonly");
  const out = [];
  for (const type of Object.keys(input.kit.records)) {
    for (const rec of await tx.recordsOfType(type)) {
      out.push({ type: rec.type, id: rec.id, space: rec.space, data: rec.data,
        field_hlc: rec.field_hlc || {}, deleted: Boolean(rec.deleted) });
    }
  }
  await tx.done;
  return out;
}

if (input.values) {
  // field checks alone: [[record type, field, value], ...] -> [stored, problem]
  const { checker } = await load("kit/fields.js");
  const { fieldDecl } = await load("kit/declarations.js");
  const out = input.values.map(([type, name, value]) => {
    const [stored, problem] = checker(fieldDecl(type, name))(value);
    return [stored, problem ? { field: problem.field, message: problem.message,
      params: problem.params } : null];
  });
  process.stdout.write(JSON.stringify(out));
}

const results = [];
for (const c of input.cases || []) {
  await reset();
  await seed(c);
  const steps = [];
  for (const step of c.steps) {
    const outcome = await db.inTx("readwrite", (tx) => applyMutation(tx, step.mutation, step.actor));
    steps.push({
      reject: outcome.reject ? { code: outcome.reject.code, field: outcome.reject.field } : null,
      conflicts: outcome.conflicts,
    });
  }
  results.push({ steps, records: await records() });
}
if (input.cases) process.stdout.write(JSON.stringify(results));
