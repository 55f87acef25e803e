// @ts-check
/** Signing the phone in (device registration through the API) and out. Who may push whose
 * records: see session.js. */

import { begin, inTx } from "../db.js";
import { t } from "../i18n.js";
import {
  clientIdFor,
  endSession,
  getClient,
  getSession,
  knownClients,
  newClient,
  putClient,
  putSession,
  rememberClient,
  replicaOwner,
  setReplicaOwner,
  signedIn,
} from "../session.js";
import { isSyncing, progress as syncProgress, requestSync } from "../sync.js";
import { progress, signIn, signOut } from "../views/auth.js";

/** @typedef {import("../router.js").Ctx} Ctx @typedef {import("../router.js").Screen} Screen */

/** Other people's unsynced records on this phone. @param {string} [exceptClient] */
async function waiting(exceptClient) {
  const tx = await begin("readonly");
  const clients = await knownClients(tx);
  const out = [];
  for (const clientId of Object.values(clients)) {
    if (clientId === exceptClient) continue;
    const count = await tx.pendingCount(clientId);
    if (!count) continue;
    const client = await getClient(tx, clientId);
    out.push({ name: client ? client.user.display_name : "?", count });
  }
  await tx.done;
  return out;
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signInScreen(ctx) {
  const again = Boolean(ctx.session && ctx.session.paused === "auth") || ctx.query.has("again");
  const username = ctx.session ? ctx.session.user.username : "";
  return {
    title: t("Sign in"),
    main: signIn({ values: { username }, errors: {}, again, waiting: await waiting(ctx.session?.client_id) }),
  };
}

/** A short name for this phone in the office's device list. */
function deviceName() {
  const ua = navigator.userAgent;
  const m = /\(([^)]+)\)/.exec(ua);
  return (m ? m[1] : ua).slice(0, 100);
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signInSubmit(ctx) {
  const form = await ctx.form();
  const username = (form.get("username") || "").trim();
  const password = form.get("password") || "";
  const again = ctx.query.has("again");
  /** @type {Record<string, string>} */
  const errors = {};
  if (!username) errors.username = t("Enter your user name.");
  if (!password) errors.password = t("Enter your password.");
  /** @param {Record<string, string>} errs @param {string} [message] */
  const fail = async (errs, message) => ({
    title: t("Sign in"),
    main: signIn({ values: { username }, errors: errs, again, waiting: await waiting(), message }),
  });
  if (Object.keys(errors).length) return fail(errors);

  const idTx = await begin("readonly");
  const { clientId } = await clientIdFor(idTx, username);
  await idTx.done;

  let res;
  try {
    res = await fetch("/api/v1/devices", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password, client_id: clientId, name: deviceName() }),
      cache: "no-store",
      signal: AbortSignal.timeout(20000),
    });
  } catch {
    return fail({}, t("No connection. Signing in needs the network once; try again when online."));
  }
  const body = await res.json().catch(() => null);
  if (res.status === 401) return fail({}, t("Wrong user name or password."));
  if (res.status === 429) return fail({}, t("Too many failed sign-ins. Wait a minute and try again."));
  if (res.status === 403 && body && body.code === "client_not_yours") {
    return fail({}, t("This phone's records belong to another person. Ask the office to check this phone."));
  }
  if (res.status !== 201 || !body) {
    return fail({}, t("The server could not sign you in ({status}). Try again.", { status: res.status }));
  }

  const now = new Date(ctx.now).toISOString();
  await inTx(
    "readwrite",
    async (tx) => {
      await rememberClient(tx, username, clientId);
      const client = (await getClient(tx, clientId)) || newClient(clientId, body.user);
      if ((await replicaOwner(tx)) !== clientId) {
        // another person's server records: start this person's replica from nothing
        await tx.clearReplica();
        client.cookie = null;
        client.synced_once = false;
        await setReplicaOwner(tx, clientId);
      }
      await putClient(tx, { ...client, user: body.user });
      await putSession(tx, {
        client_id: clientId,
        user: body.user,
        token: body.token,
        device_id: body.device_id,
        spaces: body.spaces,
        paused: null,
        signed_in_at: now,
      });
    },
    "strict",
  );
  ctx.waitUntil(requestSync({ force: true }));
  return { title: t("Preparing offline data"), main: progress({ total: 0, sent: 0, phase: "push", error: "", done: false }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function progressScreen(ctx) {
  const tx = await begin("readonly");
  const session = await getSession(tx);
  const client = session ? await getClient(tx, session.client_id) : undefined;
  await tx.done;
  const done = Boolean(client && client.synced_once);
  // the worker may have been stopped mid-download: carry on (the cookie keeps the place)
  if (session && !done && !isSyncing() && syncProgress.phase !== "error") {
    ctx.waitUntil(requestSync());
  }
  if (done) {
    // signed in and synced: the domains' own steps (the desk's device key), synced before
    // the home screen (nothing left waiting from the sign-in itself); a paused session's
    // wait for the person to sign in again
    if (session && !session.paused && (await signedIn(session))) await requestSync({ force: true });
    return { title: "", main: progress({ ...syncProgress, done }), redirect: "/m/" };
  }
  return { title: t("Preparing offline data"), main: progress({ ...syncProgress, done }) };
}

/** @param {Ctx} ctx @returns {Promise<Screen>} */
export async function signOutScreen(ctx) {
  const tx = await begin("readonly");
  const pending = ctx.session ? await tx.pendingCount(ctx.session.client_id) : 0;
  await tx.done;
  return {
    title: t("Sign out"),
    main: signOut({ pending, name: ctx.session ? ctx.session.user.display_name : "" }),
  };
}

/** Signing out keeps the outbox (and the replica) on the phone; only the token goes. */
export async function signOutSubmit() {
  await inTx("readwrite", (tx) => endSession(tx), "strict");
  return { title: t("Sign in"), main: signIn({ values: {}, errors: {}, again: false, waiting: [] }), redirect: "/m/signin" };
}
