// facilitator.html#workshop=<id>&key=<key>: the facilitator's console. This module connects and
// renders the head of the console (title, state, phases, join code); the panels live in
// console-*.js and render from the same store.
//
// The facilitator key comes in the URL fragment (credentials.js keeps it for the tab and removes it
// from the address bar).

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { Connection } from './socket.js';
import { Store } from './store.js';
import { el, button, domId, renderIfChanged } from './dom.js';
import { askDialog, confirmDialog } from './dialog.js';
import { mountCountdown } from './timer.js';
import { mountControls } from './console-controls.js';
import { mountBoards } from './console-boards.js';
import { mountPeople } from './console-people.js';
import { mountConsoleProjects } from './console-projects.js';
import { mountConsoleProjector } from './console-projector.js';
import { mountConsoleGroups } from './console-groups.js';
import { mountSeriesStatus } from './console-series-status.js';
import { announce, errorText, formatTime, normaliseCode, showConnectionState, showError, votersText } from './ui.js';
import { readFacilitatorCredentials } from './credentials.js';

const $ = (id) => document.getElementById(id);

applyTranslations();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));

const credentials = readFacilitatorCredentials();
// A new facilitator link pasted into the same tab only changes the fragment: start over with it.
window.addEventListener('hashchange', () => location.reload());
const store = new Store();
let connection = null;
const panels = [];
/** board id → when something last happened on it (server time, ISO), seen since this page opened. */
const activity = new Map();

if (!credentials.workshop || !credentials.key) {
  showError($('fac-alerts'), t('fac.missingKey'));
} else {
  connection = new Connection({
    workshop: () => credentials.workshop,
    join: () => ({
      workshop: credentials.workshop, facilitatorKey: credentials.key,
      ...(store.ready ? { since: store.seq } : {}),
    }),
  });
  const ctx = {
    store, connection, credentials,
    send: (type, args) => connection.send(type, args),
    announcer: $('announcer'), alerts: $('fac-alerts'),
  };
  connection.addEventListener('welcome', (e) => store.applyWelcome(e.detail.message));
  connection.addEventListener('event', (e) => {
    store.applyEvent(e.detail.event);
    noteActivity(e.detail.event);
  });
  connection.addEventListener('presence', (e) => {
    store.setPresence(e.detail.participant, e.detail.online);
    if (!e.detail.online) store.setEditing(e.detail.participant, null);
  });
  connection.addEventListener('votesprogress', (e) => store.setVoters(e.detail.voters));
  connection.addEventListener('editing', (e) => store.setEditing(e.detail.participant, e.detail.editing));
  connection.addEventListener('outbox', (e) => { store.setPending(e.detail.pending); refreshConnection(); });
  connection.addEventListener('state', refreshConnection);
  connection.addEventListener('joinfailed', (e) => {
    const { code, message } = e.detail;
    showError($('fac-alerts'), code === 'unauthenticated' ? t('fac.rejected') : errorText(code, message));
    refreshConnection();
  });
  connection.addEventListener('rejected', (e) => {
    const { retrying, command, code, message } = e.detail;
    // Panels that show their own answer (a sheet's editor, "mark ready", a submission) say so.
    if (retrying || ['project.update', 'project.ready', 'projects.submit', 'projects.follow', 'webhook.redeliver'].includes(command?.type)) return;
    showError($('fac-alerts'), errorText(code, message));
  });
  store.addEventListener('change', render);
  store.addEventListener('phasechanged', () => announce($('announcer'), t('announce.phase', { title: store.phase?.title ?? '' })));
  // The panels build their forms once: a fresh page is the simplest way to have them all in the
  // other language (the key stays in sessionStorage, the state comes back from the server).
  languageEvents.addEventListener('change', () => location.reload());
  mountCountdown({ store, connection, node: $('top-timer'), announcer: $('announcer') });
  panels.push(
    mountControls({ ...ctx, dom: { timer: $('timer-panel'), announce: $('announce-panel'), follow: $('follow-panel'), reveal: $('reveal-panel'), settings: $('settings-panel') } }),
    mountBoards({ ...ctx, dom: { boards: $('mini-boards'), actions: $('tables-actions') } }),
    mountPeople({ ...ctx, dom: {
      rows: $('people-rows'), summary: $('people-summary'), empty: $('people-empty'),
      search: $('people-search'), table: $('people-table'), shown: $('people-shown'), filter: $('people-filter'),
      bulk: $('people-bulk'), selectAll: $('people-select-all'),
    } }),
    mountConsoleProjects({ ...ctx, dom: { section: $('projects-panel') } }),
    mountConsoleProjector({ ...ctx, dom: { container: $('projector-control') } }),
    mountConsoleGroups({ ...ctx, dom: { section: $('groups-panel') } }),
    mountSeriesStatus({ ...ctx, dom: { section: $('series-status-panel') } }),
  );
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
  $('console-nav').hidden = false;
  const w = store.workshop;
  $('fac-title').textContent = w.title;
  document.title = `${t('fac.title')} — ${w.title}`;
  const state = w.closed ? t('fac.stateClosed') : w.paused ? t('fac.statePaused') : '';
  $('fac-state').textContent = state;
  $('fac-state').hidden = !state;
  renderPhases();
  renderOverview();
  renderWorkshopActions();
  renderShare();
  for (const panel of panels) panel.render();
}

function renderPhases() {
  const phase = store.phase;
  const indicator = document.querySelector('[data-testid="phase"]');
  indicator.dataset.phase = phase?.id ?? '';
  indicator.textContent = t('fac.currentPhase', { title: phase?.title ?? '' });
  // The phase's "consigne", as the participants read it on their phones.
  const instructions = $('phase-instructions');
  instructions.textContent = phase?.instructions ? t('board.instructionsLabel') + phase.instructions : '';
  instructions.hidden = !phase?.instructions;
  const bar = $('phase-bar');
  const phases = store.workshop.phases;
  if (bar.childElementCount !== phases.length) {
    bar.replaceChildren(...phases.map((p, i) => el('li', { className: 'phase-bar__item' }, [
      el('button', {
        type: 'button', className: 'phase-bar__button',
        dataset: { phaseButton: p.id, testid: 'phase-button' }, title: t('fac.setPhase', { title: p.title }),
      }, [el('span', { className: 'phase-bar__step', text: String(i + 1), attrs: { 'aria-hidden': 'true' } }), el('span', { text: p.title })]),
    ])));
  }
  for (const b of bar.querySelectorAll('[data-phase-button]')) {
    const current = b.dataset.phaseButton === phase?.id;
    b.setAttribute('aria-pressed', String(current));
    b.disabled = store.workshop.closed;
    if (current) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
  }
}

$('phase-bar').addEventListener('click', async (e) => {
  const b = e.target.closest('[data-phase-button]');
  if (!b || !connection || b.dataset.phaseButton === store.workshop?.phase) return;
  // Every board changes at once for everyone: say how many people, and ask.
  const phase = store.workshop.phases.find((p) => p.id === b.dataset.phaseButton);
  const n = store.workshop.participants.filter((p) => p.role === 'participant' && !p.removed).length;
  const ok = await askDialog({
    title: t('fac.phaseTitle', { n, title: phase?.title ?? '' }),
    message: t('fac.phaseConfirm'),
    submit: t('fac.phaseYes', { title: phase?.title ?? '' }),
  });
  if (ok) connection.send('phase.set', { phase: b.dataset.phaseButton });
});

// --- The tables at a glance -----------------------------------------------------------------------

/** Which board an event concerns, if any. */
function boardOf(event) {
  if (typeof event.board === 'string') return event.board;
  if (event.card && typeof event.card === 'object') return event.card.board;
  if (typeof event.card === 'string') return store.card(event.card)?.board;
  if (event.cluster && typeof event.cluster === 'object') return event.cluster.board;
  if (event.comment && typeof event.comment === 'object') return store.card(event.comment.card)?.board;
  if (event.project && typeof event.project === 'object') return event.project.board;
  if (typeof event.project === 'string') return store.project(event.project)?.board;
  return null;
}

function noteActivity(event) {
  if (!event?.at) return;
  const board = boardOf(event);
  if (board) activity.set(board, event.at);
  if (Array.isArray(event.cards)) for (const c of event.cards) if (c?.board) activity.set(c.board, event.at);
}

function renderOverview() {
  const w = store.workshop;
  const rows = w.boards.map((board) => {
    const people = w.participants.filter((p) => p.role === 'participant' && !p.removed && p.group === board.group);
    const online = people.filter((p) => p.online).length;
    const cards = w.cards.filter((c) => c.board === board.id && !c.hidden).length;
    const at = activity.get(board.id);
    const link = el('a', { href: `#${domId('mini', board.id)}`, text: board.title });
    return el('tr', { dataset: { board: board.id, testid: 'overview-row' } }, [
      el('th', { scope: 'row' }, [link, board.locked ? el('span', { className: 'badge', text: t('fac.lockedBadge') }) : null]),
      el('td', { text: t('fac.onlineOf', { n: online, total: people.length }), dataset: { testid: 'overview-online' } }),
      el('td', { text: String(cards), dataset: { testid: 'overview-cards' } }),
      el('td', { text: at ? formatTime(at) : t('fac.noActivity'), dataset: { testid: 'overview-activity' } }),
    ]);
  });
  const sig = JSON.stringify(rows.map((r) => r.textContent).concat([t('fac.noActivity')]));
  if ($('overview-rows').dataset.sig !== sig) {
    $('overview-rows').dataset.sig = sig;
    $('overview-rows').replaceChildren(...rows);
  }
  const unassigned = w.participants.filter((p) => p.role === 'participant' && !p.removed && !p.group).length;
  const projects = (w.projects ?? []).length;
  // The vote's progress (public: the number of people, never where their dots are).
  const voters = store.phase?.voting
    ? el('span', { text: `${votersText(w.voters ?? 0)}${w.votesClosed || w.settings?.votesRevealed ? ` (${t('board.votesClosed')})` : ''} · `, dataset: { testid: 'overview-voters' } })
    : '';
  $('overview-foot').replaceChildren(
    voters,
    document.createTextNode(`${t('fac.unassigned', { n: unassigned })} · `),
    el('a', { href: '#projects-title', text: t('fac.projectsLink', { n: projects }), dataset: { testid: 'overview-projects' } }),
  );
}

function renderWorkshopActions() {
  const w = store.workshop;
  renderIfChanged($('workshop-actions'), JSON.stringify([w.paused, w.closed, t('fac.pause')]), () => (w.closed ? [] : [
    w.paused
      ? button('workshop-resume', t('fac.resume'), { dataset: { testid: 'workshop-resume' } })
      : button('workshop-pause', t('fac.pause'), { dataset: { testid: 'workshop-pause' } }),
    button('workshop-close', t('fac.close'), { className: 'btn--quiet-danger', dataset: { testid: 'workshop-close' } }),
  ]));
}

$('workshop-actions').addEventListener('click', async (e) => {
  const action = e.target.closest('[data-action]')?.dataset.action;
  if (!action || !connection) return;
  if (action === 'workshop-pause') {
    if (await confirmDialog(t('fac.pauseTitle'), t('fac.pauseConfirm'), t('fac.pause'))) connection.send('workshop.pause', {});
  } else if (action === 'workshop-resume') {
    connection.send('workshop.resume', {});
  } else if (action === 'workshop-close') {
    if (await confirmDialog(t('fac.closeTitle'), t('fac.closeConfirm'), t('fac.closeYes'))) connection.send('workshop.close', {});
  }
});

// --- Sharing the join code ---------------------------------------------------------------------

function joinCode() {
  const fromServer = store.you?.joinCode ?? store.workshop?.joinCode;
  return fromServer ? normaliseCode(fromServer) : credentials.code;
}

function joinLink(code) {
  return new URL(`join.html?code=${encodeURIComponent(code)}`, location.href).href;
}

function renderShare() {
  const code = joinCode();
  $('join-code').textContent = code ?? t('fac.codeUnknown');
  $('join-code').classList.toggle('share__code--unknown', !code);
  $('join-link-field').hidden = !code;
  $('project-code').hidden = !code;
  $('join-url').textContent = code ? t('fac.where', { url: new URL('./', location.href).href.replace(/^https?:\/\//, '').replace(/\/$/, '') }) : '';
  renderProjectorLink(code);
  if (!code) return;
  $('join-link').value = joinLink(code);
  const qr = `/api/qr.svg?code=${encodeURIComponent(code)}`;
  if ($('join-qr').getAttribute('src') !== qr) {
    $('join-qr').src = qr;
    $('join-qr').alt = t('fac.qrAlt', { code });
  }
}

/** The projector view opens with the same credentials, in the fragment (never sent to the server). */
function renderProjectorLink(code) {
  const link = $('open-projector');
  const params = new URLSearchParams({ workshop: credentials.workshop, key: credentials.key });
  if (code) params.set('code', code);
  const href = `projector.html#${params}`;
  if (link.getAttribute('href') !== href) link.setAttribute('href', href);
  link.hidden = false;
  // The replay (replay.html) opens with the same credentials, the same way.
  const replay = $('open-replay');
  const replayHref = `replay.html#${new URLSearchParams({ workshop: credentials.workshop, key: credentials.key })}`;
  if (replay.getAttribute('href') !== replayHref) replay.setAttribute('href', replayHref);
  replay.hidden = false;
}

// The QR code is optional: a server without it simply shows the code and the link.
$('join-qr').addEventListener('load', () => { $('join-qr').hidden = false; });
$('join-qr').addEventListener('error', () => { $('join-qr').hidden = true; });

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

/** The code on the whole screen, for the projector. */
$('project-code').addEventListener('click', () => {
  const code = joinCode();
  if (!code) return;
  const close = button('close-projection', t('fac.projectClose'), { className: 'btn--primary', dataset: { testid: 'projection-close' } });
  const dialog = el('dialog', { className: 'projection', dataset: { testid: 'projection' }, attrs: { 'aria-labelledby': 'projection-title' } }, [
    el('p', { className: 'projection__lead', id: 'projection-title', text: t('fac.projectLead') }),
    el('p', { className: 'projection__url', text: new URL('./', location.href).href.replace(/^https?:\/\//, '') }),
    el('p', { className: 'projection__code', text: code, dataset: { testid: 'projection-code' } }),
    $('join-qr').hidden ? null : el('img', { className: 'projection__qr', src: $('join-qr').src, alt: t('fac.qrAlt', { code }) }),
    close,
  ]);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { dialog.remove(); $('project-code').focus(); });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
});
