import { el, go, homeOf, label, notify, signIn, t } from '../app.js';

export function renderSignIn(view) {
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'tz_…', 'aria-label': t('signin.tokenLabel') });
  const form = el('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const s = await signIn(input.value.trim());
      notify(t('signin.done', { name: s.name, role: label('role', s.role) }));
      go(homeOf(s));
    } catch (err) {
      notify(err.status === 401 ? t('signin.unknownToken') : t('signin.failed', { message: err.message }), 'error');
    }
  } },
  el('h2', {}, t('signin.title')),
  el('p', { class: 'muted' }, t('signin.help')),
  input,
  el('button', { class: 'primary', type: 'submit', id: 'sign-in' }, t('signin.submit')));
  view.append(form);
  input.focus();
}
