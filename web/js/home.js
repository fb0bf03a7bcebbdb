// index.html: the join code form. Sends the person to join.html?code=XXXX-XXXX.

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { normaliseCode, registerOfflineShell } from './ui.js';

applyTranslations();
registerOfflineShell();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));

const form = document.getElementById('code-form');
const input = document.getElementById('code');
const error = document.getElementById('code-error');

// A code pasted from a link (…/join.html?code=…) or typed with spaces still works.
input.addEventListener('input', () => {
  if (input.getAttribute('aria-invalid')) { input.removeAttribute('aria-invalid'); error.textContent = ''; }
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const raw = input.value.trim();
  const fromLink = raw.match(/[?&]code=([^&#\s]+)/);
  const code = normaliseCode(fromLink ? decodeURIComponent(fromLink[1]) : raw);
  const problem = !raw ? t('home.errorEmpty') : code.replace('-', '').length !== 8 ? t('home.errorFormat') : '';
  error.textContent = problem;
  if (problem) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  location.href = `join.html?code=${encodeURIComponent(code)}`;
});

// Sessions kept on this device (join.js stores one per code): offer to go back to them.
function listSessions() {
  const codes = [];
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key?.startsWith('atelier.session.')) codes.push(key.slice('atelier.session.'.length));
    }
  } catch { /* storage disabled */ }
  const list = document.getElementById('resume-list');
  list.replaceChildren(...codes.sort().map((code) => {
    const link = document.createElement('a');
    link.href = `join.html?code=${encodeURIComponent(code)}`;
    link.className = 'btn';
    link.textContent = t('home.resumeLink', { code });
    const item = document.createElement('li');
    item.append(link);
    return item;
  }));
  document.getElementById('resume').hidden = codes.length === 0;
}
listSessions();
languageEvents.addEventListener('change', listSessions);
