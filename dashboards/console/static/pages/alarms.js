// Live alarm feed: open alarms newest first, updated as alarm events arrive,
// acknowledged from the list (with an optional note) by roles that may.
import { api, can, ctx, el, fmtTime, label, notify, t } from '../app.js';
import { ruleLabel } from './labels.js';

const STATES = ['open', 'active', 'acknowledged', 'cleared', 'closed'];
const COLUMNS = ['severity', 'alarm', 'device', 'district', 'state', 'count', 'raised', 'values', 'act'];

export async function renderAlarms(view) {
  const stateFilter = el('select', { id: 'alarm-state' }, ...STATES.map((s) => el('option', { value: s }, label('alarmState', s))));
  const body = el('tbody');
  const table = el('table', { id: 'alarms' }, el('thead', {}, el('tr', {}, ...COLUMNS.map((h) => el('th', {}, t(`alarms.col.${h}`))))), body);
  view.append(el('div', { class: 'row' }, el('h2', {}, t('alarms.title')), el('span', { class: 'muted' }, ctx.config.liveFeed ? t('alarms.live') : t('alarms.polling')), stateFilter), table);
  const rows = new Map();

  function row(a, fresh) {
    const note = el('input', { placeholder: t('alarms.notePlaceholder'), 'aria-label': t('alarms.noteLabel'), size: 14 });
    const ackButton = el('button', { class: 'primary', 'data-testid': `ack-${a.id}`, onclick: async () => {
      ackButton.disabled = true;
      try {
        const updated = await api(`/api/v1/alarms/${encodeURIComponent(a.id)}/ack`, { method: 'POST', body: note.value ? { note: note.value } : {} });
        notify(t('alarms.acknowledged', { id: a.id }));
        upsert(updated, false);
      } catch (err) {
        ackButton.disabled = false;
        notify(t('alarms.ackFailed', { message: err.message }), 'error');
      }
    } }, t('alarms.ack'));
    const values = Object.entries(a.lastValues ?? {}).slice(0, 4).map(([k, v]) => `${label('metric', k)}=${typeof v === 'number' ? Math.round(v * 100) / 100 : typeof v === 'boolean' ? label('value', String(v)) : v}`).join(' ');
    return el('tr', { 'data-alarm-id': a.id, 'data-state': a.state, class: fresh ? 'fresh' : undefined },
      el('td', { class: `sev-${a.severity}`, 'data-severity': a.severity }, label('severity', a.severity)),
      el('td', {}, ruleLabel(a.ruleId, a.ruleName), a.flapping ? el('span', { class: 'muted' }, ` (${t('alarms.flapping')})`) : null,
        a.silencedBy ? el('span', { class: 'muted silenced' }, ` (${t('alarms.silenced', { id: a.silencedBy })})`) : null),
      el('td', {}, el('a', { href: `#/device/${encodeURIComponent(a.deviceId)}` }, a.deviceId)),
      el('td', {}, label('district', a.district)),
      el('td', { class: 'state' }, label('alarmState', a.state), a.acknowledgedBy ? el('div', { class: 'muted' }, t('alarms.by', { who: a.acknowledgedBy })) : null),
      el('td', {}, String(a.count)),
      el('td', {}, fmtTime(a.raisedAt)),
      el('td', { class: 'muted' }, values),
      el('td', {}, a.state === 'active' && can('operator', 'dispatcher') ? el('div', {}, note, ackButton) : a.caseId ? t('alarms.case', { id: a.caseId }) : ''));
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
