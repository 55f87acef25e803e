// @ts-check
/**
 * The camera on the scan screen — runs in the PAGE (page.js imports it when a
 * `[data-module]` scanner is shown), not in the worker, and is not part of the shell. The
 * gate's pass scanner (desk/gate_views.js) uses it too: its form gets the QR text.
 *
 * getUserMedia into a <video>; every ~150 ms a frame is drawn on a canvas (≤ 640 px wide)
 * and decoded: with `BarcodeDetector` where the browser has one, else with the vendored
 * jsQR (plain JavaScript, no eval, no WebAssembly), imported only now. A decoded QR is the
 * checkpoint's token: it goes into the screen's scan form, which posts to the worker (the
 * worker saves the scan before it answers). Web NFC (`NDEFReader`) adds "Tap NFC tag" where
 * the phone has it. No camera or permission refused: the message, and the typed code.
 * Performance measures: "patrol jsqr decode" per frame, "patrol scan -> screen" from the
 * decode to the checkpoint screen settled.
 */

const FRAME_MS = 150;
const MAX_WIDTH = 640;
const MEASURED_FRAMES = 50;
const JSQR_URL = new URL("../../vendor/jsqr/jsQR.js", import.meta.url).href;

/** @typedef {(data: Uint8ClampedArray, w: number, h: number, o?: object) => ({data: string} | null)} JsQR */

/** @returns {Promise<(source: HTMLCanvasElement, ctx: CanvasRenderingContext2D) => Promise<string>>} */
async function decoder() {
  const w = /** @type {any} */ (window);
  if ("BarcodeDetector" in w) {
    const formats = await w.BarcodeDetector.getSupportedFormats().catch(() => []);
    if (formats.includes("qr_code")) {
      const detector = new w.BarcodeDetector({ formats: ["qr_code"] });
      return async (canvas) => {
        const found = await detector.detect(canvas);
        return found.length ? String(found[0].rawValue || "") : "";
      };
    }
  }
  await import(JSQR_URL); // the UMD build sets window.jsQR
  /** @type {JsQR} */
  const jsQR = w.jsQR;
  let measured = 0; // the first frames only: a screen left open must not pile entries up
  return async (canvas, ctx) => {
    const t0 = performance.now();
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (measured++ < MEASURED_FRAMES) {
      performance.measure("patrol jsqr decode", { start: t0, end: performance.now() });
    }
    return code ? code.data : "";
  };
}

/** @param {HTMLElement} root @param {string} token @param {string} method */
function submit(root, token, method) {
  const form = /** @type {HTMLFormElement | null} */ (document.getElementById(root.dataset.form || ""));
  if (!form) return;
  /** @type {HTMLInputElement} */ (form.elements.namedItem("token")).value = token;
  /** @type {HTMLInputElement} */ (form.elements.namedItem("method")).value = method;
  const decoded = performance.now();
  document.body.addEventListener("htmx:afterSettle", () => {
    if (document.getElementById("checkpoint")) performance.measure("patrol scan -> screen", { start: decoded, end: performance.now() });
  }, { once: true });
  form.requestSubmit();
}

/** @param {HTMLElement} root @param {string} text */
function say(root, text) {
  const state = root.querySelector("[data-scan-state]");
  if (state) state.textContent = text;
}

/** No camera: say so and hand over to the typed code. @param {HTMLElement} root */
function noCamera(root) {
  root.classList.add("is-off");
  say(root, root.dataset.nocamera || "");
  const state = root.querySelector("[data-scan-state]");
  if (state) state.classList.add("alert");
  const video = root.querySelector("video");
  if (video) video.hidden = true;
  const code = document.getElementById("f-code");
  if (code) code.focus();
}

/** "Tap NFC tag": one reader per scan screen, aborted when the screen goes (else it would
 * stay on, and send a tag read on a later screen, once per reader). Only where the screen
 * offers it (its label: the gate's pass scanner reads QR codes only).
 * @param {HTMLElement} root @param {AbortSignal} signal */
function offerNfc(root, signal) {
  const w = /** @type {any} */ (window);
  if (!("NDEFReader" in w) || !root.dataset.nfcLabel) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "big";
  button.textContent = root.dataset.nfcLabel || "NFC";
  /** @type {any} */
  let reader = null;
  button.addEventListener("click", async () => {
    if (reader) return;
    try {
      reader = new w.NDEFReader();
      reader.addEventListener("reading", (/** @type {any} */ event) => {
        const rec = (event.message.records || []).find((/** @type {any} */ r) => r.recordType === "text");
        if (!rec || signal.aborted || !root.isConnected) return;
        const text = new TextDecoder(rec.encoding || "utf-8").decode(rec.data).trim();
        if (text) submit(root, text, "nfc");
      });
      await reader.scan({ signal });
      say(root, root.dataset.nfcReady || "");
    } catch (err) {
      reader = null;
      if (!signal.aborted) say(root, root.dataset.nfcError || String(err));
    }
  });
  signal.addEventListener("abort", () => button.remove());
  root.appendChild(button);
}

/** Open the camera in `root` and scan until a code is read or the screen goes away.
 * @param {HTMLElement} root */
export async function mount(root) {
  // the screen is gone (swapped, or the page left): NFC and the camera stop
  const gone = new AbortController();
  const watch = setInterval(() => {
    if (!root.isConnected) gone.abort();
  }, 500);
  gone.signal.addEventListener("abort", () => clearInterval(watch));
  window.addEventListener("pagehide", () => gone.abort(), { once: true });
  // the phone locked or the app in the background: the camera stops (the battery at 2 a.m.)
  // and opens again when the screen is back
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "hidden") return;
    gone.abort();
    const back = () => {
      if (document.visibilityState !== "visible") return;
      document.removeEventListener("visibilitychange", back);
      if (root.isConnected) mount(root);
    };
    document.addEventListener("visibilitychange", back);
  }, { signal: gone.signal });
  offerNfc(root, gone.signal);
  const video = /** @type {HTMLVideoElement | null} */ (root.querySelector("video"));
  if (!video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    noCamera(root);
    return;
  }
  /** @type {MediaStream} */
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "environment", width: { ideal: 1280 } }, audio: false });
  } catch {
    noCamera(root);
    return;
  }
  const stop = () => stream.getTracks().forEach((track) => track.stop());
  gone.signal.addEventListener("abort", stop);
  if (gone.signal.aborted || !root.isConnected) {
    stop();
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => undefined);
  say(root, root.dataset.looking || "");
  let decode;
  try {
    decode = await decoder();
  } catch {
    stop();
    noCamera(root);
    return;
  }
  const canvas = document.createElement("canvas");
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  let busy = false;
  const timer = setInterval(async () => {
    if (gone.signal.aborted || !root.isConnected) {
      clearInterval(timer);
      gone.abort();
      return;
    }
    if (busy || video.readyState < 2 || !video.videoWidth) return;
    busy = true;
    try {
      // resized only when the video's size changes: setting a canvas's size reallocates it
      const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      const width = Math.round(video.videoWidth * scale);
      const height = Math.round(video.videoHeight * scale);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const token = (await decode(canvas, ctx)).trim();
      // a label just refused (another site's, retired) is not sent again and again
      if (token && token !== root.dataset.refused && root.isConnected) {
        clearInterval(timer);
        stop();
        submit(root, token, "qr");
      }
    } finally {
      busy = false;
    }
  }, FRAME_MS);
}
