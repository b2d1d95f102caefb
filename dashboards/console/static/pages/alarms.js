// Live alarm feed: open alarms newest first, updated as alarm events arrive,
// acknowledged from the list (with an optional note) by roles that may.
import { api, can, ctx, el, fmtTime, notify } from '../app.js';

export async function renderAlarms(view) {
  const stateFilter = el('select', { id: 'alarm-state' }, ...['open', 'active', 'acknowledged', 'cleared', 'closed'].map((s) => el('option', { value: s }, s)));
  const body = el('tbody');
  const table = el('table', { id: 'alarms' }, el('thead', {}, el('tr', {}, ...['Severity', 'Alarm', 'Device', 'District', 'State', 'Count', 'Raised', 'Last values', ''].map((h) => el('th', {}, h)))), body);
  view.append(el('div', { class: 'row' }, el('h2', {}, 'Alarms'), el('span', { class: 'muted' }, ctx.config.liveFeed ? 'live' : 'refreshing every 10 s'), stateFilter), table);
  const rows = new Map();

  function row(a, fresh) {
    const note = el('input', { placeholder: 'note (optional)', 'aria-label': 'acknowledge note', size: 14 });
    const ackButton = el('button', { class: 'primary', 'data-testid': `ack-${a.id}`, onclick: async () => {
      ackButton.disabled = true;
      try {
        const updated = await api(`/api/v1/alarms/${encodeURIComponent(a.id)}/ack`, { method: 'POST', body: note.value ? { note: note.value } : {} });
        notify(`Alarm ${a.id} acknowledged`);
        upsert(updated, false);
      } catch (err) {
        ackButton.disabled = false;
        notify(`Could not acknowledge: ${err.message}`, 'error');
      }
    } }, 'Acknowledge');
    const values = Object.entries(a.lastValues ?? {}).slice(0, 4).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`).join(' ');
    return el('tr', { 'data-alarm-id': a.id, 'data-state': a.state, class: fresh ? 'fresh' : undefined },
      el('td', { class: `sev-${a.severity}` }, a.severity),
      el('td', {}, a.ruleName, a.flapping ? el('span', { class: 'muted' }, ' (flapping)') : null),
      el('td', {}, el('a', { href: `#/device/${encodeURIComponent(a.deviceId)}` }, a.deviceId)),
      el('td', {}, a.district || '—'),
      el('td', { class: 'state' }, a.state, a.acknowledgedBy ? el('div', { class: 'muted' }, `by ${a.acknowledgedBy}`) : null),
      el('td', {}, String(a.count)),
      el('td', {}, fmtTime(a.raisedAt)),
      el('td', { class: 'muted' }, values),
      el('td', {}, a.state === 'active' && can('operator', 'dispatcher') ? el('div', {}, note, ackButton) : a.caseId ? `case ${a.caseId}` : ''));
  }

  function upsert(a, fresh) {
    const wanted = stateFilter.value === 'open' ? ['active', 'acknowledged'].includes(a.state) : a.state === stateFilter.value;
    const existing = rows.get(a.id);
    if (!wanted) { existing?.remove(); rows.delete(a.id); return; }
    const tr = row(a, fresh);
    if (existing) existing.replaceWith(tr); else body.prepend(tr);
    rows.set(a.id, tr);
  }

  async function load() {
    const { alarms } = await api('/api/v1/alarms', { query: { state: stateFilter.value, limit: 500 } });
    body.innerHTML = '';
    rows.clear();
    for (const a of alarms.sort((x, y) => x.raisedAt.localeCompare(y.raisedAt))) upsert(a, false);
  }
  stateFilter.addEventListener('change', () => load().catch((err) => notify(err.message, 'error')));
  const onAlarm = (e) => { if (e.detail?.alarm) upsert(e.detail.alarm, true); };
  ctx.alarms.addEventListener('alarm', onAlarm);
  ctx.leave.push(() => ctx.alarms.removeEventListener('alarm', onAlarm));
  await load();
}
