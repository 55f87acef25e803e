// @ts-check
/**
 * Translations for the service worker's views. The catalogs are the server's own gettext
 * catalogs (web/locale/<lang>/LC_MESSAGES/*.po, merged) exported as JSON at
 * /i18n/<lang>.json and precached; message ids are the English text. Mark every visible
 * string as t(...) with the English text — tests/unit/test_i18n.py finds them and fails on a missing
 * translation.
 */

/** @type {Record<string, Record<string, string>>} */
const catalogs = {};
/** @type {Record<string, string>} */
let current = {};
let currentLanguage = "zh_Hant";

/** BCP 47 tags for `lang` attributes and Intl. */
export const HTML_LANG = /** @type {Record<string, string>} */ ({ zh_Hant: "zh-Hant", en: "en" });
export const LANGUAGE_NAMES = /** @type {Record<string, string>} */ ({
  zh_Hant: "繁體中文",
  en: "English",
});

/**
 * Make `language` current, loading its catalog (precache first, network as fallback).
 * @param {string} language
 * @param {string} url
 */
export async function useLanguage(language, url) {
  if (!catalogs[language]) {
    const res = (await caches.match(url)) || (await fetch(url));
    catalogs[language] = res.ok ? await res.json() : {};
  }
  current = catalogs[language];
  currentLanguage = language;
}

export function language() {
  return currentLanguage;
}

export function htmlLang() {
  return HTML_LANG[currentLanguage] || "zh-Hant";
}

/**
 * The translation of `message` with `{name}` placeholders filled from `params`.
 * @param {string} message
 * @param {Record<string, unknown>} [params]
 */
export function t(message, params) {
  const text = current[message] || message;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}
