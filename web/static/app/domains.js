// @ts-check
/**
 * The domains of the staff app: one line each (docs/domains.md). A domain module exports its
 * RULES (mutation name -> check/apply, its copy of the server's rules), registerRoutes(),
 * nav(role), forRole(role) and home (its start screen), conflictText(c) for its conflict
 * kinds (CONFLICT_KINDS), recordHref(type, id) and describe(name, args, lookup) for the inbox.
 */

import * as keys from "./keys/index.js";
import * as patrol from "./patrol/index.js";
import * as cards from "./cards/index.js";

export const DOMAINS = [keys, patrol, cards];

/** Every domain's rules, by mutation name. */
export const RULES = Object.assign({}, ...DOMAINS.map((d) => d.RULES));
