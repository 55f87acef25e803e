// The repairs' phone parts under Node (tests/unit/test_phone_parts.py): each phone module's
// rules, and what a phone that carries some of them shows — on fake-indexeddb, through the
// staff app's own router, the screens a person's links lead to.
//   node tests/unit/phone_parts.mjs KIT.json rules MODULE...   -> {module: [mutation, ...]}
//   node tests/unit/phone_parts.mjs KIT.json screens MODULE... -> {role: {path: [status, html]}}
// MODULE: a phone module under web/static/app ("repairs/index.js"); `screens` registers the
// routes of those modules only (the worker of a phone that carries them).
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..", "..");
const app = resolve(root, "web", "static", "app");
await import(pathToFileURL(resolve(root, "web", "static", "vendor", "idb", "idb.umd.js")).href);
const load = (rel) => import(pathToFileURL(resolve(app, rel)).href);
const [kitFile, mode, ...modules] = process.argv.slice(2);
const parts = await Promise.all(modules.map(load));
const { configureKit } = await load("kit/declarations.js");
configureKit(JSON.parse(readFileSync(kitFile, "utf8")), Object.assign({}, ...parts.map((p) => p.RULES)));

if (mode === "rules") {
  console.log(JSON.stringify(Object.fromEntries(modules.map((m, i) => [m, Object.keys(parts[i].RULES).sort()]))));
  process.exit(0);
}

const db = await load("db.js");
const { match } = await load("router.js");
for (const p of parts) p.registerRoutes();

const SITE = "0190a8f0-0000-7000-8000-00000000000a";
const UNIT = "0190a8f0-0000-7000-8000-00000000000b";
const REQ = "0190a8f0-0000-7000-8000-00000000000c";
const VISIT = "0190a8f0-0000-7000-8000-00000000000d";
const TECH = "0190a8f0-0000-7000-8000-00000000000e";
const records = [
  ["site", SITE, "S:estate", { name: "海悅花園", code: "HYG" }],
  ["unit", UNIT, "S:estate", { site_id: SITE, number: "1A-0101" }],
  ["repair_request", REQ, "S:visits", { site_id: SITE, number: "R-1", unit_id: UNIT, area: "",
    category: "water", urgency: "normal", state: "assigned", assignee_id: TECH, description: "漏水",
    photos: [], reported_at: "2026-01-01T00:00:00.000Z" }],
  ["repair_visit", VISIT, "S:visits", { site_id: SITE, request_id: REQ, unit_id: UNIT, technician_id: TECH,
    arrived_at: "2026-01-02T00:00:00.000Z", closed_at: null, charges: [] }],
];
await db.inTx("readwrite", async (tx) => {
  for (const [type, id, space, data] of records) await tx.putRecord(db.makeRecord(type, id, space, data));
});

const paths = ["/m/repairs", `/m/repairs/requests/${REQ}`, `/m/repairs/visits/${VISIT}`];
const out = {};
for (const role of ["front_desk", "patrol", "technician", "supervisor"]) {
  const id = role === "technician" ? TECH : "0190a8f0-0000-7000-8000-0000000000ff";
  const session = { client_id: "c", user: { id, role, display_name: role }, actor: { staff_id: id, sites: [SITE] } };
  out[role] = {};
  for (const path of paths) {
    const found = match("GET", path);
    if (!found) {
      out[role][path] = [404, ""];
      continue;
    }
    const url = new URL(`https://x.test${path}`);
    const ctx = { request: new Request(url), url, method: "GET", path, params: found.params, query: url.searchParams,
      form: async () => new URLSearchParams(), htmx: false, target: "", session, now: Date.parse("2026-01-03T00:00:00Z"),
      afterWrite: () => undefined, waitUntil: () => undefined };
    const screen = await found.handler(/** @type {any} */ (ctx));
    out[role][path] = [screen.status || 200, String(screen.main)];
  }
}
console.log(JSON.stringify(out));
