// Urban-management KPIs (GB/T 30428 style): on-time verification, closure,
// on-time closure, share found by sensors, mean time per stage.
import { api, el, notify } from '../app.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);

export async function renderKpis(view) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400_000);
  const from = el('input', { type: 'date', id: 'kpi-from', value: monthAgo.toISOString().slice(0, 10) });
  const to = el('input', { type: 'date', id: 'kpi-to', value: new Date(today.getTime() + 86400_000).toISOString().slice(0, 10) });
  const district = el('input', { id: 'kpi-district', placeholder: 'all districts', size: 12 });
  const out = el('div', { id: 'kpi-cards' });
  view.append(el('div', { class: 'row' }, el('h2', {}, 'KPIs'), 'from', from, 'to', to, district, el('button', { onclick: () => load() }, 'Show')), out);

  async function load() {
    let k;
    try { k = await api('/api/v1/kpis', { query: { from: from.value, to: to.value, district: district.value.trim() } }); }
    catch (err) { notify(`KPIs unavailable: ${err.message}`, 'error'); return; }
    const card = (title, value, target, good) => el('div', { class: `kpi ${good === true ? 'good' : good === false ? 'bad' : ''}`, 'data-kpi': title },
      el('div', { class: 'muted' }, title), el('div', { class: 'value' }, value), target ? el('div', { class: 'muted' }, `target ${target}`) : null);
    const t = k.targets ?? {};
    const stages = Object.entries(k.meanStageMinutes ?? {}).map(([stage, minutes]) => el('tr', {}, el('td', {}, stage), el('td', {}, minutes === null ? '—' : `${Math.round(minutes)} min`)));
    out.innerHTML = '';
    out.append(
      el('div', { class: 'kpis' },
        card('On-time verification rate', pct(k.onTimeVerificationRate), t.onTimeVerificationRate !== undefined ? pct(t.onTimeVerificationRate) : null, k.meetsTargets?.onTimeVerificationRate),
        card('Closure rate', pct(k.closureRate), t.closureRate !== undefined ? pct(t.closureRate) : null, k.meetsTargets?.closureRate),
        card('On-time closure rate', pct(k.onTimeClosureRate), null, null),
        card('Found by sensors', pct(k.sensorShare), t.sensorShare !== undefined ? `≥ ${pct(t.sensorShare)}` : null, k.meetsTargets?.sensorShare),
        card('Cases reported', String(k.counts?.reported ?? 0), null, null),
        card('Open now', String(k.counts?.open ?? 0), null, null)),
      el('h3', {}, 'Mean time per stage'),
      el('table', {}, el('tbody', {}, ...stages)));
  }
  await load();
}
