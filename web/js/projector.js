// projector.html#workshop=<id>&key=<key>&code=<code>: what the facilitator puts on the room's
// projector. The join code and its QR code, the phase, the countdown, the facilitator's message and
// every table's board, live, in type large enough for the back of the room.
//
// It connects with the facilitator's credentials (the same link as the console; credentials.js
// keeps the key out of the address bar, which is on the wall) but is strictly read-only: this page
// never calls Connection.send, so the only messages it sends are the join and the heartbeat pings.
// The buttons it has (what to show, hide the code, full screen, language), behind its "Affichage"
// toolbar and its keyboard shortcuts, only change this screen. The mode is in the address too
// (`#…&mode=rotation&every=20`), so a bookmarked wall comes back as it was.

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { Connection } from './socket.js';
import { ANNOUNCEMENT_FRESH_MS, Store } from './store.js';
import { el } from './dom.js';
import { mountCountdown } from './timer.js';
import { MODES, mountProjectorBoards } from './projector-boards.js';
import { fetchSeriesStatus } from './series-status.js';
import { announce, errorText, normaliseCode, showConnectionState, showError } from './ui.js';
import { readFacilitatorCredentials } from './credentials.js';

const $ = (id) => document.getElementById(id);
const JOIN_HIDDEN_KEY = 'atelier.projector.joinHidden';
const DISMISSED_KEY = 'atelier.projector.dismissed';
let shownSeq = 0;

applyTranslations();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));

const startView = readView();
const credentials = readFacilitatorCredentials();
// A new link pasted into the same tab only changes the fragment: start over with it; a fragment
// that only changes the mode (typed by hand) changes the mode.
window.addEventListener('hashchange', () => {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('key') || (hash.get('workshop') && hash.get('workshop') !== credentials.workshop)) { location.reload(); return; }
  const view = readView();
  if (view.every) { boards.setEvery(view.every); $('rotation-every').value = String(view.every); }
  if (view.mode) boards.setMode(view.mode);
  renderControls();
});
const store = new Store();
let connection = null;
/** The console's last choice this wall has followed (`projector {mode, every}`), as a string. */
let followedView = null;
let countdown = null;
let joinHidden = readJoinHidden();
const boards = mountProjectorBoards({ store, dom: {
  stage: $('proj-boards'), grid: $('proj-grid'), note: $('proj-note'), viewTitle: $('proj-view-title'),
  ranking: $('proj-ranking'), sheets: $('proj-sheets'), status: $('proj-status'),
}, loadStatus: () => fetchSeriesStatus(credentials.workshop, credentials.key) });
if (startView.every) { boards.setEvery(startView.every); $('rotation-every').value = String(startView.every); }
if (startView.mode) boards.setMode(startView.mode);

if (!credentials.workshop || !credentials.key) {
  showError($('proj-alerts'), t('fac.missingKey'));
} else {
  connection = new Connection({
    workshop: () => credentials.workshop,
    join: () => ({
      workshop: credentials.workshop, facilitatorKey: credentials.key,
      ...(store.ready ? { since: store.seq } : {}),
    }),
  });
  connection.addEventListener('welcome', (e) => {
    const { message } = e.detail;
    store.applyWelcome(message);
  });
  connection.addEventListener('event', (e) => store.applyEvent(e.detail.event));
  connection.addEventListener('state', refreshConnection);
  connection.addEventListener('joinfailed', (e) => {
    const { code, message } = e.detail;
    showError($('proj-alerts'), code === 'unauthenticated' ? t('fac.rejected') : errorText(code, message));
    refreshConnection();
  });
  store.addEventListener('change', render);
  store.addEventListener('phasechanged', () => announce($('announcer'), t('announce.phase', { title: store.phase?.title ?? '' })));
  store.addEventListener('votesrevealed', () => announce($('announcer'), t('announce.votesRevealed')));
  store.addEventListener('announcement', (e) => {
    if (e.detail.seq && e.detail.seq <= dismissedSeq()) return; // hidden on this wall already
    if (e.detail.live || isRecent(e.detail.at)) { shownSeq = e.detail.seq ?? 0; showAnnouncement(e.detail.text); }
  });
  connection.addEventListener('votesprogress', (e) => store.setVoters(e.detail.voters));
  // The facilitator withdrew the message: it leaves the wall too.
  store.addEventListener('announcementwithdrawn', () => {
    if ($('proj-announcement').hidden) return;
    $('proj-announcement').hidden = true;
    boards.fit();
  });
  store.addEventListener('focus', (e) => {
    const board = e.detail.board ? store.board(e.detail.board) : null;
    announce($('announcer'), board ? t('proj.focus', { title: board.title }) : t('follow.ended'));
  });
  countdown = mountCountdown({ store, connection, node: $('proj-timer'), announcer: $('announcer') });
  connection.start();
  refreshConnection();
}

function refreshConnection() {
  if (!connection) return;
  const node = document.querySelector('[data-testid="connection-state"]');
  showConnectionState(node, connection.state, 0);
  // Nothing waits to be sent from here: say only that the screen is trying again.
  if (node.dataset.state === 'offline') node.querySelector('.conn__text').textContent = t('proj.offline');
  // Connected is the normal state: the wall stays uncluttered.
  node.hidden = node.dataset.state === 'online';
}

// --- Rendering ---------------------------------------------------------------------------------

function render() {
  if (!store.ready) return;
  const w = store.workshop;
  $('proj-layout').hidden = false;
  $('proj-title').textContent = w.title;
  document.title = `${t('proj.title')} — ${w.title}`;
  const state = w.closed ? t('proj.closed') : w.paused ? t('proj.paused') : '';
  $('proj-state').textContent = state;
  $('proj-state').dataset.state = w.closed ? 'closed' : w.paused ? 'paused' : '';
  $('proj-state').hidden = !state;
  renderPhase();
  renderJoin();
  followConsole();
  boards.render();
}

/**
 * The facilitator chooses from the console what the wall shows (`projector.show`): each new choice
 * (a `projector.shown` event, or a snapshot after a reconnection that differs) is followed, as is
 * the snapshot's choice when the page opens; the toolbar here still changes this screen until the
 * console chooses again.
 */
function followConsole() {
  const view = store.workshop.projector;
  if (!view || !MODES.includes(view.mode)) return;
  const key = JSON.stringify([view.mode, view.every ?? null]);
  if (key === followedView) return;
  const firstSeen = followedView === null;
  followedView = key;
  // A mode in the address (a bookmarked wall) holds until the console chooses something else
  // than the default (every table).
  if (firstSeen && startView.mode && view.mode === 'all') return;
  if (view.mode === 'rotation' && view.every >= 5 && view.every <= 600) {
    boards.setEvery(view.every);
    const select = $('rotation-every');
    if (![...select.options].some((o) => o.value === String(view.every))) select.append(el('option', { value: String(view.every), text: `${view.every} s` }));
    select.value = String(view.every);
  }
  if (boards.mode() === view.mode) { writeView(); return; }
  chooseMode(view.mode);
}

function renderPhase() {
  const phase = store.phase;
  const node = document.querySelector('[data-testid="phase"]');
  node.dataset.phase = phase?.id ?? '';
  const total = store.workshop.phases.length;
  node.replaceChildren(
    el('span', { className: 'proj-phase__step', text: t('proj.phaseStep', { n: store.phaseIndex + 1, total }) }),
    el('span', { className: 'proj-phase__title', text: phase?.title ?? '' }),
    ...(phase?.instructions ? [el('span', { className: 'proj-phase__instructions', text: phase.instructions, dataset: { testid: 'projector-instructions' } })] : []),
  );
}

function joinCode() {
  const fromServer = store.you?.joinCode ?? store.workshop?.joinCode;
  return fromServer ? normaliseCode(fromServer) : credentials.code;
}

function renderJoin() {
  const code = joinCode();
  $('proj-code').textContent = code ?? t('fac.codeUnknown');
  $('proj-code').classList.toggle('proj-join__code--unknown', !code);
  $('proj-url').textContent = new URL('./', location.href).href.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const qr = code ? `/api/qr.svg?code=${encodeURIComponent(code)}` : null;
  const img = $('proj-qr');
  if (!qr) { img.hidden = true; $('proj-qr-hint').hidden = true; return; }
  img.alt = t('fac.qrAlt', { code });
  if (img.getAttribute('src') !== qr) img.src = qr;
}

// The QR code is optional: a server without it still shows the address and the code.
$('proj-qr').addEventListener('load', () => { $('proj-qr').hidden = false; $('proj-qr-hint').hidden = false; boards.fit(); });
$('proj-qr').addEventListener('error', () => { $('proj-qr').hidden = true; $('proj-qr-hint').hidden = true; });

// --- The facilitator's message ---------------------------------------------------------------

function showAnnouncement(text) {
  const box = $('proj-announcement');
  box.querySelector('[data-testid="announcement-text"]').textContent = text;
  box.hidden = false;
  announce($('announcer'), t('announce.message', { text }));
  boards.fit();
}

/** A message made before this page connected (a reload, a reconnection) is shown if still recent. */
function isRecent(at) {
  const time = Date.parse(at ?? '');
  return Number.isFinite(time) && connection && connection.serverNow() - time <= ANNOUNCEMENT_FRESH_MS;
}

/** The last message hidden on this wall ("Ne plus afficher"): not shown again after a reload. */
function dismissedSeq() {
  try { return Number(sessionStorage.getItem(`${DISMISSED_KEY}.${credentials.workshop}`) ?? 0); } catch { return 0; }
}

$('announcement-hide').addEventListener('click', () => {
  try { sessionStorage.setItem(`${DISMISSED_KEY}.${credentials.workshop}`, String(shownSeq)); } catch { /* not remembered */ }
  $('proj-announcement').hidden = true;
  $('main').focus();
  boards.fit();
});

// --- This screen's own controls (nothing reaches the server) -----------------------------------

function readJoinHidden() {
  try { return sessionStorage.getItem(JOIN_HIDDEN_KEY) === 'true'; } catch { return false; }
}

function renderControls() {
  for (const b of document.querySelectorAll('button[data-mode]')) b.setAttribute('aria-pressed', String(b.dataset.mode === boards.mode()));
  const pause = $('rotation-pause');
  pause.setAttribute('aria-pressed', String(boards.paused()));
  pause.textContent = boards.paused() ? t('proj.rotationResume') : t('proj.rotationPause');
  const toggle = $('toggle-join');
  toggle.textContent = joinHidden ? t('proj.showJoin') : t('proj.hideJoin');
  toggle.setAttribute('aria-expanded', String(!joinHidden));
  $('proj-join').hidden = joinHidden;
  $('proj-layout').classList.toggle('proj-layout--nojoin', joinHidden);
  const full = $('fullscreen');
  full.hidden = !document.fullscreenEnabled;
  full.textContent = document.fullscreenElement ? t('proj.exitFullscreen') : t('proj.fullscreen');
}

$('toggle-join').addEventListener('click', () => {
  joinHidden = !joinHidden;
  try { sessionStorage.setItem(JOIN_HIDDEN_KEY, String(joinHidden)); } catch { /* not remembered */ }
  renderControls();
  boards.fit();
});

$('fullscreen').addEventListener('click', () => {
  const request = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
  request?.catch?.(() => { /* refused (e.g. not from a user gesture): nothing to do */ });
});
document.addEventListener('fullscreenchange', () => { renderControls(); boards.fit(); });

languageEvents.addEventListener('change', () => {
  renderControls();
  render();
  countdown?.render();
  refreshConnection();
});

// --- What to show: the toolbar, the keys, the address -----------------------------------------

/** @returns {{mode: string|null, every: number|null}} the mode and rotation period in the fragment. */
function readView() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const mode = MODES.includes(hash.get('mode')) ? hash.get('mode') : null;
  const every = Number(hash.get('every'));
  return { mode, every: Number.isInteger(every) && every >= 5 && every <= 600 ? every : null };
}

/** Writes the mode into the address without reloading (replaceState fires no hashchange). */
function writeView() {
  const hash = new URLSearchParams(location.hash.slice(1));
  hash.delete('key');
  hash.set('mode', boards.mode());
  hash.set('every', String(boards.every()));
  try { history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`); } catch { /* keep it */ }
}

function chooseMode(mode) {
  boards.setMode(mode);
  writeView();
  renderControls();
  announce($('announcer'), t('proj.modeAnnounce', { mode: t(`proj.mode.${mode}`) }));
}

function setToolbar(open) {
  $('proj-toolbar').hidden = !open;
  $('tools-toggle').setAttribute('aria-expanded', String(open));
}

$('tools-toggle').addEventListener('click', () => setToolbar($('proj-toolbar').hidden));
// A click elsewhere on the wall closes the toolbar (it floats over the boards).
document.addEventListener('pointerdown', (e) => {
  if (!$('proj-toolbar').hidden && !e.target.closest('.proj-tools')) setToolbar(false);
});
$('proj-toolbar').addEventListener('click', (e) => {
  const b = e.target.closest('[data-mode]');
  if (b) chooseMode(b.dataset.mode);
});
$('rotation-every').addEventListener('change', () => {
  boards.setEvery(Number($('rotation-every').value));
  writeView();
});
$('rotation-pause').addEventListener('click', () => { boards.setPaused(!boards.paused()); renderControls(); });
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !$('proj-toolbar').hidden) {
    setToolbar(false);
    $('tools-toggle').focus();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.('input, select, textarea')) return;
  // Arrows and page keys (what a presenter's remote sends) change the table shown in rotation.
  if (boards.mode() === 'rotation' && ['ArrowRight', 'PageDown', 'ArrowLeft', 'PageUp'].includes(e.key)) {
    boards.step(e.key === 'ArrowRight' || e.key === 'PageDown' ? 1 : -1);
    e.preventDefault();
    return;
  }
  // Character shortcuts can be turned off (WCAG 2.1.4), with the checkbox in the toolbar.
  if (!$('shortcuts').checked) return;
  const index = ['1', '2', '3', '4', '5'].indexOf(e.key);
  if (index >= 0) { chooseMode(MODES[index]); e.preventDefault(); }
});

renderControls();
