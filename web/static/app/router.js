// @ts-check
/**
 * The staff app's request router inside the service worker: method + path pattern →
 * screen handler. A handler gets a Ctx and returns a Screen (or a redirect); sw.js turns it
 * into a full page (navigation, boosted link, history restore) or a fragment (htmx).
 *
 * @typedef {import("./session.js").Session} Session
 * @typedef {{
 *   request: Request, url: URL, method: string, path: string,
 *   params: Record<string, string>, query: URLSearchParams,
 *   form: () => Promise<URLSearchParams>,
 *   htmx: boolean, target: string, session: Session | undefined, now: number,
 *   afterWrite: () => void, waitUntil: (p: Promise<unknown>) => void
 * }} Ctx
 * @typedef {{title: string, main: import("./html.js").Raw,
 *   fragment?: import("./html.js").Raw, status?: number,
 *   headers?: Record<string, string>, redirect?: string, live?: string}} Screen
 *   `fragment`: what an htmx request aimed at a part of the screen gets (HX-Target);
 *   `live`: the URL that re-renders the screen after a sync (it refreshes itself).
 * @typedef {(ctx: Ctx) => Promise<Screen>} Handler
 */

/** @type {{method: string, pattern: RegExp, names: string[], handler: Handler,
 *   public: boolean}[]} */
const routes = [];

/**
 * @param {string} method
 * @param {string} path e.g. "/m/keys/loans/:id/return"
 * @param {Handler} handler
 * @param {{public?: boolean}} [options] public: answers without a session (sign-in)
 */
export function route(method, path, handler, options = {}) {
  /** @type {string[]} */
  const names = [];
  const source = path.replace(/:(\w+)/g, (_m, name) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({
    method,
    pattern: new RegExp(`^${source}/?$`),
    names,
    handler,
    public: Boolean(options.public),
  });
}

/**
 * @param {string} method @param {string} path
 * @returns {{handler: Handler, params: Record<string, string>, public: boolean} | null}
 */
export function match(method, path) {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    /** @type {Record<string, string>} */
    const params = {};
    r.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1]);
    });
    return { handler: r.handler, params, public: r.public };
  }
  return null;
}

/** Whether any route has this path (for 405 vs 404). @param {string} path */
export function knows(path) {
  return routes.some((r) => r.pattern.test(path));
}
