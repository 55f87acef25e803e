// @ts-check
/** The staff app's URL map (every /m/... URL the service worker answers): the generic
 * screens here, each domain's from its own registerRoutes() (domains.js). */

import { route } from "./router.js";
import {
  progressScreen,
  signInScreen,
  signInSubmit,
  signOutScreen,
  signOutSubmit,
} from "./screens/auth.js";
import { DOMAINS } from "./domains.js";
import {
  homeScreen,
  inboxScreen,
  inboxSeen,
  statusOnly,
  switchLanguage,
  syncNow,
} from "./screens/misc.js";

export function registerRoutes() {
  route("GET", "/m/signin", signInScreen, { public: true });
  route("POST", "/m/signin", signInSubmit, { public: true });
  route("GET", "/m/lang/:code", switchLanguage, { public: true });
  route("GET", "/m/sync/progress", progressScreen);
  route("GET", "/m/signout", signOutScreen);
  route("POST", "/m/signout", signOutSubmit);
  route("GET", "/m/status", statusOnly);
  route("POST", "/m/sync", syncNow);
  route("GET", "/m", homeScreen);
  for (const domain of DOMAINS) domain.registerRoutes();
  route("GET", "/m/inbox", inboxScreen);
  route("POST", "/m/inbox/seen", inboxSeen);
}
