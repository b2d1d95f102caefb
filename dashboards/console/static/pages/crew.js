// The crew's phone (the crew role, 390 px wide): my cases by deadline,
// coloured on time / due soon / overdue; one case with its place and links
// that open the phone's map app there; accept, arrive, before and after
// photos from the camera, notes and handled — every one through the offline
// queue (crew-queue.js), shown as pending until the server has it.
import { api, ApiError, ctx, el, fmtDuration, fmtTime, label, t } from '../app.js';
import { classLabel } from './labels.js';
import { cityNow } from '../i18n.js';
import { discard, enqueue, flush, queued, queueEvents } from '../crew-queue.js';

/** Less than this left on the current stage is "due soon" (amber). */
const DUE_SOON_MS = 2 * 3600_000;
const CACHE_KEY = 'tz-crew-cases';
/** What a queued action does to the status, so the phone offers the next step while offline. */
const NEXT_STATUS = { accept: 'in_progress', handle: 'handled', return: 'registered' };
const PHOTO_STATES = ['dispatched', 'in_progress', 'handled'];

const FINAL = ['closed', 'rejected', 'cancelled'];

export function slaOf(c, now = cityNow()) {
  if (FINAL.includes(c.status)) return { cls: 'none', left: null };
  const due = c.stage?.dueAt ?? c.deadlines?.case ?? null;
  if (!due) return { cls: 'none', left: null };
  const left = Date.parse(due) - now;
  return { cls: left < 0 ? 'overdue' : left < DUE_SOON_MS ? 'soon' : 'ontime', left };
}

function slaText(c) {
  const { cls, left } = slaOf(c);
  if (cls === 'none') return '';
  return `${t(`crew.sla.${cls}`)} · ${t(left < 0 ? 'sla.overdueBy' : 'sla.dueIn', { stage: label('stage', c.stage?.name ?? 'case'), time: fmtDuration(Math.abs(left)) })}`;
}

function projectedStatus(c, items) {
  let status = c.status;
  for (const i of items) if (i.caseId === c.id && i.kind === 'action' && i.state === 'pending' && NEXT_STATUS[i.action]) status = NEXT_STATUS[i.action];
  return status;
}

function cache() {
  try { return JSON.parse(localStorage.getItem(CACHE_KEY) ?? '{}'); } catch { return {}; }
}
function remember(patch) {
  try { localStorage.setItem(CACHE_KEY, JSON.stringify({ ...cache(), ...patch })); } catch { /* storage full: the live view still works */ }
}

/** Links that open the phone's map apps at the asset (coordinates are WGS-84). */
export function navigationLinks(lat, lon, name) {
  const q = encodeURIComponent(name);
  return [
    ['geo', `geo:${lat},${lon}?q=${lat},${lon}(${q})`],
    ['amap', `https://uri.amap.com/marker?position=${lon},${lat}&name=${q}&coordinate=wgs84&callnative=1`],
    ['baidu', `baidumap://map/marker?location=${lat},${lon}&title=${q}&content=${q}&coord_type=wgs84&src=tianzhong`],
    ['tencent', `qqmap://map/marker?marker=coord:${lat},${lon};title:${q}&coord_type=1&referer=tianzhong`],
  ];
}

function networkLine() {
  const line = el('div', { id: 'net-state' });
  const show = () => {
    line.className = navigator.onLine ? 'net online' : 'net offline';
    line.dataset.online = String(navigator.onLine);
    line.textContent = navigator.onLine ? '' : t('crew.offline');
  };
  show();
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  ctx.leave.push(() => { window.removeEventListener('online', show); window.removeEventListener('offline', show); });
  return line;
}

function onQueue(handler) {
  const h = (e) => handler(e);
  queueEvents.addEventListener('change', h);
  queueEvents.addEventListener('flushed', h);
  ctx.leave.push(() => { queueEvents.removeEventListener('change', h); queueEvents.removeEventListener('flushed', h); });
}

/** Fetches fresh, or falls back to the last copy when the phone has no network. */
async function fresh(path, cacheKey, query) {
  try {
    const data = await api(path, { query });
    remember({ [cacheKey]: { data, at: new Date().toISOString() } });
    return { data, stale: null };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const copy = cache()[cacheKey];
    if (!copy) throw err;
    return { data: copy.data, stale: copy.at };
  }
}

export async function renderCrew(view) {
  const list = el('div', { id: 'crew-cases', class: 'crew-list' });
  const staleNote = el('p', { class: 'muted', id: 'crew-stale' });
  const pendingNote = el('p', { id: 'crew-pending', class: 'pending-note' });
  view.append(el('section', { class: 'crew' }, networkLine(), el('h2', {}, t('crew.myCases')),
    el('div', { class: 'sla-legend' }, ...['ontime', 'soon', 'overdue'].map((s) => el('span', { class: `chip sla-${s}` }, t(`crew.sla.${s}`)))),
    pendingNote, staleNote, list));
  let cases = [];

  async function load() {
    const { data, stale } = await fresh('/api/v1/cases', 'list', { status: 'open', limit: 200 });
    cases = data.cases.slice().sort((a, b) => (slaOf(a).left ?? Infinity) - (slaOf(b).left ?? Infinity));
    staleNote.textContent = stale ? t('crew.staleCopy', { at: fmtTime(stale) }) : '';
    await draw();
  }

  let drawn = 0;
  async function draw() {
    // Draws overlap (queue events, timers): only the latest one paints.
    const turn = ++drawn;
    const items = await queued();
    if (turn !== drawn) return;
    const waiting = items.filter((i) => i.state === 'pending').length;
    pendingNote.textContent = waiting ? t('crew.pendingTotal', { n: waiting }) : '';
    list.innerHTML = '';
    if (cases.length === 0) list.append(el('p', { class: 'muted' }, t('crew.noCases')));
    for (const c of cases) {
      const status = projectedStatus(c, items);
      const sla = slaOf(c);
      const mine = items.filter((i) => i.caseId === c.id).length;
      list.append(el('a', { class: `crew-card sla-${sla.cls}`, href: `#/crew/${c.id}`, 'data-case-id': c.id, 'data-sla': sla.cls, 'data-status': status },
        el('div', { class: 'title' }, `#${c.id} ${c.title}`),
        el('div', { class: 'muted' }, `${label('category', c.category)} · ${label('priority', c.priority)} · `, el('span', { class: 'status' }, label('status', status))),
        el('div', { class: 'muted' }, c.address || label('district', c.district)),
        el('div', { class: 'sla-line' }, slaText(c)),
        mine ? el('span', { class: 'pending-badge' }, t('crew.pendingN', { n: mine })) : null));
    }
  }

  onQueue(() => draw());
  const timer = setInterval(() => draw(), 30_000);
  ctx.leave.push(() => clearInterval(timer));
  flush();
  await load();
}

function describe(item) {
  if (item.kind === 'action') return label('action', item.action);
  if (item.kind === 'photo') return t(`crew.photo.${item.caption === 'after' ? 'after' : 'before'}`);
  return `${t('crew.note')}: ${item.note}`;
}

export async function renderCrewCase(view, id) {
  const caseId = Number(id);
  let c;
  let stale = null;
  ({ data: c, stale } = await fresh(`/api/v1/cases/${caseId}`, `case-${caseId}`));
  let position = c.lat !== null && c.long !== null ? { lat: c.lat, lon: c.long } : null;
  if (!position && c.assetId && !stale) {
    try {
      const { devices } = await api('/console/api/devices');
      const d = devices.find((x) => x.deviceId === c.assetId);
      if (d && Number.isFinite(d.lat) && Number.isFinite(d.lon)) position = { lat: d.lat, lon: d.lon, cls: d.profile };
    } catch { /* position stays unknown */ }
  }

  const statusLine = el('span', { id: 'crew-status', class: 'status' });
  const slaLine = el('div', { id: 'crew-sla', class: 'sla-line' });
  const pendingList = el('ul', { id: 'crew-queue', class: 'crew-queue' });
  const timeline = el('ul', { id: 'crew-timeline', class: 'timeline' });
  const photos = el('div', { class: 'photos', id: 'crew-photos' });
  const note = el('textarea', { id: 'crew-note', rows: 2, placeholder: t('crew.notePlaceholder'), 'aria-label': t('crew.note') });
  // One button for the page's life, like the note itself: a redraw between a press
  // and its release (a queue update) must not swallow the tap.
  const sendNote = el('button', { id: 'crew-send-note', onclick: async () => {
    const text = note.value.trim();
    if (!text) return;
    note.value = '';
    await enqueue({ caseId, kind: 'note', note: text });
  } }, t('crew.sendNote'));
  const staleNote = el('p', { class: 'muted' }, stale ? t('crew.staleCopy', { at: fmtTime(stale) }) : '');
  const place = c.address || label('district', c.district);
  const name = `${c.title}${c.assetId ? ` (${c.assetId})` : ''}`;

  const photoInput = (which) => el('label', { class: 'photo-button' }, t(`crew.photo.${which}`),
    el('input', { type: 'file', accept: 'image/*', capture: 'environment', id: `photo-${which}`, onchange: async (e) => {
      const file = e.target.files?.[0];
      if (!file) return;
      await enqueue({ caseId, kind: 'photo', blob: file, name: file.name || `${which}.jpg`, caption: which });
      e.target.value = '';
    } }));

  const act = (action) => el('button', { class: action === 'handle' ? 'primary big' : 'big', 'data-action': action, onclick: async (e) => {
    e.target.disabled = true;
    await enqueue({ caseId, kind: 'action', action });
  } }, label('action', action));
  const stepsBefore = el('div', {});
  const work = el('div', { hidden: true }, el('div', { class: 'photo-row' }, photoInput('before'), photoInput('after')), el('div', { class: 'note-row' }, note, sendNote));
  const stepsAfter = el('div', {});
  const actions = el('div', { class: 'crew-actions', id: 'crew-actions' }, stepsBefore, work, stepsAfter);

  view.append(el('section', { class: 'crew crew-case', 'data-case-id': caseId },
    networkLine(),
    el('p', {}, el('a', { href: '#/crew' }, `← ${t('crew.back')}`)),
    el('h2', {}, `#${c.id} ${c.title}`),
    el('div', {}, `${label('category', c.category)} · ${label('department', c.department)} · ${label('priority', c.priority)} · `, statusLine),
    slaLine,
    staleNote,
    c.description ? el('p', {}, c.description) : null,
    el('div', { class: 'panel place' },
      el('div', {}, el('b', {}, t('crew.place')), ' ', place),
      c.assetId ? el('div', { class: 'muted' }, t('crew.asset', { asset: c.assetId, cls: position?.cls ? classLabel(position.cls) : '' })) : null,
      position
        ? el('div', {}, el('div', { class: 'muted', id: 'crew-position' }, t('crew.position', { lat: position.lat.toFixed(6), lon: position.lon.toFixed(6) })),
          el('div', { class: 'nav-links' }, ...navigationLinks(position.lat, position.lon, name).map(([app, href]) => el('a', { class: 'nav-link', href, 'data-nav': app }, t(`crew.nav.${app}`)))))
        : el('div', { class: 'muted' }, t('crew.noPosition'))),
    actions,
    el('h3', {}, t('crew.queue')), pendingList,
    el('h3', {}, t('crew.history')), photos, timeline));

  function drawServer() {
    timeline.innerHTML = '';
    for (const e of (c.events ?? []).slice().reverse()) {
      timeline.append(el('li', { 'data-action': e.action }, el('span', { class: 'muted' }, fmtTime(e.at)), ' ', label('event', e.action), e.note ? ` — ${e.action === 'photo' && ['before', 'after'].includes(e.note) ? t(`crew.photo.${e.note}`) : e.note}` : ''));
    }
    photos.innerHTML = '';
    for (const p of c.photos ?? []) photos.append(el('img', { src: `${p.url}?access_token=${encodeURIComponent(ctx.token)}`, alt: t('crew.photoAlt'), loading: 'lazy' }));
  }

  let drawn = 0;
  async function draw() {
    const turn = ++drawn;
    const items = await queued();
    if (turn !== drawn) return;
    const mine = items.filter((i) => i.caseId === caseId);
    const status = projectedStatus(c, items);
    statusLine.textContent = label('status', status);
    statusLine.dataset.status = status;
    slaLine.textContent = slaText(c);
    slaLine.className = `sla-line sla-${slaOf(c).cls}`;
    const arrived = (c.events ?? []).some((e) => e.action === 'arrive') || mine.some((i) => i.action === 'arrive');
    // The step buttons are rebuilt; the photo and note controls stay the same
    // nodes and are only shown or hidden, so a redraw never tears one out
    // from under a finger (a tap whose press and release straddle a redraw is lost).
    stepsBefore.replaceChildren(...(status === 'dispatched' ? [act('accept')] : []), ...(status === 'in_progress' && !arrived ? [act('arrive')] : []));
    work.hidden = !PHOTO_STATES.includes(status);
    stepsAfter.replaceChildren(...(status === 'in_progress' ? [act('handle')] : []));
    pendingList.innerHTML = '';
    if (mine.length === 0) pendingList.append(el('li', { class: 'muted' }, t('crew.queueEmpty')));
    for (const i of mine) {
      pendingList.append(el('li', { class: `q-${i.state}`, 'data-kind': i.kind, 'data-state': i.state, 'data-key': i.key },
        describe(i), ' · ', i.state === 'failed' ? t('crew.failed', { message: label('error', i.errorCode, i.error) }) : t('crew.pending', { n: i.attempts }),
        i.state === 'failed' && i.errorCode ? el('div', { class: 'muted' }, i.error) : null,
        i.state === 'failed' ? el('button', { onclick: () => discard(i.key) }, t('crew.discard')) : null));
    }
  }

  // The server's answer to an action is the case as it is now: no flicker back to the old status.
  const onSent = (e) => {
    const { item, data } = e.detail;
    if (item.caseId === caseId && item.kind === 'action' && data?.status) c = { ...c, status: data.status, stage: data.stage };
  };
  queueEvents.addEventListener('sent', onSent);
  ctx.leave.push(() => queueEvents.removeEventListener('sent', onSent));
  let refreshing = false;
  onQueue(async (e) => {
    // Sent: show the server's view of the case (status, audit trail, photos).
    if (e.type === 'flushed' && navigator.onLine && !refreshing) {
      refreshing = true;
      try {
        const next = await fresh(`/api/v1/cases/${caseId}`, `case-${caseId}`);
        c = next.data;
        drawServer();
      } catch { /* keep what is shown */ }
      refreshing = false;
    }
    await draw();
  });
  const timer = setInterval(() => { slaLine.textContent = slaText(c); }, 1000);
  ctx.leave.push(() => clearInterval(timer));
  drawServer();
  await draw();
  flush();
}
