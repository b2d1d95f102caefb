// What people read comes from a locale file (locales/zh-CN.json, en.json),
// never from code. zh-CN is the default; the choice is per browser (this
// console has no user preference store), remembered in localStorage. Times
// show in the city's time zone (the service's config, default Asia/Shanghai).

export const LANGS = ['zh-CN', 'en'];
const LANG_KEY = 'tz-console-lang';
const DEFAULT_ZONE = 'Asia/Shanghai';

let lang = LANGS.includes(localStorage.getItem(LANG_KEY)) ? localStorage.getItem(LANG_KEY) : LANGS[0];
let messages = {};
let zone = DEFAULT_ZONE;

export const currentLang = () => lang;

/** Loads the locale file of the chosen language (before the first render). */
export async function loadLocale(next = lang) {
  const res = await fetch(`/console/locales/${next}.json`);
  messages = await res.json();
  lang = next;
  document.documentElement.lang = lang;
  document.title = t('app.title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
}

export async function setLang(next) {
  localStorage.setItem(LANG_KEY, next);
  await loadLocale(next);
}

export function setTimeZone(next) {
  zone = next || DEFAULT_ZONE;
}

// The console's "now": the browser's clock, or a compressed run's city time
// (npm start --sim-clock) extrapolated from the server's at its speed, so SLA
// countdowns and default date ranges read the same time as the services.
let cityClock = null;

/** `{ now, speed }` from /console/api/config, or null for the wall clock. */
export function setCityClock(clock) {
  cityClock = clock && Number.isFinite(clock.now) && clock.speed > 0 ? { serverNow: clock.now, at: Date.now(), speed: clock.speed } : null;
}

export function cityNow() {
  return cityClock ? cityClock.serverNow + (Date.now() - cityClock.at) * cityClock.speed : Date.now();
}

/** The message for `key` with {name} placeholders filled; the key itself when missing (a test keeps the files complete). */
export function t(key, params = {}) {
  const text = messages[key];
  if (typeof text !== 'string') return key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params[name] === undefined || params[name] === null ? m : String(params[name])));
}

/** A label for a code (case status, category, severity, device class, metric…); falls back to `fallback` or the code. */
export function label(kind, code, fallback) {
  if (code === null || code === undefined || code === '') return '—';
  const key = `${kind}.${code}`;
  return typeof messages[key] === 'string' ? messages[key] : (fallback ?? String(code));
}

export const has = (key) => typeof messages[key] === 'string';

const formatters = new Map();
function formatter(opts) {
  const id = `${lang}|${zone}|${JSON.stringify(opts)}`;
  if (!formatters.has(id)) formatters.set(id, new Intl.DateTimeFormat(lang, { timeZone: zone, ...opts }));
  return formatters.get(id);
}

/** 2026年12月3日 14:05 (zh-CN) / Dec 3, 2026, 14:05 (en), in the city's time zone. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return formatter({ year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

/** Wall-clock parts of `ms` in the city's zone. */
function wallParts(ms) {
  const parts = Object.fromEntries(formatter({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms)).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
  return parts;
}

/** `YYYY-MM-DDTHH:MM` for a datetime-local input, in the city's zone. */
export function toCityInput(ms) {
  const p = wallParts(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

/** A datetime-local value read as the city's wall-clock time → epoch ms. */
export function fromCityInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return NaN;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // The zone's offset at that instant; twice, in case the first guess crossed a DST change.
  let guess = wall;
  for (let i = 0; i < 2; i += 1) {
    const p = wallParts(guess);
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess = wall - (seen - guess);
  }
  return guess;
}
