// Every table's board side by side, with the facilitator's tools: moderation of any card (edit,
// delete, hide and restore: hidden cards stay greyed here and vanish for participants), lock,
// host, "show to everyone"; and the tables' tools: balance, rotate.

import { t } from './i18n.js';
import { el, domId, button, renderIfChanged, focusSoon } from './dom.js';
import { BoardView } from './board.js';
import { confirmDialog } from './dialog.js';
import { announce } from './ui.js';

/**
 * @param {object} ctx see mountControls
 * @param {{boards: HTMLElement, actions: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountBoards({ store, send, announcer, dom }) {
  const views = new Map(); // board id → {view, people, tools, badges}
  let shape = null;

  function render() {
    const w = store.workshop;
    const unassigned = w.participants.filter((p) => !p.removed && p.role === 'participant' && !p.group).length;
    renderIfChanged(dom.actions, JSON.stringify([unassigned, w.closed, t('fac.balance')]), () => [
      button('tables-balance', t('fac.balance'), { dataset: { testid: 'tables-balance' }, disabled: w.closed }),
      el('span', { className: 'hint', text: t('fac.unassigned', { n: unassigned }) }),
      button('rotation-advance', t('fac.rotate'), { dataset: { testid: 'rotation-advance' }, disabled: w.closed }),
    ]);
    const boardsShape = JSON.stringify(w.boards.map((b) => [b.id, b.title]));
    if (boardsShape !== shape) build(boardsShape);
    for (const board of w.boards) renderBoard(board);
  }

  function build(boardsShape) {
    shape = boardsShape;
    views.clear();
    dom.boards.replaceChildren();
    for (const board of store.workshop.boards) {
      const titleId = domId('mini', board.id, 'title');
      // A long board scrolls inside its box (with the keyboard too): the page stays short.
      const body = el('div', { className: 'mini-board__body', tabIndex: 0, attrs: { role: 'group', 'aria-labelledby': titleId } });
      const people = el('p', { className: 'mini-board__people' });
      const badges = el('p', { className: 'mini-board__badges' });
      const tools = el('div', { className: 'mini-board__tools' });
      dom.boards.append(el('section', { className: 'mini-board', id: domId('mini', board.id), tabIndex: -1, dataset: { board: board.id, testid: 'mini-board' }, attrs: { 'aria-labelledby': titleId } }, [
        el('header', { className: 'mini-board__head' }, [el('h3', { id: titleId, text: board.title }), people]),
        badges, tools, body,
      ]));
      views.set(board.id, { view: new BoardView(body, store, { mode: 'mini', boardId: board.id, moderation: true }), people, tools, badges });
    }
  }

  function renderBoard(board) {
    const w = store.workshop;
    const { view, people, tools, badges } = views.get(board.id);
    const here = w.participants.filter((p) => p.group === board.group && p.role === 'participant' && !p.removed);
    // Named by the board alone: the group sitting here may have started at another table.
    people.textContent = t('fac.people', { n: here.length });
    const host = board.host ? store.participant(board.host) : null;
    badges.textContent = [
      board.locked ? t('fac.lockedBadge') : '',
      w.focus === board.id ? t('fac.focusBadge') : '',
      host ? t('fac.hostBadge', { name: host.name ?? t('card.unknown') }) : '',
    ].filter(Boolean).join(' · ');
    badges.hidden = !badges.textContent;
    const candidates = here.filter((p) => p.name);
    renderIfChanged(tools, JSON.stringify([board.locked, w.focus === board.id, board.host, candidates.map((p) => [p.id, p.name]), w.closed, t('fac.lock')]), () => {
      const selectId = domId('host', board.id);
      return [
        button(board.locked ? 'board-unlock' : 'board-lock', board.locked ? t('fac.unlock') : t('fac.lock'), {
          className: 'btn--small', dataset: { testid: board.locked ? 'board-unlock' : 'board-lock' }, disabled: w.closed,
          attrs: { 'aria-describedby': domId('mini', board.id, 'title') },
        }),
        button(w.focus === board.id ? 'board-unfocus' : 'board-focus', w.focus === board.id ? t('fac.followStop') : t('fac.focusBoard'), {
          className: 'btn--small', dataset: { testid: 'board-focus' }, attrs: { 'aria-describedby': domId('mini', board.id, 'title') },
        }),
        el('form', { className: 'host-form', dataset: { action: 'host-form' }, noValidate: true }, [
          el('label', { htmlFor: selectId, text: t('fac.host') }),
          el('select', { id: selectId, dataset: { testid: 'host-select' } }, [
            el('option', { value: '', text: t('fac.noHost'), selected: !board.host }),
            ...candidates.map((p) => el('option', { value: p.id, text: p.name, selected: p.id === board.host })),
          ]),
          el('button', { type: 'submit', className: 'btn btn--small', text: t('fac.hostSet'), dataset: { testid: 'host-set' }, disabled: w.closed }),
        ]),
      ];
    });
    view.render();
  }

  // --- Tables -----------------------------------------------------------------------------------
  dom.actions.addEventListener('click', async (e) => {
    const action = e.target.closest('[data-action]')?.dataset.action;
    if (action === 'tables-balance') {
      send('tables.balance', {});
      announce(announcer, t('fac.balanced'));
    }
    if (action === 'rotation-advance' && await confirmDialog(t('fac.rotateTitle'), t('fac.rotateConfirm'), t('fac.rotate'))) {
      send('rotation.advance', {});
      announce(announcer, t('fac.rotated'));
    }
  });

  // --- Boards and their cards -------------------------------------------------------------------
  dom.boards.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const boardId = form.closest('[data-board]')?.dataset.board;
    if (form.dataset.action === 'host-form') {
      const participant = form.querySelector('select').value || null;
      send('host.assign', { board: boardId, participant });
      announce(announcer, participant ? t('fac.hostDone', { name: store.participant(participant)?.name ?? '' }) : t('fac.hostNone'));
    } else if (form.dataset.action === 'comment-form') {
      const input = form.querySelector('input');
      const text = input.value.trim();
      if (!text) return;
      send('comment.add', { card: form.closest('[data-card]').dataset.card, text });
      input.value = '';
      announce(announcer, t('comment.added'));
    } else if (form.dataset.action === 'edit-form') {
      const cardId = form.closest('[data-card]').dataset.card;
      const { view } = views.get(boardId);
      const text = form.querySelector('textarea').value.trim();
      const card = store.card(cardId);
      if (!text) { form.querySelector('textarea').setAttribute('aria-invalid', 'true'); return; }
      const base = view.editing.get(cardId)?.version ?? card?.version;
      view.editing.delete(cardId);
      if (card && text !== card.text) send('card.edit', { card: cardId, text, version: base });
      view.render();
      focusSoon(dom.boards, `[data-card="${CSS.escape(cardId)}"] [data-action="edit"]`);
    }
  });

  dom.boards.addEventListener('input', (e) => {
    const id = e.target.dataset?.draftFor;
    const boardId = e.target.closest('[data-board]')?.dataset.board;
    const entry = boardId && views.get(boardId);
    if (id && entry?.view.editing.has(id)) entry.view.editing.get(id).text = e.target.value;
  });

  dom.boards.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const boardId = b.closest('[data-board]')?.dataset.board;
    const entry = views.get(boardId);
    const cardId = b.closest('[data-card]')?.dataset.card;
    const sel = cardId ? `[data-card="${CSS.escape(cardId)}"]` : '';
    const card = cardId ? store.card(cardId) : null;
    switch (b.dataset.action) {
      case 'board-lock': send('board.lock', { board: boardId }); break;
      case 'board-unlock': send('board.unlock', { board: boardId }); break;
      case 'board-focus': send('view.focus', { board: boardId }); break;
      case 'board-unfocus': send('view.focus', { board: null }); break;
      case 'hide': send('card.hide', { card: cardId }); announce(announcer, t('mod.hidden')); break;
      case 'restore': send('card.restore', { card: cardId }); announce(announcer, t('mod.restored')); break;
      case 'edit':
        entry.view.editing.set(cardId, { text: card.text, version: card.version });
        entry.view.render();
        focusSoon(dom.boards, `${sel} textarea`);
        break;
      case 'edit-cancel':
        entry.view.editing.delete(cardId);
        entry.view.render();
        focusSoon(dom.boards, `${sel} [data-action="edit"]`);
        break;
      case 'delete':
        entry.view.confirmingDelete.add(cardId);
        entry.view.render();
        focusSoon(dom.boards, `${sel} [data-action="delete-cancel"]`);
        break;
      case 'delete-cancel':
        entry.view.confirmingDelete.delete(cardId);
        entry.view.render();
        focusSoon(dom.boards, `${sel} [data-action="delete"]`);
        break;
      case 'delete-confirm':
        entry.view.confirmingDelete.delete(cardId);
        send('card.delete', { card: cardId });
        announce(announcer, t('card.deleted'));
        b.closest('.mini-board').querySelector('h3').setAttribute('tabindex', '-1');
        b.closest('.mini-board').querySelector('h3').focus();
        break;
      case 'comment-delete':
        send('comment.delete', { comment: b.closest('[data-comment]').dataset.comment });
        announce(announcer, t('comment.deleted'));
        break;
      default: break;
    }
  });

  return { render };
}
