// Rule editor: pick a rule, edit its JSON document, backtest it against
// history (how many alarms it would have raised, per device, charted per
// hour; the range is read in the city's time zone), then save — every save is a version, listed with who and when, and
// any version can be rolled back to.
import { api, can, ctx, el, fmtTime, go, label, notify, t } from '../app.js';
import { ruleLabel } from './labels.js';
import { cityNow, fromCityInput, toCityInput } from '../i18n.js';
import { lineChart } from '../chart.js';

const META = ['source', 'version', 'updatedAt', 'updatedBy', 'default'];
const editable = (rule) => Object.fromEntries(Object.entries(rule).filter(([k]) => !META.includes(k)));

export async function renderRules(view, ruleId) {
  const { rules } = await api('/api/v1/rules');
  const list = el('table', { id: 'rule-list' }, el('thead', {}, el('tr', {}, ...['rule', 'source', 'mode', 'version'].map((h) => el('th', {}, t(`rules.col.${h}`))))),
    el('tbody', {}, ...rules.map((r) => el('tr', { 'data-rule-id': r.id, class: r.id === ruleId ? 'fresh' : undefined },
      el('td', {}, el('a', { href: `#/rules/${encodeURIComponent(r.id)}` }, r.id), el('div', { class: 'muted' }, ruleLabel(r.id, r.name))),
      el('td', {}, label('ruleSource', r.source)), el('td', {}, label('ruleMode', r.mode ?? 'live')), el('td', {}, String(r.version))))));
  const editor = el('div', { class: 'panel', id: 'rule-editor' });
  view.append(el('div', { class: 'grid2' }, el('div', { class: 'panel' }, el('h2', {}, t('rules.title')), list), editor));
  if (!ruleId) { editor.append(el('p', { class: 'muted' }, t('rules.pick'))); return; }

  const rule = await api(`/api/v1/rules/${encodeURIComponent(ruleId)}`);
  const text = el('textarea', { class: 'rule', id: 'rule-json', spellcheck: 'false' }, JSON.stringify(editable(rule), null, 2));
  const now = cityNow();
  const from = el('input', { type: 'datetime-local', id: 'backtest-from', value: toCityInput(now - 7 * 86400_000) });
  const to = el('input', { type: 'datetime-local', id: 'backtest-to', value: toCityInput(now) });
  const result = el('div', { id: 'backtest-result' });
  const chartBox = el('div', { id: 'backtest-chart' });
  const history = el('div', { id: 'rule-history' });
  const mayEdit = can('operator');

  const parseDoc = () => {
    try { return JSON.parse(text.value); } catch (err) { notify(t('rules.badJson', { message: err.message }), 'error'); return null; }
  };
  const showProblems = (err) => notify(err.problems?.length ? `${err.message} — ${err.problems.map((p) => `${p.path}: ${p.problem}`).join('; ')}` : err.message, 'error');

  async function backtest() {
    const doc = parseDoc();
    if (!doc) return;
    result.textContent = t('rules.running');
    chartBox.innerHTML = '';
    try {
      const r = await api('/api/v1/rules/backtest', { method: 'POST', body: { rule: doc, from: new Date(fromCityInput(from.value)).toISOString(), to: new Date(fromCityInput(to.value)).toISOString() } });
      result.innerHTML = '';
      result.append(
        el('p', { id: 'backtest-count' }, el('b', {}, `${r.count}`), ` ${t('rules.wouldRaise', { devices: r.devices.filter((d) => d.count > 0).length })}`,
          el('span', { class: 'muted' }, ` — ${t('rules.readings', { readings: r.readings, devices: r.devicesSeen })}${r.truncated ? ` ${t('rules.truncated')}` : ''}`)),
        el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, t('rules.col.device')), el('th', {}, t('rules.col.alarms')), el('th', {}, t('rules.col.first')))),
          el('tbody', {}, ...r.devices.filter((d) => d.count > 0).slice(0, 50).map((d) => el('tr', {}, el('td', {}, d.deviceId), el('td', {}, String(d.count)), el('td', {}, fmtTime(d.fires[0]?.raisedAt)))))));
      // Would-be alarms per hour over the chosen range.
      const start = Math.floor(Date.parse(r.from) / 3600_000);
      const end = Math.ceil(Date.parse(r.to) / 3600_000);
      const hours = Math.max(1, Math.min(24 * 62, end - start));
      const counts = new Array(hours).fill(0);
      for (const d of r.devices) for (const f of d.fires) {
        const i = Math.floor(Date.parse(f.raisedAt) / 3600_000) - start;
        if (i >= 0 && i < hours) counts[i] += 1;
      }
      chartBox.dataset.alarms = String(counts.reduce((a, b) => a + b, 0));
      lineChart(chartBox, { title: t('rules.perHour'), bars: true, times: counts.map((_, i) => (start + i) * 3600), series: [{ label: t('rules.col.alarms'), values: counts }] });
    } catch (err) {
      result.textContent = '';
      showProblems(err);
    }
  }

  async function save() {
    const doc = parseDoc();
    if (!doc) return;
    try {
      const saved = await api(`/api/v1/rules/${encodeURIComponent(ruleId)}`, { method: 'PUT', body: doc, query: { expectedVersion: rule.version } });
      notify(t('rules.saved', { id: ruleId, version: saved.version }));
      go(`#/rules/${encodeURIComponent(ruleId)}`);
    } catch (err) {
      showProblems(err);
    }
  }

  async function loadHistory() {
    const { versions } = await api(`/api/v1/rules/${encodeURIComponent(ruleId)}/history`);
    history.innerHTML = '';
    history.append(el('h3', {}, t('rules.history')), versions.length === 0 ? el('p', { class: 'muted' }, t('rules.unchanged', { source: label('ruleSource', rule.source) })) :
      el('table', {}, el('tbody', {}, ...versions.slice().reverse().map((v) => el('tr', { 'data-version': v.version },
        el('td', {}, `v${v.version}`), el('td', {}, label('ruleChange', v.action)), el('td', {}, v.who), el('td', {}, fmtTime(v.at)),
        el('td', { class: 'muted' }, Array.isArray(v.diff) ? v.diff.slice(0, 3).map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ') : ''),
        el('td', {}, mayEdit && v.version !== rule.version ? el('button', { onclick: async () => {
          try { await api(`/api/v1/rules/${encodeURIComponent(ruleId)}/rollback`, { method: 'POST', body: { version: v.version } }); notify(t('rules.rolledBack', { id: ruleId, version: v.version })); go(`#/rules/${encodeURIComponent(ruleId)}`); }
          catch (err) { showProblems(err); }
        } }, t('rules.rollBack')) : null))))));
  }

  editor.append(...[
    el('h2', {}, `${rule.id} `, el('span', { class: 'muted' }, `${label('ruleSource', rule.source)} · v${rule.version}${rule.updatedBy ? ` · ${rule.updatedBy}, ${fmtTime(rule.updatedAt)}` : ''}`)),
    text,
    el('div', { class: 'row' }, t('rules.backtestFrom'), from, t('rules.to'), to,
      el('button', { id: 'run-backtest', onclick: backtest, disabled: !mayEdit }, t('rules.runBacktest')),
      el('button', { class: 'primary', id: 'save-rule', onclick: save, disabled: !mayEdit }, t('rules.save'))),
    mayEdit ? null : el('p', { class: 'muted' }, t('rules.readOnly', { role: label('role', ctx.session.role) })),
    result, chartBox, history].filter(Boolean));
  await loadHistory();
}
