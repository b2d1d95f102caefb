// The crew's outbox on the phone: every action, note and photo is first put
// in IndexedDB with a client-made Idempotency-Key, shown as pending, and sent
// in order; on a flaky network it is retried with backoff (and at once when
// the phone comes back online). The server keeps the key on the audit line,
// so a retry after a lost answer is not done twice, and nothing is lost when
// the page is closed before it was sent.
import { ctx } from './app.js';

const DB = 'tz-crew';
const STORE = 'queue';
const MAX_BACKOFF_MS = 60_000;

/** 'change' whenever the queue changes (detail: the items); 'sent' (detail: {item, data}) when the server took one; 'flushed' after each pass. */
export const queueEvents = new EventTarget();

let dbPromise = null;
function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'key' });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  return dbPromise;
}

async function tx(mode, work) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let result;
    const req = work(store);
    if (req) req.onsuccess = () => { result = req.result; };
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export async function queued() {
  const items = (await tx('readonly', (s) => s.getAll())) ?? [];
  return items.sort((a, b) => a.seq - b.seq);
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function changed() {
  queueEvents.dispatchEvent(new CustomEvent('change', { detail: await queued() }));
}

/**
 * Queues one thing a crew did: {caseId, kind: 'action', action, note?} |
 * {caseId, kind: 'note', note} | {caseId, kind: 'photo', blob, name, caption}.
 */
export async function enqueue(item) {
  const entry = { ...item, key: newKey(), seq: Date.now() * 1000 + (seqBump = (seqBump + 1) % 1000), state: 'pending', attempts: 0, error: null, createdAt: new Date().toISOString() };
  await tx('readwrite', (s) => s.put(entry));
  await changed();
  flush();
  return entry;
}
let seqBump = 0;

export async function discard(key) {
  await tx('readwrite', (s) => s.delete(key));
  await changed();
}

/** Retryable: no answer at all, or the server/proxy is overloaded or down. */
const retryable = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

async function send(item) {
  const headers = { authorization: `Bearer ${ctx.token}`, 'idempotency-key': item.key, accept: 'application/json' };
  let url;
  let body;
  if (item.kind === 'photo') {
    url = `/api/v1/cases/${item.caseId}/photos`;
    body = new FormData();
    body.append('caption', item.caption ?? '');
    body.append('photo', item.blob, item.name || 'photo.jpg');
  } else {
    url = item.kind === 'note' ? `/api/v1/cases/${item.caseId}/notes` : `/api/v1/cases/${item.caseId}/actions/${item.action}`;
    headers['content-type'] = 'application/json';
    body = JSON.stringify(item.kind === 'note' ? { note: item.note } : (item.note ? { note: item.note } : {}));
  }
  const base = ctx.config?.apiBase ?? '';
  try {
    const res = await fetch(`${base}${url}`, { method: 'POST', headers, body });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    return { status: res.status, message: data?.message ?? '', code: data?.code ?? null, data };
  } catch {
    return { status: 0, message: '', code: null, data: null };
  }
}

let running = false;
let again = false;
let timer = null;
let backoffMs = 0;

/** Sends what is pending, oldest first; stops at the first retryable failure and tries again later. */
export async function flush() {
  if (!ctx.token) return;
  if (running) { again = true; return; }
  running = true;
  again = false;
  clearTimeout(timer);
  timer = null;
  let retryLater = false;
  try {
    for (const item of await queued()) {
      if (item.state !== 'pending') continue;
      const { status, message, code, data } = await send(item);
      if (status >= 200 && status < 300) {
        await tx('readwrite', (s) => s.delete(item.key));
        queueEvents.dispatchEvent(new CustomEvent('sent', { detail: { item, data } }));
        backoffMs = 0;
        await changed();
        continue;
      }
      if (status === 401) { retryLater = true; break; }
      if (retryable(status)) {
        await tx('readwrite', (s) => s.put({ ...item, attempts: item.attempts + 1 }));
        retryLater = true;
        break;
      }
      // Refused for good (the case moved on, a rule): kept and shown, never silently dropped.
      await tx('readwrite', (s) => s.put({ ...item, state: 'failed', attempts: item.attempts + 1, error: message || `HTTP ${status}`, errorCode: code }));
      await changed();
    }
  } finally {
    running = false;
  }
  if (retryLater) {
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : 1000);
    timer = setTimeout(() => flush(), backoffMs * (0.75 + Math.random() * 0.5));
    await changed();
  }
  queueEvents.dispatchEvent(new CustomEvent('flushed'));
  if (again && !retryLater) flush();
}

window.addEventListener('online', () => {
  backoffMs = 0;
  flush();
});
