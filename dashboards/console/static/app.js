// The console shell: API token sign-in (kept in this tab's sessionStorage;
// a crew's phone keeps it in localStorage so its offline queue survives a
// restart), the API client, hash routing, the language switch, and the live
// alarm feed every page can listen to.
import { LANGS, fmtTime, label, loadLocale, setCityClock, setLang, setTimeZone, t } from './i18n.js';
import { renderSignIn } from './pages/signin.js';
import { renderMap } from './pages/map.js';
import { renderAlarms } from './pages/alarms.js';
import { renderCases } from './pages/cases.js';
import { renderDevice } from './pages/device.js';
import { renderRules } from './pages/rules.js';
import { renderKpis } from './pages/kpis.js';
import { renderSilences } from './pages/silences.js';
import { renderCrew, renderCrewCase } from './pages/crew.js';
import { renderInspector } from './pages/inspector.js';

const TOKEN_KEY = 'tz-console-token';
/** A crew phone's last session and config, so the installed app opens offline. */
const SESSION_KEY = 'tz-console-session';

export const ctx = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY),
  session: null,
  config: null,
  /** Fires 'alarm' CustomEvents (detail = AlarmEvent) from the live feed. */
  alarms: new EventTarget(),
  /** Cleanup of the page being left (timers, charts, maps). */
  leave: [],
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.problems = body && body.problems;
  }
}

/** fetch with the bearer token; JSON in and out; errors carry the API's {code, message}. */
export async function api(path, { method = 'GET', body, query, headers = {} } = {}) {
  const base = path.startsWith('/console/') ? '' : (ctx.config?.apiBase ?? '');
  const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''))}` : '';
  const res = await fetch(`${base}${path}${qs}`, {
    method,
    headers: { authorization: `Bearer ${ctx.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 200) }; }
  if (res.status === 401) { signOut(t('signin.refused')); throw new ApiError(401, data); }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function notify(message, kind = 'info') {
  const box = document.getElementById('notice');
  box.innerHTML = '';
  if (!message) return;
  const div = el('div', { class: kind, 'data-testid': `notice-${kind}` }, message);
  box.append(div);
  if (kind === 'info') setTimeout(() => div.remove(), 4000);
}

/** Tiny DOM builder: el('button', {class: 'x', onclick}, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

export const can = (...roles) => ctx.session && (ctx.session.role === 'admin' || roles.includes(ctx.session.role));
export { fmtTime, label, t };

export function fmtDuration(ms) {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return `${sign}${d ? `${t('duration.days', { n: d })} ` : ''}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(SESSION_KEY);
  ctx.token = null;
  ctx.session = null;
  stopFeed();
  location.hash = '#/signin';
  if (message) notify(message, 'error');
}

export async function signIn(token) {
  ctx.token = token;
  const session = await api('/console/api/session');
  ctx.session = session;
  ctx.config = await api('/console/api/config');
  setTimeZone(ctx.config.timeZone);
  setCityClock(ctx.config.clock);
  sessionStorage.setItem(TOKEN_KEY, token);
  if (session.role === 'crew') {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(SESSION_KEY, JSON.stringify({ token, session, config: ctx.config }));
  }
  startFeed();
  return session;
}

// Live alarm feed: server-sent events when the service has a feed, else polling.
let source = null;
let poller = null;
let lastSeen = new Map();
function startFeed() {
  stopFeed();
  if (ctx.config?.liveFeed && 'EventSource' in window) {
    source = new EventSource(`/console/api/alarms/stream?access_token=${encodeURIComponent(ctx.token)}`);
    source.addEventListener('alarm', (e) => ctx.alarms.dispatchEvent(new CustomEvent('alarm', { detail: JSON.parse(e.data) })));
    source.onerror = () => { if (source && source.readyState === EventSource.CLOSED) pollFeed(); };
  } else {
    pollFeed();
  }
  refreshBadge();
}
function pollFeed() {
  const tick = async () => {
    try {
      const { alarms } = await api('/api/v1/alarms', { query: { state: 'open', limit: 500 } });
      for (const a of alarms) {
        if (lastSeen.get(a.id) !== a.updatedAt) ctx.alarms.dispatchEvent(new CustomEvent('alarm', { detail: { type: 'updated', alarm: a } }));
        lastSeen.set(a.id, a.updatedAt);
      }
    } catch { /* shown by the pages that need it */ }
  };
  clearInterval(poller);
  poller = setInterval(tick, 10_000);
}
function stopFeed() {
  source?.close();
  source = null;
  clearInterval(poller);
  lastSeen = new Map();
}
async function refreshBadge() {
  if (!ctx.token) return;
  try {
    const { alarms } = await api('/api/v1/alarms', { query: { state: 'active', limit: 1000 } });
    const badge = document.getElementById('alarm-badge');
    badge.textContent = String(alarms.length);
    badge.hidden = alarms.length === 0;
  } catch { /* badge stays as it was */ }
}
ctx.alarms.addEventListener('alarm', () => refreshBadge());

const routes = [
  [/^#\/map$/, renderMap],
  [/^#\/alarms$/, renderAlarms],
  [/^#\/cases$/, renderCases],
  [/^#\/device\/([^/]+)$/, renderDevice],
  [/^#\/rules(?:\/([^/]+))?$/, renderRules],
  [/^#\/kpis$/, renderKpis],
  [/^#\/silences$/, renderSilences],
  [/^#\/crew$/, renderCrew],
  [/^#\/crew\/(\d+)$/, renderCrewCase],
  [/^#\/inspector$/, renderInspector],
];

/** Where a role lands after signing in: the crew's phone view, or the map. */
export const homeOf = (session) => (session?.role === 'crew' ? '#/crew' : session?.role === 'inspector' ? '#/inspector' : '#/map');

let generation = 0;
async function route() {
  const mine = ++generation;
  for (const fn of ctx.leave.splice(0)) { try { fn(); } catch { /* page already gone */ } }
  // Each route renders into a container of its own: a render still awaiting
  // the network when the next route runs fills a detached container, never
  // the page now shown (two renders of one page made duplicate controls).
  const view = document.createElement('div');
  view.className = 'route';
  document.getElementById('view').replaceChildren(view);
  const signedIn = Boolean(ctx.session);
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('who').textContent = signedIn ? `${ctx.session.name} · ${label('role', ctx.session.role)}${ctx.session.crewId ? ` · ${ctx.session.crewId}` : ''}` : '';
  document.body.classList.toggle('crew-mode', signedIn && ctx.session.role === 'crew');
  if (!signedIn) {
    if (location.hash !== '#/signin') { location.hash = '#/signin'; return; }
    return renderSignIn(view);
  }
  const hash = location.hash === '#/signin' || !location.hash ? homeOf(ctx.session) : location.hash;
  if (hash !== location.hash) { location.hash = hash; return; }
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  // Pages only some roles work in (data-roles); admin sees them all.
  for (const a of document.querySelectorAll('#nav a[data-roles]')) a.hidden = !can(...a.dataset.roles.split(' '));
  for (const [pattern, render] of routes) {
    const m = pattern.exec(hash);
    if (m) {
      try { await render(view, ...m.slice(1).map((x) => (x === undefined ? undefined : decodeURIComponent(x)))); }
      // A page left while it was still loading may fail on its way out: not worth an error.
      catch (err) { if (mine === generation) notify(t('page.loadFailed', { message: err.message }), 'error'); }
      return;
    }
  }
  view.append(el('p', {}, t('page.none')));
}

document.getElementById('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);

const langPick = document.getElementById('lang');
langPick.addEventListener('change', async () => {
  await setLang(langPick.value);
  route();
});

(async () => {
  await loadLocale();
  langPick.innerHTML = '';
  for (const code of LANGS) langPick.append(el('option', { value: code, selected: code === document.documentElement.lang }, t(`lang.${code}`)));
  if (ctx.token) {
    try { await signIn(ctx.token); } catch (err) {
      if (err instanceof ApiError) { sessionStorage.removeItem(TOKEN_KEY); localStorage.removeItem(TOKEN_KEY); ctx.token = null; }
      else offlineSession();
    }
  }
  route();
})();

// The installable app shell (manifest + service worker); the API is never cached.
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/console/sw.js', { scope: '/console/' }).catch(() => {});

/** No network at start: a crew phone carries on with its last session (its queue and copies of its cases). */
function offlineSession() {
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null'); } catch { saved = null; }
  if (!saved || saved.token !== ctx.token) return;
  ctx.session = saved.session;
  ctx.config = saved.config;
  setTimeZone(ctx.config?.timeZone);
}

export function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}
