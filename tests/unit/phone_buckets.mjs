// The phone's side of filtered streams (sync/buckets.py): a `del space` of a bucket id drops
// the parent space's records of that unit only, and keeps records with pending changes.
//   node tests/unit/phone_buckets.mjs KIT.json   -> prints the keys left, as JSON
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..", "..");
const app = resolve(root, "web", "static", "app");
await import(pathToFileURL(resolve(root, "web", "static", "vendor", "idb", "idb.umd.js")).href);
const load = (rel) => import(pathToFileURL(resolve(app, rel)).href);
const { configureKit } = await load("kit/declarations.js");
const { RULES } = await load("domains.js");
configureKit(JSON.parse(readFileSync(process.argv[2], "utf8")), RULES);
const db = await load("db.js");
const { applyPatch } = await load("apply.js");

const records = [
  ["resident", "r1", "S:residents", { unit_id: "U1" }],
  ["resident", "r2", "S:residents", { unit_id: "U2" }],
  ["repair_request", "q1", "S:visits", { unit_id: "U1" }],
  ["repair_request", "q2", "S:visits", { unit_id: null }],
  ["repair_request", "q3", "S:visits", { unit_id: "U1" }],
  ["repair_technician", "t1", "S:visits", {}],
  ["unit", "U1", "S:estate", {}],
];
await db.inTx("readwrite", async (tx) => {
  for (const [type, id, space, data] of records) await tx.putRecord(db.makeRecord(type, id, space, data));
  // q3 has a pending change over its server copy (its base)
  const q3 = db.makeRecord("repair_request", "q3", "S:visits", { unit_id: "U1", state: "in_progress" });
  await tx.putRecord({ ...q3, local: 1, base: { space: "S:visits", data: { unit_id: "U1" } } });
});
const steps = JSON.parse(process.argv[3]);
const out = [];
for (const step of steps) {
  await db.inTx("readwrite", async (tx) => {
    const local = new Set(step.local.map((k) => db.recordKey(k[0], k[1])));
    await applyPatch(tx, [{ op: "del", type: "space", id: step.del }], local);
  });
  const left = [];
  await db.inTx("readonly", async (tx) => {
    for (const [type, id] of records) if (await tx.record(type, id)) left.push(`${type}/${id}`);
    const q3 = await tx.record("repair_request", "q3");
    if (q3 && q3.base) left.push("q3 keeps its server copy");
  });
  out.push(left);
}
console.log(JSON.stringify(out));
