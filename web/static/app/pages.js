// @ts-check
/**
 * From a request to a response, inside the service worker: the Ctx, the screen, then a
 * full page (a navigation, a boosted link or form, an htmx history restore: the precached
 * server-rendered shell with its slots filled) or a fragment (any other htmx request: the
 * screen's main part, or the part named by HX-Target, plus the sync status out of band).
 */

import { begin } from "./db.js";
import { html, raw } from "./html.js";
import { t, useLanguage } from "./i18n.js";
import { redirect, respond } from "./respond.js";
import { knows, match } from "./router.js";
import { loadStatus } from "./screens/status.js";
import { readBlob, storeBlob } from "./screens/misc.js";
import { getLanguage, getSession } from "./session.js";
import { nav, statusBar } from "./views/layout.js";
import { notForRole, notFound } from "./views/home.js";

/** @typedef {{shell: Record<string, string>, i18n: Record<string, string>,
 *   defaultLanguage: string, languages: string[], elsewhere?: string[]}} PagesConfig
 * elsewhere: the domains this worker does not carry (other roles' screens). */

/** @type {PagesConfig} */
let config = { shell: {}, i18n: {}, defaultLanguage: "zh_Hant", languages: ["zh_Hant", "en"] };
/** @type {Record<string, string>} */
const shells = {};

/** @param {PagesConfig} c */
export function configurePages(c) {
  config = c;
}

/** @param {string} language */
async function shellText(language) {
  if (!shells[language]) {
    const url = config.shell[language];
    const res = (await caches.match(url)) || (await fetch(url));
    shells[language] = await res.text();
  }
  return shells[language];
}

/**
 * @param {string} shell
 * @param {{title: string, nav: string, status: string, main: string}} slots
 */
function fill(shell, slots) {
  // replacement functions, so "$" in content is never a pattern
  return shell
    .replace("<!--ct:title-->", () => slots.title)
    .replace("<!--ct:nav-->", () => slots.nav)
    .replace("<!--ct:status-->", () => slots.status)
    .replace("<!--ct:main-->", () => slots.main);
}

/** @param {string} title */
function fullTitle(title) {
  const app = t("Caretaker");
  return title ? `${title} · ${app}` : app;
}

/** @param {string} text */
function escapeTitle(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}

/**
 * @param {FetchEvent} event
 * @param {() => Promise<unknown>} afterWrite a sync soon after a write (kept alive by the event)
 */
export async function handle(event, afterWrite) {
  const started = performance.now();
  const request = event.request;
  const url = new URL(request.url);
  const path = url.pathname.length > 2 ? url.pathname.replace(/\/$/, "") : "/m";
  const hx = request.headers.get("HX-Request") === "true";
  const fullPage =
    !hx ||
    request.headers.get("HX-Boosted") === "true" ||
    request.headers.get("HX-History-Restore-Request") === "true";

  const tx = await begin("readonly");
  const [session, storedLanguage] = await Promise.all([getSession(tx), getLanguage(tx)]);
  await tx.done;
  /** @type {Record<string, number>} */
  const timing = { session: performance.now() - started, screen: 0, status: 0 };
  const language = storedLanguage && config.languages.includes(storedLanguage) ? storedLanguage : config.defaultLanguage;
  await useLanguage(language, config.i18n[language]);
  const now = Date.now();

  /** @type {import("./router.js").Ctx} */
  const ctx = {
    request,
    url,
    method: request.method,
    path,
    params: {},
    query: url.searchParams,
    form: async () => {
      const type = request.headers.get("Content-Type") || "";
      if (type.includes("multipart/form-data")) {
        const data = await request.formData();
        const out = new URLSearchParams();
        for (const [k, v] of data.entries()) if (typeof v === "string") out.append(k, v);
        return out;
      }
      return new URLSearchParams(await request.text());
    },
    htmx: hx && !fullPage,
    target: request.headers.get("HX-Target") || "",
    session,
    now,
    afterWrite: () => event.waitUntil(afterWrite()),
    waitUntil: (p) => event.waitUntil(p),
  };

  // Blobs are bytes, not screens.
  const blobRead = /^\/m\/blobs\/([0-9a-f]{64})$/.exec(path);
  if (blobRead && request.method === "GET") {
    ctx.params = { sha: blobRead[1] };
    const r = await readBlob(ctx);
    return respond(r.body, { status: r.status, contentType: r.type, startedAt: started,
      headers: r.status === 200 ? { "Cache-Control": "private, max-age=86400" } : {} });
  }
  if (path === "/m/blobs" && request.method === "POST") {
    if (!session) return respond("{}", { status: 401, contentType: "application/json" });
    const r = await storeBlob(ctx);
    return respond(r.body, { status: r.status, contentType: "application/json", startedAt: started });
  }

  const found = match(request.method, path);
  /** @type {import("./router.js").Screen} */
  let screen;
  // /m/<domain>/… or a domain's part: /m/repairs/visits/… is the phone module repairs_visits
  const [, , domain = "", part = ""] = path.split("/");
  const elsewhere = config.elsewhere || [];
  if (!found && session && (elsewhere.includes(domain) || elsewhere.includes(`${domain}_${part}`))) {
    // another role's screens: this phone does not carry them (server/app_shell/domain_sets.py)
    screen = { title: t("Not available for your role"), main: notForRole(), status: 403 };
  } else if (!found) {
    const status = knows(path) ? 405 : 404;
    screen = { title: t("Not found."), main: notFound({ path }), status };
  } else if (!session && !found.public) {
    return redirect("/m/signin", hx, started);
  } else {
    ctx.params = found.params;
    try {
      screen = await found.handler(ctx);
    } catch (err) {
      console.error("caretaker: screen failed", path, err);
      screen = {
        title: t("Error"),
        main: html`<section class="card"><h1>${t("Error")}</h1>
          <p>${t("Something went wrong on this phone. Nothing you saved is lost; go back and try again.")}</p></section>`,
        status: 500,
      };
    }
  }
  if (screen.redirect) return redirect(screen.redirect, hx, started);

  timing.screen = performance.now() - started - timing.session;
  // the status reflects what the screen just wrote (a new pending mutation)
  const status = await loadStatus(now);
  timing.status = performance.now() - started - timing.session - timing.screen;
  let main = screen.main;
  if (screen.live) {
    main = html`<div id="live" hx-get="${screen.live}" hx-trigger="synced from:body"
      hx-swap="outerHTML" hx-disinherit="hx-swap">${screen.main}</div>`;
  }
  const headers = screen.headers || {};
  let body;
  if (!fullPage && ctx.target === "sync-status") {
    body = statusBar(status).value;
  } else if (!fullPage) {
    const part = ctx.target && screen.fragment ? screen.fragment : main;
    const title = ctx.target === "main" ? raw(`<title>${escapeTitle(fullTitle(screen.title))}</title>`) : "";
    body = html`${title}${part}${statusBar(status, { oob: true })}`.value;
  } else {
    body = fill(await shellText(language), {
      title: escapeTitle(fullTitle(screen.title)),
      nav: nav(status).value,
      status: statusBar(status).value,
      main: main.value,
    });
  }
  // htmx swaps only 2xx: a fragment that reports a problem is still shown
  return respond(body, { status: fullPage ? screen.status : 200, headers, startedAt: started, timing });
}
