// Device page: status, battery, signal, latest values, open alarms and cases,
// and the last 24 h of one metric at a time (uPlot).
import { api, ctx, el, fmtTime, label, notify, t } from '../app.js';
import { classLabel, ruleLabel } from './labels.js';
import { lineChart } from '../chart.js';
import { stateOf } from './map.js';
import { commandPanel } from './device-commands.js';

export async function renderDevice(view, deviceId) {
  const [{ devices }, { alarms }] = await Promise.all([api('/console/api/devices'), api('/api/v1/alarms', { query: { deviceId, state: 'open' } })]);
  const d = devices.find((x) => x.deviceId === deviceId);
  if (!d) { view.append(el('p', {}, t('device.none', { id: deviceId }))); return; }
  const profile = ctx.config.profiles.find((p) => p.class === d.profile);
  const open = alarms.filter((a) => a.state === 'active' || a.state === 'acknowledged');
  const state = stateOf(d, new Set(open.map((a) => a.deviceId)));
  let cases = [];
  try { cases = (await api('/api/v1/cases', { query: { assetId: deviceId, status: 'open' } })).cases; } catch { /* role may not read cases */ }

  const latest = el('table', { id: 'latest-values' }, el('thead', {}, el('tr', {}, el('th', {}, t('device.metric')), el('th', {}, t('device.latest')), el('th', {}, t('device.unit')))),
    el('tbody', {}, ...(profile?.metrics ?? []).map((m) => {
      const v = d.values[m.name];
      return el('tr', {}, el('td', {}, label('metric', m.name)), el('td', { 'data-metric': m.name }, v === undefined ? '—' : typeof v === 'number' ? String(Math.round(v * 100) / 100) : typeof v === 'boolean' ? label('value', String(v)) : String(v)), el('td', { class: 'muted' }, m.unit));
    })));
  const facts = el('div', { class: 'panel' },
    el('h2', {}, deviceId, ' ', el('span', { class: `dot state-${state}`, title: label('deviceState', state) })),
    el('p', {}, t('device.facts', { cls: classLabel(d.profile), district: d.district ? label('district', d.district) : t('device.noDistrict'), gateway: d.gatewayId ?? '—' })),
    el('p', { id: 'device-status', 'data-state': state }, t('device.status', { state: label('deviceState', state), seen: fmtTime(d.lastSeen) })),
    el('p', { id: 'device-place', 'data-registered': String(Boolean(d.registered)) }, t('device.place', { address: d.address ?? '—', cell: d.gridCell ?? '—', asset: d.assetId ?? '—' }),
      d.estimated ? el('span', { class: 'muted' }, ` ${t('map.estimated')}`) : null),
    d.tags?.length ? el('p', { id: 'device-tags' }, t('device.tags'), ' ', ...d.tags.map((x) => el('span', { class: 'tag' }, x))) : null,
    el('p', {}, t('device.power', { battery: d.battery === null ? t('device.mains') : `${d.battery.toFixed(0)} %`, signal: d.signal === null ? '—' : `${d.signal} dBm` })),
    open.length ? el('div', {}, el('h3', {}, t('device.openAlarms')), ...open.map((a) => el('div', { class: `sev-${a.severity}` }, `${ruleLabel(a.ruleId, a.ruleName)} (${label('alarmState', a.state)}, ×${a.count})`))) : el('p', { class: 'muted' }, t('device.noAlarms')),
    cases.length ? el('div', {}, el('h3', {}, t('device.openCases')), ...cases.map((c) => el('div', {}, `#${c.id} ${c.title} — ${label('status', c.status)}`))) : null,
    ctx.config.grafanaUrl ? el('p', {}, el('a', { href: `${ctx.config.grafanaUrl}/d/tz-${d.profile}-device?var-device=${encodeURIComponent(deviceId)}`, target: '_blank' }, t('device.grafana'))) : null,
    latest);

  const numeric = (profile?.metrics ?? []);
  const pick = el('select', { id: 'history-metric' }, ...numeric.map((m) => el('option', { value: m.name }, `${label('metric', m.name)}${m.unit ? ` (${m.unit})` : ''}`)));
  const chartBox = el('div', { id: 'history-chart' });
  const chartPanel = el('div', { class: 'panel' }, el('div', { class: 'row' }, el('h3', {}, t('device.last24h')), pick), chartBox);
  view.append(el('div', { class: 'grid2' }, facts, chartPanel));
  const commands = commandPanel(d);
  if (commands) view.append(commands);

  if (!ctx.config.history) { chartBox.append(el('p', { class: 'muted' }, t('device.noHistory'))); return; }
  let history;
  try {
    history = await api(`/console/api/devices/${encodeURIComponent(deviceId)}/history`, { query: { profile: d.profile, hours: 24 } });
  } catch (err) {
    notify(t('device.historyFailed', { message: err.message }), 'error');
    return;
  }
  const draw = () => lineChart(chartBox, { title: label('metric', pick.value), times: history.times, series: [{ label: label('metric', pick.value), values: history.series[pick.value] ?? [] }] });
  pick.addEventListener('change', draw);
  chartBox.dataset.points = String(history.times.length);
  draw();
}
