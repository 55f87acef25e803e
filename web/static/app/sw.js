// @ts-check
/**
 * The service worker: wiring only. It is the staff app's server — every /m/... request is
 * answered here from IndexedDB (pages.js), online or offline alike — and syncs in the
 * background (sync.js).
 *
 * A MODULE worker (registered with {type: "module"}), not a classic one with importScripts:
 * real `import`/`export` between small files, checked by // @ts-check across modules, and no
 * shared global namespace. Chrome/Edge ≥ 91 (Android's browsers) and Safari ≥ 15 (iPhones)
 * run module service workers — the phones staff carry; where registration fails (e.g. a
 * Firefox without module workers) the page says the browser cannot run the app offline.
 * The server generates /sw.js (server/app_shell/routes.py): it imports idb's UMD build and
 * this file under content-hashed URLs and calls start() with the build id and the precache
 * list, so every deploy changes /sw.js byte for byte and the browser installs the update.
 *
 * Updates never drop the outbox: IndexedDB is not touched by installing; the new worker
 * opens (and, if its schema is newer, upgrades) the database during install — upgrades only
 * add — then skipWaiting + clients.claim; pages reload themselves when nothing is being
 * typed (page.js).
 */

import { begin, openDb } from "./db.js";
import { RULES } from "./domains.js";
import { configureKit } from "./kit/declarations.js";
import { configurePages, handle } from "./pages.js";
import { setPolicy } from "./respond.js";
import { registerRoutes } from "./routes.js";
import { getClient, knownClients } from "./session.js";
import { configure as configureSync, progress, requestSync } from "./sync.js";

const SYNC_TAG = "caretaker-sync";
const CACHE_PREFIX = "caretaker-";

/** @type {ServiceWorkerGlobalScope} */
const worker = /** @type {any} */ (self);

/**
 * @typedef {{build: string, schemaVersion: number, precache: string[], modules: string[],
 *   shell: Record<string, string>, i18n: Record<string, string>, languages: string[],
 *   defaultLanguage: string, csp: string, domains: string[],
 *   roleDomains: Record<string, string[]>,
 *   kit: import("./kit/declarations.js").Kit}} WorkerConfig
 */

/** @param {Record<string, any>} message */
async function broadcast(message) {
  const clients = await worker.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of clients) client.postMessage(message);
}

/** A sync shortly after a write (the response goes out first), and Background Sync as a
 * fallback where the browser has it. */
function afterWrite() {
  const registration = /** @type {any} */ (worker.registration);
  if (registration.sync) registration.sync.register(SYNC_TAG).catch(() => undefined);
  // a moment later: the person sees the confirmation first, then the sync starts
  return new Promise((resolve) => setTimeout(resolve, 250)).then(() => requestSync({ force: true }));
}

/**
 * The domains of every person known on this phone (their roles'), sorted; when they are not
 * this worker's own (or after a sign-in, always), the pages are told them and register the
 * worker that carries them (server/app_shell/domain_sets.py: a worker holds only its phone's
 * domains' code). @param {WorkerConfig} config @param {boolean} [always]
 */
async function checkDomains(config, always = false) {
  const tx = await begin("readonly");
  const roles = new Set();
  for (const clientId of Object.values(await knownClients(tx))) {
    const client = await getClient(tx, clientId);
    if (client) roles.add(client.user.role);
  }
  await tx.done;
  const wanted = [...new Set([...roles].flatMap((r) => config.roleDomains[r] || []))].sort();
  if (always || wanted.join(",") !== [...config.domains].sort().join(",")) {
    await broadcast({ type: "domains", domains: wanted });
  }
}

/** @param {WorkerConfig} config */
export function start(config) {
  const cacheName = CACHE_PREFIX + config.build;
  configureKit(config.kit, RULES); // the declarations: before anything reads or writes a record
  setPolicy(config.csp);
  configurePages({
    shell: config.shell,
    i18n: config.i18n,
    defaultLanguage: config.defaultLanguage,
    languages: config.languages,
    elsewhere: [...new Set(Object.values(config.roleDomains).flat())]
      .filter((d) => !config.domains.includes(d)),
  });
  configureSync({
    schemaVersion: config.schemaVersion,
    build: config.build,
    notify: broadcast,
    carries: (role) => (config.roleDomains[role] || []).every((d) => config.domains.includes(d)),
  });
  registerRoutes();

  worker.addEventListener("install", (event) => {
    event.waitUntil(
      (async () => {
        const cache = await caches.open(cacheName);
        await cache.addAll(config.precache.map((url) => new Request(url, { cache: "reload" })));
        await openDb(); // creates or upgrades the database before this worker takes over
        await worker.skipWaiting();
      })(),
    );
  });

  worker.addEventListener("activate", (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) {
          if (name.startsWith(CACHE_PREFIX) && name !== cacheName) await caches.delete(name);
        }
        await worker.clients.claim();
        await broadcast({ type: "activated", build: config.build });
      })(),
    );
  });

  worker.addEventListener("fetch", (event) => {
    const url = new URL(event.request.url);
    if (url.origin !== worker.location.origin) return;
    const p = url.pathname;
    if (p === "/m" || p.startsWith("/m/")) {
      const answer = handle(event, afterWrite);
      event.respondWith(answer);
      if (p === "/m/signin" && event.request.method === "POST") {
        event.waitUntil(answer.then(() => checkDomains(config, true)).catch(() => undefined));
      }
    } else if (
      p.startsWith("/v/") ||
      p.startsWith("/i18n/") ||
      p.startsWith("/app-shell/") ||
      p === "/manifest.webmanifest"
    ) {
      event.respondWith(
        caches.match(event.request, { ignoreVary: true }).then((hit) => hit || fetch(event.request)),
      );
    }
    // everything else (office pages, /api/) goes to the network untouched
  });

  worker.addEventListener("message", (event) => {
    const type = event.data && event.data.type;
    if (type === "online" || type === "visible" || type === "sync") {
      event.waitUntil(Promise.all([requestSync({ force: true }), checkDomains(config)]));
    } else if (type === "tick") {
      event.waitUntil(requestSync());
    } else if (type === "claim") {
      event.waitUntil(worker.clients.claim());
    }
  });

  worker.addEventListener("sync", (/** @type {any} */ event) => {
    if (event.tag !== SYNC_TAG) return;
    // a rejected promise asks the browser to retry later
    event.waitUntil(
      requestSync({ force: true }).then(() => {
        if (progress.phase === "error") throw new Error("sync failed; retry later");
      }),
    );
  });

  worker.addEventListener("online", () => {
    requestSync({ force: true });
  });
}
