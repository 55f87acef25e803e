// The phone's side of a goods-out pass's QR code (web/static/app/desk/passcode.js), run under
// Node (Web Crypto) on fake-indexeddb with the staff app's own modules:
//   node tests/unit/desk_passcode.mjs KIT.json CASES.json   -> prints the results, as JSON
// CASES: {verify: [{code, public_key}], sign: [content], site_id, other_site_id, now}.
// It verifies the texts Python signed, signs the contents with a fresh key (for Python to
// verify), and runs the phone's flow: its key pair made once, desk.register_key through the
// outbox, a pass signed with the device key and the gate's verdicts on it.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..", "..");
const app = resolve(root, "web", "static", "app");
await import(pathToFileURL(resolve(root, "web", "static", "vendor", "idb", "idb.umd.js")).href);
const load = (rel) => import(pathToFileURL(resolve(app, rel)).href);
const { configureKit } = await load("kit/declarations.js");
const desk = await load("desk/rules.js");
const front = await load("desk/front_rules.js");
const gate = await load("desk/gate_rules.js");
configureKit(JSON.parse(readFileSync(process.argv[2], "utf8")),
  { ...desk.RULES, ...front.RULES, ...gate.RULES });
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));
const db = await load("db.js");
const session = await load("session.js");
const pc = await load("desk/passcode.js");

const out = {};
// Python signed: the phone verifies (null: refused)
out.verified = [];
for (const c of cases.verify) out.verified.push(await pc.verify(c.code, c.public_key));
// the phone signs (a fresh key): Python verifies
const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
out.public_key = pc.b64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
out.signed = [];
for (const c of cases.sign) out.signed.push(await pc.sign(c, pair.privateKey));
out.bad_content = await pc.sign({ id: "x" }, pair.privateKey).then(() => "signed", (e) => String(e.message));

// the phone's flow: a desk person signed in at a site the replica holds
const SITE = cases.site_id;
const user = { id: "0190a8f0-0000-7000-8000-0000000000a1", username: "desk", display_name: "陳大文 (前台)", role: "front_desk" };
const desk1 = { client_id: "0190a8f0-0000-7000-8000-0000000000c1", user, token: "t", device_id: "0190a8f0-0000-7000-8000-0000000000d1",
  spaces: [`${SITE}:desk`, `${SITE}:estate`, "org"], paused: null, signed_in_at: new Date(cases.now).toISOString() };
await db.inTx("readwrite", async (tx) => {
  await tx.putRecord(db.makeRecord("site", SITE, `${SITE}:estate`, { name: "海悅花園", code: "HYG" }));
  await session.putClient(tx, session.newClient(desk1.client_id, user));
  await session.putSession(tx, desk1);
});
const guardUser = { ...user, id: "0190a8f0-0000-7000-8000-0000000000a2", username: "guard", role: "patrol" };
out.guard_registers = await pc.ensureDeviceKeys({ ...desk1, user: guardUser });
out.before = await pc.deviceKey(SITE);
out.hook = await session.signedIn(desk1); // passcode.js registered ensureDeviceKeys
out.again = await pc.ensureDeviceKeys(desk1);
const key = await pc.deviceKey(SITE, desk1);
out.extractable = key.privateKey.extractable;
out.other_site_key = await pc.deviceKey(cases.other_site_id);
const outbox = await db.inTx("readonly", (tx) => tx.allPending());
out.outbox = outbox.map((m) => ({ name: m.name, args: m.args, client_id: m.client_id }));
const keyRecord = await db.inTx("readonly", (tx) => tx.record("device_key", key.keyId));
out.key_record = keyRecord ? keyRecord.data : null;

const content = { ...cases.sign[0], s: SITE, k: key.keyId };
const code = await pc.signPass(content);
out.device_code = code;
const verdict = async (c, site = SITE, now = cases.now) => {
  const v = await pc.verifyPass(c, site, now);
  return { status: v.status, reason: v.reason, holder: v.key ? v.key.data.holder : null, items: v.content ? v.content.it : null };
};
const [head, payload, sig] = code.split(".");
const edited = pc.b64(new TextEncoder().encode(JSON.stringify({ ...content, it: [...content.it, "雪櫃"] })));
const stranger = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
out.verdicts = {
  valid: await verdict(code),
  spaces: await verdict(`  ${code}\n`),
  edited: await verdict(`${head}.${edited}.${sig}`),
  truncated: await verdict(code.slice(0, -3)),
  garbage: await verdict("not a pass"),
  other_site: await verdict(code, cases.other_site_id),
  unknown_key: await verdict(await pc.sign({ ...content, k: "0190a8f0-0000-7000-8000-0000000000ff" }, key.privateKey)),
  wrong_key: await verdict(await pc.sign(content, stranger.privateKey)),
  expired: await verdict(code, SITE, Date.parse(content.vu) + 1000),
};
out.other_sign = await pc.signPass({ ...content, s: cases.other_site_id }).then(() => "signed", (e) => String(e.message));
// a check that let the goods out, on this phone: the pass is used
await db.inTx("readwrite", (tx) => tx.putRecord(db.makeRecord("pass_check", "0190a8f0-0000-7000-8000-0000000000e1",
  `${SITE}:desk`, { site_id: SITE, pass_id: content.id, outcome: "refused" })));
out.verdicts.refused_before = await verdict(code);
await db.inTx("readwrite", (tx) => tx.putRecord(db.makeRecord("pass_check", "0190a8f0-0000-7000-8000-0000000000e2",
  `${SITE}:desk`, { site_id: SITE, pass_id: content.id, outcome: "passed" })));
out.verdicts.used = await verdict(code);
out.payload_segment = payload;
console.log(JSON.stringify(out));
