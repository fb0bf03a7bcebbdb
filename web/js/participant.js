// The participant's board: renders the table's board from the store and turns clicks, forms,
// drags and key presses into commands on the connection. Also the live pieces around it: the
// facilitator's announcements, "follow me", the countdown and the project sheets (the table's in
// the board's project column, the other tables' below the board).

import { t, languageEvents } from './i18n.js';
import { BoardView, CARD_SPACING, endOfColumn, authorLabel, holdsSheets } from './board.js';
import { el, focusSoon } from './dom.js';
import { clusterActions } from './clusters.js';
import { mountCountdown, EndSignal } from './timer.js';
import { mountProjects } from './projects.js';
import { mountFollow } from './follow.js';
import { announce, errorText, formatDateTime, showError, votersText } from './ui.js';
import { ANNOUNCEMENT_FRESH_MS } from './store.js';

const ANNOUNCE_BATCH_MS = 1200;
const ANNOUNCE_TEXT_MAX = 140;
const NEW_CARD_MARK_MS = 3000;

/**
 * Wires the participant board view.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {object} parts.dom elements: `board`, `title`, `theme`, `phase`, `votesLeft`, `banner`, `alerts`,
 *   `announcer`, `timer`, `announcement`, `follow`, `projects` (the other tables' sheets), `instructions` (the phase's "consigne"),
 *   `voteStatus` (how many people voted, or that the vote is closed), `moved` (a table change, said once)
 * @returns {{render: () => void}}
 */
export function mountParticipantBoard({ store, connection, dom }) {
  const view = new BoardView(dom.board, store, { mode: 'full' });
  const send = (type, args) => connection.send(type, args);
  const clusters = clusterActions({ store, send, board: () => view.board, announcer: dom.announcer });
  mountCountdown({ store, connection, node: dom.timer, announcer: dom.announcer, signal: new EndSignal() });
  const projects = mountProjects({ store, connection, view, dom: { section: dom.projects, announcer: dom.announcer } });
  const follow = mountFollow({ store, dom: { section: dom.follow, board: dom.board, title: dom.title, announcer: dom.announcer } });
  let dragging = null;
  let incoming = [];
  let incomingTimer = null;
  const added = new Map(); // message id of a card.add sent from here → its column

  function render() {
    if (!store.ready) return;
    const board = view.board;
    // A board keeps its table's title and theme whoever sits there: after a rotation the viewer's
    // group works at another board, named by that board (never by the group's first table).
    dom.title.textContent = board?.title ?? store.workshop.title;
    dom.theme.textContent = board?.theme ?? '';
    dom.theme.hidden = !board?.theme;
    const phase = store.phase;
    dom.phase.dataset.phase = phase?.id ?? '';
    dom.phase.replaceChildren(
      Object.assign(document.createElement('span'), { className: 'phase__title', textContent: t('board.phase', { title: phase?.title ?? '' }) }),
      Object.assign(document.createElement('span'), { className: 'phase__step', textContent: t('board.phaseStep', { n: store.phaseIndex + 1, total: store.workshop.phases.length }) }),
    );
    dom.votesLeft.hidden = !store.votingOpen;
    dom.votesLeft.textContent = t('board.votesLeft', { n: store.votesLeft });
    renderInstructions(phase);
    renderVoteStatus(phase);
    const w = store.workshop;
    // A working group goes on at this table after the session: say until when, and what for.
    const group = store.workingGroup(board?.id);
    const banner = group ? t('group.banner', { date: formatDateTime(group.endsAt) })
      : w.closed ? t('board.closed') : w.paused ? t('board.paused') : board?.locked ? t('board.locked') : !board ? t('board.noBoard') : '';
    dom.banner.textContent = banner;
    if (group?.purpose) dom.banner.append(Object.assign(document.createElement('span'), { className: 'banner__purpose', textContent: ` ${t('group.bannerPurpose', { purpose: group.purpose })}` }));
    dom.banner.hidden = !banner;
    dom.banner.dataset.state = group ? 'group' : w.closed ? 'closed' : w.paused ? 'paused' : board?.locked ? 'locked' : '';
    // Once the workshop is closed, its replay (replay.html, as this participant saw it).
    if (dom.replay) dom.replay.hidden = !w.closed;
    view.render();
    follow.render();
  }

  // --- The phase's "consigne": one line, unfolded on demand ---------------------------------------
  const instructionsText = dom.instructions.querySelector('[data-testid="instructions-text"]');
  const instructionsToggle = dom.instructions.querySelector('[data-action="toggle-instructions"]');
  let instructionsOpen = false;
  function renderInstructions(phase) {
    const text = phase?.instructions ?? '';
    dom.instructions.hidden = !text;
    if (instructionsText.textContent !== text) { instructionsText.textContent = text; instructionsOpen = false; }
    dom.instructions.classList.toggle('consigne--open', instructionsOpen);
    instructionsToggle.setAttribute('aria-expanded', String(instructionsOpen));
    instructionsToggle.textContent = t(instructionsOpen ? 'board.instructionsLess' : 'board.instructionsMore');
    const key = JSON.stringify([text, instructionsOpen, t('board.instructionsLabel')]);
    if (!text || key === instructionsMeasured) return;
    instructionsMeasured = key;
    measureInstructions();
  }
  /** The toggle only when the line is cut (measured once the text is laid out). */
  function measureInstructions() {
    requestAnimationFrame(() => {
      const line = instructionsText.parentElement;
      instructionsToggle.hidden = !instructionsOpen && line.scrollHeight <= line.clientHeight + 1;
    });
  }
  let instructionsMeasured = null;
  window.addEventListener('resize', measureInstructions);
  instructionsToggle.addEventListener('click', () => {
    instructionsOpen = !instructionsOpen;
    render();
  });

  // --- Votes: how many people voted (public), or that the vote is over ----------------------------
  function renderVoteStatus(phase) {
    const w = store.workshop;
    let text = '';
    let state = '';
    let results = [];
    if (phase?.voting) {
      const voters = votersText(w.voters ?? 0);
      if (w.settings?.votesRevealed) {
        text = t('board.votesRevealedStatus');
        state = 'revealed';
        // The results at this table: its most voted cards, first three.
        const board = view.board;
        results = board ? store.cardsOf(board.id).filter((c) => (c.votes ?? 0) > 0 && !c.pending)
          .sort((a, b) => b.votes - a.votes).slice(0, 3) : [];
      } else if (w.votesClosed) { text = `${t('board.votesClosed')} · ${voters}`; state = 'closed'; }
      else { text = voters; state = 'open'; }
    }
    const sig = JSON.stringify([text, results.map((c) => [c.id, c.text, c.votes]), t('board.votesTop')]);
    if (dom.voteStatus.dataset.sig !== sig) {
      dom.voteStatus.dataset.sig = sig;
      dom.voteStatus.replaceChildren(
        el('p', { className: 'vote-status__text', text }),
        ...(results.length ? [
          el('p', { className: 'vote-status__top', text: t('board.votesTop'), id: 'vote-top-title' }),
          el('ol', { className: 'vote-status__results', attrs: { 'aria-labelledby': 'vote-top-title' } }, results.map((c) => el('li', { dataset: { testid: 'vote-result' } }, [
            el('span', { className: 'vote-status__card', text: c.text }),
            el('span', { className: 'vote-status__votes', text: ` — ${t('card.votes', { n: c.votes })}` }),
          ]))),
        ] : []),
      );
    }
    dom.voteStatus.hidden = !text;
    dom.voteStatus.dataset.state = state;
  }

  /** The card as currently shown (with pending changes), or undefined. */
  function shownCard(id) {
    const board = view.board;
    return board ? store.cardsOf(board.id).find((c) => c.id === id) : undefined;
  }

  function columnCards(columnId) {
    return store.cardsOf(view.board.id).filter((c) => c.column === columnId);
  }

  function columnTitle(columnId) {
    return view.board?.columns.find((c) => c.id === columnId)?.title ?? '';
  }

  function move(cardId, columnId, y) {
    const card = shownCard(cardId);
    if (!card || card.pendingAdd) return;
    if (card.column === columnId && card.y === y) return;
    send('card.move', { card: cardId, x: card.x ?? 0, y, column: columnId });
    view.activeColumn = columnId; // on phones, follow the card to its new column
    announce(dom.announcer, t('card.moved', { column: columnTitle(columnId) }));
  }

  // --- Clicks ---------------------------------------------------------------------------------
  dom.board.addEventListener('click', (e) => {
    const button = e.target.closest('[data-action]');
    if (!button || button.tagName !== 'BUTTON') return;
    const action = button.dataset.action;
    if (action === 'show-column') {
      view.activeColumn = button.dataset.tabColumn;
      render();
      return;
    }
    // The table's sheets, in the project column.
    if (projects.act(action, button.closest('[data-project]')?.dataset.project ?? null)) return;
    const clusterId = button.closest('[data-cluster]')?.dataset.cluster;
    if (action === 'cluster-rename') { clusters.rename(clusterId); return; }
    if (action === 'cluster-project') { projects.createFrom(clusterId); return; }
    const cardId = button.closest('[data-card]')?.dataset.card;
    if (!cardId) return;
    const card = shownCard(cardId);
    if (!card) return;
    const sel = `[data-card="${CSS.escape(cardId)}"]`;
    switch (action) {
      case 'move-prev':
      case 'move-next':
        move(cardId, button.dataset.target, endOfColumn(columnCards(button.dataset.target)));
        break;
      case 'edit':
        view.editing.set(cardId, { text: card.text, version: card.version });
        render();
        focusSoon(dom.board, `${sel} textarea`);
        break;
      case 'edit-cancel':
        view.editing.delete(cardId);
        render();
        focusSoon(dom.board, `${sel} [data-action="edit"]`);
        break;
      case 'delete':
        view.confirmingDelete.add(cardId);
        render();
        focusSoon(dom.board, `${sel} [data-action="delete-confirm"]`);
        break;
      case 'delete-cancel':
        view.confirmingDelete.delete(cardId);
        render();
        focusSoon(dom.board, `${sel} [data-action="delete"]`);
        break;
      case 'delete-confirm': {
        const li = button.closest('[data-card]');
        const neighbour = li.nextElementSibling ?? li.previousElementSibling;
        view.confirmingDelete.delete(cardId);
        send('card.delete', { card: cardId });
        announce(dom.announcer, t('card.deleted'));
        const column = li.closest('[data-column]');
        if (neighbour) neighbour.focus();
        else column?.querySelector('textarea, h2')?.focus?.();
        break;
      }
      case 'vote':
        if (button.getAttribute('aria-disabled') === 'true') return;
        send('vote.cast', { card: cardId });
        break;
      case 'retract':
        send('vote.retract', { card: cardId });
        break;
      case 'regroup':
        clusters.regroup(cardId);
        break;
      case 'comment-delete':
        send('comment.delete', { comment: button.closest('[data-comment]').dataset.comment });
        announce(dom.announcer, t('comment.deleted'));
        focusSoon(dom.board, `${sel} [data-testid="comment-input"]`);
        break;
      default:
        break;
    }
  });

  // --- Forms ----------------------------------------------------------------------------------
  dom.board.addEventListener('submit', (e) => {
    const form = e.target;
    e.preventDefault();
    if (form.dataset.action === 'add-form') addCard(form);
    if (form.dataset.action === 'edit-form') saveEdit(form);
    if (form.dataset.action === 'comment-form') addComment(form);
  });

  function addCard(form) {
    const area = form.querySelector('textarea');
    const error = form.querySelector('.field-error');
    const text = area.value.trim();
    const problem = !text ? t('add.errorEmpty') : text.length > 1000 ? t('add.errorLong') : '';
    error.textContent = problem;
    area.toggleAttribute('aria-invalid', Boolean(problem));
    if (problem) { area.focus(); return; }
    const column = form.dataset.addColumn;
    const color = form.querySelector('input[type=radio]:checked')?.value ?? 'yellow';
    const id = send('card.add', { board: view.board.id, column, text, color, x: 0, y: endOfColumn(columnCards(column)) });
    area.value = '';
    area.focus();
    added.set(id, column);
    // Where it lands (the end of the column) is shown at once, then again once it is saved.
    showNew(`pending:${id}`);
    if (connection.state !== 'online') announce(dom.announcer, t('add.queued'));
  }

  /** Scrolls a card just added into view and marks it for a moment; the focus stays where it is. */
  function showNew(cardId) {
    queueMicrotask(() => queueMicrotask(() => {
      const li = dom.board.querySelector(`[data-card="${CSS.escape(cardId)}"]`);
      if (!li) return;
      li.scrollIntoView({ block: 'nearest', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
      li.classList.add('card--new');
      setTimeout(() => li.classList.remove('card--new'), NEW_CARD_MARK_MS);
    }));
  }

  connection.addEventListener('ack', (e) => {
    const { command, message } = e.detail;
    if (command?.type !== 'card.add' || !added.has(command.id)) return;
    const column = added.get(command.id);
    added.delete(command.id);
    const cardId = message.result?.card;
    if (cardId) showNew(cardId);
    announce(dom.announcer, t('add.doneIn', { column: columnTitle(column) }));
  });

  function saveEdit(form) {
    const cardId = form.closest('[data-card]').dataset.card;
    const card = shownCard(cardId);
    const area = form.querySelector('textarea');
    const text = area.value.trim();
    if (!text || text.length > 1000) {
      area.setAttribute('aria-invalid', 'true');
      area.focus();
      return;
    }
    // The version the edit started from: if someone changed the card since, the server answers
    // `conflict` and the editor reopens with this text instead of silently overwriting theirs.
    const base = view.editing.get(cardId)?.version ?? card?.version;
    view.editing.delete(cardId);
    if (card && text !== card.text) {
      send('card.edit', { card: cardId, text, version: base });
      announce(dom.announcer, t('card.saved'));
    }
    render();
    focusSoon(dom.board, `[data-card="${CSS.escape(cardId)}"] [data-action="edit"]`);
  }

  function addComment(form) {
    const cardId = form.closest('[data-card]').dataset.card;
    const input = form.querySelector('input');
    const text = input.value.trim();
    if (!text) { input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
    send('comment.add', { card: cardId, text });
    view.commentDrafts.delete(cardId);
    input.value = '';
    announce(dom.announcer, t('comment.added'));
  }

  dom.board.addEventListener('input', (e) => {
    if (e.target.closest('[data-testid="project-editor"]')) return; // the sheet's editor keeps its own marks
    const id = e.target.dataset?.draftFor;
    if (id && view.editing.has(id)) view.editing.get(id).text = e.target.value;
    const commentFor = e.target.dataset?.commentDraft;
    if (commentFor) view.commentDrafts.set(commentFor, e.target.value);
    if (e.target.getAttribute('aria-invalid')) e.target.removeAttribute('aria-invalid');
  });

  dom.board.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target.tagName === 'TEXTAREA') {
      e.preventDefault();
      e.target.form?.requestSubmit();
    } else if (e.key === 'Escape') {
      const li = e.target.closest?.('[data-card]');
      li?.querySelector('[data-action="edit-cancel"], [data-action="delete-cancel"]')?.click();
    }
  });

  // --- Drag and drop (mouse): onto a column moves, onto the middle of a card groups ------------
  // The move buttons and "Regrouper…" do the same from the keyboard.
  // A project column holds sheets: no card goes there.
  const dropZone = (e) => {
    const zone = e.target.closest?.('section[data-column], [data-tab-column]');
    const column = view.board?.columns.find((c) => c.id === (zone?.dataset.column ?? zone?.dataset.tabColumn));
    return column && !holdsSheets(column) ? zone : null;
  };
  /** The card under the pointer when the pointer is on its middle half (a grouping drop). */
  function clusterTarget(e) {
    const over = e.target.closest?.('[data-card]');
    if (!over || over.dataset.card === dragging || over.dataset.card.startsWith('pending:')) return null;
    const rect = over.getBoundingClientRect();
    const y = e.clientY - rect.top;
    return y > rect.height * 0.25 && y < rect.height * 0.75 ? over : null;
  }
  function clearDropMarks() {
    for (const node of dom.board.querySelectorAll('.drop-target, .drop-cluster')) node.classList.remove('drop-target', 'drop-cluster');
  }
  dom.board.addEventListener('dragstart', (e) => {
    const li = e.target.closest?.('[data-card]');
    if (!li || !li.draggable) return;
    dragging = li.dataset.card;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', dragging);
    li.classList.add('card--dragging');
  });
  dom.board.addEventListener('dragend', () => {
    dragging = null;
    clearDropMarks();
    for (const node of dom.board.querySelectorAll('.card--dragging')) node.classList.remove('card--dragging');
  });
  dom.board.addEventListener('dragover', (e) => {
    const zone = dropZone(e);
    if (!dragging || !zone) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    clearDropMarks();
    const target = clusterTarget(e);
    const head = !target && e.target.closest('.cluster__head')?.closest('.cluster');
    (target ?? head ?? zone).classList.add(target || head ? 'drop-cluster' : 'drop-target');
  });
  dom.board.addEventListener('drop', (e) => {
    const zone = dropZone(e);
    if (!dragging || !zone) return;
    e.preventDefault();
    const dragged = dragging;
    dragging = null;
    clearDropMarks();
    const target = clusterTarget(e);
    if (target) { clusters.dropOnCard(dragged, target.dataset.card); return; }
    const clusterHead = e.target.closest('.cluster__head');
    if (clusterHead) { clusters.join(dragged, clusterHead.closest('[data-cluster]').dataset.cluster); return; }
    const columnId = zone.dataset.column ?? zone.dataset.tabColumn;
    const cards = columnCards(columnId).filter((c) => c.id !== dragged && !c.pending);
    const over = e.target.closest('[data-card]');
    if (over?.dataset.card === dragged) return; // dropped on itself
    const index = over ? cards.findIndex((c) => c.id === over.dataset.card) : -1;
    let y;
    if (index < 0) y = endOfColumn(cards);
    else {
      const rect = over.getBoundingClientRect();
      const after = e.clientY > rect.top + rect.height / 2;
      const a = cards[after ? index : index - 1];
      const b = cards[after ? index + 1 : index];
      y = !a ? Math.max(0, b.y - CARD_SPACING / 2) : !b ? endOfColumn(cards) : (a.y + b.y) / 2;
    }
    move(dragged, columnId, y);
  });

  // --- Store and connection events --------------------------------------------------------------
  store.addEventListener('change', render);
  languageEvents.addEventListener('change', render);

  store.addEventListener('cardadded', (e) => {
    const { card, by, live } = e.detail;
    if (by === store.you?.participant || card.board !== view.board?.id) return;
    if (card.author && card.author === store.you?.participant) return;
    incoming.push(card);
    clearTimeout(incomingTimer);
    // Batched so a burst (or a resume catching up) is one sentence, not a flood.
    incomingTimer = setTimeout(flushIncoming, live ? ANNOUNCE_BATCH_MS : 0);
  });

  function flushIncoming() {
    const cards = incoming;
    incoming = [];
    if (cards.length === 1) {
      const [card] = cards;
      const text = card.text.length > ANNOUNCE_TEXT_MAX ? `${card.text.slice(0, ANNOUNCE_TEXT_MAX)}…` : card.text;
      announce(dom.announcer, t('announce.card', {
        name: authorLabel(card, store) ?? t('card.anonymous'), column: columnTitle(card.column), text,
      }));
    } else if (cards.length > 1) {
      announce(dom.announcer, t('announce.cards', { n: cards.length }));
    }
  }

  store.addEventListener('phasechanged', () => {
    view.activeColumn = null; // show the column the new phase opens
    const instructions = store.phase?.instructions;
    announce(dom.announcer, [t('announce.phase', { title: store.phase?.title ?? '' }),
      instructions ? t('board.instructionsLabel') + instructions : ''].filter(Boolean).join(' '));
  });
  // Another table (a rotation, or the facilitator's choice): said once, politely, with the new
  // board's title and theme, and shown until read.
  const movedText = dom.moved.querySelector('[data-testid="moved-text"]');
  store.addEventListener('moved', () => {
    view.activeColumn = null;
    queueMicrotask(() => {
      const board = store.myBoard;
      if (!board) return;
      const sentence = t('announce.moved', { title: board.title });
      // (The theme is right under the board's title: said to screen readers, not shown twice.)
      movedText.replaceChildren(el('strong', { text: sentence }));
      dom.moved.hidden = false;
      announce(dom.announcer, [sentence, board.theme].filter(Boolean).join(' '));
    });
  });
  dom.moved.querySelector('[data-action="dismiss-moved"]').addEventListener('click', () => {
    dom.moved.hidden = true;
    dom.title.focus();
  });
  store.addEventListener('votesrevealed', () => announce(dom.announcer, t('announce.votesRevealed')));
  store.addEventListener('votesclosed', () => announce(dom.announcer, t('announce.votesClosed')));
  // The facilitator withdrew the message: it leaves this screen too.
  store.addEventListener('announcementwithdrawn', () => {
    clearTimeout(expiry);
    shownSeq = 0;
    dom.announcement.hidden = true;
  });
  // A message made before this page connected (late join, reload, reconnection) is shown again
  // if it is recent and this person has not dismissed it.
  const dismissedKey = () => `atelier.announcement.dismissed.${store.workshop?.id ?? ''}`;
  let shownSeq = 0;
  let expiry = null;
  store.addEventListener('announcement', (e) => receiveAnnouncement(e.detail));
  // The welcome may have come before this board was mounted (a first join).
  if (store.workshop?.announcement) receiveAnnouncement({ ...store.workshop.announcement, live: false });

  function receiveAnnouncement({ text, at, seq, live }) {
    if (seq && seq === shownSeq && !dom.announcement.hidden) return;
    if (!live) {
      const time = Date.parse(at ?? '');
      let dismissed = 0;
      try { dismissed = Number(localStorage.getItem(dismissedKey()) ?? 0); } catch { /* no storage */ }
      if (!Number.isFinite(time) || connection.serverNow() - time > ANNOUNCEMENT_FRESH_MS || seq <= dismissed) return;
    }
    shownSeq = seq ?? 0;
    showAnnouncement(text);
    // A message is for the moment: it goes by itself once it is no longer recent.
    clearTimeout(expiry);
    const time = Date.parse(at ?? '');
    if (Number.isFinite(time)) {
      expiry = setTimeout(() => { if (shownSeq === (seq ?? 0)) dom.announcement.hidden = true; },
        Math.max(0, time + ANNOUNCEMENT_FRESH_MS - connection.serverNow()));
    }
  }

  function showAnnouncement(text) {
    dom.announcement.querySelector('[data-testid="announcement-text"]').textContent = text;
    dom.announcement.hidden = false;
    announce(dom.announcer, t('announce.message', { text }));
  }
  dom.announcement.querySelector('[data-action="dismiss-announcement"]').addEventListener('click', () => {
    // Remembered on this device (a reload, another tab, a new session): "J'ai lu" is said once.
    try { localStorage.setItem(dismissedKey(), String(shownSeq)); } catch { /* no storage */ }
    dom.announcement.hidden = true;
    dom.title.focus();
  });

  connection.addEventListener('rejected', (e) => {
    const { command, code, message, retrying } = e.detail;
    if (retrying || command?.type === 'project.update') return; // the sheet's editor shows those
    if (command?.type === 'card.edit' && code === 'conflict') {
      // Keep what they typed: reopen the editor on the new version with their text.
      view.editing.set(command.card, { text: command.text, version: store.card(command.card)?.version ?? command.version });
      render();
    }
    const quoted = command?.type === 'card.add' || command?.type === 'comment.add' ? command.text : '';
    showError(dom.alerts, errorText(code, message), quoted);
  });

  render();
  return { render };
}
