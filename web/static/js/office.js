// @ts-check
// Office pages: behaviour that would otherwise need inline script (blocked by our CSP).
// Confirm buttons: <button data-confirm="message">.
document.addEventListener("click", (event) => {
  const target = /** @type {HTMLElement | null} */ (event.target);
  const el = target && target.closest ? target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm") || "")) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
