// @ts-check
/**
 * Every response the service worker builds goes through `respond` — the one place that sets
 * the Content-Security-Policy (a page the SW builds carries only the headers set here),
 * Content-Type, `Vary: HX-Request` (the same URL answers a fragment or a page),
 * `Cache-Control: no-store` and `Server-Timing`.
 */

let csp = "default-src 'self'";

/** @param {string} policy the server's policy (server/lib/headers.py), passed in by /sw.js */
export function setPolicy(policy) {
  csp = policy;
}

/**
 * @param {BodyInit | null} body
 * @param {{status?: number, contentType?: string, headers?: Record<string, string>,
 *   startedAt?: number, timing?: Record<string, number>}} [options] `timing`: phases (ms)
 */
export function respond(body, options = {}) {
  const headers = new Headers(options.headers || {});
  headers.set("Content-Security-Policy", csp);
  headers.set("Content-Type", options.contentType || "text/html; charset=utf-8");
  headers.set("Vary", "HX-Request");
  headers.set("Cache-Control", "no-store");
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "same-origin");
  if (options.startedAt !== undefined) {
    const phases = Object.entries(options.timing || {}).map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`);
    const total = `sw;desc="service worker";dur=${(performance.now() - options.startedAt).toFixed(1)}`;
    headers.set("Server-Timing", [total, ...phases].join(", "));
  }
  return new Response(body, { status: options.status || 200, headers });
}

/**
 * A redirect that works for both a navigation (303) and an htmx request (HX-Redirect).
 * @param {string} location @param {boolean} isHtmx @param {number} [startedAt]
 */
export function redirect(location, isHtmx, startedAt) {
  if (isHtmx) return respond("", { headers: { "HX-Redirect": location }, startedAt });
  return respond("", { status: 303, headers: { Location: location }, startedAt });
}
