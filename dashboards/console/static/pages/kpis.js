// Urban-management KPIs (GB/T 30428 style) from the cases API (cases/kpis.ts):
// on-time verification (按时核查率), closure (结案率), on-time closure, share
// found by sensors (自动发现率), mean time per stage — overall, by period
// (week or month, one API call per period) and by district, department or
// category (the API's groupBy). Rates are coloured against the city's targets.
import { api, el, label, notify, t } from '../app.js';
import { cityNow, toCityInput } from '../i18n.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
/** The three assessed rates, in the order the tables show them; data-kpi is the API's field name. */
const RATES = ['onTimeVerificationRate', 'closureRate', 'sensorShare'];
const GROUPS = ['district', 'department', 'category'];
/** At most this many periods (API calls) in the trend table: the latest ones. */
const MAX_PERIODS = 12;

/** 'YYYY-MM-DD' ± days, as calendar dates (the API reads a date as the city's midnight). */
const day = (s) => { const [y, m, d] = s.split('-').map(Number); return Date.UTC(y, m - 1, d); };
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);

/** [from, to) cut into weeks (from `from`) or calendar months; the last MAX_PERIODS. */
export function periodsOf(from, to, unit) {
  const out = [];
  let start = day(from);
  const end = day(to);
  while (start < end && out.length < 400) {
    const d = new Date(start);
    const next = unit === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start + 7 * 86400_000;
    const stop = Math.min(next, end);
    out.push({ from: iso(start), to: iso(stop), name: unit === 'month' ? iso(start).slice(0, 7) : `${iso(start).slice(5)} – ${iso(stop - 86400_000).slice(5)}` });
    start = stop;
  }
  return out.slice(-MAX_PERIODS);
}

function rateCell(k, id) {
  const good = k.meetsTargets?.[id];
  return el('td', { 'data-kpi': id, class: good === true ? 'good' : good === false ? 'bad' : '' }, pct(k[id]));
}

function kpiRow(head, k, attrs) {
  return el('tr', attrs, el('th', {}, head), el('td', { 'data-kpi': 'reported' }, String(k.counts?.reported ?? 0)), ...RATES.map((id) => rateCell(k, id)),
    el('td', { 'data-kpi': 'reworks' }, String(k.counts?.reworks ?? 0)));
}

function kpiTable(id, head, rows) {
  return el('table', { id, class: 'kpi-table' },
    el('thead', {}, el('tr', {}, el('th', {}, head), el('th', {}, t('kpis.reported')), ...RATES.map((r) => el('th', {}, t(`kpis.${r}`))), el('th', {}, t('kpis.reworks')))),
    el('tbody', {}, ...rows));
}

export async function renderKpis(view) {
  // Dates are the city's (the API reads them in its zone): after 16:00 UTC, Zhumadian is already on the next day.
  const now = cityNow();
  const cityDay = (ms) => toCityInput(ms).slice(0, 10);
  const from = el('input', { type: 'date', id: 'kpi-from', value: cityDay(now - 30 * 86400_000) });
  const to = el('input', { type: 'date', id: 'kpi-to', value: cityDay(now + 86400_000) });
  const district = el('input', { id: 'kpi-district', placeholder: t('kpis.allDistricts'), size: 12 });
  const groupBy = el('select', { id: 'kpi-group' }, ...GROUPS.map((g) => el('option', { value: g }, t(`kpis.by.${g}`))));
  const unit = el('select', { id: 'kpi-period' }, el('option', { value: 'week' }, t('kpis.period.week')), el('option', { value: 'month' }, t('kpis.period.month')));
  const out = el('div', { id: 'kpi-cards' });
  const groups = el('div', { class: 'panel', id: 'kpi-groups-panel' });
  const trend = el('div', { class: 'panel', id: 'kpi-periods-panel' });
  view.append(
    el('div', { class: 'row' }, el('h2', {}, t('kpis.title')), t('kpis.from'), from, t('kpis.to'), to, district, el('button', { id: 'kpi-show', onclick: () => load() }, t('kpis.show'))),
    out,
    el('div', { class: 'grid2' }, groups, trend));
  groupBy.addEventListener('change', () => load());
  unit.addEventListener('change', () => load());

  const query = (f, tt, extra = {}) => ({ from: f, to: tt, district: district.value.trim(), ...extra });

  async function load() {
    let k;
    try { k = await api('/api/v1/kpis', { query: query(from.value, to.value, { groupBy: groupBy.value }) }); }
    catch (err) { notify(t('kpis.failed', { message: err.message }), 'error'); return; }
    const card = (id, value, target, good) => el('div', { class: `kpi ${good === true ? 'good' : good === false ? 'bad' : ''}`, 'data-kpi': id },
      el('div', { class: 'muted' }, t(`kpis.${id}`)), el('div', { class: 'value' }, value), target ? el('div', { class: 'muted' }, t('kpis.target', { target })) : null);
    const goal = k.targets ?? {};
    const stages = Object.entries(k.meanStageMinutes ?? {}).map(([stage, minutes]) => el('tr', {}, el('td', {}, label('stage', stage)), el('td', {}, minutes === null ? '—' : t('kpis.minutes', { n: Math.round(minutes) }))));
    out.replaceChildren(
      el('div', { class: 'kpis' },
        card('onTimeVerificationRate', pct(k.onTimeVerificationRate), goal.onTimeVerificationRate !== undefined ? pct(goal.onTimeVerificationRate) : null, k.meetsTargets?.onTimeVerificationRate),
        card('closureRate', pct(k.closureRate), goal.closureRate !== undefined ? pct(goal.closureRate) : null, k.meetsTargets?.closureRate),
        card('onTimeClosureRate', pct(k.onTimeClosureRate), null, null),
        card('sensorShare', pct(k.sensorShare), goal.sensorShare !== undefined ? `≥ ${pct(goal.sensorShare)}` : null, k.meetsTargets?.sensorShare),
        card('reported', String(k.counts?.reported ?? 0), null, null),
        card('open', String(k.counts?.open ?? 0), null, null)),
      el('h3', {}, t('kpis.meanStage')),
      el('table', {}, el('tbody', {}, ...stages)));

    const by = groupBy.value;
    groups.replaceChildren(el('div', { class: 'row' }, el('h3', {}, t('kpis.byGroup')), groupBy),
      (k.groups ?? []).length === 0 ? el('p', { class: 'muted' }, t('kpis.noCases'))
        : kpiTable('kpi-groups', t(`kpis.by.${by}`), k.groups.map((g) => kpiRow(label(by, g.key, g.nameZh ?? g.name ?? g.key), g.kpis, { 'data-group': g.key }))));

    // One call per period; they run together (at most MAX_PERIODS).
    const periods = periodsOf(from.value, to.value, unit.value);
    let rows = [];
    try {
      const figures = await Promise.all(periods.map((p) => api('/api/v1/kpis', { query: query(p.from, p.to) })));
      rows = periods.map((p, i) => kpiRow(p.name, figures[i], { 'data-period': p.from }));
    } catch (err) { notify(t('kpis.failed', { message: err.message }), 'error'); }
    trend.replaceChildren(el('div', { class: 'row' }, el('h3', {}, t('kpis.byPeriod')), unit), kpiTable('kpi-periods', t('kpis.period'), rows));
  }
  await load();
}
