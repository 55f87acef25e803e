// @ts-check
/**
 * A goods-out pass's QR code on the screen and on paper — runs in the PAGE (page.js imports
 * it when a screen shows an element `[data-pass-qr]`), not in the worker, and is not part of
 * the shell: the worker keeps it and the vendored generator (lean-qr, plain JavaScript) in a
 * cache of their own on the phones that issue passes (desk/passcode.js), so it works offline.
 *
 * Every `[data-pass-qr]` element (its value: the pass's QR text) gets an SVG QR code: error
 * correction M at least, a quiet zone of 4 modules, as wide as the screen allows up to 3 or
 * more pixels per module (sharp enough to photograph from the screen, or print: the print
 * style hides everything marked `.no-print`). Its `data-label` becomes the image's accessible
 * name (without one the image is hidden from screen readers: the pass is written beside it).
 */

const LIB = new URL("../../vendor/lean-qr/lean-qr.js", import.meta.url).href;
const QUIET = 4;
const TARGET_PX = 320;
const SVG = "http://www.w3.org/2000/svg";

/** @typedef {{size: number, get: (x: number, y: number) => boolean}} Matrix
 * @typedef {{generate: (text: string, o?: {minCorrectionLevel?: number}) => Matrix,
 *   correction: Record<string, number>}} LeanQr */

/** The dark modules as one path: a rectangle per run of a row. @param {Matrix} m */
function path(m) {
  let d = "";
  for (let y = 0; y < m.size; y++) {
    for (let x = 0; x < m.size; x++) {
      if (!m.get(x, y)) continue;
      let run = 1;
      while (x + run < m.size && m.get(x + run, y)) run++;
      d += `M${x + QUIET} ${y + QUIET}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return d;
}

/** @param {Element} el @param {LeanQr} lib */
function draw(el, lib) {
  const text = el.getAttribute("data-pass-qr") || "";
  if (!text || el.getAttribute("data-drawn") === text) return;
  const m = lib.generate(text, { minCorrectionLevel: lib.correction.M });
  const n = m.size + 2 * QUIET;
  const label = el.getAttribute("data-label");
  const svg = document.createElementNS(SVG, "svg");
  /** @type {Record<string, string>} */
  const a = { viewBox: `0 0 ${n} ${n}`, width: "100%", "shape-rendering": "crispEdges",
    ...(label ? { role: "img", "aria-label": label } : { "aria-hidden": "true" }) };
  for (const [k, v] of Object.entries(a)) svg.setAttribute(k, v);
  // as wide as the screen allows, at most whole pixels per module (CSSOM: the CSP allows it)
  svg.style.maxWidth = `${n * Math.max(3, Math.floor(TARGET_PX / n))}px`;
  const light = document.createElementNS(SVG, "rect");
  light.setAttribute("width", String(n));
  light.setAttribute("height", String(n));
  light.setAttribute("fill", "#fff");
  const dark = document.createElementNS(SVG, "path");
  dark.setAttribute("d", path(m));
  dark.setAttribute("fill", "#000");
  svg.append(light, dark);
  el.replaceChildren(svg);
  el.setAttribute("data-drawn", text);
}

/** Draw every pass QR code in `root` (and `root` itself when it is one).
 * @param {Element} root */
export async function mount(root) {
  const els = [...root.querySelectorAll("[data-pass-qr]")];
  if (root.matches("[data-pass-qr]")) els.push(root);
  if (!els.length) return;
  /** @type {LeanQr} */
  const lib = await import(LIB);
  els.forEach((el) => draw(el, lib));
}
