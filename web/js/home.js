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

let checking = false;
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (checking) return;
  const raw = input.value.trim();
  const fromLink = raw.match(/[?&]code=([^&#\s]+)/);
  const code = normaliseCode(fromLink ? decodeURIComponent(fromLink[1]) : raw);
  const problem = !raw ? t('home.errorEmpty') : code.replace('-', '').length !== 8 ? t('home.errorFormat') : await check(code);
  showProblem(problem);
  if (problem) return;
  location.href = `join.html?code=${encodeURIComponent(code)}`;
});

function showProblem(problem) {
  error.textContent = problem;
  if (problem) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    input.removeAttribute('aria-invalid');
  }
}

/**
 * Asks the server whether the code opens a workshop (GET /api/codes/{code}) before asking for a
 * name: a wrong code is said here, next to the field.
 * @param {string} code
 * @returns {Promise<string>} the problem to show, or '' (the code is right, or the server could
 *   not be asked: the join page will say what is wrong)
 */
async function check(code) {
  const submit = form.querySelector('[data-testid="code-submit"]');
  checking = true;
  submit.setAttribute('aria-disabled', 'true');
  submit.textContent = t('home.checking');
  try {
    const response = await fetch(`/api/codes/${encodeURIComponent(code)}`, { cache: 'no-store' });
    if (response.status === 404) return t('home.errorUnknown');
    if (response.status === 429) return t('home.errorTooMany');
    return '';
  } catch {
    return '';
  } finally {
    checking = false;
    submit.removeAttribute('aria-disabled');
    submit.textContent = t('home.submit');
  }
}

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
