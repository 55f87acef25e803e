// @ts-check
/** The staff app's URL map (every /m/... URL the service worker answers). */

import { route } from "./router.js";
import {
  progressScreen,
  signInScreen,
  signInSubmit,
  signOutScreen,
  signOutSubmit,
} from "./screens/auth.js";
import {
  boardScreen,
  lendScreen,
  lendSubmit,
  loanScreen,
  returnScreen,
  returnSubmit,
} from "./screens/keys.js";
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
  route("GET", "/m/keys", boardScreen);
  route("GET", "/m/keys/lend", lendScreen);
  route("POST", "/m/keys/lend", lendSubmit);
  route("GET", "/m/keys/loans/:id", loanScreen);
  route("GET", "/m/keys/loans/:id/return", returnScreen);
  route("POST", "/m/keys/loans/:id/return", returnSubmit);
  route("GET", "/m/inbox", inboxScreen);
  route("POST", "/m/inbox/seen", inboxSeen);
}
