// The participant's board: renders the table's board from the store and turns clicks, forms,
// drags and key presses into commands on the connection.

import { t, languageEvents } from './i18n.js';
import { BoardView, CARD_SPACING, endOfColumn, authorLabel } from './board.js';
import { announce, errorText, showError } from './ui.js';

const ANNOUNCE_BATCH_MS = 1200;
const ANNOUNCE_TEXT_MAX = 140;

/**
 * Wires the participant board view.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {object} parts.dom elements: `board`, `title`, `theme`, `phase`, `votesLeft`, `banner`, `alerts`, `announcer`
 * @returns {{render: () => void}}
 */
export function mountParticipantBoard({ store, connection, dom }) {
  const view = new BoardView(dom.board, store, { mode: 'full' });
  const send = (type, args) => connection.send(type, args);
  let dragging = null;
  let incoming = [];
  let incomingTimer = null;

  function render() {
    if (!store.ready) return;
    const board = view.board;
    const group = store.group(store.you?.group);
    dom.title.textContent = board?.title ?? group?.title ?? store.workshop.title;
    dom.theme.textContent = group?.theme ?? '';
    dom.theme.hidden = !group?.theme;
    const phase = store.phase;
    dom.phase.dataset.phase = phase?.id ?? '';
    dom.phase.replaceChildren(
      Object.assign(document.createElement('span'), { className: 'phase__title', textContent: t('board.phase', { title: phase?.title ?? '' }) }),
      Object.assign(document.createElement('span'), { className: 'phase__step', textContent: t('board.phaseStep', { n: store.phaseIndex + 1, total: store.workshop.phases.length }) }),
    );
    dom.votesLeft.hidden = !phase?.voting;
    dom.votesLeft.textContent = t('board.votesLeft', { n: store.votesLeft });
    const w = store.workshop;
    const banner = w.closed ? t('board.closed') : board?.locked ? t('board.locked') : w.paused ? t('board.paused') : !board ? t('board.noBoard') : '';
    dom.banner.textContent = banner;
    dom.banner.hidden = !banner;
    view.render();
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

  function focusAfterRender(selector) {
    queueMicrotask(() => queueMicrotask(() => dom.board.querySelector(selector)?.focus()));
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
        focusAfterRender(`${sel} textarea`);
        break;
      case 'edit-cancel':
        view.editing.delete(cardId);
        render();
        focusAfterRender(`${sel} [data-action="edit"]`);
        break;
      case 'delete':
        view.confirmingDelete.add(cardId);
        render();
        focusAfterRender(`${sel} [data-action="delete-confirm"]`);
        break;
      case 'delete-cancel':
        view.confirmingDelete.delete(cardId);
        render();
        focusAfterRender(`${sel} [data-action="delete"]`);
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
    send('card.add', { board: view.board.id, column, text, color, x: 0, y: endOfColumn(columnCards(column)) });
    area.value = '';
    area.focus();
    announce(dom.announcer, connection.state === 'online' ? t('add.done') : t('add.queued'));
  }

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
    focusAfterRender(`[data-card="${CSS.escape(cardId)}"] [data-action="edit"]`);
  }

  dom.board.addEventListener('input', (e) => {
    const id = e.target.dataset?.draftFor;
    if (id && view.editing.has(id)) view.editing.get(id).text = e.target.value;
    if (e.target.getAttribute('aria-invalid')) e.target.removeAttribute('aria-invalid');
  });

  dom.board.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target.tagName === 'TEXTAREA') {
      e.preventDefault();
      e.target.form?.requestSubmit();
    } else if (e.key === 'Escape') {
      const cardId = e.target.closest?.('[data-card]')?.dataset.card;
      if (!cardId) return;
      const cancel = e.target.closest('[data-card]').querySelector('[data-action="edit-cancel"], [data-action="delete-cancel"]');
      cancel?.click();
    }
  });

  // --- Drag and drop (mouse); the move buttons do the same from the keyboard -------------------
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
    for (const node of dom.board.querySelectorAll('.card--dragging, .drop-target')) node.classList.remove('card--dragging', 'drop-target');
  });
  const dropZone = (e) => e.target.closest?.('section[data-column], [data-tab-column]');
  dom.board.addEventListener('dragover', (e) => {
    const zone = dropZone(e);
    if (!dragging || !zone) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    for (const node of dom.board.querySelectorAll('.drop-target')) if (node !== zone) node.classList.remove('drop-target');
    zone.classList.add('drop-target');
  });
  dom.board.addEventListener('drop', (e) => {
    const zone = dropZone(e);
    if (!dragging || !zone) return;
    e.preventDefault();
    const columnId = zone.dataset.column ?? zone.dataset.tabColumn;
    const cards = columnCards(columnId).filter((c) => c.id !== dragging && !c.pending);
    const over = e.target.closest('[data-card]');
    if (over?.dataset.card === dragging) { dragging = null; return; } // dropped on itself
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
    move(dragging, columnId, y);
    dragging = null;
  });

  // --- Store and connection events --------------------------------------------------------------
  store.addEventListener('change', render);
  languageEvents.addEventListener('change', render);

  store.addEventListener('cardadded', (e) => {
    const { card, by, live } = e.detail;
    if (by === store.you?.participant || card.board !== view.board?.id) return;
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
    announce(dom.announcer, t('announce.phase', { title: store.phase?.title ?? '' }));
  });

  store.addEventListener('announcement', (e) => showError(dom.alerts, e.detail.text, '', 'info'));

  connection.addEventListener('rejected', (e) => {
    const { command, code, message, retrying } = e.detail;
    if (retrying) return;
    if (command?.type === 'card.edit' && code === 'conflict') {
      // Keep what they typed: reopen the editor on the new version with their text.
      view.editing.set(command.card, { text: command.text, version: store.card(command.card)?.version ?? command.version });
      render();
    }
    const quoted = command?.type === 'card.add' ? command.text : '';
    showError(dom.alerts, errorText(code, message), quoted);
  });

  render();
  return { render };
}
