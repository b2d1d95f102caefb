import { el, go, notify, signIn } from '../app.js';

export function renderSignIn(view) {
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'tz_…', 'aria-label': 'API token' });
  const form = el('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const s = await signIn(input.value.trim());
      notify(`Signed in as ${s.name} (${s.role})`);
      go('#/map');
    } catch (err) {
      notify(err.status === 401 ? 'That API token is unknown or revoked.' : `Sign-in failed: ${err.message}`, 'error');
    }
  } },
  el('h2', {}, 'Sign in'),
  el('p', { class: 'muted' }, 'Paste your API token (from `tianzhong cases tokens add`). Its role decides what you can do here. It is kept only in this browser tab.'),
  input,
  el('button', { class: 'primary', type: 'submit', id: 'sign-in' }, 'Sign in'));
  view.append(form);
  input.focus();
}
