// join.html: the join form, then the participant's board. A stored token for this code skips the
// form and resumes the session (with the cached board shown at once, even offline).

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { Connection } from './socket.js';
import { Store } from './store.js';
import { mountParticipantBoard } from './participant.js';
import { announce, errorText, loadJSON, normaliseCode, registerOfflineShell, saveJSON, showConnectionState, showError } from './ui.js';

const ACTORS = ['aci', 'ai', 'ei', 'etti', 'business', 'public', 'network', 'other'];
const CACHE_DELAY_MS = 300;

const $ = (id) => document.getElementById(id);
const code = normaliseCode(new URLSearchParams(location.search).get('code'));
// An invitation to a working group (docs/protocol.md "Working groups"): join.html?workshop=w_…
// with the secret in the fragment (never sent in a request line); kept for the tab until joined,
// and taken out of the address bar.
const invitedWorkshop = code ? null : new URLSearchParams(location.search).get('workshop');
const invitationKey = `atelier.invitation.${invitedWorkshop}`;
const invitation = invitedWorkshop ? readInvitation() : null;
const place = code || (invitedWorkshop ? `inv.${invitedWorkshop}` : '');
const keys = {
  session: `atelier.session.${place}`, // {token, participant, workshop}
  cache: `atelier.cache.${place}`,     // the board as last seen: {seq, you, workshop}
  outbox: `atelier.outbox.${place}`,   // commands not yet acknowledged
};

function readInvitation() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('invitation');
  try {
    if (fromHash) {
      sessionStorage.setItem(invitationKey, fromHash);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(invitationKey);
  } catch {
    return fromHash;
  }
}

let connection = null;
let store = null;
let board = null;

applyTranslations();
registerOfflineShell();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));
languageEvents.addEventListener('change', () => {
  fillCode();
  if (checkedTitle !== null) $('join-workshop').textContent = t('join.workshop', { title: checkedTitle });
  refreshConnection();
  if (!$('board-view').hidden) document.title = t('board.title');
});

function show(view) {
  for (const id of ['loading-view', 'no-code-view', 'join-view', 'board-view', 'removed-view']) $(id).hidden = id !== view;
  $('status-row').hidden = view !== 'board-view';
  document.title = t(view === 'board-view' ? 'board.title' : 'join.title');
}

function fillCode() {
  if (invitedWorkshop) {
    // Invited: no code to show, no kind of organisation to pick (optional).
    $('join-title').textContent = t('group.joinHeading');
    $('join-code-text').parentElement.hidden = true;
    $('join-actor').closest('.field').hidden = true;
    return;
  }
  $('join-code-text').textContent = t('join.code', { code });
}

// --- The form ----------------------------------------------------------------------------------

function showForm(message = '') {
  show('join-view');
  showWorkshopTitle();
  $('join-errors').replaceChildren();
  if (message) showError($('join-errors'), message);
  setSubmitting(false);
}

function setSubmitting(busy) {
  const button = document.querySelector('[data-testid="join-submit"]');
  button.disabled = busy;
  button.textContent = t(busy ? 'join.joining' : 'join.submit');
}

function fieldError(field, message) {
  const input = $(`join-${field}`);
  $(`join-${field}-error`).textContent = message;
  if (message) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  return message ? input : null;
}

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('join-name').value.trim();
  const organisation = $('join-organisation').value.trim();
  const actor = $('join-actor').value;
  const invalid = [
    fieldError('name', name.length < 1 || name.length > 80 ? t('join.errorName') : ''),
    fieldError('organisation', organisation.length > 120 ? t('join.errorOrganisation') : ''),
    fieldError('actor', invitedWorkshop || ACTORS.includes(actor) ? '' : t('join.errorActor')),
  ].filter(Boolean);
  $('join-errors').replaceChildren();
  if (invalid.length) {
    showError($('join-errors'), t('join.errorSummary', { n: invalid.length }));
    invalid[0].focus();
    return;
  }
  setSubmitting(true);
  start({ name, organisation, actor: invitedWorkshop ? 'other' : actor });
});

/**
 * The workshop's title above the form (GET /api/codes/{code}), so that people know they typed the
 * right code; a code that opens nothing is said at once, before anyone types a name.
 */
let checkedTitle = null;
/** The workshop's id, from the same answer: named in the WebSocket's URL before the first welcome. */
let checkedWorkshop = null;
async function showWorkshopTitle() {
  const node = $('join-workshop');
  if (invitedWorkshop) { node.textContent = t('group.joinIntro'); node.hidden = false; return; }
  if (checkedTitle !== null) { node.textContent = t('join.workshop', { title: checkedTitle }); node.hidden = false; return; }
  let response;
  try {
    response = await fetch(`/api/codes/${encodeURIComponent(code)}`, { cache: 'no-store' });
  } catch {
    return; // offline: the join itself will say what is wrong
  }
  if (response.ok) {
    const body = await response.json().catch(() => null);
    if (typeof body?.title !== 'string') return;
    checkedTitle = body.title;
    if (typeof body.workshop === 'string') checkedWorkshop = body.workshop;
    node.textContent = t('join.workshop', { title: checkedTitle });
    node.hidden = false;
  } else if (response.status === 404 && $('join-errors').childElementCount === 0) {
    showError($('join-errors'), t('home.errorUnknown'));
  }
}

// --- The session -------------------------------------------------------------------------------

/**
 * Connects: by code with the given profile, or (profile null) by the stored token.
 * @param {{name: string, organisation: string, actor: string}|null} profile
 */
function start(profile) {
  store = new Store();
  const session = loadJSON(keys.session);
  const cached = loadJSON(keys.cache);
  if (!profile && session && cached?.you?.participant === session.participant) store.restore(cached);

  connection = new Connection({
    storageKey: keys.outbox,
    workshop: () => loadJSON(keys.session)?.workshop ?? checkedWorkshop ?? invitedWorkshop,
    join: () => {
      const s = loadJSON(keys.session);
      if (s?.token) return store.ready ? { token: s.token, since: store.seq } : { token: s.token };
      if (invitedWorkshop) return { workshop: invitedWorkshop, invitation, name: profile.name, organisation: profile.organisation };
      return { code, name: profile.name, organisation: profile.organisation, actor: profile.actor };
    },
  });
  connection.addEventListener('welcome', (e) => {
    const { message } = e.detail;
    const before = loadJSON(keys.session);
    saveJSON(keys.session, {
      token: message.you.token ?? before?.token,
      participant: message.you.participant,
      workshop: message.workshop?.id ?? before?.workshop ?? store.workshop?.id ?? null,
    });
    if (invitedWorkshop) { try { sessionStorage.removeItem(invitationKey); } catch { /* private mode */ } }
    const wasShowing = !$('board-view').hidden;
    store.applyWelcome(message);
    if (!wasShowing) showBoard();
  });
  connection.addEventListener('event', (e) => store.applyEvent(e.detail.event));
  connection.addEventListener('votesprogress', (e) => store.setVoters(e.detail.voters));
  connection.addEventListener('presence', (e) => {
    store.setPresence(e.detail.participant, e.detail.online);
    if (!e.detail.online) store.setEditing(e.detail.participant, null);
  });
  connection.addEventListener('editing', (e) => store.setEditing(e.detail.participant, e.detail.editing));
  // Removed by the facilitator: the server closes with 4000 (the connection stops by itself), and
  // this person's own copy of `participant.removed` may come first. Either one says it all; other
  // closes (too slow, too many messages or connections, server restarting) reconnect by themselves.
  connection.addEventListener('removed', () => showRemoved());
  // Deferred: the store is in the middle of applying the event, and this tears its views down.
  store.addEventListener('removed', () => setTimeout(showRemoved, 0));
  connection.addEventListener('outbox', (e) => { store.setPending(e.detail.pending); refreshConnection(); });
  connection.addEventListener('state', (e) => {
    if (e.detail.state === 'online' && wasOffline) announce($('announcer'), t('announce.online'));
    wasOffline = e.detail.state === 'offline';
    refreshConnection();
  });
  connection.addEventListener('joinfailed', (e) => joinFailed(e.detail, Boolean(loadJSON(keys.session)?.token)));

  let cacheTimer = null;
  store.addEventListener('change', () => {
    clearTimeout(cacheTimer);
    cacheTimer = setTimeout(saveCache, CACHE_DELAY_MS);
  });
  store.setPending(connection.pending);
  if (store.ready) showBoard();
  else if (!profile) show('loading-view');
  connection.start();
  refreshConnection();
}

let wasOffline = false;

function saveCache() {
  if (store?.ready && loadJSON(keys.session)) saveJSON(keys.cache, store.toJSON());
}
window.addEventListener('pagehide', saveCache);

function refreshConnection() {
  const node = document.querySelector('[data-testid="connection-state"]');
  if (!connection) { node.hidden = true; return; }
  showConnectionState(node, connection.state, connection.pending.length);
}

function joinFailed({ code: errorCode, message }, byToken) {
  connection = null;
  refreshConnection();
  if (byToken && errorCode === 'unauthenticated') {
    // The token is gone (expired, removed): forget it but keep the outbox, so cards typed
    // offline are sent once the person has joined again.
    saveJSON(keys.session, null);
    saveJSON(keys.cache, null);
    teardownBoard();
    showForm(t('join.expired'));
    return;
  }
  if (byToken) {
    // Anything else on resume (closed workshop, rate limit…): show it on the board if we have one.
    if (store?.ready) showError($('board-alerts'), errorText(errorCode, message));
    else showForm(errorText(errorCode, message));
    return;
  }
  showForm(errorText(errorCode, message));
}

/** Stops the connection and forgets this device's session, cached board and unsent changes. */
function forgetSession() {
  connection?.stop();
  connection?.clearOutbox();
  connection = null;
  saveJSON(keys.session, null);
  saveJSON(keys.cache, null);
  saveJSON(keys.outbox, null);
  teardownBoard();
  refreshConnection();
}

/**
 * The facilitator removed this person: say so plainly (in the page's language, not with the
 * server's close reason) and stop for good (no reconnecting).
 */
function showRemoved() {
  if (!$('removed-view').hidden) return;
  forgetSession();
  show('removed-view');
  document.title = t('removed.heading');
  $('removed-title').focus();
}

function showBoard() {
  show('board-view');
  $('replay-link').href = `replay.html?code=${encodeURIComponent(code)}`;
  // Invited people reach the workshop by its id, not by a code: no replay link of a code for them.
  if (invitedWorkshop) $('replay-link-row').remove?.();
  if (!board) board = mountParticipantBoard({
    store, connection,
    dom: {
      board: $('board'), title: $('board-title'), theme: $('board-theme'), banner: $('board-banner'),
      phase: document.querySelector('[data-testid="phase"]'), votesLeft: document.querySelector('[data-testid="votes-left"]'),
      alerts: $('board-alerts'), announcer: $('announcer'), timer: $('timer'), announcement: $('announcement'),
      follow: $('follow'), projects: $('projects'), instructions: $('instructions'), voteStatus: $('vote-status'),
      moved: $('moved'), replay: $('replay-link-row'),
    },
  });
  board.render();
  $('board-title').focus();
}

function teardownBoard() {
  // The views hold listeners on the old store: replace their containers to start clean.
  for (const id of ['board', 'projects', 'follow', 'timer']) {
    const fresh = $(id).cloneNode(false);
    fresh.hidden = id !== 'board';
    $(id).replaceWith(fresh);
  }
  // These keep their markup (buttons inside), without the old views' listeners.
  for (const id of ['moved', 'instructions', 'vote-status']) {
    const fresh = $(id).cloneNode(true);
    fresh.hidden = true;
    $(id).replaceWith(fresh);
  }
  $('announcement').hidden = true;
  board = null;
}

$('leave').addEventListener('click', () => {
  const pending = connection?.pending.length ?? 0;
  if (!window.confirm(t(pending ? 'board.leavePending' : 'board.leaveConfirm'))) return;
  forgetSession();
  showForm();
  $('join-name').focus();
});

// --- Start -------------------------------------------------------------------------------------

fillCode();
if (invitedWorkshop && !loadJSON(keys.session)?.token && !invitation) show('no-code-view');
else if (!code && !invitedWorkshop) show('no-code-view');
else if (loadJSON(keys.session)?.token) start(null);
else showForm();
