// facilitator.html#workshop=<id>&key=<key>: the facilitator's console. Every table's board side by
// side, the participants, the phase bar, the join code and the JSON export.
//
// The facilitator key comes in the URL fragment (never sent to the server in a request line).
// It is moved to sessionStorage and removed from the address bar at once, so it does not show on
// a projected screen or end up in the history; it is never logged.

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { Connection } from './socket.js';
import { Store } from './store.js';
import { BoardView, el, domId } from './board.js';
import { announce, errorText, normaliseCode, showConnectionState, showError } from './ui.js';

const $ = (id) => document.getElementById(id);

applyTranslations();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));

/** @returns {{workshop: string|null, key: string|null, code: string|null}} */
function readCredentials() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const workshop = hash.get('workshop');
  const storageKey = workshop ? `atelier.facilitator.${workshop}` : null;
  let key = hash.get('key');
  let code = hash.get('code');
  try {
    if (storageKey && key) sessionStorage.setItem(storageKey, JSON.stringify({ key, code }));
    const stored = storageKey ? JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') : null;
    key = key ?? stored?.key ?? null;
    code = code ?? stored?.code ?? null;
  } catch { /* no sessionStorage: the key stays in the fragment */ }
  if (workshop && hash.has('key')) {
    try { sessionStorage.getItem(storageKey) && history.replaceState(null, '', `#workshop=${encodeURIComponent(workshop)}`); } catch { /* keep it */ }
  }
  return { workshop, key, code: code ? normaliseCode(code) : null };
}

const credentials = readCredentials();
// A new facilitator link pasted into the same tab only changes the fragment: start over with it.
window.addEventListener('hashchange', () => location.reload());
const store = new Store();
const boardViews = new Map();
let boardsShape = null;
let connection = null;

if (!credentials.workshop || !credentials.key) {
  showError($('fac-alerts'), t('fac.missingKey'));
} else {
  connection = new Connection({
    join: () => ({
      workshop: credentials.workshop, facilitatorKey: credentials.key,
      ...(store.ready ? { since: store.seq } : {}),
    }),
  });
  connection.addEventListener('welcome', (e) => store.applyWelcome(e.detail.message));
  connection.addEventListener('event', (e) => store.applyEvent(e.detail.event));
  connection.addEventListener('presence', (e) => store.setPresence(e.detail.participant, e.detail.online));
  connection.addEventListener('outbox', (e) => { store.setPending(e.detail.pending); refreshConnection(); });
  connection.addEventListener('state', refreshConnection);
  connection.addEventListener('joinfailed', (e) => {
    const { code, message } = e.detail;
    showError($('fac-alerts'), code === 'unauthenticated' ? t('fac.rejected') : errorText(code, message));
    refreshConnection();
  });
  connection.addEventListener('rejected', (e) => {
    if (!e.detail.retrying) showError($('fac-alerts'), errorText(e.detail.code, e.detail.message));
  });
  store.addEventListener('change', render);
  store.addEventListener('phasechanged', () => announce($('announcer'), t('announce.phase', { title: store.phase?.title ?? '' })));
  languageEvents.addEventListener('change', () => { boardsShape = null; render(); refreshConnection(); });
  connection.start();
  refreshConnection();
}

function refreshConnection() {
  if (connection) showConnectionState(document.querySelector('[data-testid="connection-state"]'), connection.state, connection.pending.length);
}

// --- Rendering ---------------------------------------------------------------------------------

function render() {
  if (!store.ready) return;
  $('fac-console').hidden = false;
  const w = store.workshop;
  $('fac-title').textContent = w.title;
  document.title = `${t('fac.title')} — ${w.title}`;
  renderPhases();
  renderShare();
  renderBoards();
  renderPeople();
}

function renderPhases() {
  const phase = store.phase;
  const indicator = document.querySelector('[data-testid="phase"]');
  indicator.dataset.phase = phase?.id ?? '';
  indicator.textContent = t('fac.currentPhase', { title: phase?.title ?? '' });
  const bar = $('phase-bar');
  const phases = store.workshop.phases;
  if (bar.childElementCount !== phases.length || bar.dataset.lang !== t('fac.phases')) {
    bar.dataset.lang = t('fac.phases');
    bar.replaceChildren(...phases.map((p, i) => el('li', { className: 'phase-bar__item' }, [
      el('button', {
        type: 'button', className: 'phase-bar__button',
        dataset: { phaseButton: p.id }, title: t('fac.setPhase', { title: p.title }),
      }, [el('span', { className: 'phase-bar__step', text: String(i + 1), attrs: { 'aria-hidden': 'true' } }), el('span', { text: p.title })]),
    ])));
  }
  for (const button of bar.querySelectorAll('[data-phase-button]')) {
    const current = button.dataset.phaseButton === phase?.id;
    button.setAttribute('aria-pressed', String(current));
    if (current) button.setAttribute('aria-current', 'step'); else button.removeAttribute('aria-current');
  }
}

$('phase-bar').addEventListener('click', (e) => {
  const button = e.target.closest('[data-phase-button]');
  if (!button || !connection || button.dataset.phaseButton === store.workshop?.phase) return;
  connection.send('phase.set', { phase: button.dataset.phaseButton });
});

function joinCode() {
  const fromServer = store.workshop?.joinCode;
  return fromServer ? normaliseCode(fromServer) : credentials.code;
}

function renderShare() {
  const code = joinCode();
  $('join-code').textContent = code ?? t('fac.codeUnknown');
  $('join-code').classList.toggle('share__code--unknown', !code);
  $('join-link-field').hidden = !code;
  if (code) $('join-link').value = new URL(`join.html?code=${encodeURIComponent(code)}`, location.href).href;
}

$('copy-link').addEventListener('click', async () => {
  const input = $('join-link');
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select(); // plain http on a LAN has no clipboard API: leave it selected for Ctrl+C
    document.execCommand?.('copy');
  }
  announce($('announcer'), t('fac.copied'));
});

function renderBoards() {
  const container = $('mini-boards');
  const boards = store.workshop.boards;
  const shape = JSON.stringify(boards.map((b) => [b.id, b.title, b.group]));
  if (shape !== boardsShape) {
    boardsShape = shape;
    boardViews.clear();
    container.replaceChildren();
    for (const board of boards) {
      const titleId = domId('mini', board.id, 'title');
      const body = el('div', { className: 'mini-board__body' });
      const people = el('p', { className: 'mini-board__people' });
      container.append(el('section', { className: 'mini-board', dataset: { board: board.id }, attrs: { 'aria-labelledby': titleId } }, [
        el('header', { className: 'mini-board__head' }, [el('h3', { id: titleId, text: board.title }), people]),
        body,
      ]));
      boardViews.set(board.id, { view: new BoardView(body, store, { mode: 'mini', boardId: board.id }), people });
    }
  }
  for (const board of boards) {
    const { view, people } = boardViews.get(board.id);
    const here = store.workshop.participants.filter((p) => p.group === board.group && p.role !== 'facilitator');
    people.textContent = t('fac.people', { n: here.length });
    view.render();
  }
}

function renderPeople() {
  const people = store.workshop.participants.filter((p) => p.role !== 'facilitator');
  const online = people.filter((p) => p.online).length;
  $('people-summary').textContent = t('fac.onlineCount', { n: online, total: people.length });
  $('people-empty').hidden = people.length > 0;
  $('people-rows').replaceChildren(...people.map((p) => el('tr', { dataset: { participant: p.id } }, [
    el('th', { scope: 'row', text: p.name ?? t('card.unknown') }),
    el('td', { text: p.organisation ?? '' }),
    el('td', { text: p.actor ? t(`actor.${p.actor}`) : '' }),
    el('td', { text: store.group(p.group)?.title ?? t('fac.noTable') }),
    el('td', {}, [el('span', { className: `presence presence--${p.online ? 'on' : 'off'}`, text: t(p.online ? 'fac.online' : 'fac.offline') })]),
  ])));
}

// --- Export ------------------------------------------------------------------------------------

$('export-json').addEventListener('click', async () => {
  const button = $('export-json');
  button.disabled = true;
  button.textContent = t('fac.exporting');
  try {
    const response = await fetch(`/api/workshops/${encodeURIComponent(credentials.workshop)}/export?format=json`, {
      headers: { Authorization: `Bearer ${credentials.key}` },
      cache: 'no-store',
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new Error(body?.error?.message ?? String(response.status));
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: `atelier-${credentials.workshop}.json`, className: 'sr-only' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    announce($('announcer'), t('fac.exportDone'));
  } catch (error) {
    showError($('fac-alerts'), t('fac.exportFailed', { message: error.message }));
  } finally {
    button.disabled = false;
    button.textContent = t('fac.export');
  }
});
