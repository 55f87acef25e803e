// @ts-check
/**
 * The domains of the staff app: one line each (docs/domains.md). A domain module exports its
 * RULES (mutation name -> check/apply, its copy of the server's rules), registerRoutes(),
 * nav(role), forRole(role) and home (its start screen), conflictText(c) for its conflict
 * kinds (CONFLICT_KINDS), recordHref(type, id) and describe(name, args, lookup) for the inbox.
 * A domain whose roles need different parts of its phone code splits it in phone parts, one
 * module each, one line each here: `./<name>/index.js` (phone domain `<name>`) and
 * `./<name>/<part>.js` (phone domain `<name>_<part>`), declared once in the domain's
 * PHONE_PARTS (sync/domains/<name>/__init__.py): a phone's worker carries the parts its
 * people's roles need (server/app_shell/domain_sets.py parses these lines).
 */

import * as keys from "./keys/index.js";
import * as keys_office from "./keys/office.js";
import * as patrol from "./patrol/index.js";
import * as cards from "./cards/index.js";
import * as cards_office from "./cards/office.js";
import * as repairs from "./repairs/index.js";
import * as repairs_office from "./repairs/office.js";
import * as repairs_visits from "./repairs/visits.js";
import * as desk from "./desk/index.js";
import * as desk_front from "./desk/front.js";
import * as desk_gate from "./desk/gate.js";

export const DOMAINS = [keys, keys_office, patrol, cards, cards_office, repairs, repairs_office, repairs_visits, desk, desk_front, desk_gate];

/** Every domain's rules, by mutation name. */
export const RULES = Object.assign({}, ...DOMAINS.map((d) => d.RULES));
