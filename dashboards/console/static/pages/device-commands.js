// The device page's command panel (issue 15): pick one of the commands the
// device's profile accepts, fill its parameters (bounds from the profile),
// send it through the registry's command API, and follow every command of
// the device — sent → acked / failed / timed out, who asked and when. The
// list polls while a command is still open (the API has no event stream);
// the API is the authority on roles (operator, admin), the panel is only
// shown to them.
import { api, can, ctx, el, fmtTime, label, notify, t } from '../app.js';

/** `role:name#tokenId` (service-kit's actorOf) → the name a person reads; a rule (`rule:id`) stays as it is. */
const personOf = (actor) => /^[a-z-]+:(.+)#[^#]*$/.exec(actor ?? '')?.[1] ?? actor ?? '';

const OPEN_POLL_MS = 1000;
const IDLE_POLL_MS = 10_000;

/** Only operators and admins see the panel (the API refuses the others anyway). */
export const mayCommand = () => Boolean(ctx.config?.commands) && can('operator');

function paramInput(cmd, p) {
  const id = `cmd-param-${p.name}`;
  const title = label('commandParam', p.name);
  if (p.type === 'boolean') {
    return el('label', { class: 'param' }, el('input', { type: 'checkbox', id, 'data-param': p.name }), ` ${title}`);
  }
  const bounds = p.min !== null && p.max !== null ? t('commands.range', { min: p.min, max: p.max }) : '';
  return el('label', { class: 'param' }, `${title} `,
    el('input', { type: 'number', id, 'data-param': p.name, min: p.min ?? undefined, max: p.max ?? undefined, step: p.type === 'integer' ? 1 : 'any', value: p.min ?? 0, size: 6, required: true }),
    bounds ? el('span', { class: 'muted' }, ` ${bounds}`) : null);
}

function readParams(form, cmd) {
  const params = {};
  for (const p of cmd.params) {
    const input = form.querySelector(`[data-param="${p.name}"]`);
    if (p.type === 'boolean') { params[p.name] = input.checked; continue; }
    const v = Number(input.value);
    if (input.value === '' || !Number.isFinite(v) || (p.type === 'integer' && !Number.isInteger(v)) || (p.min !== null && v < p.min) || (p.max !== null && v > p.max)) {
      throw new Error(t('commands.badParam', { param: label('commandParam', p.name) }));
    }
    params[p.name] = v;
  }
  return params;
}

const paramsText = (params) => Object.entries(params ?? {}).map(([k, v]) => `${label('commandParam', k)} = ${typeof v === 'boolean' ? label('value', String(v)) : v}`).join(', ');

function row(c) {
  return el('tr', { 'data-command-id': c.commandId, 'data-state': c.state, 'data-command': c.name },
    el('td', {}, label('command', c.name)),
    el('td', {}, paramsText(c.params)),
    el('td', { class: `cmd-state cmd-${c.state}` }, label('commandState', c.state)),
    el('td', { title: c.requestedBy }, personOf(c.requestedBy)),
    el('td', {}, fmtTime(c.requestedAt)),
    el('td', {}, c.answeredAt ? fmtTime(c.answeredAt) : '—'),
    // The gateway's own detail (e.g. the register written) stays as it came, after the result in words.
    el('td', { class: 'muted', title: c.detail ?? '' }, [c.result ? label('commandResult', c.result) : '', c.detail ? `(${c.detail})` : ''].filter(Boolean).join(' ')));
}

/** The panel for one device (its profile's commands); null when the role or the service has none. */
export function commandPanel(device) {
  if (!mayCommand()) return null;
  const commands = ctx.config.deviceCommands?.[device.profile] ?? [];
  const body = el('tbody', {});
  const list = el('table', { id: 'command-history' },
    el('thead', {}, el('tr', {}, ...['command', 'params', 'state', 'by', 'sent', 'answered', 'detail'].map((k) => el('th', {}, t(`commands.col.${k}`))))), body);
  const panel = el('div', { class: 'panel', id: 'command-panel' }, el('h3', {}, t('commands.title')));
  if (commands.length === 0) {
    panel.append(el('p', { class: 'muted' }, t('commands.none')));
    return panel;
  }
  const pick = el('select', { id: 'command-pick' }, ...commands.map((c) => el('option', { value: c.name }, label('command', c.name, c.description || c.name))));
  const params = el('div', { class: 'row', id: 'command-params' });
  const send = el('button', { id: 'command-send', type: 'submit' }, t('commands.send'));
  // novalidate: the panel says which parameter is wrong, in the console's language.
  const form = el('form', { class: 'row', id: 'command-form', novalidate: true }, pick, params, send);
  const chosen = () => commands.find((c) => c.name === pick.value) ?? commands[0];
  const drawParams = () => { params.replaceChildren(...chosen().params.map((p) => paramInput(chosen(), p))); };
  pick.addEventListener('change', drawParams);
  drawParams();

  let timer = null;
  let alive = true;
  ctx.leave.push(() => { alive = false; clearTimeout(timer); });
  const refresh = async () => {
    clearTimeout(timer);
    let history = [];
    try { history = (await api(`/api/v1/devices/${encodeURIComponent(device.deviceId)}/commands`, { query: { limit: 20 } })).commands; }
    catch (err) { if (alive) notify(t('commands.listFailed', { message: err.message }), 'error'); }
    if (!alive) return;
    body.replaceChildren(...history.map(row));
    if (history.length === 0) body.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, t('commands.empty'))));
    // Poll fast while a command waits for its ack, slowly otherwise.
    timer = setTimeout(refresh, history.some((c) => c.state === 'sent') ? OPEN_POLL_MS : IDLE_POLL_MS);
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const cmd = chosen();
    let values;
    try { values = readParams(form, cmd); } catch (err) { notify(err.message, 'error'); return; }
    send.disabled = true;
    try {
      const sent = await api(`/api/v1/devices/${encodeURIComponent(device.deviceId)}/commands`, { method: 'POST', body: { name: cmd.name, params: values } });
      notify(t('commands.sent', { command: label('command', cmd.name), state: label('commandState', sent.state) }));
    } catch (err) {
      notify(t('commands.failed', { message: err.message }), 'error');
    } finally {
      send.disabled = false;
    }
    await refresh();
  });
  panel.append(form, list);
  refresh();
  return panel;
}
