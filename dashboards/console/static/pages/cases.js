// Case board: one column per workflow state, each card with its SLA
// countdown (red once overdue) and the actions the signed-in role may take.
// The case API is the authority; this table only decides which buttons to show.
import { api, can, ctx, el, fmtDuration, label, notify, t } from '../app.js';
import { cityNow } from '../i18n.js';

const COLUMNS = ['reported', 'registered', 'dispatched', 'in_progress', 'handled', 'verified', 'closed'];
/** Mirrors cases/transitions.ts: action → from states, roles, note required. */
const ACTIONS = {
  register: { from: ['reported'], roles: ['operator', 'dispatcher'], note: false },
  reject: { from: ['reported'], roles: ['operator', 'dispatcher'], note: true },
  dispatch: { from: ['registered'], roles: ['dispatcher', 'operator'], note: false },
  reassign: { from: ['dispatched', 'in_progress'], roles: ['dispatcher'], note: false },
  accept: { from: ['dispatched'], roles: ['crew'], note: false },
  return: { from: ['dispatched'], roles: ['crew', 'dispatcher'], note: true },
  handle: { from: ['in_progress'], roles: ['crew'], note: false },
  rework: { from: ['handled'], roles: ['inspector', 'dispatcher'], note: true, evidence: true },
  verify: { from: ['handled'], roles: ['inspector'], note: true, evidence: true },
  close: { from: ['verified'], roles: ['operator', 'dispatcher'], note: false },
  cancel: { from: ['reported', 'registered', 'dispatched', 'in_progress'], roles: ['operator', 'dispatcher'], note: true },
  reopen: { from: ['closed'], roles: ['operator'], note: true },
  arrive: { from: ['in_progress'], roles: ['crew'], note: false },
};

export function allowedActions(status, role) {
  return Object.entries(ACTIONS).filter(([, a]) => a.from.includes(status) && (role === 'admin' || a.roles.includes(role))).map(([name]) => name);
}

export async function renderCases(view) {
  const board = el('div', { class: 'board', id: 'case-board' });
  const filter = el('input', { placeholder: t('cases.filter'), id: 'case-filter', size: 30 });
  view.append(el('div', { class: 'row' }, el('h2', {}, t('cases.title')), filter, el('span', { class: 'muted', id: 'case-total' })), board);
  let crews = [];
  try { crews = (await api('/api/v1/crews')).crews ?? []; } catch { /* dispatch falls back to automatic */ }
  const countdowns = new Set();

  function card(c) {
    const due = c.stage?.dueAt ? Date.parse(c.stage.dueAt) : null;
    const sla = el('span', { class: 'sla', 'data-testid': `sla-${c.id}` });
    const node = el('div', { class: 'card', 'data-case-id': c.id, 'data-status': c.status });
    const tick = () => {
      if (due === null) { sla.textContent = ''; return; }
      const left = due - cityNow();
      const overdue = left < 0;
      sla.textContent = t(overdue ? 'sla.overdueBy' : 'sla.dueIn', { stage: label('stage', c.stage.name), time: fmtDuration(Math.abs(left)) });
      sla.classList.toggle('overdue', overdue);
      node.classList.toggle('overdue', overdue);
    };
    tick();
    countdowns.add(tick);
    const note = el('input', { placeholder: t('cases.note'), 'aria-label': t('cases.noteFor', { id: c.id }) });
    const crew = crews.length ? el('select', { 'aria-label': t('cases.crewFor', { id: c.id }) }, el('option', { value: '' }, t('cases.autoDispatch')), ...crews.map((w) => el('option', { value: w.id }, w.name || w.id))) : null;
    const actions = allowedActions(c.status, ctx.session.role);
    const buttons = actions.map((action) => el('button', { 'data-action': action, onclick: async (e) => {
      if (ACTIONS[action].note && !note.value.trim()) { notify(t('cases.needsNote', { action: label('action', action) }), 'error'); note.focus(); return; }
      e.target.disabled = true;
      try {
        const body = {};
        if (note.value.trim()) body.note = note.value.trim();
        // Verification needs evidence: here the note is the reference (the inspector page takes a photo).
        if (ACTIONS[action].evidence) body.evidence = note.value.trim();
        if ((action === 'dispatch' || action === 'reassign') && crew?.value) body.crewId = crew.value;
        const updated = await api(`/api/v1/cases/${c.id}/actions/${action}`, { method: 'POST', body });
        notify(t('cases.done', { id: c.id, action: label('action', action), status: label('status', updated.status) }));
        await load();
      } catch (err) {
        e.target.disabled = false;
        notify(t('cases.failed', { id: c.id, message: err.message }), 'error');
      }
    } }, label('action', action)));
    node.append(...[
      el('div', { class: 'title' }, `#${c.id} `, c.title),
      el('div', { class: `muted prio-${c.priority}` }, `${label('priority', c.priority)} · ${label('category', c.category)} · ${label('department', c.department)} · ${label('district', c.district)}`),
      c.assetId ? el('div', {}, el('a', { href: `#/device/${encodeURIComponent(c.assetId)}` }, c.assetId)) : null,
      c.crewId ? el('div', { class: 'muted' }, t('cases.crew', { crew: c.crewId })) : null,
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
    for (const status of COLUMNS) {
      const members = shown.filter((c) => (status === 'closed' ? ['closed', 'cancelled', 'rejected'].includes(c.status) : c.status === status));
      board.append(el('div', { class: 'column', 'data-column': status }, el('h3', {}, t('cases.column', { title: t(`cases.col.${status}`), n: members.length })), ...members.map(card)));
    }
    document.getElementById('case-total').textContent = t('cases.total', { n: total ?? cases.length });
  }
  filter.addEventListener('input', () => load().catch(() => {}));
  const timer = setInterval(() => { for (const t of countdowns) t(); }, 1000);
  const refresh = setInterval(() => load().catch(() => {}), 30_000);
  ctx.leave.push(() => { clearInterval(timer); clearInterval(refresh); });
  if (!can('operator', 'dispatcher', 'crew', 'readonly')) notify(t('cases.cannotRead'), 'error');
  await load();
}
