// The inspector's patrol view (#/inspector, role inspector; GB/T 30428's
// supervision centre, 监督员): the handled cases awaiting verification (核查),
// soonest verification deadline first, each with the crew's photos, where it
// is and the time left. On site the inspector takes a photo and either
// verifies (核查通过) or sends the case back for rework (退回返工, with a
// reason). The photo goes to the case photo API first; its id is the
// verification's evidence. The case API decides who may verify (an operator
// cannot; a bound inspector only in its area) — this page only hides what
// the role cannot do and shows the API's refusals.
import { ApiError, api, can, ctx, el, fmtDuration, fmtTime, label, notify, t } from '../app.js';
import { cityNow } from '../i18n.js';

/** Only inspectors verify (admin may, as an audited override). */
export const mayVerify = () => can('inspector');

/** Uploads one photo to a case (multipart, like the crew's phone); answers the stored photo's id. */
async function uploadPhoto(caseId, file) {
  const body = new FormData();
  body.append('caption', 'verification');
  body.append('photo', file, file.name || 'verification.jpg');
  const res = await fetch(`${ctx.config?.apiBase ?? ''}/api/v1/cases/${caseId}/photos`, {
    method: 'POST', body, headers: { authorization: `Bearer ${ctx.token}`, accept: 'application/json', 'idempotency-key': crypto.randomUUID() },
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data.id;
}

function caseCard(c, detail, done) {
  const due = c.stage?.dueAt ? Date.parse(c.stage.dueAt) : null;
  const sla = el('span', { class: 'sla', 'data-testid': `verify-sla-${c.id}` });
  const tick = () => {
    if (due === null) { sla.textContent = ''; return; }
    const left = due - cityNow();
    sla.textContent = t(left < 0 ? 'sla.overdueBy' : 'sla.dueIn', { stage: label('stage', c.stage.name), time: fmtDuration(Math.abs(left)) });
    sla.classList.toggle('overdue', left < 0);
  };
  tick();
  const photo = el('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'verify-photo', 'aria-label': t('inspector.photoFor', { id: c.id }) });
  const note = el('input', { class: 'verify-note', placeholder: t('inspector.note'), 'aria-label': t('inspector.noteFor', { id: c.id }), size: 30 });
  const act = (action) => el('button', { 'data-action': action, class: action === 'verify' ? 'primary' : '', onclick: async (e) => {
    const file = photo.files?.[0];
    if (!file) { notify(t('inspector.needsPhoto'), 'error'); return; }
    if (action === 'rework' && !note.value.trim()) { notify(t('inspector.needsReason'), 'error'); note.focus(); return; }
    e.target.disabled = true;
    try {
      const photoId = await uploadPhoto(c.id, file);
      const updated = await api(`/api/v1/cases/${c.id}/actions/${action}`, { method: 'POST', body: { photoId, ...(note.value.trim() ? { note: note.value.trim() } : {}) } });
      notify(t('cases.done', { id: c.id, action: label('action', action), status: label('status', updated.status) }));
      await done();
    } catch (err) {
      e.target.disabled = false;
      notify(t('cases.failed', { id: c.id, message: err.message }), 'error');
    }
  } }, t(`inspector.${action}`));
  const handledAt = (detail?.events ?? []).filter((x) => x.action === 'handle').map((x) => x.at).pop();
  const photos = (detail?.photos ?? []).map((p) => el('img', { src: `${p.url}?access_token=${encodeURIComponent(ctx.token)}`, alt: t('crew.photoAlt'), loading: 'lazy', class: 'thumb' }));
  return {
    tick,
    node: el('div', { class: 'card verify-card', 'data-case-id': c.id, 'data-status': c.status },
      el('div', { class: 'title' }, `#${c.id} `, c.title),
      el('div', { class: 'muted' }, `${label('category', c.category)} · ${label('district', c.district)}${c.gridCell ? ` · ${t('map.cell')} ${c.gridCell}` : ''}`),
      c.address ? el('div', {}, c.address) : null,
      c.assetId ? el('div', {}, el('a', { href: `#/device/${encodeURIComponent(c.assetId)}` }, c.assetId)) : null,
      el('div', { class: 'muted' }, t('inspector.handled', { crew: c.crewId ?? '—', at: fmtTime(handledAt) }), c.reworkCount ? ` · ${t('inspector.reworked', { n: c.reworkCount })}` : ''),
      sla,
      photos.length ? el('div', { class: 'photos' }, ...photos) : null,
      mayVerify() ? el('div', { class: 'verify-form' }, el('label', { class: 'photo-button' }, t('inspector.photo'), photo), note) : null,
      mayVerify() ? el('div', { class: 'actions' }, act('verify'), act('rework')) : null),
  };
}

export async function renderInspector(view) {
  const list = el('div', { id: 'verify-list', class: 'verify-list' });
  const total = el('span', { class: 'muted', id: 'verify-total' });
  view.append(el('div', { class: 'row' }, el('h2', {}, t('inspector.title')), total), list);
  if (!mayVerify()) view.prepend(el('p', { class: 'muted', id: 'verify-readonly' }, t('inspector.readOnly')));
  const ticks = new Set();

  async function load() {
    const { cases } = await api('/api/v1/cases', { query: { status: 'handled', limit: 200 } });
    // Soonest verification deadline first.
    cases.sort((a, b) => (Date.parse(a.stage?.dueAt ?? '') || Infinity) - (Date.parse(b.stage?.dueAt ?? '') || Infinity));
    const details = await Promise.all(cases.map((c) => api(`/api/v1/cases/${c.id}`).catch(() => null)));
    ticks.clear();
    const cards = cases.map((c, i) => caseCard(c, details[i], load));
    for (const card of cards) ticks.add(card.tick);
    list.replaceChildren(...cards.map((x) => x.node));
    if (cases.length === 0) list.append(el('p', { class: 'muted', id: 'verify-empty' }, t('inspector.empty')));
    total.textContent = t('inspector.count', { n: cases.length });
  }
  const timer = setInterval(() => { for (const tick of ticks) tick(); }, 1000);
  ctx.leave.push(() => clearInterval(timer));
  await load();
}
