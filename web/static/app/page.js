// @ts-check
/**
 * The page's bootstrap (no inline script anywhere: CSP). It
 *  - registers the service worker (a module worker at /sw.js, scope /), and on a first visit
 *    (the server's "preparing offline data" shell) reloads once the worker controls the page,
 *    so that from then on the worker answers every /m/ request;
 *  - after an update takes over, reloads when nothing is being typed (else offers a button);
 *  - relays the worker's messages: "synced"/"status" events on <body> that the screens'
 *    hx-trigger="synced from:body" listen to;
 *  - tells the worker when the page is visible or back online, and ticks every 30 s;
 *  - draws signatures (pointer events on <canvas>) and downscales photos, posting PNG/JPEG
 *    blobs to the worker (/m/blobs) and putting their SHA-256 into the form;
 *  - imports a screen's page-side module when it is shown (the patrol camera, a pass's QR);
 *  - records a performance measure per htmx request (tap → swapped and settled).
 */
(() => {
  const sw = navigator.serviceWorker;
  const body = document.body;
  const boot = body.hasAttribute("data-boot");
  // this script's URL: the page-side modules share its folder (/v/<hash>/app/)
  const src = /** @type {HTMLScriptElement} */ (document.currentScript).src;
  /** @type {any} */
  const htmx = /** @type {any} */ (window).htmx;

  /** @param {Record<string, unknown>} message */
  function tell(message) {
    if (sw && sw.controller) sw.controller.postMessage(message);
  }

  // --- the service worker ---------------------------------------------------------------

  if (!sw) {
    const el = document.getElementById("boot-error");
    if (el) {
      el.hidden = false;
      el.textContent = el.getAttribute("data-nosw") || "";
    }
    return;
  }
  let controlled = Boolean(sw.controller);
  // The worker carries the phone code of the domains of the people signed in on this phone
  // (server/app_shell/domain_sets.py); it says which after a sign-in ("domains" below).
  const DOMAINS_KEY = "caretaker.domains";
  /** @param {string[]} domains */
  const workerUrl = (domains) => `/sw.js?d=${domains.join(",")}`;
  /** @param {string} url */
  const register = (url) => sw.register(url, { type: "module", scope: "/", updateViaCache: "imports" });
  const stored = localStorage.getItem(DOMAINS_KEY);
  register(stored !== null ? workerUrl(stored.split(",").filter(Boolean))
    : sw.controller ? sw.controller.scriptURL : workerUrl([]))
    .then((reg) => {
      // look for a new deploy now and then while the app stays open
      setInterval(() => reg.update().catch(() => undefined), 60 * 60 * 1000);
    })
    .catch((err) => {
      const el = document.getElementById("boot-error");
      if (el) {
        el.hidden = false;
        el.textContent = `${el.getAttribute("data-failed") || ""} ${err}`;
      }
    });
  // the outbox is the only copy of offline work: ask the browser not to evict it
  sw.ready.then(() => {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => false);
  });
  if (boot) {
    // a hard reload bypasses an active worker: ask it to take this page
    sw.ready.then((reg) => {
      if (!sw.controller && reg.active) reg.active.postMessage({ type: "claim" });
    });
  }
  /** The worker of this phone's domains is being installed (after a sign-in): when it
   * takes over, carry on with it (the old worker left the first sync to it). */
  let switching = false;
  sw.addEventListener("controllerchange", () => {
    if (switching) {
      location.replace("/m/sync/progress");
      return;
    }
    if (boot || !controlled) {
      controlled = true;
      location.reload();
      return;
    }
    if (!document.querySelector("form[data-dirty]")) {
      location.reload();
    } else {
      const bar = document.getElementById("update-ready");
      if (bar) bar.hidden = false;
    }
  });
  document.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target.closest && target.closest("[data-reload]")) location.reload();
  });

  sw.addEventListener("message", (event) => {
    const data = event.data || {};
    if (!htmx) return;
    if (data.type === "synced") {
      htmx.trigger(body, "status");
      if (data.changed) htmx.trigger(body, "synced");
    } else if (data.type === "progress") {
      htmx.trigger(body, "status");
    } else if (data.type === "domains" && Array.isArray(data.domains)) {
      const list = data.domains.join(",");
      const mine = sw.controller ? new URL(sw.controller.scriptURL).searchParams.get("d") : null;
      localStorage.setItem(DOMAINS_KEY, list);
      if (mine !== list) {
        switching = true;
        // A worker takes over only from an idle one: a screen that polls it (the first
        // sync's progress, every 400 ms) would keep it busy on a slow phone. Hold such
        // screens still until the new worker has taken over (then the page moves on).
        document.querySelectorAll("[hx-trigger^='every']").forEach((el) => {
          const still = /** @type {HTMLElement} */ (el.cloneNode(true));
          still.removeAttribute("hx-trigger");
          el.replaceWith(still);
        });
        register(workerUrl(data.domains)).catch(() => { switching = false; });
      }
    } else if (data.type === "update-required") {
      // the server wants a newer app: fetch it now (the outbox waits for it)
      sw.getRegistration().then((reg) => reg && reg.update()).catch(() => undefined);
    }
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") tell({ type: "visible" });
  });
  window.addEventListener("online", () => tell({ type: "online" }));
  setInterval(() => {
    if (document.visibilityState === "visible") tell({ type: "tick" });
  }, 30000);
  if (!boot) tell({ type: "visible" });

  // --- forms ----------------------------------------------------------------------------

  document.addEventListener("input", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const form = target && target.closest ? target.closest("form") : null;
    if (form && form.method === "post") form.setAttribute("data-dirty", "");
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const el = /** @type {HTMLElement} */ (event.target);
    if (el && el.tagName === "FORM") el.removeAttribute("data-dirty");
  });

  document.addEventListener("change", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target instanceof HTMLInputElement && target.hasAttribute("data-photo-for")) {
      addPhotos(target);
    }
  });

  // a receipt's "Print" (the card issue form: app.css prints it alone)
  document.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target && target.closest && target.closest("[data-print]")) window.print();
  });

  // --- blobs ----------------------------------------------------------------------------

  /** @param {Blob} blob @returns {Promise<string>} */
  async function storeBlob(blob) {
    const res = await fetch("/m/blobs", {
      method: "POST",
      body: blob,
      headers: { "Content-Type": blob.type },
    });
    if (!res.ok) throw new Error(`blob not stored: ${res.status}`);
    return (await res.json()).sha256;
  }

  /** Work a form must wait for before it is sent (a signature or photo being stored).
   * @type {WeakMap<HTMLFormElement, Promise<unknown>>} */
  const busy = new WeakMap();
  /** @param {HTMLFormElement | null} form @param {Promise<unknown>} p */
  function hold(form, p) {
    if (!form) return;
    const all = Promise.all([busy.get(form), p]).catch(() => undefined);
    busy.set(form, all);
    all.then(() => {
      if (busy.get(form) === all) busy.delete(form);
    });
  }
  document.addEventListener(
    "submit",
    (event) => {
      const form = /** @type {HTMLFormElement} */ (event.target);
      const pending = busy.get(form);
      if (!pending) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      pending.then(() => form.requestSubmit());
    },
    true,
  );

  // --- signature pad --------------------------------------------------------------------

  /** @param {HTMLCanvasElement} canvas */
  function signaturePad(canvas) {
    if (canvas.hasAttribute("data-ready")) return;
    canvas.setAttribute("data-ready", "");
    const form = canvas.closest("form");
    const name = canvas.getAttribute("data-signature-for") || "";
    const hidden = /** @type {HTMLInputElement | null} */ (
      form ? form.querySelector(`input[name="${name}"]`) : null
    );
    const state = form ? form.querySelector("[data-signature-state]") : null;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    const ratio = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
    const width = canvas.clientWidth || 300;
    const height = canvas.clientHeight || 160;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.scale(ratio, ratio);
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#15202b";
    let drawing = false;
    let marked = false;
    const image = canvas.getAttribute("data-image");
    if (image) {
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0, width, height);
      img.src = image;
      marked = true;
    }
    /** @param {PointerEvent} e */
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      const [x, y] = point(e);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.1, y + 0.1);
      ctx.stroke();
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = point(e);
      ctx.lineTo(x, y);
      ctx.stroke();
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      marked = true;
      if (form) form.setAttribute("data-dirty", "");
      const done = new Promise((resolve) => canvas.toBlob(resolve, "image/png"))
        .then((blob) => storeBlob(/** @type {Blob} */ (blob)))
        .then((sha) => {
          if (hidden && marked) hidden.value = sha;
          if (state) state.textContent = state.getAttribute("data-signed") || "✓";
        });
      hold(form, done);
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
    const clear = form ? form.querySelector(`[data-signature-clear="${name}"]`) : null;
    if (clear) {
      clear.addEventListener("click", () => {
        ctx.clearRect(0, 0, width, height);
        marked = false;
        if (hidden) hidden.value = "";
        if (state) state.textContent = "";
      });
    }
  }

  // --- photos: downscaled on the phone (≤ 1280 px, JPEG 0.8) -------------------------------

  const MAX_SIDE = 1280;

  /** @param {File} file @returns {Promise<Blob>} */
  async function downscale(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    ctx.drawImage(bitmap, 0, 0, w, h);
    bitmap.close();
    return new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no JPEG"))), "image/jpeg", 0.8),
    );
  }

  /** @param {HTMLInputElement} input */
  function addPhotos(input) {
    const form = input.closest("form");
    const name = input.getAttribute("data-photo-for") || "";
    const hidden = /** @type {HTMLInputElement | null} */ (
      form ? form.querySelector(`input[type="hidden"][name="${name}"]`) : null
    );
    const previews = form ? form.querySelector("[data-photo-previews]") : null;
    const files = Array.from(input.files || []);
    const work = Promise.all(
      files.map(async (file) => {
        const sha = await storeBlob(await downscale(file));
        if (hidden) hidden.value = [...hidden.value.split(",").filter(Boolean), sha].join(",");
        if (previews) {
          const img = document.createElement("img");
          img.className = "thumb";
          img.src = `/m/blobs/${sha}`;
          img.alt = input.getAttribute("data-photo-alt") || "";
          previews.appendChild(img);
        }
      }),
    ).then(() => {
      input.value = "";
    });
    hold(form, work);
  }

  // --- wiring for swapped content -------------------------------------------------------

  /** @param {Element} root */
  function init(root) {
    root.querySelectorAll("canvas[data-signature-for]").forEach((c) =>
      signaturePad(/** @type {HTMLCanvasElement} */ (c)),
    );
    // a screen's own page-side module (the patrol camera): imported when shown (the root
    // itself may be it: htmx loads each top-level element of a swap)
    const modules = [...root.querySelectorAll("[data-module]")];
    if (root.matches && root.matches("[data-module]")) modules.push(root);
    modules.forEach((el) => {
      const src = el.getAttribute("data-module") || "";
      if (src.startsWith("/v/")) import(src).then((m) => m.mount(el)).catch(() => undefined);
    });
    // a goods-out pass's QR code (desk/qr.js, loaded when a pass is shown)
    if (root.querySelector("[data-pass-qr]") || (root.matches && root.matches("[data-pass-qr]"))) {
      import(new URL("desk/qr.js", src).href).then((m) => m.mount(root)).catch(() => undefined);
    }
    const summary = root.querySelector("#form-errors");
    if (summary instanceof HTMLElement) summary.focus();
  }
  if (htmx) htmx.onLoad(init);
  else init(document.body);

  // --- timing: tap → response swapped and settled ---------------------------------------

  /** @type {WeakMap<object, number>} */
  const sent = new WeakMap();
  /** @type {WeakSet<object>} */
  const measured = new WeakSet();
  document.addEventListener("htmx:beforeRequest", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail || {};
    if (detail.requestConfig) sent.set(detail.requestConfig, performance.now());
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail || {};
    const cfg = detail.requestConfig;
    if (!cfg || !detail.pathInfo || measured.has(cfg)) return; // once, not per OOB swap
    measured.add(cfg);
    const what = `${cfg.verb} ${detail.pathInfo.requestPath}`;
    const end = performance.now();
    try {
      // "tap": from the event that triggered the request (a tap, a keystroke before the
      // debounce); "req": from the request leaving the page
      if (cfg.triggeringEvent) performance.measure(`tap ${what}`, { start: cfg.triggeringEvent.timeStamp, end });
      const start = sent.get(cfg);
      if (start !== undefined) performance.measure(`req ${what}`, { start, end });
    } catch {
      /* older browsers: no measure options */
    }
  });
})();
