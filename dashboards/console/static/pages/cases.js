// Case board: one column per workflow state, each card with its SLA
// countdown (red once overdue) and the actions the signed-in role may take.
// The case API is the authority; this table only decides which buttons to show.
import { api, can, ctx, el, fmtDuration, notify } from '../app.js';

const COLUMNS = [
  ['reported', 'Reported'], ['registered', 'Registered'], ['dispatched', 'Dispatched'], ['in_progress', 'In progress'],
  ['handled', 'Handled'], ['verified', 'Verified'], ['closed', 'Closed / cancelled'],
];
/** Mirrors cases/transitions.ts: action → from states, roles, note required. */
const ACTIONS = {
  register: { from: ['reported'], roles: ['operator', 'dispatcher'], note: false },
  reject: { from: ['reported'], roles: ['operator', 'dispatcher'], note: true },
  dispatch: { from: ['registered'], roles: ['dispatcher', 'operator'], note: false },
  reassign: { from: ['dispatched', 'in_progress'], roles: ['dispatcher'], note: false },
  accept: { from: ['dispatched'], roles: ['crew'], note: false },
  return: { from: ['dispatched'], roles: ['crew', 'dispatcher'], note: true },
  handle: { from: ['in_progress'], roles: ['crew'], note: false },
  rework: { from: ['handled'], roles: ['operator', 'dispatcher'], note: true },
  verify: { from: ['handled'], roles: ['operator'], note: false },
  close: { from: ['verified'], roles: ['operator', 'dispatcher'], note: false },
  cancel: { from: ['reported', 'registered', 'dispatched', 'in_progress'], roles: ['operator', 'dispatcher'], note: true },
  reopen: { from: ['closed'], roles: ['operator'], note: true },
};

export function allowedActions(status, role) {
  return Object.entries(ACTIONS).filter(([, a]) => a.from.includes(status) && (role === 'admin' || a.roles.includes(role))).map(([name]) => name);
}

export async function renderCases(view) {
  const board = el('div', { class: 'board', id: 'case-board' });
  const filter = el('input', { placeholder: 'filter: district, asset, category…', id: 'case-filter', size: 30 });
  view.append(el('div', { class: 'row' }, el('h2', {}, 'Cases'), filter, el('span', { class: 'muted', id: 'case-total' })), board);
  let crews = [];
  try { crews = (await api('/api/v1/crews')).crews ?? []; } catch { /* dispatch falls back to automatic */ }
  const countdowns = new Set();

  function card(c) {
    const due = c.stage?.dueAt ? Date.parse(c.stage.dueAt) : null;
    const sla = el('span', { class: 'sla', 'data-testid': `sla-${c.id}` });
    const node = el('div', { class: 'card', 'data-case-id': c.id, 'data-status': c.status });
    const tick = () => {
      if (due === null) { sla.textContent = ''; return; }
      const left = due - Date.now();
      const overdue = left < 0;
      sla.textContent = `${c.stage.name} ${overdue ? 'overdue by' : 'due in'} ${fmtDuration(Math.abs(left))}`;
      sla.classList.toggle('overdue', overdue);
      node.classList.toggle('overdue', overdue);
    };
    tick();
    countdowns.add(tick);
    const note = el('input', { placeholder: 'note', 'aria-label': `note for case ${c.id}` });
    const crew = crews.length ? el('select', { 'aria-label': `crew for case ${c.id}` }, el('option', { value: '' }, 'auto-dispatch'), ...crews.map((w) => el('option', { value: w.id }, w.name || w.id))) : null;
    const actions = allowedActions(c.status, ctx.session.role);
    const buttons = actions.map((action) => el('button', { 'data-action': action, onclick: async (e) => {
      if (ACTIONS[action].note && !note.value.trim()) { notify(`${action} needs a note saying why`, 'error'); note.focus(); return; }
      e.target.disabled = true;
      try {
        const body = {};
        if (note.value.trim()) body.note = note.value.trim();
        if ((action === 'dispatch' || action === 'reassign') && crew?.value) body.crewId = crew.value;
        const updated = await api(`/api/v1/cases/${c.id}/actions/${action}`, { method: 'POST', body });
        notify(`Case ${c.id}: ${action} → ${updated.status}`);
        await load();
      } catch (err) {
        e.target.disabled = false;
        notify(`Case ${c.id}: ${err.message}`, 'error');
      }
    } }, action));
    node.append(...[
      el('div', { class: 'title' }, `#${c.id} `, c.title),
      el('div', { class: `muted prio-${c.priority}` }, `${c.priority} · ${c.category} · ${c.district ?? '—'}`),
      c.assetId ? el('div', {}, el('a', { href: `#/device/${encodeURIComponent(c.assetId)}` }, c.assetId)) : null,
      c.crewId ? el('div', { class: 'muted' }, `crew ${c.crewId}`) : null,
      sla,
      actions.length ? el('div', {}, actions.some((a) => a === 'dispatch' || a === 'reassign') ? crew : null, note) : null,
      actions.length ? el('div', { class: 'actions' }, ...buttons) : null,
    ].filter(Boolean));
    return node;
  }

  async function load() {
    const { cases, total } = await api('/api/v1/cases', { query: { limit: 500 } });
    countdowns.clear();
    const q = filter.value.trim().toLowerCase();
    const shown = cases.filter((c) => !q || [c.title, c.district, c.assetId, c.category, c.crewId].some((v) => v && String(v).toLowerCase().includes(q)));
    board.innerHTML = '';
    for (const [status, title] of COLUMNS) {
      const members = shown.filter((c) => (status === 'closed' ? ['closed', 'cancelled', 'rejected'].includes(c.status) : c.status === status));
      board.append(el('div', { class: 'column', 'data-column': status }, el('h3', {}, `${title} (${members.length})`), ...members.map(card)));
    }
    document.getElementById('case-total').textContent = `${total ?? cases.length} cases`;
  }
  filter.addEventListener('input', () => load().catch(() => {}));
  const timer = setInterval(() => { for (const t of countdowns) t(); }, 1000);
  const refresh = setInterval(() => load().catch(() => {}), 30_000);
  ctx.leave.push(() => { clearInterval(timer); clearInterval(refresh); });
  if (!can('operator', 'dispatcher', 'crew', 'readonly')) notify('Your role cannot read cases.', 'error');
  await load();
}
