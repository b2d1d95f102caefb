// Silences and maintenance windows (the alerts API, cases/ALERTS-API.md):
// while one is in force, matching new alarms are stored but open no case and
// send no alert. Listed with their scope and window; created and ended early
// here by operators. Times are read and shown in the city's time zone.
import { api, can, el, fmtTime, label, notify, t } from '../app.js';
import { cityNow, fromCityInput, toCityInput } from '../i18n.js';

const STATES = ['current', 'pending', 'active', 'expired', 'all'];
const MATCHERS = ['deviceIds', 'ruleIds', 'assetIds', 'districts'];
const split = (v) => v.split(/[\s,，、]+/).map((x) => x.trim()).filter(Boolean);

export async function renderSilences(view) {
  const mayEdit = can('operator');
  const stateFilter = el('select', { id: 'silence-state' }, ...STATES.map((s) => el('option', { value: s }, label('silenceState', s))));
  const body = el('tbody');
  const table = el('table', { id: 'silences' }, el('thead', {}, el('tr', {}, ...['id', 'kind', 'scope', 'window', 'state', 'reason', 'by', 'act'].map((h) => el('th', {}, t(`silences.col.${h}`))))), body);

  const now = cityNow();
  const kind = el('select', { id: 'silence-kind' }, ...['silence', 'maintenance'].map((k) => el('option', { value: k }, label('silenceKind', k))));
  const fields = Object.fromEntries(MATCHERS.map((m) => [m, el('input', { id: `silence-${m}`, placeholder: t(`silences.hint.${m}`), size: 18 })]));
  const starts = el('input', { type: 'datetime-local', id: 'silence-starts', value: toCityInput(now) });
  const ends = el('input', { type: 'datetime-local', id: 'silence-ends', value: toCityInput(now + 2 * 3600_000) });
  const reason = el('input', { id: 'silence-reason', placeholder: t('silences.reasonHint'), size: 30 });
  const form = el('form', { class: 'panel silence-form', id: 'silence-form', onsubmit: async (e) => {
    e.preventDefault();
    const matchers = {};
    for (const m of MATCHERS) { const list = split(fields[m].value); if (list.length) matchers[m] = list; }
    if (Object.keys(matchers).length === 0) { notify(t('silences.needScope'), 'error'); return; }
    if (!reason.value.trim()) { notify(t('silences.needReason'), 'error'); reason.focus(); return; }
    const from = fromCityInput(starts.value);
    const until = fromCityInput(ends.value);
    try {
      const created = await api('/api/v1/silences', { method: 'POST', body: { kind: kind.value, matchers, startsAt: new Date(from).toISOString(), endsAt: new Date(until).toISOString(), reason: reason.value.trim() } });
      notify(t('silences.created', { id: created.id }));
      for (const m of MATCHERS) fields[m].value = '';
      reason.value = '';
      await load();
    } catch (err) {
      notify(t('silences.failed', { message: err.message }), 'error');
    }
  } },
  el('h3', {}, t('silences.new')),
  el('div', { class: 'row' }, el('label', {}, t('silences.kind'), ' ', kind)),
  el('div', { class: 'row' }, ...MATCHERS.map((m) => el('label', {}, t(`silences.matcher.${m}`), ' ', fields[m]))),
  el('div', { class: 'row' }, el('label', {}, t('silences.from'), ' ', starts), el('label', {}, t('silences.until'), ' ', ends)),
  el('div', { class: 'row' }, el('label', {}, t('silences.reason'), ' ', reason), el('button', { class: 'primary', type: 'submit', id: 'silence-create' }, t('silences.create'))));

  view.append(el('div', { class: 'row' }, el('h2', {}, t('silences.title')), stateFilter), el('p', { class: 'muted' }, t('silences.help')), mayEdit ? form : el('p', { class: 'muted' }, t('silences.readOnly')), table);

  const scope = (m) => MATCHERS.filter((k) => m?.[k]?.length).map((k) => `${t(`silences.matcher.${k}`)}: ${m[k].map((v) => (k === 'districts' ? label('district', v) : v)).join(', ')}`).join('; ');

  async function load() {
    const state = stateFilter.value === 'current' ? undefined : stateFilter.value;
    let silences;
    try { ({ silences } = await api('/api/v1/silences', { query: { state } })); }
    catch (err) { notify(t('silences.loadFailed', { message: err.message }), 'error'); return; }
    body.innerHTML = '';
    if (silences.length === 0) body.append(el('tr', {}, el('td', { colspan: 8, class: 'muted' }, t('silences.none'))));
    for (const s of silences) {
      const expire = mayEdit && s.state !== 'expired' ? el('button', { 'data-testid': `expire-${s.id}`, onclick: async () => {
        try { await api(`/api/v1/silences/${encodeURIComponent(s.id)}/expire`, { method: 'POST', body: {} }); notify(t('silences.expired', { id: s.id })); await load(); }
        catch (err) { notify(t('silences.failed', { message: err.message }), 'error'); }
      } }, t('silences.expire')) : null;
      body.append(el('tr', { 'data-silence-id': s.id, 'data-state': s.state },
        el('td', {}, s.id), el('td', {}, label('silenceKind', s.kind)), el('td', {}, scope(s.matchers)),
        el('td', {}, `${fmtTime(s.startsAt)} – ${fmtTime(s.endsAt)}`), el('td', { class: 'state' }, label('silenceState', s.state)),
        el('td', {}, s.reason), el('td', { class: 'muted' }, s.createdBy), el('td', {}, expire)));
    }
  }
  stateFilter.addEventListener('change', () => load());
  await load();
}
