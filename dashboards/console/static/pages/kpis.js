// Urban-management KPIs (GB/T 30428 style): on-time verification, closure,
// on-time closure, share found by sensors, mean time per stage.
import { api, el, label, notify, t } from '../app.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);

export async function renderKpis(view) {
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400_000);
  const from = el('input', { type: 'date', id: 'kpi-from', value: monthAgo.toISOString().slice(0, 10) });
  const to = el('input', { type: 'date', id: 'kpi-to', value: new Date(today.getTime() + 86400_000).toISOString().slice(0, 10) });
  const district = el('input', { id: 'kpi-district', placeholder: t('kpis.allDistricts'), size: 12 });
  const out = el('div', { id: 'kpi-cards' });
  view.append(el('div', { class: 'row' }, el('h2', {}, t('kpis.title')), t('kpis.from'), from, t('kpis.to'), to, district, el('button', { onclick: () => load() }, t('kpis.show'))), out);

  async function load() {
    let k;
    try { k = await api('/api/v1/kpis', { query: { from: from.value, to: to.value, district: district.value.trim() } }); }
    catch (err) { notify(t('kpis.failed', { message: err.message }), 'error'); return; }
    // data-kpi is the API's field name: stable whatever the language.
    const card = (id, value, target, good) => el('div', { class: `kpi ${good === true ? 'good' : good === false ? 'bad' : ''}`, 'data-kpi': id },
      el('div', { class: 'muted' }, t(`kpis.${id}`)), el('div', { class: 'value' }, value), target ? el('div', { class: 'muted' }, t('kpis.target', { target })) : null);
    const goal = k.targets ?? {};
    const stages = Object.entries(k.meanStageMinutes ?? {}).map(([stage, minutes]) => el('tr', {}, el('td', {}, label('stage', stage)), el('td', {}, minutes === null ? '—' : t('kpis.minutes', { n: Math.round(minutes) }))));
    out.innerHTML = '';
    out.append(
      el('div', { class: 'kpis' },
        card('onTimeVerificationRate', pct(k.onTimeVerificationRate), goal.onTimeVerificationRate !== undefined ? pct(goal.onTimeVerificationRate) : null, k.meetsTargets?.onTimeVerificationRate),
        card('closureRate', pct(k.closureRate), goal.closureRate !== undefined ? pct(goal.closureRate) : null, k.meetsTargets?.closureRate),
        card('onTimeClosureRate', pct(k.onTimeClosureRate), null, null),
        card('sensorShare', pct(k.sensorShare), goal.sensorShare !== undefined ? `≥ ${pct(goal.sensorShare)}` : null, k.meetsTargets?.sensorShare),
        card('reported', String(k.counts?.reported ?? 0), null, null),
        card('open', String(k.counts?.open ?? 0), null, null)),
      el('h3', {}, t('kpis.meanStage')),
      el('table', {}, el('tbody', {}, ...stages)));
  }
  await load();
}
